//! Data paths: how the bytes of a paired client and server connection move.
//!
//! The control plane (accepting, choosing a server, connecting) ends by handing both sockets
//! to a [`DataPath`]; it does not know how the bytes move. Each path lives in its own file:
//! - `copy.rs`: portable userspace copy on tokio, always available.
//! - `sockmap.rs`: eBPF sockmap redirect (bytes stay in the kernel), one direction's
//!   supervision in `sockmap_direction.rs`; `sockmap_kernel.rs`
//!   loads its program once per process; `tcpinfo.rs` reads TCP_INFO, SIOCOUTQ, SO_COOKIE.
//! - `uring/`: io_uring paths `splice` (zero copy through pipes) and `uring` (ring copy).
//!
//! Every path honours the same contract ([`DataPath::forward`]): half-close in both
//! directions, inactivity timeouts per side, cancellation (admin `shutdown session(s)`,
//! `on_marked_down`), and byte counters fed to the stats while the session runs.

mod copy;
mod meter;
mod sockmap;
mod sockmap_direction;
mod sockmap_kernel;
pub mod tcpinfo;

pub mod uring;

pub use copy::CopyPath;
pub use meter::Meter;
pub use sockmap::{
    DEFAULT_CAP as SOCKMAP_DEFAULT_CAP, DEFAULT_SNDBUF as SOCKMAP_DEFAULT_SNDBUF, SockmapPath,
};
pub use sockmap_kernel::KernelError as SockmapError;
pub use uring::{SplicePath, UringPath};

use crate::config::DataPathChoice;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// The data paths sockhop knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataPathKind {
    Copy,
    Sockmap,
    Splice,
    Uring,
}

impl DataPathKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DataPathKind::Copy => "copy",
            DataPathKind::Sockmap => "sockmap",
            DataPathKind::Splice => "splice",
            DataPathKind::Uring => "uring",
        }
    }
}

/// Why a data path cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataPathError {
    #[error("data path '{wanted}' is not available: {reason}; use datapath = \"auto\" or \"copy\"")]
    Unavailable {
        wanted: &'static str,
        reason: String,
    },
}

/// A ready-to-use data path (enum dispatch: no boxing on the per-session path).
#[derive(Debug, Clone)]
pub enum DataPath {
    Copy(CopyPath),
    Sockmap(SockmapPath),
    Splice(SplicePath),
    Uring(UringPath),
}

impl DataPath {
    /// Picks the data path for `choice` on this kernel, logging the decision.
    pub fn select(choice: DataPathChoice, listen: &str) -> Result<DataPath, DataPathError> {
        let path = match choice {
            DataPathChoice::Auto => select_auto(listen),
            exact => DataPath::select_exactly(exact)?,
        };
        tracing::info!(
            "Proxy {listen}: data path '{}' (wanted '{}').",
            path.kind().as_str(),
            choice_name(choice)
        );
        Ok(path)
    }

    /// The path `choice` names, or why this kernel or these privileges do not allow it
    /// (`auto` is [`select_auto`]'s business and gives copy here).
    fn select_exactly(choice: DataPathChoice) -> Result<DataPath, DataPathError> {
        Ok(match choice {
            DataPathChoice::Copy | DataPathChoice::Auto => DataPath::Copy(CopyPath),
            DataPathChoice::Sockmap => {
                DataPath::Sockmap(SockmapPath::load().map_err(|e| DataPathError::Unavailable {
                    wanted: "sockmap",
                    reason: e.to_string(),
                })?)
            }
            // io_uring paths: availability is probed once per process.
            DataPathChoice::Splice => DataPath::Splice(SplicePath::new().map_err(|reason| {
                DataPathError::Unavailable {
                    wanted: "splice",
                    reason,
                }
            })?),
            DataPathChoice::Uring => {
                DataPath::Uring(
                    UringPath::new().map_err(|reason| DataPathError::Unavailable {
                        wanted: "uring",
                        reason,
                    })?,
                )
            }
        })
    }

    pub fn kind(&self) -> DataPathKind {
        match self {
            DataPath::Copy(_) => DataPathKind::Copy,
            DataPath::Sockmap(_) => DataPathKind::Sockmap,
            DataPath::Splice(_) => DataPathKind::Splice,
            DataPath::Uring(_) => DataPathKind::Uring,
        }
    }

    /// Moves bytes between `client` and `server` until both directions are finished, a side
    /// aborts, a side is idle for longer than its timeout, or `cancel` fires.
    pub async fn forward(
        &self,
        client: TcpStream,
        server: TcpStream,
        session: &SessionIo,
    ) -> Transfer {
        match self {
            DataPath::Copy(p) => p.forward(client, server, session).await,
            DataPath::Sockmap(p) => p.forward(client, server, session).await,
            DataPath::Splice(p) => p.forward(client, server, session).await,
            DataPath::Uring(p) => p.forward(client, server, session).await,
        }
    }
}

/// What `auto` tries, best first, as measured on this kind of machine (kernel 6.18, 2 cores;
/// docs/datapaths.md, "What auto picks"): splice led on bulk throughput and CPU per byte and
/// matched the others on small request/response traffic; uring is next; copy always works.
const AUTO_ORDER: [DataPathChoice; 3] = [
    DataPathChoice::Splice,
    DataPathChoice::Uring,
    DataPathChoice::Copy,
];

/// `auto`: the first path of [`AUTO_ORDER`] this kernel and these privileges allow, each
/// fallback logged with its reason; splice, when picked, settles request/response sessions
/// on sockmap where sockmap loads (see [`probe_sockmap`]).
fn select_auto(listen: &str) -> DataPath {
    let sockmap = probe_sockmap(listen);
    for choice in AUTO_ORDER {
        match DataPath::select_exactly(choice) {
            Ok(DataPath::Splice(splice)) => {
                return DataPath::Splice(match sockmap {
                    Some(sockmap) => {
                        tracing::info!(
                            "Proxy {listen}: sessions start on copy; bulk ones move to splice, \
                             request/response ones to sockmap after {} messages.",
                            uring::SETTLE_AFTER_READS
                        );
                        splice.settling_on(sockmap)
                    }
                    None => splice,
                });
            }
            Ok(path) => return path,
            Err(DataPathError::Unavailable { wanted, reason }) => {
                tracing::warn!(
                    "Proxy {listen}: 'auto' cannot use {wanted} ({reason}); trying the next path."
                )
            }
        }
    }
    DataPath::Copy(CopyPath)
}

// --- sockmap selection (kept apart from the other paths' selection) ---
/// `auto`, as far as sockmap is concerned: probe it (loading the program once). It is not
/// picked for whole sessions: bulk through it ends up carried by userspace once its memory
/// bound engages, where splice moves it 1.3-1.5x faster (docs/datapaths.md). It is where
/// request/response sessions settle: its in-kernel redirect answers a 64-byte round trip
/// in 0.4x copy's time.
fn probe_sockmap(listen: &str) -> Option<SockmapPath> {
    match SockmapPath::load() {
        Ok(path) => Some(path),
        Err(e) => {
            tracing::info!(
                "Proxy {listen}: sockmap data path unavailable ({e}); request/response \
                 sessions stay on copy."
            );
            None
        }
    }
}
// --- end of sockmap selection ---

pub fn choice_name(c: DataPathChoice) -> &'static str {
    match c {
        DataPathChoice::Auto => "auto",
        DataPathChoice::Sockmap => "sockmap",
        DataPathChoice::Splice => "splice",
        DataPathChoice::Uring => "uring",
        DataPathChoice::Copy => "copy",
    }
}

/// What a data path needs to know about the session it carries.
#[derive(Debug)]
pub struct SessionIo {
    /// Inactivity allowed on the client side.
    pub client_timeout: Duration,
    /// Inactivity allowed on the server side.
    pub server_timeout: Duration,
    /// Fired to close the session at once (both sides get a reset).
    pub cancel: CancellationToken,
    /// Where transferred bytes are counted.
    pub meter: Meter,
}

/// How a forwarded session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Both directions finished with a clean close.
    Done,
    /// The client side was idle for `timeout_client`.
    ClientTimeout,
    /// The server side was idle for `timeout_server`.
    ServerTimeout,
    /// The client reset or failed the connection.
    ClientAbort,
    /// The server reset or failed the connection.
    ServerAbort,
    /// Closed by an operator or a health-check reaction.
    Killed,
}

/// Totals of one forwarded session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Bytes read from the client and sent to the server.
    pub client_to_server: u64,
    /// Bytes read from the server and sent to the client.
    pub server_to_client: u64,
    pub end: End,
}
