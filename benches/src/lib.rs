//! Load generators and the raw TCP backend used by `cargo xtask bench`.
//!
//! Where things live:
//! - [`wire`]: the few MySQL-style packets the greeting scenario exchanges, shared by both ends.
//! - [`backend`]: the raw backend fixture (sink / echo / greeting servers), blocking std threads.
//! - [`throughput`]: bulk upload over N connections, verified against the sink's byte count.
//! - [`rr`]: request/response round trips on one TCP_NODELAY connection (hdrhistogram).
//! - [`connrate`]: new connections per second (connect, greeting, login, OK, quit, close).
//! - [`mysql`]: a minimal MySQL client (native password auth, COM_QUERY) for [`failover`].
//! - [`failover`]: query load through a proxy that records when queries fail and recover.
//!
//! Every generator is bounded by a duration, returns a serde struct, and the `loadgen` binary
//! prints it as one JSON object per run.

pub mod backend;
pub mod connrate;
pub mod failover;
pub mod mysql;
pub mod rr;
pub mod throughput;
pub mod wire;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Errors of the load generators and the backend.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("byte count mismatch on connection {conn}: sent {sent}, sink received {received}")]
    Mismatch {
        conn: usize,
        sent: u64,
        received: u64,
    },
    #[error("echo reply differs from the request after {0} round trips")]
    EchoCorrupt(u64),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("MySQL error {code}: {message}")]
    Server { code: u16, message: String },
}

impl BenchError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
        let context = context.into();
        move |source| BenchError::Io { context, source }
    }
}

/// Microseconds since the Unix epoch (wall clock, shared with the xtask process).
pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_micros() as u64
}
