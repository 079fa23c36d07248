//! Integration-test harness: real MariaDB servers, the real `sockhop` binary, real clients.
//!
//! Where things live:
//! - [`background`]: a helper program (the exporter) stopped by PID when the test ends.
//! - [`http`]: a minimal HTTP GET and Prometheus sample lookup.
//! - [`prereq`]: root, mariadbd, mariadb, socat present? Skip (or fail under `CI=true`).
//! - [`bare`]: bare TCP connect/close to MySQL from a chosen source (the negative control).
//! - [`datapath`]: the data paths a walkthrough test runs on (`per_datapath!`), whether each
//!   is available, and the proof that sockhop uses the one asked for.
//! - [`net`]: the loopback addresses each test owns, so tests run in parallel.
//! - [`tmux`]: a private tmux server driving a terminal UI (hatop): keys in, screen out.
//! - [`wait`]: bounded polling with clear timeout messages (no fixed sleeps).
//! - [`stats`]: stats-socket commands (raw `UnixStream`, `socat`, the seed's shell pipeline)
//!   and `show stat` parsing.
//! - [`sockhop`]: a sockhop configuration written for a test, and the running process.
//! - [`world`]: a whole walkthrough fixture: a MariaDB pair plus sockhop in front of it.
//!
//! `SOCKHOP_TESTS_PROXY=haproxy` runs the same walkthrough against the real HAProxy (the
//! reference) instead of sockhop: every test but `failback = "manual"` (which HAProxy lacks)
//! must pass there too, which shows the tests assert HAProxy's behaviour and can fail.
//!
//! The MariaDB pair itself is [`xtask::mariadb::MariaDbPair`], the same code the demo uses.

pub mod background;
pub mod bare;
pub mod datapath;
pub mod http;
pub mod net;
pub mod prereq;
pub mod sockhop;
pub mod stats;
pub mod tmux;
pub mod wait;
pub mod world;

pub use xtask::mariadb;
