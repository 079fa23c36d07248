//! The seed's MySQL failover walkthrough, automated: real MariaDB servers in master-master
//! replication, the real `sockhop` binary, the real `mariadb` client, `socat` and `cut`.
//!
//! One test binary so that every test runs in parallel, each with its own pair of servers
//! and its own proxy on its own loopback addresses (see `sockhop_tests::net`).
//!
//! Every test that carries client bytes through sockhop runs once per data path
//! (`per_datapath!`: `<test>::copy`, `::uring`, `::splice`, `::sockmap`, `::auto`), with sockhop
//! started as `--datapath <path>` and checked to use it (`sockhop_tests::datapath`).

mod admin;
mod balance;
mod failback;
mod failover;
mod max_connect_errors;
mod probe;
mod replication;
mod settle;
mod source;
