//! `[global]` and `[[stats_socket]]` (a unix `path` or a TCP `address`).

use super::super::error::ConfigError;
use super::super::raw::{RawGlobal, RawStatsSocket};
use super::super::source::Source;
use super::super::system;
use super::super::types::{DataPathChoice, Global, Level, StatsEndpoint, StatsSocket};
use super::builtin;
use super::fields;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use toml::Spanned;

pub const DATAPATHS: &[(&str, DataPathChoice)] = &[
    ("auto", DataPathChoice::Auto),
    ("sockmap", DataPathChoice::Sockmap),
    ("splice", DataPathChoice::Splice),
    ("uring", DataPathChoice::Uring),
    ("copy", DataPathChoice::Copy),
];

const LEVELS: &[(&str, Level)] = &[
    ("user", Level::User),
    ("operator", Level::Operator),
    ("admin", Level::Admin),
];

/// Longest path that fits `sockaddr_un.sun_path` with its terminating NUL.
const SUN_PATH_MAX: usize = 107;

pub fn global(src: &Source<'_>, g: &RawGlobal) -> Result<Global, ConfigError> {
    Ok(Global {
        maxconn: match &g.maxconn {
            Some(v) => fields::int(
                src,
                v,
                "global.maxconn",
                1..=builtin::MAXCONN_LIMIT,
                "it caps concurrent client connections of the whole process",
            )?,
            None => builtin::GLOBAL_MAXCONN,
        },
        nbthread: match &g.nbthread {
            Some(v) => fields::int(
                src,
                v,
                "global.nbthread",
                1..=builtin::NBTHREAD_LIMIT,
                "it is the number of session threads; leave it out for one per CPU",
            )?,
            None => builtin::nbthread(),
        },
        datapath: match &g.datapath {
            Some(v) => fields::choice(src, v, "global.datapath", DATAPATHS)?,
            None => DataPathChoice::Auto,
        },
        node: match &g.node {
            Some(v) => v.get_ref().clone(),
            None => system::hostname(),
        },
        description: g
            .description
            .as_ref()
            .map(|v| v.get_ref().clone())
            .unwrap_or_default(),
        stats_timeout: match &g.stats_timeout {
            Some(v) => fields::duration(src, v, "global.stats_timeout", true)?,
            None => builtin::STATS_TIMEOUT,
        },
        uid: owner(src, &g.uid, &g.user, "global", Owner::User)?,
        gid: owner(src, &g.gid, &g.group, "global", Owner::Group)?,
    })
}

pub fn stats_sockets(
    src: &Source<'_>,
    sockets: &[Spanned<RawStatsSocket>],
) -> Result<Vec<StatsSocket>, ConfigError> {
    let mut seen: HashMap<StatsEndpoint, usize> = HashMap::new();
    let mut out = Vec::with_capacity(sockets.len());
    for (i, s) in sockets.iter().enumerate() {
        let prefix = format!("stats_socket[{i}]");
        let key = |name: &str| format!("{prefix}.{name}");
        let raw = s.get_ref();
        let (endpoint, at, at_key) = match (&raw.path, &raw.address) {
            (Some(_), Some(a)) => {
                return Err(src.error(
                    a.span(),
                    key("address"),
                    "both `path` and `address` are set",
                    "Keep `path` for a unix socket or `address` for a TCP one; add another [[stats_socket]] for the other",
                ));
            }
            (None, None) => {
                return Err(src.error(
                    s.span(),
                    key("path"),
                    "missing `path` (or `address`)",
                    "Add `path = \"/run/sockhop/stats.sock\"` for a unix socket, or `address = \"ipv4@127.0.0.1:9999\"` for a TCP one",
                ));
            }
            (Some(p), None) => (
                StatsEndpoint::Unix(socket_path(src, p, &key("path"))?),
                p,
                key("path"),
            ),
            (None, Some(a)) => {
                unix_only(src, raw, &prefix)?;
                (
                    StatsEndpoint::Tcp(tcp_address(src, a, &key("address"))?),
                    a,
                    key("address"),
                )
            }
        };
        let (line, _) = src.line_column(at.span().start);
        if let Some(first) = seen.insert(endpoint.clone(), line) {
            return Err(src.error(
                at.span(),
                at_key,
                format!("stats socket \"{endpoint}\" is already declared at line {first}"),
                "Give each [[stats_socket]] its own path or address, or remove the duplicate",
            ));
        }
        out.push(StatsSocket {
            endpoint,
            mode: match &raw.mode {
                Some(v) => mode(src, v, &key("mode"))?,
                None => builtin::STATS_MODE,
            },
            uid: owner(src, &raw.uid, &raw.user, &prefix, Owner::User)?,
            gid: owner(src, &raw.gid, &raw.group, &prefix, Owner::Group)?,
            level: match &raw.level {
                Some(v) => fields::choice(src, v, &key("level"), LEVELS)?,
                None => Level::Operator,
            },
        });
    }
    Ok(out)
}

/// File permissions and owners mean nothing for a TCP socket: refuse them rather than
/// silently ignore them (anyone who can reach the address can use the socket).
fn unix_only(src: &Source<'_>, raw: &RawStatsSocket, prefix: &str) -> Result<(), ConfigError> {
    let set = [
        ("mode", raw.mode.as_ref().map(|v| v.span())),
        ("user", raw.user.as_ref().map(|v| v.span())),
        ("group", raw.group.as_ref().map(|v| v.span())),
        ("uid", raw.uid.as_ref().map(|v| v.span())),
        ("gid", raw.gid.as_ref().map(|v| v.span())),
    ];
    match set.into_iter().find_map(|(k, s)| s.map(|s| (k, s))) {
        Some((name, span)) => Err(src.error(
            span,
            format!("{prefix}.{name}"),
            format!("`{name}` applies to unix sockets (`path`), not to a TCP `address`"),
            format!(
                "Remove `{name}`; a TCP stats socket is open to everyone who can reach its address, so bind it to a loopback address such as \"ipv4@127.0.0.1:9999\""
            ),
        )),
        None => Ok(()),
    }
}

/// `ipv4@IP:port` / `ipv6@[IP]:port` (HAProxy's notation); the prefix may be left out.
fn tcp_address(
    src: &Source<'_>,
    v: &Spanned<String>,
    key: &str,
) -> Result<SocketAddr, ConfigError> {
    let text = v.get_ref();
    let fail = |problem: String, fix: &str| Err(src.error(v.span(), key, problem, fix));
    let (family, rest) = match text.split_once('@') {
        Some(("ipv4", rest)) => (Some(true), rest),
        Some(("ipv6", rest)) => (Some(false), rest),
        Some(("unix", _)) => {
            return fail(
                format!("\"{text}\" is a unix socket"),
                "Write a unix socket as `path = \"/run/sockhop/stats.sock\"` instead of `address`",
            );
        }
        Some((other, _)) => {
            return fail(
                format!("\"{other}@\" in \"{text}\" is not an address family sockhop knows"),
                "Write \"ipv4@127.0.0.1:9999\" or \"ipv6@[::1]:9999\"",
            );
        }
        None => (None, text.as_str()),
    };
    let addr: SocketAddr = match rest.parse() {
        Ok(a) => a,
        Err(_) => {
            return fail(
                format!("\"{text}\" is not an IP address with a port"),
                "Write \"ipv4@127.0.0.1:9999\" or \"ipv6@[::1]:9999\" (an IP literal, brackets around IPv6, and a port; names are not resolved)",
            );
        }
    };
    if addr.port() == 0 {
        return fail(
            format!("port 0 in \"{text}\" is not a port"),
            "Use a port number from 1 to 65535, e.g. 9999",
        );
    }
    match family {
        Some(v4) if v4 != addr.is_ipv4() => fail(
            format!(
                "\"{text}\" says {} but holds an {} address",
                if v4 { "ipv4@" } else { "ipv6@" },
                if v4 { "IPv6" } else { "IPv4" }
            ),
            if v4 {
                "Write IPv6 addresses as \"ipv6@[::1]:9999\""
            } else {
                "Write IPv4 addresses as \"ipv4@127.0.0.1:9999\""
            },
        ),
        _ => Ok(addr),
    }
}

fn socket_path(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
    let text = v.get_ref();
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(src.error(
            v.span(),
            key,
            format!("\"{text}\" is a relative path"),
            format!(
                "Use an absolute path such as \"/run/sockhop/{}\", so the socket does not depend on the directory sockhop starts in",
                path.file_name()
                    .map_or("stats.sock".into(), |f| f.to_string_lossy())
            ),
        ));
    }
    if text.len() > SUN_PATH_MAX {
        return Err(src.error(
            v.span(),
            key,
            format!(
                "the path is {} bytes long, more than a unix socket address holds ({SUN_PATH_MAX})",
                text.len()
            ),
            "Use a shorter path, e.g. under /run/sockhop/",
        ));
    }
    Ok(path)
}

/// `"0660"`: octal permission bits.
fn mode(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<u32, ConfigError> {
    let text = v.get_ref();
    let valid =
        !text.is_empty() && text.len() <= 4 && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(text, 8) {
        Ok(bits) if valid && bits <= 0o777 => Ok(bits),
        _ => Err(src.error(
            v.span(),
            key,
            format!("\"{text}\" is not an octal permission mode"),
            "Write the permission bits in octal as for chmod, e.g. \"0660\" (owner and group may read and write)",
        )),
    }
}

#[derive(Clone, Copy)]
enum Owner {
    User,
    Group,
}

/// `uid`/`user` (or `gid`/`group`): at most one of the two; names are looked up now.
fn owner(
    src: &Source<'_>,
    number: &Option<Spanned<i64>>,
    name: &Option<Spanned<String>>,
    prefix: &str,
    which: Owner,
) -> Result<Option<u32>, ConfigError> {
    let (num_key, name_key, what) = match which {
        Owner::User => ("uid", "user", "user"),
        Owner::Group => ("gid", "group", "group"),
    };
    match (number, name) {
        (Some(_), Some(n)) => Err(src.error(
            n.span(),
            format!("{prefix}.{name_key}"),
            format!("both `{num_key}` and `{name_key}` are set"),
            format!("Keep only one: `{name_key}` (a name) or `{num_key}` (a number)"),
        )),
        (Some(n), None) => fields::int(
            src,
            n,
            &format!("{prefix}.{num_key}"),
            0..=i64::from(u32::MAX - 1),
            "",
        )
        .map(Some),
        (None, Some(n)) => {
            let key = format!("{prefix}.{name_key}");
            let found = match which {
                Owner::User => system::user_id(n.get_ref()),
                Owner::Group => system::group_id(n.get_ref()),
            };
            match found {
                Ok(Some(id)) => Ok(Some(id)),
                Ok(None) => Err(src.error(
                    n.span(),
                    key,
                    format!("there is no {what} named \"{}\" on this system", n.get_ref()),
                    format!(
                        "Create the {what} first, fix the spelling, or give the numeric `{num_key}` instead"
                    ),
                )),
                Err(e) => Err(src.error(
                    n.span(),
                    key,
                    format!("cannot look up {what} \"{}\": {e}", n.get_ref()),
                    format!("Give the numeric `{num_key}` instead"),
                )),
            }
        }
        (None, None) => Ok(None),
    }
}
