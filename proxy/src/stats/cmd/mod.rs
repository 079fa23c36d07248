//! Command execution: one file per verb. [`execute`] checks the session's level first
//! (HAProxy's order), then hands the command to its verb.
//!
//! - `help.rs`: `help` and the "Unknown command" reply.
//! - `level.rs`: `show cli level`, `operator`, `user`.
//! - `timeout.rs`: `set timeout cli`.
//! - `show_stat.rs`, `show_info.rs`, `show_servers_state.rs`, `show_sess.rs`,
//!   `show_backend.rs`, `show_version.rs`: the readers.
//! - `disable_server.rs`, `enable_server.rs`, `set_server.rs`, `weight.rs`
//!   (`set weight`, `get weight`), `health.rs` (`enable|disable health`), `shutdown.rs`
//!   (`shutdown session`, `shutdown sessions server`), `clear_counters.rs`: the writers.

mod clear_counters;
mod disable_server;
mod enable_server;
mod health;
mod help;
mod level;
mod set_server;
mod show_backend;
mod show_info;
mod show_servers_state;
mod show_sess;
mod show_stat;
mod show_version;
mod shutdown;
mod timeout;
mod weight;

pub use show_info::RELEASE_DATE;

use super::command::{Command, split_target};
use crate::config::Level;
use crate::state::{ListenState, Runtime, ServerState};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// HAProxy's reply to a command above the session's level.
pub const PERMISSION_DENIED: &str = "Permission denied\n";

/// How every error reply of this socket starts (`sockhop ctl` exits 1 on them).
pub const ERROR_PREFIXES: &[&str] = &[
    "Unknown command",
    "Permission denied",
    "No such ",
    "Require ",
    "Can't find backend.",
    "'set server <srv> ",
    "'set timeout' only supports",
    "Expects an integer value.",
    "Invalid timeout value.",
    "Invalid statistics domain.",
    "Session pointer expected",
    "Session not found.",
    "Absolute weight ",
    "Relative weight ",
    "Empty weight string",
    "Trailing garbage",
    "usage: ",
    "Health check was not configured",
    "agent checks are not enabled",
    "This server has no health check",
    "Command line too long",
];

/// Whether a reply text is one of this socket's error messages.
pub fn is_error_text(text: &str) -> bool {
    ERROR_PREFIXES.iter().any(|p| text.starts_with(p))
}

/// Per-connection CLI state that commands read and change.
#[derive(Debug, Clone)]
pub struct CliState {
    /// Current level (starts at the socket's, `operator`/`user` lower it).
    pub level: Level,
    /// Interactive mode (`prompt`).
    pub prompt: bool,
    /// Idle timeout (`[global] stats_timeout`, then `set timeout cli`).
    pub timeout: Duration,
    /// Cancelled when the daemon stops (`Stopping` in `show info`).
    pub shutdown: CancellationToken,
}

/// What a command answers, before the framing adds its empty line or prompt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub text: String,
    /// The text is an error message.
    pub error: bool,
    /// No line feed after the reply (`operator -`, `user -`).
    pub no_lf: bool,
    /// Close the connection without a reply (`quit`).
    pub quit: bool,
}

impl Reply {
    /// Success with output.
    pub fn ok(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            ..Reply::default()
        }
    }
    /// Success without output (admin commands): the framing sends only "\n".
    pub fn done() -> Reply {
        Reply::default()
    }
    pub fn error(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            error: true,
            ..Reply::default()
        }
    }
}

/// Runs one parsed command.
pub fn execute(cmd: Command, rt: &Arc<Runtime>, cli: &mut CliState) -> Reply {
    let reply = run(cmd, rt, cli);
    debug_assert_eq!(
        reply.error,
        is_error_text(&reply.text),
        "error prefixes out of date for {:?}",
        reply.text
    );
    reply
}

fn run(cmd: Command, rt: &Arc<Runtime>, cli: &mut CliState) -> Reply {
    if let Some(needed) = cmd.required_level()
        && cli.level < needed
    {
        return Reply::error(PERMISSION_DENIED);
    }
    match cmd {
        Command::Help(words) => help::help(&words),
        Command::Unknown(words) => help::unknown(&words),
        Command::Prompt => {
            cli.prompt = !cli.prompt;
            Reply::done()
        }
        Command::Quit => Reply {
            quit: true,
            ..Reply::default()
        },
        Command::ShowCliLevel => level::show(cli),
        Command::Operator { no_lf } => level::lower(cli, Level::Operator, no_lf),
        Command::User { no_lf } => level::lower(cli, Level::User, no_lf),
        Command::SetTimeoutCli(t) => timeout::set(cli, t),
        Command::ShowInfo(opts) => show_info::run(rt, cli, opts),
        Command::ShowStat(req) => show_stat::run(rt, cli.level, req),
        Command::ShowServersState(backend) => show_servers_state::run(rt, backend.as_deref()),
        Command::ShowSess(target) => show_sess::run(rt, target),
        Command::ShowVersion => show_version::run(),
        Command::ShowBackend => show_backend::run(rt),
        Command::ClearCounters { all } => clear_counters::run(rt, all),
        Command::DisableServer(t) => disable_server::run(rt, &t),
        Command::EnableServer(t) => enable_server::run(rt, &t),
        Command::DisableHealth(t) => health::set(rt, &t, false),
        Command::EnableHealth(t) => health::set(rt, &t, true),
        Command::SetServer { target, change } => set_server::run(rt, &target, change),
        Command::SetWeight { target, weight } => weight::set(rt, &target, weight),
        Command::GetWeight(t) => weight::get(rt, &t),
        Command::ShutdownSession(id) => shutdown::session(rt, id),
        Command::ShutdownSessionsServer(t) => shutdown::server_sessions(rt, &t),
    }
}

/// Resolves `backend/server` (names or `#<id>`) with HAProxy's error texts.
pub(crate) fn find_server(
    rt: &Runtime,
    target: &str,
) -> Result<(Arc<ListenState>, Arc<ServerState>), Reply> {
    let (b, s) = split_target(target).ok_or_else(|| Reply::error("Require 'backend/server'.\n"))?;
    let listen = rt
        .listen(b)
        .ok_or_else(|| Reply::error("No such backend.\n"))?;
    let server = listen
        .server(s)
        .ok_or_else(|| Reply::error("No such server.\n"))?;
    Ok((Arc::clone(listen), Arc::clone(server)))
}
