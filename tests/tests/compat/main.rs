//! sockhop against real stats-socket clients and against the real HAProxy:
//! - `oracle`: HAProxy 2.6 and sockhop side by side on one MariaDB pair, driven through the
//!   same steps; `show stat`, `show servers state` and error replies compared field by field.
//! - `exporter`: prometheus-haproxy-exporter scraping sockhop's socket.
//! - `hatop`: hatop driven in tmux against sockhop's socket.
//! - `ctl`: `sockhop ctl` and socat over the unix and TCP sockets; completion scripts.
//!
//! One test binary, each test on its own loopback block (see `sockhop_tests::net`).

mod ctl;
mod exporter;
mod hatop;
mod oracle;
