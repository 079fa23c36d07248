//! Stats socket.
//!
//! PLACEHOLDER SKELETON — replaced by the stats-socket work.

use crate::config::StatsSocket;
use crate::state::Runtime;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("cannot bind stats socket {path}: {source}")]
    Bind {
        path: String,
        source: std::io::Error,
    },
}

/// Binds the socket and serves it until `shutdown`.
pub async fn serve(
    rt: Arc<Runtime>,
    sock: StatsSocket,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, StatsError> {
    let _ = (rt, sock, shutdown);
    Ok(tokio::spawn(async {}))
}
