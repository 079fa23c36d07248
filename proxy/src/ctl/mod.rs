//! `sockhop ctl`: the built-in stats-socket client.
//!
//! Sends one command line to a stats socket (unix `--socket PATH` or TCP `--address
//! ipv4@127.0.0.1:9999`) and prints the reply, like `echo "COMMAND" | socat stdio SOCKET`,
//! with exit codes a script can use: 0 success, 1 the reply is an error text (unknown
//! command, `Permission denied`, `No such ...`), 2 the socket cannot be reached, 64 bad
//! `ctl` arguments.
//!
//! Where things live:
//! - `mod.rs` (here): options, running one command (raw passthrough, `--table`, `status`,
//!   `--json`) and `--watch`.
//! - `conn.rs`: the socket address and one exchange on it.
//! - `table.rs`: `--table` (chosen `show stat` columns, aligned) and CSV reading.
//! - `status.rs`: `sockhop ctl status`: one readable table per listen, or JSON.

mod conn;
mod status;
mod table;

pub use conn::Target;
pub use table::{DEFAULT_COLUMNS, render_table, split_csv};

use crate::stats::is_error_text;
use std::io::Write;
use std::time::Duration;

/// The reply is an error text.
pub const EXIT_ERROR_REPLY: i32 = 1;
/// The socket could not be reached.
pub const EXIT_UNREACHABLE: i32 = 2;
/// Invalid `ctl` arguments.
pub const EXIT_USAGE: i32 = 64;

/// Why `sockhop ctl` failed.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error(
        "cannot connect to the stats socket {target}: {source}\n\
         Is sockhop running, is --socket (or --address) a [[stats_socket]] of its \
         configuration, and may this user open it?"
    )]
    Connect {
        target: String,
        source: std::io::Error,
    },
    #[error("stats socket {target}: {source}")]
    Io {
        target: String,
        source: std::io::Error,
    },
    #[error("--table works with 'show stat' only (CSV output), not with '{0}'")]
    TableNeedsShowStat(String),
    #[error(
        "--json works with 'status', 'show stat' and 'show info', not with '{0}'; \
         other commands have no JSON form"
    )]
    JsonNotAvailable(String),
    #[error("'status' takes at most one listen name, got '{0}'")]
    StatusArgs(String),
    #[error("unknown column '{name}' in --columns; valid names: {valid}")]
    UnknownColumn { name: String, valid: String },
    #[error("the reply to 'show stat' has no CSV header")]
    NoHeader,
    #[error("there is no listen named '{0}' in the reply to 'show stat'")]
    NoSuchListen(String),
}

impl CtlError {
    fn exit_code(&self) -> i32 {
        match self {
            CtlError::Connect { .. } | CtlError::Io { .. } => EXIT_UNREACHABLE,
            CtlError::TableNeedsShowStat(_)
            | CtlError::JsonNotAvailable(_)
            | CtlError::StatusArgs(_)
            | CtlError::UnknownColumn { .. } => EXIT_USAGE,
            CtlError::NoHeader | CtlError::NoSuchListen(_) => EXIT_ERROR_REPLY,
        }
    }
}

/// What `sockhop ctl` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// The command words; `status [LISTEN]` is sockhop's own, anything else goes to the
    /// socket as is.
    pub command: Vec<String>,
    pub table: bool,
    pub columns: Option<String>,
    pub json: bool,
    /// Refresh every this long until interrupted (or `count` times).
    pub watch: Option<Duration>,
    pub count: Option<u64>,
}

/// Runs `ctl` with stdout/stderr; returns the exit code.
pub fn run(opts: &Options) -> i32 {
    run_with(
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        opts,
    )
}

/// [`run`] with the output streams given (a closed stdout, as in `| head`, ends it quietly).
pub fn run_with(out: &mut impl Write, err: &mut impl Write, opts: &Options) -> i32 {
    let Some(every) = opts.watch else {
        return once(out, err, opts);
    };
    let mut code = 0;
    let mut done = 0u64;
    loop {
        // Clear the screen and go home, as watch(1) does.
        let header = format!(
            "\x1b[H\x1b[2JEvery {}: sockhop ctl {} ({})\n\n",
            humanize(every),
            opts.command.join(" "),
            opts.target
        );
        if out.write_all(header.as_bytes()).is_err() {
            return code;
        }
        code = once(out, err, opts);
        if out.flush().is_err() {
            return code;
        }
        done += 1;
        if opts.count.is_some_and(|n| done >= n) {
            return code;
        }
        std::thread::sleep(every);
    }
}

fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn once(out: &mut impl Write, err: &mut impl Write, opts: &Options) -> i32 {
    match execute(opts) {
        Ok((output, code)) => {
            let _ = out.write_all(output.as_bytes());
            let _ = out.flush();
            code
        }
        Err(e) => {
            let _ = writeln!(err, "sockhop ctl: {e}");
            e.exit_code()
        }
    }
}

/// Runs the command and returns what to print and the exit code.
fn execute(opts: &Options) -> Result<(String, i32), CtlError> {
    let line = opts.command.join(" ");
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.first() == Some(&"status") {
        return status(opts, &words[1..]);
    }
    let table = opts.table || opts.columns.is_some();
    if table && !table::is_show_stat_csv(&line) {
        return Err(CtlError::TableNeedsShowStat(line));
    }
    let line = if opts.json {
        json_line(&line, &words)?
    } else {
        line
    };
    let reply = opts.target.send(&line)?;
    if reply_is_error(&reply) {
        return Ok((reply, EXIT_ERROR_REPLY));
    }
    if table {
        let columns = opts.columns.as_deref().unwrap_or(DEFAULT_COLUMNS);
        return Ok((render_table(&reply, columns)?, 0));
    }
    Ok((reply, 0))
}

/// `show stat ...` / `show info ...` with HAProxy's `json` format word added.
fn json_line(line: &str, words: &[&str]) -> Result<String, CtlError> {
    let json_capable = matches!(words, ["show", "stat" | "info", ..]) && !line.contains(';');
    if !json_capable {
        return Err(CtlError::JsonNotAvailable(line.to_owned()));
    }
    if words.contains(&"json") {
        return Ok(line.to_owned());
    }
    // `typed` and `json` are alternatives; `json` wins.
    let kept: Vec<&str> = words.iter().copied().filter(|w| *w != "typed").collect();
    Ok(format!("{} json", kept.join(" ")))
}

/// `status [LISTEN]`: readable tables (or JSON) from `show stat`.
fn status(opts: &Options, args: &[&str]) -> Result<(String, i32), CtlError> {
    if opts.table || opts.columns.is_some() {
        return Err(CtlError::TableNeedsShowStat(opts.command.join(" ")));
    }
    if args.len() > 1 {
        return Err(CtlError::StatusArgs(args.join(" ")));
    }
    let reply = opts.target.send("show stat")?;
    if reply_is_error(&reply) {
        return Ok((reply, EXIT_ERROR_REPLY));
    }
    let reply = match args.first() {
        Some(listen) => only_listen(&reply, listen)?,
        None => reply,
    };
    let text = if opts.json {
        status::json(&reply)?
    } else {
        status::render(&reply)?
    };
    Ok((text, 0))
}

/// The header and the rows of one listen.
fn only_listen(csv: &str, listen: &str) -> Result<String, CtlError> {
    let mut lines = csv.lines();
    let header = lines.next().ok_or(CtlError::NoHeader)?;
    let rows: Vec<&str> = lines
        .filter(|l| split_csv(l).first().is_some_and(|p| p == listen))
        .collect();
    if rows.is_empty() {
        return Err(CtlError::NoSuchListen(listen.to_owned()));
    }
    Ok(format!("{header}\n{}\n", rows.join("\n")))
}

/// Whether any of the replies (one per `;`-separated command, each ending with an empty
/// line) is an error text.
pub fn reply_is_error(reply: &str) -> bool {
    reply.split("\n\n").any(is_error_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(command: &str) -> Options {
        Options {
            target: Target::Unix("/nonexistent/sockhop.sock".into()),
            command: command.split(' ').map(String::from).collect(),
            table: false,
            columns: None,
            json: false,
            watch: None,
            count: None,
        }
    }

    #[test]
    fn errors_are_recognised() {
        assert!(reply_is_error("Unknown command, but maybe ...\n\n"));
        assert!(reply_is_error("Permission denied\n\n"));
        assert!(reply_is_error("No such server.\n\n"));
        assert!(reply_is_error("No such backend.\n\n"));
        assert!(reply_is_error("Require 'backend/server'.\n\n"));
        assert!(reply_is_error("admin\n\nPermission denied\n\n"));
        assert!(!reply_is_error("\n"));
        assert!(!reply_is_error("admin\n\n"));
        assert!(!reply_is_error("# pxname,svname\nMySQL,Primary\n\n"));
        assert!(!reply_is_error("Name: sockhop\nVersion: 0.1.0\n\n"));
    }

    #[test]
    fn json_adds_haproxys_format_word() {
        let j = |l: &str| json_line(l, &l.split_whitespace().collect::<Vec<_>>());
        assert_eq!(j("show stat").unwrap(), "show stat json");
        assert_eq!(j("show stat typed").unwrap(), "show stat json");
        assert_eq!(
            j("show stat MySQL 4 -1").unwrap(),
            "show stat MySQL 4 -1 json"
        );
        assert_eq!(j("show info json").unwrap(), "show info json");
        let e = j("show servers state").unwrap_err();
        assert_eq!(e.exit_code(), EXIT_USAGE);
        assert!(j("show stat; show info").is_err());
    }

    #[test]
    fn argument_errors_exit_64_before_connecting() {
        let mut o = opts("show info");
        o.table = true;
        assert_eq!(execute(&o).unwrap_err().exit_code(), EXIT_USAGE);
        let mut o = opts("disable server MySQL/Primary");
        o.json = true;
        assert_eq!(execute(&o).unwrap_err().exit_code(), EXIT_USAGE);
        let o = opts("status a b");
        assert_eq!(execute(&o).unwrap_err().exit_code(), EXIT_USAGE);
        let mut o = opts("status");
        o.table = true;
        let e = execute(&o).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--table works with 'show stat' only"),
            "{e}"
        );
    }

    #[test]
    fn one_listen_is_picked_from_the_reply() {
        let csv = "# pxname,svname\nA,FRONTEND\nB,FRONTEND\nB,x\n";
        assert_eq!(
            only_listen(csv, "B").unwrap(),
            "# pxname,svname\nB,FRONTEND\nB,x\n"
        );
        assert!(matches!(
            only_listen(csv, "C"),
            Err(CtlError::NoSuchListen(_))
        ));
    }

    #[test]
    fn unreachable_socket_exits_2_with_a_clear_message() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(&mut out, &mut err, &opts("show stat"));
        assert_eq!(code, EXIT_UNREACHABLE);
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.starts_with(
                "sockhop ctl: cannot connect to the stats socket /nonexistent/sockhop.sock"
            ),
            "{err}"
        );
    }

    #[test]
    fn watch_repeats_count_times() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for i in 0..2 {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 16];
                let _ = std::io::Read::read(&mut s, &mut buf).unwrap();
                s.write_all(format!("reply {i}\n\n").as_bytes()).unwrap();
            }
        });
        let mut o = opts("show info");
        o.target = Target::Tcp(addr);
        o.watch = Some(Duration::from_millis(10));
        o.count = Some(2);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_with(&mut out, &mut err, &o), 0);
        server.join().unwrap();
        let out = String::from_utf8(out).unwrap();
        let head = format!("\x1b[H\x1b[2JEvery 10ms: sockhop ctl show info (ipv4@{addr})\n\n");
        assert_eq!(out, format!("{head}reply 0\n\n{head}reply 1\n\n"));
    }
}
