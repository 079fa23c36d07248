//! sockhop: a TCP balancer for MySQL/MariaDB failover that speaks HAProxy's stats-socket
//! protocol.
//!
//! Where things live:
//! - [`config`]: the TOML file, parsed in two stages (serde mirror, then validated types).
//! - [`state`]: runtime state shared by everything below (listens, servers, counters).
//! - [`health`]: health checks (TCP, MySQL) and the rise/fall state machine.
//! - [`balance`]: server selection algorithms.
//! - [`datapath`]: how bytes move between a client and its server once paired.
//! - [`human`]: sizes and ages for people-facing output.
//! - [`privileges`]: dropping capabilities (and switching user) once start-up is done.
//! - [`proxy`]: listeners, accepting, connecting to servers with retries, sessions.
//! - [`stats`]: the HAProxy-compatible stats socket (CLI protocol, `show stat` CSV, ...).
//! - [`web`]: the HTTP status page and Prometheus `/metrics`.
//! - [`ctl`]: `sockhop ctl`, the built-in stats-socket client.
//! - [`daemon`]: `sockhop run`: wires everything together and handles signals.
//! - [`cli`]: command-line arguments.

pub mod balance;
pub mod cli;
pub mod config;
pub mod ctl;
pub mod daemon;
pub mod datapath;
pub mod health;
pub mod human;
pub mod privileges;
pub mod proxy;
pub mod state;
pub mod stats;
pub mod web;

/// Exit code for an invalid configuration (EX_DATAERR-like, as `sysexits.h` EX_USAGE=64).
pub const EXIT_CONFIG: i32 = 64;
