//! Developer tasks behind `cargo xtask`, and the pieces the integration tests share with them.
//!
//! Where things live:
//! - [`install`]: idempotent installation of the Debian packages the demo and tests need.
//! - [`ebpf`]: the eBPF build chain (llvm-22, bpf-linker, nightly rust-src) and building
//!   `proxy-ebpf` by hand.
//! - [`mariadb`]: [`mariadb::MariaDbPair`], two local MariaDB servers in master-master
//!   replication (the one implementation used by both the demo and `tests/`).
//! - [`process`]: starting helper processes so they die with us, stopping them by PID.
//! - [`stats`]: a minimal stats-socket client and the seed's `cut -d, -f1,2,18,20,21`.
//! - [`workspace`]: where the workspace, its target folder and the state folder are; building
//!   the `sockhop` binary with cargo.
//! - [`demo`]: `cargo xtask demo`.
//! - [`test`]: `cargo xtask test` (the body of `.ci/run`).

pub mod demo;
pub mod ebpf;
pub mod install;
pub mod mariadb;
pub mod process;
pub mod stats;
pub mod test;
pub mod workspace;
