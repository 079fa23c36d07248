//! The io_uring data paths: `splice` (socket -> pipe -> socket, no userspace copy) and `uring`
//! (multishot receive into provided buffers, then send).
//!
//! A fixed pool of ring worker threads (one io_uring each, set up SINGLE_ISSUER +
//! DEFER_TASKRUN when the kernel allows) carries every session; the tokio control plane hands
//! a session's two descriptors over a channel and keeps the timeouts and the cancellation
//! token on its side. Where things live:
//! - `probe.rs`: is io_uring usable here, and with which opcodes (probed once).
//! - `ring.rs`: one ring: setup flags with fallback, submit, wait, drain.
//! - `engine.rs`: the worker pool and the commands sent to it (start, abort).
//! - `worker.rs`: a worker's loop: completions to sessions, commands, releases.
//! - `session.rs`: a session on its worker: sockets, directions, in-flight count, ending.
//! - `splice.rs`: a splice direction (ring polls for readiness, `splice(2)` inline).
//! - `recv_send.rs` + `bufring.rs`: a copy direction and its provided-buffer ring.
//! - `handoff.rs`: the control-plane side of a session (hand over, watchdog, result).
//!
//! Both paths keep the data path contract: EOF on one side half-closes the other, a failed side
//! resets the other (SO_LINGER 0), per-side inactivity timeouts, cancellation, live counters,
//! and a fixed amount of buffering per direction (one pipe, or one buffer ring).

mod bufring;
mod engine;
mod handoff;
mod probe;
mod recv_send;
mod ring;
mod session;
mod splice;
mod worker;

pub use ring::RingFlavor;

use super::copy::UntilBulk;
use super::{SessionIo, Transfer};
use engine::{Engine, Mode};
use tokio::net::TcpStream;

/// The splice data path (zero copy through a pipe per direction). A session starts on the
/// copy path on its session thread and moves to a ring worker's splice once a read fills a
/// whole buffer (as HAProxy splices only once buffers fill): short request/response
/// sessions never pay the handoff to another thread, bulk ones get zero copy.
#[derive(Clone, Copy)]
pub struct SplicePath {
    engine: &'static Engine,
    /// Splice from the first byte instead (tests of the ring side use it).
    from_first_byte: bool,
}

/// The io_uring copy data path (multishot receive into provided buffers, send).
#[derive(Clone, Copy)]
pub struct UringPath {
    engine: &'static Engine,
}

impl std::fmt::Debug for SplicePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplicePath")
            .field("ring", &self.engine.flavor)
            .field("from_first_byte", &self.from_first_byte)
            .finish()
    }
}

impl std::fmt::Debug for UringPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringPath")
            .field("ring", &self.engine.flavor)
            .finish()
    }
}

impl SplicePath {
    /// The splice path, or why this kernel or process cannot use it.
    pub fn new() -> Result<SplicePath, String> {
        probe::check(Mode::Splice)?;
        Ok(SplicePath {
            engine: Engine::global()?,
            from_first_byte: false,
        })
    }

    /// The same path, splicing every session from its first byte (no copy phase).
    pub fn from_first_byte(self) -> SplicePath {
        SplicePath {
            from_first_byte: true,
            ..self
        }
    }

    /// How the rings were set up.
    pub fn ring_flavor(&self) -> RingFlavor {
        self.engine.flavor
    }

    pub async fn forward(&self, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
        if self.from_first_byte {
            return handoff::forward(self.engine, Mode::Splice, client, server, s).await;
        }
        match super::copy::until_bulk(client, server, s).await {
            UntilBulk::Ended(t) => t,
            UntilBulk::Bulk(moving) => {
                s.meter.listen.datapath_moved();
                let (client, server) = (moving.client, moving.server);
                let rest = handoff::forward(self.engine, Mode::Splice, client, server, s).await;
                moving.carried.then(rest)
            }
        }
    }
}

impl UringPath {
    /// The io_uring copy path, or why this kernel or process cannot use it.
    pub fn new() -> Result<UringPath, String> {
        probe::check(Mode::RecvSend)?;
        Ok(UringPath {
            engine: Engine::global()?,
        })
    }

    /// How the rings were set up.
    pub fn ring_flavor(&self) -> RingFlavor {
        self.engine.flavor
    }

    pub async fn forward(&self, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
        handoff::forward(self.engine, Mode::RecvSend, client, server, s).await
    }
}
