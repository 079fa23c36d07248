//! One `[[listen.server]]`: its own keys over what its listen inherited.

use super::super::error::ConfigError;
use super::super::raw::RawServer;
use super::super::source::Source;
use super::super::types::{CheckKind, MysqlCheck, Server};
use super::address;
use super::builtin;
use super::fields::{self, Located};
use super::layer::{CheckKeys, CheckLayer};
use std::net::IpAddr;
use toml::Spanned;

/// What a server inherits from its listen (already merged with `[defaults]`).
pub struct Inherited<'a> {
    pub checks: &'a CheckLayer,
    pub source: Option<&'a Located<IpAddr>>,
    pub mysql_check: Option<&'a MysqlCheck>,
}

pub fn server(
    src: &Source<'_>,
    prefix: &str,
    s: &Spanned<RawServer>,
    inherited: &Inherited<'_>,
) -> Result<Server, ConfigError> {
    let key = |name: &str| format!("{prefix}.{name}");
    let raw = s.get_ref();
    let name = fields::name(
        src,
        fields::required(src, raw.name.as_ref(), s.span(), &key("name"))?,
        &key("name"),
    )?;
    let own_source = raw
        .source
        .as_ref()
        .map(|v| {
            fields::ip(src, v, &key("source")).map(|ip| fields::located(v, &key("source"), ip))
        })
        .transpose()?;
    let source = own_source.as_ref().or(inherited.source);
    let address_v = fields::required(src, raw.address.as_ref(), s.span(), &key("address"))?;
    let address = address::server(src, address_v, &key("address"), source)?;
    let own_checks = CheckLayer::read(
        src,
        prefix,
        CheckKeys {
            inter: raw.inter.as_ref(),
            fastinter: raw.fastinter.as_ref(),
            downinter: raw.downinter.as_ref(),
            rise: raw.rise.as_ref(),
            fall: raw.fall.as_ref(),
        },
    )?;
    let check_on = raw.check.as_ref().is_some_and(|v| *v.get_ref());
    Ok(Server {
        name,
        address_text: address_v.get_ref().clone(),
        address,
        check: check_on.then(|| match inherited.mysql_check {
            Some(m) => CheckKind::Mysql(m.clone()),
            None => CheckKind::Tcp,
        }),
        check_params: own_checks.over(inherited.checks).resolve(),
        weight: match &raw.weight {
            Some(v) => fields::int(
                src,
                v,
                &key("weight"),
                0..=builtin::WEIGHT_LIMIT,
                "256 is HAProxy's maximum, and 0 keeps the server out of load balancing",
            )?,
            None => builtin::WEIGHT,
        },
        backup: raw.backup.as_ref().is_some_and(|v| *v.get_ref()),
        maxconn: raw
            .maxconn
            .as_ref()
            .map(|v| {
                fields::int(
                    src,
                    v,
                    &key("maxconn"),
                    1..=builtin::MAXCONN_LIMIT,
                    "remove it for no per-server limit",
                )
            })
            .transpose()?,
        source: source.map(|s| s.value),
        disabled: raw.disabled.as_ref().is_some_and(|v| *v.get_ref()),
    })
}
