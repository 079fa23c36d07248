//! Inheritance: the keys `[defaults]`, a `[[listen]]` and (for checks) a
//! `[[listen.server]]` may each set, read per level, then merged with
//! server > listen > defaults > built-in precedence.

use super::super::error::ConfigError;
use super::super::raw::{DurationValue, LayerKeys};
use super::super::source::Source;
use super::super::types::{CheckParams, Failback, OnMarkedDown, OnMarkedUp};
use super::builtin;
use super::fields::{self, Located};
use std::net::IpAddr;
use std::time::Duration;
use toml::Spanned;

/// Health-check timing set at one level (`None`: not set there).
#[derive(Debug, Clone, Default)]
pub struct CheckLayer {
    pub inter: Option<Duration>,
    pub fastinter: Option<Duration>,
    pub downinter: Option<Duration>,
    pub rise: Option<u32>,
    pub fall: Option<u32>,
}

/// The raw check keys of one level.
pub struct CheckKeys<'a> {
    pub inter: Option<&'a Spanned<DurationValue>>,
    pub fastinter: Option<&'a Spanned<DurationValue>>,
    pub downinter: Option<&'a Spanned<DurationValue>>,
    pub rise: Option<&'a Spanned<i64>>,
    pub fall: Option<&'a Spanned<i64>>,
}

impl CheckLayer {
    /// Reads the check keys of the table at `prefix` (`defaults`, `listen[0]`, ...).
    pub fn read(src: &Source<'_>, prefix: &str, k: CheckKeys<'_>) -> Result<Self, ConfigError> {
        let d = |v: Option<&Spanned<DurationValue>>, name: &str| {
            v.map(|v| fields::duration(src, v, &format!("{prefix}.{name}"), true))
                .transpose()
        };
        let count = |v: Option<&Spanned<i64>>, name: &str, hint: &str| {
            v.map(|v| {
                fields::int(
                    src,
                    v,
                    &format!("{prefix}.{name}"),
                    1..=builtin::RISE_FALL_LIMIT,
                    hint,
                )
            })
            .transpose()
        };
        Ok(CheckLayer {
            inter: d(k.inter, "inter")?,
            fastinter: d(k.fastinter, "fastinter")?,
            downinter: d(k.downinter, "downinter")?,
            rise: count(
                k.rise,
                "rise",
                "it is how many checks in a row must pass to mark a server UP (HAProxy default 2)",
            )?,
            fall: count(
                k.fall,
                "fall",
                "it is how many checks in a row must fail to mark a server DOWN (HAProxy default 3)",
            )?,
        })
    }

    /// This level's values where set, else `lower`'s.
    pub fn over(&self, lower: &CheckLayer) -> CheckLayer {
        CheckLayer {
            inter: self.inter.or(lower.inter),
            fastinter: self.fastinter.or(lower.fastinter),
            downinter: self.downinter.or(lower.downinter),
            rise: self.rise.or(lower.rise),
            fall: self.fall.or(lower.fall),
        }
    }

    /// Final values, with built-in defaults (`fastinter`/`downinter` follow `inter`).
    pub fn resolve(&self) -> CheckParams {
        let inter = self.inter.unwrap_or(builtin::INTER);
        CheckParams {
            inter,
            fastinter: self.fastinter.unwrap_or(inter),
            downinter: self.downinter.unwrap_or(inter),
            rise: self.rise.unwrap_or(builtin::RISE),
            fall: self.fall.unwrap_or(builtin::FALL),
        }
    }
}

/// What `[defaults]` or one `[[listen]]` sets of the inheritable keys.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub timeout_connect: Option<Duration>,
    pub timeout_client: Option<Duration>,
    pub timeout_server: Option<Duration>,
    pub timeout_check: Option<Duration>,
    pub retries: Option<u32>,
    pub maxconn: Option<u32>,
    pub checks: CheckLayer,
    pub on_marked_down: Option<OnMarkedDown>,
    pub on_marked_up: Option<OnMarkedUp>,
    pub failback: Option<Located<Failback>>,
    pub source: Option<Located<IpAddr>>,
}

const ON_MARKED_DOWN: &[(&str, OnMarkedDown)] = &[
    ("none", OnMarkedDown::Nothing),
    ("shutdown-sessions", OnMarkedDown::ShutdownSessions),
];
const ON_MARKED_UP: &[(&str, OnMarkedUp)] = &[
    ("none", OnMarkedUp::Nothing),
    (
        "shutdown-backup-sessions",
        OnMarkedUp::ShutdownBackupSessions,
    ),
];
const FAILBACK: &[(&str, Failback)] = &[("auto", Failback::Auto), ("manual", Failback::Manual)];

impl Layer {
    /// Reads the inheritable keys of the table at `prefix` (`defaults` or `listen[i]`).
    pub fn read(src: &Source<'_>, prefix: &str, k: LayerKeys<'_>) -> Result<Self, ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        let timeout = |v: Option<&Spanned<DurationValue>>, name: &str| {
            v.map(|v| fields::duration(src, v, &key(name), true))
                .transpose()
        };
        Ok(Layer {
            timeout_connect: timeout(k.timeout_connect, "timeout_connect")?,
            timeout_client: timeout(k.timeout_client, "timeout_client")?,
            timeout_server: timeout(k.timeout_server, "timeout_server")?,
            timeout_check: timeout(k.timeout_check, "timeout_check")?,
            retries: k
                .retries
                .map(|v| {
                    fields::int(
                        src,
                        v,
                        &key("retries"),
                        0..=builtin::RETRIES_LIMIT,
                        "it counts extra connect attempts after the first (HAProxy default 3)",
                    )
                })
                .transpose()?,
            maxconn: k
                .maxconn
                .map(|v| {
                    fields::int(
                        src,
                        v,
                        &key("maxconn"),
                        1..=builtin::MAXCONN_LIMIT,
                        "remove it to inherit [global] maxconn",
                    )
                })
                .transpose()?,
            checks: CheckLayer::read(
                src,
                prefix,
                CheckKeys {
                    inter: k.inter,
                    fastinter: k.fastinter,
                    downinter: k.downinter,
                    rise: k.rise,
                    fall: k.fall,
                },
            )?,
            on_marked_down: k
                .on_marked_down
                .map(|v| fields::choice(src, v, &key("on_marked_down"), ON_MARKED_DOWN))
                .transpose()?,
            on_marked_up: k
                .on_marked_up
                .map(|v| fields::choice(src, v, &key("on_marked_up"), ON_MARKED_UP))
                .transpose()?,
            failback: k
                .failback
                .map(|v| {
                    let key = key("failback");
                    fields::choice(src, v, &key, FAILBACK).map(|f| fields::located(v, &key, f))
                })
                .transpose()?,
            source: k
                .source
                .map(|v| {
                    let key = key("source");
                    fields::ip(src, v, &key).map(|ip| fields::located(v, &key, ip))
                })
                .transpose()?,
        })
    }

    /// This level's values where set, else `lower`'s.
    pub fn over(self, lower: &Layer) -> Layer {
        Layer {
            timeout_connect: self.timeout_connect.or(lower.timeout_connect),
            timeout_client: self.timeout_client.or(lower.timeout_client),
            timeout_server: self.timeout_server.or(lower.timeout_server),
            timeout_check: self.timeout_check.or(lower.timeout_check),
            retries: self.retries.or(lower.retries),
            maxconn: self.maxconn.or(lower.maxconn),
            checks: self.checks.over(&lower.checks),
            on_marked_down: self.on_marked_down.or(lower.on_marked_down),
            on_marked_up: self.on_marked_up.or(lower.on_marked_up),
            failback: self.failback.or_else(|| lower.failback.clone()),
            source: self.source.or_else(|| lower.source.clone()),
        }
    }
}
