//! One CLI command: splitting a command into words the way HAProxy does, and parsing the
//! words into a [`Command`].
//!
//! Words are separated by spaces and tabs; a backslash escapes the next byte (`\ ` keeps a
//! space inside a word, `\;` a semicolon, `\\` a backslash). As in HAProxy's C parser, a NUL
//! byte ends the word it is in, and a NUL where a word would start ends the command. Words
//! are bytes (the socket may carry anything); the parser reads them as lossy UTF-8.
//!
//! Argument errors that HAProxy reports only after the level check and the server lookup
//! (e.g. a bad `set server ... state` value) are kept inside the command as `Err(text)`
//! so the executor can report them in HAProxy's order.

use crate::config::Level;
use crate::state::AdminChange;
use std::time::Duration;

/// HAProxy's `MAX_CLI_ARGS`: words after the 64th are ignored.
pub const MAX_ARGS: usize = 64;

/// Splits one command (without its `\n`/`;` terminator) into unescaped words.
pub fn split_words(line: &[u8]) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut i = 0;
    while words.len() < MAX_ARGS && i < line.len() {
        while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        if i >= line.len() || line[i] == 0 {
            break;
        }
        let mut word = Vec::new();
        while i < line.len() {
            match line[i] {
                b' ' | b'\t' | 0 => break,
                b'\\' => {
                    // The backslash goes, the byte after it stays whatever it is.
                    if let Some(&next) = line.get(i + 1) {
                        word.push(next);
                    }
                    i += 2;
                }
                b => {
                    word.push(b);
                    i += 1;
                }
            }
        }
        i += 1; // the separator (or NUL) that ended the word
        words.push(word);
    }
    words
}

/// Output format of `show stat` / `show info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// CSV for `show stat`, `Key: value` lines for `show info`.
    #[default]
    Plain,
    Typed,
    Json,
}

/// `show stat {<iid>|<proxy>} <type> <sid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatFilter {
    /// A proxy name, or a number (`-1` = all proxies).
    pub proxy: String,
    /// Bit mask: 1 frontends, 2 backends, 4 servers; -1 = everything.
    pub types: i32,
    /// A server id, `-1` = all servers.
    pub sid: i32,
}

/// `show stat [domain proxy] [filter] [typed|json] [desc] [up] [no-maint]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShowStat {
    pub filter: Option<StatFilter>,
    pub format: Format,
    pub desc: bool,
    /// `up`: hide servers that are DOWN and not changing state, or in maintenance.
    pub up: bool,
    /// `no-maint`: hide servers in maintenance.
    pub no_maint: bool,
    /// `domain resolvers`: sockhop has no resolvers, so the answer is empty.
    pub resolvers: bool,
}

/// `show info [typed|json] [desc] [float]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShowInfo {
    pub format: Format,
    pub desc: bool,
}

/// A new weight: absolute, or a percentage of the configured weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightSpec {
    Absolute(u32),
    /// Percent of the initial weight (already capped at 25600 as HAProxy does).
    Percent(u32),
}

impl WeightSpec {
    /// The resulting weight for a server configured with `initial` (0..=256).
    pub fn resolve(self, initial: u32) -> u32 {
        match self {
            WeightSpec::Absolute(w) => w,
            WeightSpec::Percent(p) => (u64::from(initial) * u64::from(p) / 100).min(256) as u32,
        }
    }
}

/// `set server B/S health ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Up,
    Stopping,
    Down,
}

/// What `set server B/S ...` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerChange {
    State(AdminChange),
    Weight(WeightSpec),
    Health(Health),
}

/// A parsed CLI command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `help [words...]`: the usage list, filtered by the given words.
    Help(Vec<Vec<u8>>),
    Prompt,
    Quit,
    ShowCliLevel,
    /// `operator [-]` (with `-`: no empty line after the reply).
    Operator {
        no_lf: bool,
    },
    /// `user [-]`.
    User {
        no_lf: bool,
    },
    SetTimeoutCli(Result<Duration, &'static str>),
    ShowInfo(ShowInfo),
    ShowStat(Result<ShowStat, &'static str>),
    ShowServersState(Option<String>),
    ShowSess(Option<SessTarget>),
    ShowVersion,
    ShowBackend,
    ClearCounters {
        all: bool,
    },
    DisableServer(String),
    EnableServer(String),
    DisableHealth(String),
    EnableHealth(String),
    SetServer {
        target: String,
        change: Result<ServerChange, String>,
    },
    SetWeight {
        target: String,
        weight: Result<WeightSpec, &'static str>,
    },
    GetWeight(String),
    ShutdownSession(Option<u64>),
    ShutdownSessionsServer(String),
    /// Not a command sockhop knows; carries the words for the usage message.
    Unknown(Vec<Vec<u8>>),
}

/// `show sess all` or `show sess <id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessTarget {
    All,
    Id(u64),
}

impl Command {
    /// The lowest level allowed to run the command (checked before anything else, as HAProxy
    /// does). `None`: any level.
    pub fn required_level(&self) -> Option<Level> {
        match self {
            Command::Operator { .. } | Command::ShowSess(_) => Some(Level::Operator),
            Command::ClearCounters { all } => {
                Some(if *all { Level::Admin } else { Level::Operator })
            }
            Command::DisableServer(_)
            | Command::EnableServer(_)
            | Command::DisableHealth(_)
            | Command::EnableHealth(_)
            | Command::SetServer { .. }
            | Command::SetWeight { .. }
            | Command::ShutdownSession(_)
            | Command::ShutdownSessionsServer(_) => Some(Level::Admin),
            _ => None,
        }
    }
}

/// Parses the words of one command.
pub fn parse(words: &[Vec<u8>]) -> Command {
    let w: Vec<String> = words
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let arg = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    let owned = |i: usize| arg(i).to_owned();
    let words_from = |i: usize| words.get(i..).unwrap_or_default().to_vec();
    match (arg(0), arg(1), arg(2)) {
        ("help", _, _) => Command::Help(words_from(1)),
        ("prompt", _, _) => Command::Prompt,
        ("quit", _, _) => Command::Quit,
        ("show", "cli", "level") => Command::ShowCliLevel,
        ("operator", _, _) => Command::Operator {
            no_lf: arg(1) == "-",
        },
        ("user", _, _) => Command::User {
            no_lf: arg(1) == "-",
        },
        ("set", "timeout", _) => Command::SetTimeoutCli(parse_set_timeout(arg(2), arg(3))),
        ("show", "info", _) => Command::ShowInfo(parse_show_info(&w[2..])),
        ("show", "stat", _) => Command::ShowStat(parse_show_stat(&w[2..])),
        ("show", "servers", "state") => {
            Command::ShowServersState(Some(owned(3)).filter(|b| !b.is_empty()))
        }
        ("show", "sess", _) => Command::ShowSess(match arg(2) {
            "" => None,
            "all" => Some(SessTarget::All),
            id => Some(SessTarget::Id(strtoul(id))),
        }),
        ("show", "version", _) => Command::ShowVersion,
        ("show", "backend", _) => Command::ShowBackend,
        ("clear", "counters", _) => Command::ClearCounters {
            all: arg(2) == "all",
        },
        ("disable", "server", _) => Command::DisableServer(owned(2)),
        ("enable", "server", _) => Command::EnableServer(owned(2)),
        ("disable", "health", _) => Command::DisableHealth(owned(2)),
        ("enable", "health", _) => Command::EnableHealth(owned(2)),
        ("set", "server", _) => Command::SetServer {
            target: owned(2),
            change: parse_server_change(arg(3), arg(4)),
        },
        ("set", "weight", _) => Command::SetWeight {
            target: owned(2),
            weight: parse_weight(arg(3)),
        },
        ("get", "weight", _) => Command::GetWeight(owned(2)),
        ("shutdown", "session", _) => {
            Command::ShutdownSession(Some(strtoul(arg(2))).filter(|&id| id != 0))
        }
        ("shutdown", "sessions", "server") => Command::ShutdownSessionsServer(owned(3)),
        _ => Command::Unknown(words.to_vec()),
    }
}

fn parse_show_info(opts: &[String]) -> ShowInfo {
    let mut s = ShowInfo::default();
    for o in opts {
        match o.as_str() {
            "typed" => s.format = Format::Typed,
            "json" => s.format = Format::Json,
            "desc" => s.desc = true,
            // `float` changes how HAProxy prints floats; sockhop prints none.
            _ => {}
        }
    }
    s
}

fn parse_show_stat(args: &[String]) -> Result<ShowStat, &'static str> {
    let mut s = ShowStat::default();
    let mut args = args;
    if args.first().map(String::as_str) == Some("domain") {
        match args.get(1).map(String::as_str) {
            Some("proxy") => {}
            Some("resolvers") => s.resolvers = true,
            _ => return Err("Invalid statistics domain.\n"),
        }
        args = &args[2..];
    }
    let nonempty = |i: usize| args.get(i).is_some_and(|a| !a.is_empty());
    if !s.resolvers && nonempty(0) && nonempty(1) && nonempty(2) {
        s.filter = Some(StatFilter {
            proxy: args[0].clone(),
            types: atoi(&args[1]),
            sid: atoi(&args[2]),
        });
        args = &args[3..];
    }
    for a in args {
        match a.as_str() {
            "typed" => s.format = Format::Typed,
            "json" => s.format = Format::Json,
            "desc" => s.desc = true,
            "no-maint" => s.no_maint = true,
            "up" => s.up = true,
            _ => {}
        }
    }
    Ok(s)
}

fn parse_set_timeout(what: &str, value: &str) -> Result<Duration, &'static str> {
    if what != "cli" {
        return Err("'set timeout' only supports 'cli'.\n");
    }
    if value.is_empty() {
        return Err("Expects an integer value.\n");
    }
    match parse_seconds(value) {
        Some(s) if s >= 1 => Ok(Duration::from_secs(s)),
        _ => Err("Invalid timeout value.\n"),
    }
}

/// HAProxy's `parse_time_err` with seconds as the default unit: digits, then an optional
/// unit (`us`, `ms`, `s`, `m`, `h`, `d`; anything after the unit is ignored, as HAProxy
/// only warns about it). The result is in seconds, rounded up.
pub fn parse_seconds(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let value: u64 = s[..digits].parse().ok()?;
    let unit = &s.as_bytes()[digits..];
    let (mult, div): (u64, u64) = match unit {
        [] | [b's', ..] => (1, 1),
        [b'u', b's', ..] => (1, 1_000_000),
        [b'm', b's', ..] => (1, 1000),
        [b'm', ..] => (60, 1),
        [b'h', ..] => (3600, 1),
        [b'd', ..] => (86_400, 1),
        _ => return None,
    };
    let secs = value.checked_mul(mult)?.div_ceil(div);
    (secs < 0x8000_0000).then_some(secs)
}

fn parse_server_change(what: &str, value: &str) -> Result<ServerChange, String> {
    match what {
        "state" => match value {
            "ready" => Ok(ServerChange::State(AdminChange::Ready)),
            "drain" => Ok(ServerChange::State(AdminChange::Drain)),
            "maint" => Ok(ServerChange::State(AdminChange::Maint)),
            _ => Err("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n".into()),
        },
        "health" => match value {
            "up" => Ok(ServerChange::Health(Health::Up)),
            "stopping" => Ok(ServerChange::Health(Health::Stopping)),
            "down" => Ok(ServerChange::Health(Health::Down)),
            _ => Err("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n".into()),
        },
        "weight" => parse_weight(value)
            .map(ServerChange::Weight)
            .map_err(str::to_owned),
        "agent" | "agent-send" => Err("agent checks are not enabled on this server.\n".into()),
        "addr" | "agent-addr" | "agent-port" | "check-addr" | "check-port" | "fqdn" | "ssl" => {
            Err(format!(
                "'set server <srv> {what}' is not supported by sockhop: change the configuration and restart.\n"
            ))
        }
        _ => Err("usage: set server <backend>/<server> health | state | weight\n".into()),
    }
}

/// HAProxy's `server_parse_weight_change_request` (its texts, each ending with a newline).
pub fn parse_weight(s: &str) -> Result<WeightSpec, &'static str> {
    if s.is_empty() {
        return Err("Require <weight> or <weight%>.\n");
    }
    let Some((w, rest)) = strtol(s) else {
        return Err("Empty weight string empty or preceded by garbage\n");
    };
    if rest == "%" {
        if w < 0 {
            return Err("Relative weight must be positive.\n");
        }
        return Ok(WeightSpec::Percent(w.min(25_600) as u32));
    }
    if !(0..=256).contains(&w) {
        return Err("Absolute weight can only be between 0 and 256 inclusive.\n");
    }
    if !rest.is_empty() {
        return Err("Trailing garbage in weight string\n");
    }
    Ok(WeightSpec::Absolute(w as u32))
}

/// C `strtol(s, &end, 10)`: leading blanks, a sign, digits; `None` when there are no digits.
fn strtol(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start_matches([' ', '\t']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = t.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v = t[..n].parse::<i64>().unwrap_or(i64::MAX);
    Some((if neg { -v } else { v }, &t[n..]))
}

/// C `atoi`: the leading integer, 0 when there is none.
fn atoi(s: &str) -> i32 {
    strtol(s).map_or(0, |(v, _)| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}

/// C `strtoul(s, NULL, 0)`: `0x` hex, leading-`0` octal, else decimal; 0 when unparsable.
pub fn strtoul(s: &str) -> u64 {
    let t = s.trim_start_matches([' ', '\t']);
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    let n = digits.chars().take_while(|c| c.is_digit(radix)).count();
    u64::from_str_radix(&digits[..n], radix).unwrap_or(0)
}

/// Splits `backend/server`. `None` when there is no `/`, or either side is empty
/// (HAProxy's "Require 'backend/server'.").
pub fn split_target(t: &str) -> Option<(&str, &str)> {
    let (b, s) = t.split_once('/')?;
    (!b.is_empty() && !s.is_empty()).then_some((b, s))
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
