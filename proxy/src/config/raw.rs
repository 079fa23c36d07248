//! Stage 1: a serde mirror of the file, exactly as written.
//!
//! Every table denies unknown keys, every value keeps its byte span (for `line:column` in
//! errors), and nothing is interpreted yet: integers stay `i64`, enums stay strings, durations
//! stay text. Only TOML syntax, unknown keys and gross type mismatches fail here; everything
//! else is [`super::validate`]'s job.
//!
//! Tables that may be written with dotted keys or left implicit (`[global]`, `[defaults]`,
//! `mysql_check`, `[web]` under `[[web.users]]`) are not wrapped in `Spanned` (the TOML
//! parser has no span for an implicit table);
//! `[[listen]]`, `[[listen.server]]`, `[[stats_socket]]` and `[[web.users]]` entries always
//! have one.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use toml::Spanned;

type Opt<T> = Option<Spanned<T>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub global: RawGlobal,
    #[serde(default)]
    pub stats_socket: Vec<Spanned<RawStatsSocket>>,
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub listen: Vec<Spanned<RawListen>>,
    pub web: Option<RawWeb>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub bind: Opt<String>,
    pub refresh: Opt<DurationValue>,
    #[serde(default)]
    pub users: Vec<Spanned<RawWebUser>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebUser {
    pub name: Opt<String>,
    pub password: Opt<String>,
    pub level: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGlobal {
    pub maxconn: Opt<i64>,
    pub nbthread: Opt<i64>,
    pub datapath: Opt<String>,
    pub node: Opt<String>,
    pub description: Opt<String>,
    pub stats_timeout: Opt<DurationValue>,
    pub user: Opt<String>,
    pub group: Opt<String>,
    pub uid: Opt<i64>,
    pub gid: Opt<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatsSocket {
    pub path: Opt<String>,
    pub address: Opt<String>,
    pub mode: Opt<String>,
    pub level: Opt<String>,
    pub uid: Opt<i64>,
    pub gid: Opt<i64>,
    pub user: Opt<String>,
    pub group: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub timeout_connect: Opt<DurationValue>,
    pub timeout_client: Opt<DurationValue>,
    pub timeout_server: Opt<DurationValue>,
    pub timeout_check: Opt<DurationValue>,
    pub retries: Opt<i64>,
    pub maxconn: Opt<i64>,
    pub inter: Opt<DurationValue>,
    pub fastinter: Opt<DurationValue>,
    pub downinter: Opt<DurationValue>,
    pub rise: Opt<i64>,
    pub fall: Opt<i64>,
    pub on_marked_down: Opt<String>,
    pub on_marked_up: Opt<String>,
    pub failback: Opt<String>,
    pub source: Opt<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListen {
    pub name: Opt<String>,
    pub bind: Opt<Vec<Spanned<String>>>,
    pub mode: Opt<String>,
    pub balance: Opt<String>,
    pub mysql_check: Option<RawMysqlCheck>,
    pub maxconn: Opt<i64>,
    pub retries: Opt<i64>,
    pub allbackups: Opt<bool>,
    pub on_marked_down: Opt<String>,
    pub on_marked_up: Opt<String>,
    pub failback: Opt<String>,
    pub timeout_connect: Opt<DurationValue>,
    pub timeout_client: Opt<DurationValue>,
    pub timeout_server: Opt<DurationValue>,
    pub timeout_check: Opt<DurationValue>,
    pub inter: Opt<DurationValue>,
    pub fastinter: Opt<DurationValue>,
    pub downinter: Opt<DurationValue>,
    pub rise: Opt<i64>,
    pub fall: Opt<i64>,
    pub datapath: Opt<String>,
    pub source: Opt<String>,
    #[serde(default)]
    pub server: Vec<Spanned<RawServer>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMysqlCheck {
    pub user: Opt<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub name: Opt<String>,
    pub address: Opt<String>,
    pub check: Opt<bool>,
    pub inter: Opt<DurationValue>,
    pub fastinter: Opt<DurationValue>,
    pub downinter: Opt<DurationValue>,
    pub rise: Opt<i64>,
    pub fall: Opt<i64>,
    pub weight: Opt<i64>,
    pub backup: Opt<bool>,
    pub maxconn: Opt<i64>,
    pub source: Opt<String>,
    pub disabled: Opt<bool>,
}

/// The keys `[defaults]` and `[[listen]]` share: what a listen inherits from `[defaults]`.
pub struct LayerKeys<'a> {
    pub timeout_connect: Option<&'a Spanned<DurationValue>>,
    pub timeout_client: Option<&'a Spanned<DurationValue>>,
    pub timeout_server: Option<&'a Spanned<DurationValue>>,
    pub timeout_check: Option<&'a Spanned<DurationValue>>,
    pub retries: Option<&'a Spanned<i64>>,
    pub maxconn: Option<&'a Spanned<i64>>,
    pub inter: Option<&'a Spanned<DurationValue>>,
    pub fastinter: Option<&'a Spanned<DurationValue>>,
    pub downinter: Option<&'a Spanned<DurationValue>>,
    pub rise: Option<&'a Spanned<i64>>,
    pub fall: Option<&'a Spanned<i64>>,
    pub on_marked_down: Option<&'a Spanned<String>>,
    pub on_marked_up: Option<&'a Spanned<String>>,
    pub failback: Option<&'a Spanned<String>>,
    pub source: Option<&'a Spanned<String>>,
}

impl RawDefaults {
    pub fn layer_keys(&self) -> LayerKeys<'_> {
        LayerKeys {
            timeout_connect: self.timeout_connect.as_ref(),
            timeout_client: self.timeout_client.as_ref(),
            timeout_server: self.timeout_server.as_ref(),
            timeout_check: self.timeout_check.as_ref(),
            retries: self.retries.as_ref(),
            maxconn: self.maxconn.as_ref(),
            inter: self.inter.as_ref(),
            fastinter: self.fastinter.as_ref(),
            downinter: self.downinter.as_ref(),
            rise: self.rise.as_ref(),
            fall: self.fall.as_ref(),
            on_marked_down: self.on_marked_down.as_ref(),
            on_marked_up: self.on_marked_up.as_ref(),
            failback: self.failback.as_ref(),
            source: self.source.as_ref(),
        }
    }
}

impl RawListen {
    pub fn layer_keys(&self) -> LayerKeys<'_> {
        LayerKeys {
            timeout_connect: self.timeout_connect.as_ref(),
            timeout_client: self.timeout_client.as_ref(),
            timeout_server: self.timeout_server.as_ref(),
            timeout_check: self.timeout_check.as_ref(),
            retries: self.retries.as_ref(),
            maxconn: self.maxconn.as_ref(),
            inter: self.inter.as_ref(),
            fastinter: self.fastinter.as_ref(),
            downinter: self.downinter.as_ref(),
            rise: self.rise.as_ref(),
            fall: self.fall.as_ref(),
            on_marked_down: self.on_marked_down.as_ref(),
            on_marked_up: self.on_marked_up.as_ref(),
            failback: self.failback.as_ref(),
            source: self.source.as_ref(),
        }
    }
}

/// A duration as written: a string with a unit (`"2s"`) or an integer of milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationValue {
    Text(String),
    Millis(i64),
}

/// What a duration must look like, as serde reports it in type errors.
pub const DURATION_EXPECTED: &str =
    "a duration such as \"2s\" or \"500ms\", or a number of milliseconds";

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = DurationValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(DURATION_EXPECTED)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationValue, E> {
                Ok(DurationValue::Text(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationValue, E> {
                Ok(DurationValue::Millis(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DurationValue, E> {
                Ok(DurationValue::Millis(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}
