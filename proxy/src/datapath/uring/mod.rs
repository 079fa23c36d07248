//! The io_uring data paths: `splice` (socket -> pipe -> socket, no userspace copy) and `uring`
//! (multishot receive into provided buffers, then send).
//!
//! Each session thread owns one io_uring (set up SINGLE_ISSUER + DEFER_TASKRUN when the kernel
//! allows), driven by the thread's own event loop: a session is carried on the thread that
//! accepted it, with the timeouts and the cancellation token kept by tokio beside it.
//! Where things live:
//! - `probe.rs`: is io_uring usable here, and with which opcodes (probed once).
//! - `ring.rs`: one ring: setup flags with fallback, submit, reap, drain.
//! - `local.rs`: a thread's ring, made on first use, and the task that drives it.
//! - `worker.rs`: the sessions on one ring: start, completions, aborts, releases.
//! - `session.rs`: a session on its ring: sockets, directions, in-flight count, ending.
//! - `splice.rs`: a splice direction (ring polls for readiness, `splice(2)` inline).
//! - `recv_send.rs` + `bufring.rs`: a copy direction and its provided-buffer ring.
//! - `handoff.rs`: the control-plane side of a session (hand over, watchdog, result).
//!
//! Both paths keep the data path contract: EOF on one side half-closes the other, a failed side
//! resets the other (SO_LINGER 0), per-side inactivity timeouts, cancellation, live counters,
//! and a fixed amount of buffering per direction (one pipe, or one buffer ring).

mod bufring;
mod handoff;
mod local;
mod probe;
mod recv_send;
mod ring;
mod session;
mod splice;
mod worker;

pub use ring::RingFlavor;

use super::{SessionIo, Transfer};
use local::Mode;
use tokio::net::TcpStream;

/// Makes the calling thread's ring now rather than at its first session (see
/// [`DataPath::prepare_this_thread`](super::DataPath::prepare_this_thread)).
pub fn prepare_this_thread() -> Result<(), String> {
    local::LocalRing::current().map(drop)
}

/// The splice data path (zero copy through a pipe per direction).
#[derive(Clone, Copy)]
pub struct SplicePath {
    flavor: RingFlavor,
}

/// The io_uring copy data path (multishot receive into provided buffers, send).
#[derive(Clone, Copy)]
pub struct UringPath {
    flavor: RingFlavor,
}

impl std::fmt::Debug for SplicePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplicePath")
            .field("ring", &self.flavor)
            .finish()
    }
}

impl std::fmt::Debug for UringPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringPath")
            .field("ring", &self.flavor)
            .finish()
    }
}

impl SplicePath {
    /// The splice path, or why this kernel or process cannot use it.
    pub fn new() -> Result<SplicePath, String> {
        Ok(SplicePath {
            flavor: probe::check(Mode::Splice)?,
        })
    }

    /// How the rings were set up.
    pub fn ring_flavor(&self) -> RingFlavor {
        self.flavor
    }

    pub async fn forward(&self, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
        handoff::forward(Mode::Splice, client, server, s).await
    }
}

impl UringPath {
    /// The io_uring copy path, or why this kernel or process cannot use it.
    pub fn new() -> Result<UringPath, String> {
        Ok(UringPath {
            flavor: probe::check(Mode::RecvSend)?,
        })
    }

    /// How the rings were set up.
    pub fn ring_flavor(&self) -> RingFlavor {
        self.flavor
    }

    pub async fn forward(&self, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
        handoff::forward(Mode::RecvSend, client, server, s).await
    }
}
