//! The HAProxy-compatible stats socket (a unix or TCP socket speaking HAProxy's CLI protocol).
//!
//! Where things live:
//! - `mod.rs` (here): [`serve`]: binds one `[[stats_socket]]` and accepts connections, at
//!   most [`MAX_CONNECTIONS`] at a time, until shutdown; then removes the socket file.
//!   Unix and TCP sockets share the accept loop and the session code.
//! - `socket.rs`: binding: the unix socket file (directory, stale-socket replacement, mode
//!   and owner) or a TCP address.
//! - `session.rs`: one connection: HAProxy's framing (`;`, `\r`, empty-line endings,
//!   `prompt`/`quit`, idle timeout, line length bound).
//! - `command.rs`: splitting a command into words and parsing them into a `Command`.
//! - `usage.rs`: the command list for `help` and HAProxy's "Unknown command" replies.
//! - `cmd/`: one file per verb, and the level check.
//! - `columns.rs`: `show stat` columns (HAProxy 2.8's 113, in order, with names and tags).
//! - `csv.rs`: rows rendered as CSV (then the `-` column), typed or JSON.
//! - `rows.rs`: FRONTEND, server and BACKEND rows from the runtime state.
//! - `status.rs`: status texts (`UP`, `UP 1/3`, `DOWN 1/2`, `MAINT`, `DRAIN`, `no check`,
//!   `OPEN`) and check-status codes.
//!
//! The socket reads state through `Runtime`, `ListenState` and `ServerState::snapshot()`,
//! and changes it only through `ListenState`'s admin methods, `Runtime::clear_counters` and
//! `ServerState::shutdown_session(s)`. Differences from HAProxy are listed in
//! docs/stats-socket.md.

mod cmd;
mod columns;
pub mod command;
pub mod csv;
mod rows;
mod session;
mod socket;
pub mod status;
#[cfg(test)]
mod tests;
mod usage;

pub use cmd::{CliState, ERROR_PREFIXES, PERMISSION_DENIED, RELEASE_DATE, Reply, is_error_text};
pub use session::{LINE_TOO_LONG, MAX_LINE};

use crate::config::StatsSocket;
use crate::state::Runtime;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Concurrent connections per stats socket (HAProxy's default `stats maxconn`); further
/// clients wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 10;

/// Why a stats socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("cannot create the directory {path} of a stats socket: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "stats socket {path} is in use: another process answers on it. Stop that process or \
         choose another path"
    )]
    InUse { path: String },
    #[error(
        "refusing to replace {path} with a stats socket: it exists and is not a socket. Remove \
         it or choose another path"
    )]
    NotASocket { path: String },
    #[error("cannot check the existing stats socket {path}: {source}")]
    Inspect {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot bind stats socket {path}: {source}")]
    Bind {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot set the mode or owner of stats socket {path}: {source}")]
    Permissions {
        path: String,
        source: std::io::Error,
    },
}

/// Binds the socket and serves it until `shutdown`; the returned task ends once the socket
/// file (if any) is removed.
pub async fn serve(
    rt: Arc<Runtime>,
    sock: StatsSocket,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, StatsError> {
    let bound = socket::bind_any(&sock)?;
    tracing::info!(
        "Stats socket {} ready (level {}).",
        sock.endpoint,
        sock.level.as_str()
    );
    Ok(tokio::spawn(async move {
        match bound {
            socket::Bound::Unix(b) => {
                accept_loop(|| b.listener.accept(), &rt, &sock, &shutdown).await;
                b.file.remove();
            }
            socket::Bound::Tcp(l) => {
                accept_loop(|| l.accept(), &rt, &sock, &shutdown).await;
            }
        }
    }))
}

/// Accepts connections until `shutdown`, each served by [`session::run`].
async fn accept_loop<F, Fut, S, A>(
    mut accept: F,
    rt: &Arc<Runtime>,
    sock: &StatsSocket,
    shutdown: &CancellationToken,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<(S, A)>>,
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let idle = rt.config.global.stats_timeout;
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            a = accept() => a,
        };
        match accepted {
            Ok((stream, _)) => {
                let rt = Arc::clone(rt);
                let shutdown = shutdown.clone();
                let level = sock.level;
                tokio::spawn(async move {
                    session::run(stream, rt, level, idle, shutdown).await;
                    drop(permit);
                });
            }
            Err(e) => {
                // Out of descriptors and the like: do not spin.
                tracing::warn!("Stats socket {}: accept failed: {e}", sock.endpoint);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
