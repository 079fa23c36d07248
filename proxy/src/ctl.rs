//! `sockhop ctl`: sends one command line to a stats socket and prints the reply, like
//! `echo "COMMAND" | socat stdio SOCKET`, with exit codes a script can use:
//! 0 success, 1 the reply is an error text (unknown command, `Permission denied`,
//! `No such ...`), 2 the socket cannot be reached, 64 bad `ctl` arguments.
//!
//! With `--table` (or `--columns`), a `show stat` reply is printed as an aligned table of
//! chosen columns instead of CSV.

use crate::stats::is_error_text;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Columns of `--table` without `--columns`.
pub const DEFAULT_COLUMNS: &str = "pxname,svname,status,act,bck,scur,stot,check_status,lastchg";

/// The reply is an error text.
pub const EXIT_ERROR_REPLY: i32 = 1;
/// The socket could not be reached.
pub const EXIT_UNREACHABLE: i32 = 2;
/// Invalid `ctl` arguments.
pub const EXIT_USAGE: i32 = 64;

/// How long to wait for the daemon's reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why `sockhop ctl` failed.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error(
        "cannot connect to the stats socket {path}: {source}\n\
         Is sockhop running, is --socket the path of a [[stats_socket]], and may this user open it?"
    )]
    Connect {
        path: String,
        source: std::io::Error,
    },
    #[error("stats socket {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("--table works with 'show stat' only (CSV output), not with '{0}'")]
    TableNeedsShowStat(String),
    #[error("unknown column '{name}' in --columns; valid names: {valid}")]
    UnknownColumn { name: String, valid: String },
    #[error("the reply to 'show stat' has no CSV header")]
    NoHeader,
}

impl CtlError {
    fn exit_code(&self) -> i32 {
        match self {
            CtlError::Connect { .. } | CtlError::Io { .. } => EXIT_UNREACHABLE,
            CtlError::TableNeedsShowStat(_) | CtlError::UnknownColumn { .. } => EXIT_USAGE,
            CtlError::NoHeader => EXIT_ERROR_REPLY,
        }
    }
}

/// Sends `command` to the stats socket at `socket`, prints the reply; returns the exit code.
pub fn run(socket: PathBuf, command: Vec<String>, table: bool, columns: Option<String>) -> i32 {
    run_with(
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        &socket,
        &command,
        table,
        columns.as_deref(),
    )
}

/// [`run`] with the output streams given (a closed stdout, as in `| head`, is not an error).
pub fn run_with(
    out: &mut impl Write,
    err: &mut impl Write,
    socket: &Path,
    command: &[String],
    table: bool,
    columns: Option<&str>,
) -> i32 {
    let line = command.join(" ");
    let table = table || columns.is_some();
    match execute(socket, &line, table, columns) {
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
fn execute(
    socket: &Path,
    line: &str,
    table: bool,
    columns: Option<&str>,
) -> Result<(String, i32), CtlError> {
    if table && !is_show_stat_csv(line) {
        return Err(CtlError::TableNeedsShowStat(line.to_owned()));
    }
    let reply = send(socket, line)?;
    if reply_is_error(&reply) {
        return Ok((reply, EXIT_ERROR_REPLY));
    }
    if table {
        return Ok((render_table(&reply, columns.unwrap_or(DEFAULT_COLUMNS))?, 0));
    }
    Ok((reply, 0))
}

/// One exchange: the command line and "\n" out, everything until the server closes in.
pub fn send(socket: &Path, line: &str) -> Result<String, CtlError> {
    let path = socket.display().to_string();
    let mut s = UnixStream::connect(socket).map_err(|source| CtlError::Connect {
        path: path.clone(),
        source,
    })?;
    let io = |source| CtlError::Io {
        path: path.clone(),
        source,
    };
    s.set_read_timeout(Some(REPLY_TIMEOUT)).map_err(io)?;
    s.set_write_timeout(Some(REPLY_TIMEOUT)).map_err(io)?;
    s.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).map_err(io)?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// Whether any of the replies (one per `;`-separated command, each ending with an empty
/// line) is an error text.
pub fn reply_is_error(reply: &str) -> bool {
    reply.split("\n\n").any(is_error_text)
}

fn is_show_stat_csv(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() >= 2
        && words[0] == "show"
        && words[1] == "stat"
        && !words.iter().any(|w| *w == "typed" || *w == "json")
        && !line.contains(';')
}

/// Splits one CSV line the way HAProxy quotes it (`"` around values containing `,` or `"`,
/// doubled `"` inside).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Renders a `show stat` CSV reply as an aligned table of `columns` (comma-separated).
pub fn render_table(csv: &str, columns: &str) -> Result<String, CtlError> {
    let mut lines = csv.lines().filter(|l| !l.is_empty());
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or(CtlError::NoHeader)?;
    let names = split_csv(header);
    let wanted: Vec<&str> = columns
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let mut idx = Vec::new();
    for w in &wanted {
        match names.iter().position(|n| n == w) {
            Some(i) => idx.push(i),
            None => {
                return Err(CtlError::UnknownColumn {
                    name: (*w).to_owned(),
                    valid: names
                        .iter()
                        .filter(|n| !n.is_empty() && n.as_str() != "-")
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(","),
                });
            }
        }
    }
    let mut grid: Vec<Vec<String>> = vec![wanted.iter().map(|w| (*w).to_owned()).collect()];
    for l in lines {
        let cells = split_csv(l);
        grid.push(
            idx.iter()
                .map(|&i| cells.get(i).cloned().unwrap_or_default())
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..idx.len())
        .map(|c| grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &grid {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', widths[c] - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "# pxname,svname,status,act,bck,last_chk,\nMySQL,FRONTEND,OPEN,,,,\nMySQL,Primary,UP,1,0,\"Access denied, \"\"x\"\"\",\nMySQL,BACKEND,UP,1,1,,\n\n";

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
        assert!(!reply_is_error(CSV));
        assert!(!reply_is_error("Name: sockhop\nVersion: 0.1.0\n\n"));
    }

    #[test]
    fn csv_splitting_undoes_haproxy_quoting() {
        assert_eq!(split_csv("a,,b,"), ["a", "", "b", ""]);
        assert_eq!(
            split_csv("x,\"Access denied, \"\"x\"\"\",y"),
            ["x", "Access denied, \"x\"", "y"]
        );
    }

    #[test]
    fn table_aligns_chosen_columns() {
        let t = render_table(CSV, "svname,status,act,last_chk").unwrap();
        assert_eq!(
            t,
            "svname    status  act  last_chk\n\
             FRONTEND  OPEN\n\
             Primary   UP      1    Access denied, \"x\"\n\
             BACKEND   UP      1\n"
        );
    }

    #[test]
    fn table_rejects_unknown_columns_and_other_commands() {
        let e = render_table(CSV, "svname,nope").unwrap_err();
        assert!(e.to_string().contains("unknown column 'nope'"), "{e}");
        assert_eq!(e.exit_code(), EXIT_USAGE);
        assert!(is_show_stat_csv("show stat"));
        assert!(is_show_stat_csv("show stat MySQL 4 -1"));
        assert!(!is_show_stat_csv("show stat json"));
        assert!(!is_show_stat_csv("show info"));
        let e = execute(Path::new("/nonexistent"), "show info", true, None).unwrap_err();
        assert_eq!(e.exit_code(), EXIT_USAGE);
    }

    #[test]
    fn unreachable_socket_exits_2_with_a_clear_message() {
        let e = send(Path::new("/nonexistent/sockhop.sock"), "show stat").unwrap_err();
        assert_eq!(e.exit_code(), EXIT_UNREACHABLE);
        let msg = e.to_string();
        assert!(
            msg.contains("cannot connect to the stats socket /nonexistent/sockhop.sock"),
            "{msg}"
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(
            &mut out,
            &mut err,
            Path::new("/nonexistent/sockhop.sock"),
            &["show".into(), "stat".into()],
            false,
            None,
        );
        assert_eq!(code, EXIT_UNREACHABLE);
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert!(err.starts_with("sockhop ctl: cannot connect"), "{err}");
    }
}
