//! `[global]` and `[[stats_socket]]`.

use super::super::error::ConfigError;
use super::super::raw::{RawGlobal, RawStatsSocket};
use super::super::source::Source;
use super::super::system;
use super::super::types::{DataPathChoice, Global, Level, StatsSocket};
use super::builtin;
use super::fields;
use std::collections::HashMap;
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
    })
}

pub fn stats_sockets(
    src: &Source<'_>,
    sockets: &[Spanned<RawStatsSocket>],
) -> Result<Vec<StatsSocket>, ConfigError> {
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut out = Vec::with_capacity(sockets.len());
    for (i, s) in sockets.iter().enumerate() {
        let prefix = format!("stats_socket[{i}]");
        let key = |name: &str| format!("{prefix}.{name}");
        let raw = s.get_ref();
        let path_v = fields::required(src, raw.path.as_ref(), s.span(), &key("path"))?;
        let path = socket_path(src, path_v, &key("path"))?;
        let (line, _) = src.line_column(path_v.span().start);
        if let Some(first) = seen.insert(path.clone(), line) {
            return Err(src.error(
                path_v.span(),
                key("path"),
                format!(
                    "stats socket \"{}\" is already declared at line {first}",
                    path.display()
                ),
                "Give each [[stats_socket]] its own path, or remove the duplicate",
            ));
        }
        out.push(StatsSocket {
            path,
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
