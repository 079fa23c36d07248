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

/// Deterministic pseudo-random bytes (xorshift), distinct per seed.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}
