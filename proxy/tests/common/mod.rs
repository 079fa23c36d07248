//! Shared by the integration tests of the `sockhop` package: configurations built from
//! `sockhop::config::testing` (the one set of typed defaults for tests).
#![allow(dead_code)]

use sockhop::config::{self, testing};
use sockhop::datapath::{DataPath, SessionIo, Transfer, threads};
use sockhop::state::Runtime;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

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

/// Runs `path.forward` the way the daemon does, on a session thread (see
/// `sockhop::datapath::threads`). On the io_uring paths no session may fall back to copy:
/// that would test the wrong path.
pub fn spawn_forward(
    path: DataPath,
    client: TcpStream,
    server: TcpStream,
    io: SessionIo,
) -> JoinHandle<Transfer> {
    let listen = io.meter.listen.clone();
    let ring = matches!(path, DataPath::Splice(_) | DataPath::Uring(_));
    let what = format!("{path:?}");
    let session = threads::spawn_forward(path, client, server, io).unwrap();
    tokio::spawn(async move {
        let t = session.await.expect("the session did not panic");
        if ring {
            assert_eq!(
                listen.datapath_fallbacks(),
                0,
                "a {what} session fell back to copy"
            );
        }
        t
    })
}
