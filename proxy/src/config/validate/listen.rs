//! One `[[listen]]`: its keys over `[defaults]`, its binds and its servers.

use super::super::error::ConfigError;
use super::super::raw::{RawListen, RawMysqlCheck};
use super::super::source::Source;
use super::super::types::{
    Balance, Failback, Global, Listen, MysqlCheck, OnMarkedDown, OnMarkedUp, Timeouts,
};
use super::address;
use super::builtin;
use super::fields;
use super::global::DATAPATHS;
use super::layer::Layer;
use super::server::{self, Inherited};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::Range;
use toml::Spanned;

const BALANCE: &[(&str, Balance)] = &[
    ("roundrobin", Balance::RoundRobin),
    ("leastconn", Balance::LeastConn),
    ("first", Balance::First),
];

/// A validated listen and where its name and binds were written (for cross-listen checks).
pub struct Checked {
    pub listen: Listen,
    pub name_span: Range<usize>,
    pub bind_spans: Vec<Range<usize>>,
}

pub fn listen(
    src: &Source<'_>,
    index: usize,
    l: &Spanned<RawListen>,
    defaults: &Layer,
    global: &Global,
) -> Result<Checked, ConfigError> {
    let prefix = format!("listen[{index}]");
    let key = |name: &str| format!("{prefix}.{name}");
    let raw = l.get_ref();
    let name_v = fields::required(src, raw.name.as_ref(), l.span(), &key("name"))?;
    let name = fields::name(src, name_v, &key("name"))?;
    if let Some(mode) = &raw.mode {
        listen_mode(src, mode, &key("mode"))?;
    }
    let bind_v = fields::required(src, raw.bind.as_ref(), l.span(), &key("bind"))?;
    if bind_v.get_ref().is_empty() {
        return Err(src.error(
            bind_v.span(),
            key("bind"),
            "the listen has no bind address",
            "List at least one address to accept clients on, e.g. bind = [\"0.0.0.0:3306\"]",
        ));
    }
    let binds = bind_v
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, b)| address::bind(src, b, &format!("{prefix}.bind[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let mysql_check = raw
        .mysql_check
        .as_ref()
        .map(|m| mysql_check(src, m, l.span(), &key("mysql_check")))
        .transpose()?;
    let layer = Layer::read(src, &prefix, raw.layer_keys())?.over(defaults);
    let inherited = Inherited {
        checks: &layer.checks,
        source: layer.source.as_ref(),
        mysql_check: mysql_check.as_ref(),
    };
    let mut servers = Vec::with_capacity(raw.server.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, s) in raw.server.iter().enumerate() {
        let server_prefix = format!("{prefix}.server[{i}]");
        let server = server::server(src, &server_prefix, s, &inherited)?;
        // `name` is present: server() checked it.
        let name_span = s.get_ref().name.as_ref().map_or(s.span(), |n| n.span());
        let (line, _) = src.line_column(name_span.start);
        if let Some(first) = seen.insert(server.name.clone(), line) {
            return Err(src.error(
                name_span,
                format!("{server_prefix}.name"),
                format!(
                    "listen `{name}` already has a server named `{}` (line {first})",
                    server.name
                ),
                "Give each server of a listen its own name; `disable server` and `show stat` find servers by name",
            ));
        }
        servers.push(server);
    }
    let failback = layer.failback.as_ref().map_or(Failback::Auto, |f| f.value);
    if let Some(f) = &layer.failback
        && f.value == Failback::Manual
        && !servers.iter().any(|s| s.backup)
    {
        return Err(src.error(
            f.span.clone(),
            f.key.clone(),
            format!(
                "failback = \"manual\" keeps traffic on a backup server, but listen `{name}` has no server with backup = true"
            ),
            "Mark the standby server with `backup = true`, or use failback = \"auto\"",
        ));
    }
    let listen = Listen {
        name,
        binds,
        balance: match &raw.balance {
            Some(v) => fields::choice(src, v, &key("balance"), BALANCE)?,
            None => Balance::RoundRobin,
        },
        mysql_check,
        maxconn: layer.maxconn.unwrap_or(global.maxconn),
        retries: layer.retries.unwrap_or(builtin::RETRIES),
        allbackups: raw.allbackups.as_ref().is_some_and(|v| *v.get_ref()),
        on_marked_down: layer.on_marked_down.unwrap_or(OnMarkedDown::Nothing),
        on_marked_up: layer.on_marked_up.unwrap_or(OnMarkedUp::Nothing),
        failback,
        timeouts: Timeouts {
            connect: layer.timeout_connect.unwrap_or(builtin::TIMEOUT_CONNECT),
            client: layer.timeout_client.unwrap_or(builtin::TIMEOUT_CLIENT),
            server: layer.timeout_server.unwrap_or(builtin::TIMEOUT_SERVER),
            check: layer.timeout_check,
        },
        datapath: raw
            .datapath
            .as_ref()
            .map(|v| fields::choice(src, v, &key("datapath"), DATAPATHS))
            .transpose()?,
        servers,
    };
    Ok(Checked {
        listen,
        name_span: name_v.span(),
        bind_spans: bind_v.get_ref().iter().map(|b| b.span()).collect(),
    })
}

/// Only `"tcp"`: sockhop does not parse HTTP.
fn listen_mode(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<(), ConfigError> {
    match v.get_ref().as_str() {
        "tcp" => Ok(()),
        "http" => Err(src.error(
            v.span(),
            key,
            "mode \"http\" is not supported: sockhop is a TCP-only proxy",
            "Use mode = \"tcp\" (or remove the key); put an HTTP proxy in front if you need HTTP features",
        )),
        _ => fields::choice(src, v, key, &[("tcp", ())]),
    }
}

fn mysql_check(
    src: &Source<'_>,
    m: &RawMysqlCheck,
    listen_span: Range<usize>,
    key: &str,
) -> Result<MysqlCheck, ConfigError> {
    let user_key = format!("{key}.user");
    let user = fields::required(src, m.user.as_ref(), listen_span, &user_key)?;
    let text = user.get_ref();
    if text.is_empty() {
        return Err(src.error(
            user.span(),
            user_key,
            "the check user is empty",
            "Name the MySQL account the check logs in as, e.g. user = \"haproxy\" (created with CREATE USER 'haproxy'@'<proxy host>'; no password, no privileges)",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(src.error(
            user.span(),
            user_key,
            "the check user contains a control character",
            "Use the plain account name, e.g. user = \"haproxy\"",
        ));
    }
    Ok(MysqlCheck { user: text.clone() })
}

/// Bind addresses already taken, for the cross-listen check.
#[derive(Default)]
pub struct BindRegistry {
    taken: Vec<(SocketAddr, String, usize)>,
}

impl BindRegistry {
    /// Records the binds of `c`, failing if one clashes with an earlier bind.
    pub fn add(&mut self, src: &Source<'_>, index: usize, c: &Checked) -> Result<(), ConfigError> {
        for (i, (addr, span)) in c.listen.binds.iter().zip(&c.bind_spans).enumerate() {
            if let Some((other, owner, line)) = self
                .taken
                .iter()
                .find(|(t, _, _)| address::binds_clash(*t, *addr))
            {
                let problem = if other == addr {
                    format!("{addr} is already bound by listen `{owner}` (line {line})")
                } else {
                    format!("{addr} overlaps {other} of listen `{owner}` (line {line})")
                };
                return Err(src.error(
                    span.clone(),
                    format!("listen[{index}].bind[{i}]"),
                    problem,
                    "Two listens cannot accept on the same address and port; change the port or the address",
                ));
            }
            let (line, _) = src.line_column(span.start);
            self.taken.push((*addr, c.listen.name.clone(), line));
        }
        Ok(())
    }
}
