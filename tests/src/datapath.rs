//! The data paths a walkthrough test runs on, and the proof that sockhop moves the client's
//! bytes with the one asked for.
//!
//! - [`DataPath`]: copy, uring, splice, sockmap and auto, passed to sockhop as `--datapath`.
//! - [`available`]: whether the real `sockhop` binary can use a path here (probed once per
//!   path and process); a skip with the reason, or a failure under `CI=true`.
//! - [`assert_selected`]: the daemon's start-up line and `show info` name the path.
//! - [`assert_sessions_carried`]: the sessions really went through it (no per-session
//!   fallback to copy), from sockhop's log.
//! - [`run`] and [`per_datapath!`](crate::per_datapath): one `#[test]` per path from one
//!   test function taking the path.

use crate::net;
use crate::sockhop::{Proxy, Sockhop};
use crate::wait;
use crate::world::World;
use std::fmt;
use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use xtask::process;

/// A data path sockhop can be told to use. `auto` is what a default configuration gets:
/// splice, whose request/response sessions settle on sockmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataPath {
    Copy,
    Uring,
    Splice,
    Sockmap,
    Auto,
}

impl DataPath {
    pub const ALL: [DataPath; 5] = [
        DataPath::Copy,
        DataPath::Uring,
        DataPath::Splice,
        DataPath::Sockmap,
        DataPath::Auto,
    ];

    /// The name `--datapath` takes, and `show info` and the log print.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataPath::Copy => "copy",
            DataPath::Uring => "uring",
            DataPath::Splice => "splice",
            DataPath::Sockmap => "sockmap",
            DataPath::Auto => "auto",
        }
    }

    /// The path the daemon reports choosing (`show info`, its start-up line).
    pub const fn chosen(self) -> &'static str {
        match self {
            DataPath::Auto => "splice",
            other => other.as_str(),
        }
    }

    /// Position in [`DataPath::ALL`].
    pub const fn index(self) -> usize {
        match self {
            DataPath::Copy => 0,
            DataPath::Uring => 1,
            DataPath::Splice => 2,
            DataPath::Sockmap => 3,
            DataPath::Auto => 4,
        }
    }

    /// `RUST_LOG` for a sockhop on this path: info, plus the sockmap path's per-session
    /// debug lines that [`assert_sessions_carried`] reads.
    pub fn rust_log(self) -> &'static str {
        match self {
            DataPath::Sockmap | DataPath::Auto => "info,sockhop::datapath::sockmap=debug",
            _ => "info",
        }
    }
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Time allowed for a probe to report its choice or exit.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// The line `DataPath::select` (proxy/src/datapath/mod.rs) logs once it has the path.
fn selected_line(listen: &str, path: DataPath) -> String {
    format!(
        "Proxy {listen}: data path '{}' (wanted '{}').",
        path.chosen(),
        path.as_str()
    )
}

/// Why the real sockhop cannot use `path` on this machine, or `None` when it can. Probed
/// once per path and test process by starting the binary with `--datapath <path>` and a
/// one-listen configuration on the probe's own address.
pub fn unavailable(path: DataPath) -> Option<String> {
    static PROBES: [OnceLock<Option<String>>; 5] = [const { OnceLock::new() }; 5];
    PROBES[path.index()]
        .get_or_init(|| probe(path.as_str(), net::probe_bind(path)).err())
        .clone()
}

/// `true` when `test` can run on `path`. Otherwise prints why it is skipped and returns
/// `false`, or panics under `CI=true`, where an unavailable path is a broken setup.
pub fn available(test: &str, path: DataPath) -> bool {
    let Some(reason) = unavailable(path) else {
        return true;
    };
    assert!(
        !crate::prereq::under_ci(),
        "{test}: data path {path} unavailable under CI=true: {reason}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: data path {path} unavailable: {reason}"
    );
    false
}

/// Starts sockhop with `--datapath <name>`, listening on `bind`: `Ok` once it logs that it
/// uses that path (it is then stopped), `Err` with its log when it exits first.
pub fn probe(name: &str, bind: SocketAddr) -> Result<(), String> {
    let dir = xtask::workspace::state_dir()
        .join("datapath-probe")
        .join(name);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Sockhop::clean(&dir);
    let config = dir.join("probe.toml");
    // The server is never contacted: no checks, no client.
    let text = format!(
        "[[listen]]\nname = \"probe\"\nbind = [\"{bind}\"]\nmode = \"tcp\"\n\n\
         [[listen.server]]\nname = \"none\"\naddress = \"{}:{}\"\n",
        bind.ip(),
        net::PORT + 1,
    );
    fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
    let log_path = dir.join("sockhop.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut cmd = Command::new(crate::sockhop::binary());
    cmd.arg("run")
        .arg("--config")
        .arg(&config)
        .arg("--datapath")
        .arg(name)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    process::guard(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start sockhop: {e}"))?;
    let _ = fs::write(dir.join("sockhop.pid"), child.id().to_string());
    let read_log = || fs::read_to_string(&log_path).unwrap_or_default();
    let wanted = match DataPath::ALL.into_iter().find(|p| p.as_str() == name) {
        Some(path) => selected_line("probe", path),
        None => format!("Proxy probe: data path '{name}' (wanted '{name}')."),
    };
    let (outcome, _) = wait::until(
        PROBE_TIMEOUT,
        &format!("sockhop --datapath {name} to start or exit"),
        || {
            let text = read_log();
            if text.contains(&wanted) {
                return Ok(Ok(()));
            }
            match child.try_wait() {
                Ok(Some(status)) => Ok(Err(format!(
                    "sockhop --datapath {name} exited ({status}): {}",
                    read_log().trim()
                ))),
                Ok(None) => Err(text),
                Err(e) => Ok(Err(e.to_string())),
            }
        },
    );
    if let Err(e) = process::terminate(&mut child, Duration::from_secs(10)) {
        eprintln!("cannot stop the probe sockhop: {e}");
    }
    let _ = fs::remove_file(dir.join("sockhop.pid"));
    outcome
}

/// The daemon says it uses `path` for listen `listen`: its start-up line (chosen, and
/// wanted, the same path: no fallback) and its `show info` field `Datapath_<listen>`.
pub fn assert_selected(sockhop: &Sockhop, listen: &str, path: DataPath) {
    let line = selected_line(listen, path);
    let log = sockhop.log();
    assert!(log.contains(&line), "sockhop's log lacks {line:?}:\n{log}");
    let info = sockhop.command("show info");
    let field = format!("Datapath_{listen}");
    let value = info
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}: ")))
        .unwrap_or_else(|| panic!("`show info` has no {field}:\n{info}"));
    assert_eq!(value, path.chosen(), "`show info` {field}");
}

/// Log lines of a session a path handed to the copy path (proxy/src/datapath/sockmap.rs
/// and uring/handoff.rs): for a test of that path, each one is a session it did not carry.
const FALLBACKS: [&str; 3] = [
    "this session uses the copy path",
    "server socket not inserted",
    "carrying it with copy",
];
/// The sockmap path's debug line when a session it carried ends.
const SOCKMAP_SESSION_END: &str = "sockmap: session ended";

/// The client sessions of the test went through `path`: no session fell back to copy, and on
/// sockmap (whose fallback is silent at info level) at least one session ended on it. With
/// `auto`, copy is part of the path (every session starts there, and one that was about to
/// settle on sockmap as a peer closed stays there), so nothing is checked beyond the test's
/// own assertions; `walkthrough/settle.rs` checks that a long session does settle.
pub fn assert_sessions_carried(sockhop: &Sockhop, path: DataPath) {
    if path == DataPath::Auto {
        return;
    }
    if path == DataPath::Sockmap {
        wait::until(
            Duration::from_secs(5),
            "a session carried by sockmap to end",
            || {
                if sockhop.log().contains(SOCKMAP_SESSION_END) {
                    Ok(())
                } else {
                    Err(format!("no {SOCKMAP_SESSION_END:?} in sockhop's log"))
                }
            },
        );
    }
    let log = sockhop.log();
    let fell_back: Vec<&str> = log
        .lines()
        .filter(|l| FALLBACKS.iter().any(|f| l.contains(f)))
        .collect();
    assert!(
        fell_back.is_empty(),
        "sessions left data path {path} for copy:\n{}",
        fell_back.join("\n")
    );
}

/// Runs walkthrough test `test` on `path`: checks the prerequisites and that the path is
/// available (skip or, under `CI=true`, fail), runs `body`, then checks that the sessions of
/// the [`World`] it returns went through the path. Under `SOCKHOP_TESTS_PROXY=haproxy` only
/// `copy` runs: HAProxy has no sockhop data paths, once is enough.
pub fn run(test: &str, path: DataPath, body: fn(DataPath) -> World) {
    let test = format!("{test}::{path}");
    if !crate::prereq::available(&test) {
        return;
    }
    if Proxy::from_env() == Proxy::Haproxy {
        if path != DataPath::Copy {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: HAProxy runs this test once (as `copy`)"
            );
            return;
        }
    } else if !available(&test, path) {
        return;
    }
    body(path).assert_sessions_carried();
}

/// `per_datapath!(name)`, next to `fn name(path: DataPath) -> World`, makes module `name`
/// with one `#[test]` per data path, `copy`, `uring`, `splice`, `sockmap` and `auto`, each calling
/// [`run`] (so `cargo test sockmap` runs one path, `cargo test name` every path of one test).
#[macro_export]
macro_rules! per_datapath {
    ($name:ident) => {
        mod $name {
            use $crate::datapath::{DataPath, run};

            #[test]
            fn copy() {
                run(stringify!($name), DataPath::Copy, super::$name);
            }

            #[test]
            fn uring() {
                run(stringify!($name), DataPath::Uring, super::$name);
            }

            #[test]
            fn splice() {
                run(stringify!($name), DataPath::Splice, super::$name);
            }

            #[test]
            fn sockmap() {
                run(stringify!($name), DataPath::Sockmap, super::$name);
            }

            #[test]
            fn auto() {
                run(stringify!($name), DataPath::Auto, super::$name);
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_cli_and_index_all() {
        let names: Vec<_> = DataPath::ALL.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["copy", "uring", "splice", "sockmap", "auto"]);
        for (i, p) in DataPath::ALL.into_iter().enumerate() {
            assert_eq!(p.index(), i);
        }
        assert!(DataPath::Sockmap.rust_log().contains("sockmap=debug"));
        assert_eq!(DataPath::Copy.rust_log(), "info");
    }
}
