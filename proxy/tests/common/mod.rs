//! Shared by the integration tests of the `sockhop` package: configurations built from
//! `sockhop::config::testing` (the one set of typed defaults for tests).
#![allow(dead_code)]

use sockhop::config::{self, testing};
use sockhop::state::Runtime;
use std::net::SocketAddr;
use std::sync::Arc;

/// A server without health check.
pub fn server(name: &str, address: SocketAddr, backup: bool) -> config::Server {
    testing::server(name, address, backup, None)
}

/// Listen "L" bound to `bind`.
pub fn listen(bind: SocketAddr, servers: Vec<config::Server>) -> config::Listen {
    let mut l = testing::listen("L", servers);
    l.binds = vec![bind];
    l
}

pub fn config(listens: Vec<config::Listen>) -> config::Config {
    testing::config(listens)
}

/// A runtime with one listen "L" and one server "S" (for driving data paths directly).
pub fn runtime() -> Arc<Runtime> {
    let s = server("S", ([127, 0, 0, 1], 9).into(), false);
    Arc::new(Runtime::new(config(vec![listen(
        ([127, 0, 0, 1], 0).into(),
        vec![s],
    )])))
}
