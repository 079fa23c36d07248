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

use super::SockmapPath;
use super::copy::UntilMoved;
use super::{SessionIo, Transfer};
use engine::{Engine, Mode};
use tokio::net::TcpStream;

/// The splice data path (zero copy through a pipe per direction). A session starts on the
/// copy path on its session thread and moves to a ring worker's splice once a read fills a
/// whole buffer (as HAProxy splices only once buffers fill): short request/response
/// sessions never pay the handoff to another thread, bulk ones get zero copy. With a
/// sockmap path to settle on ([`SplicePath::settling_on`], what `auto` picks), a session
/// that instead exchanges [`SETTLE_AFTER_READS`] small messages moves to sockmap, whose
/// kernel redirect answers small messages in 0.4x copy's time (p50, 64-byte round trips).
#[derive(Clone)]
pub struct SplicePath {
    engine: &'static Engine,
    /// Splice from the first byte instead (tests of the ring side use it).
    from_first_byte: bool,
    /// Where request/response sessions settle, if anywhere.
    settle: Option<SockmapPath>,
}

/// Reads (both directions together, every one shorter than copy's buffer) after which a
/// session settles on sockmap: a MySQL login takes 3-5, so a session settles during its
/// first queries, while a connect-login-quit session (4 reads) never pays for the move.
pub const SETTLE_AFTER_READS: u32 = 8;

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
            .field("settles_on_sockmap", &self.settle.is_some())
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
            settle: None,
        })
    }

    /// The same path, moving request/response sessions to `sockmap` (see the type's doc).
    pub fn settling_on(self, sockmap: SockmapPath) -> SplicePath {
        SplicePath {
            settle: Some(sockmap),
            ..self
        }
    }

    /// Whether request/response sessions move to sockmap.
    pub fn settles_on_sockmap(&self) -> bool {
        self.settle.is_some()
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
        let settle_after = self.settle.as_ref().map(|_| SETTLE_AFTER_READS);
        match super::copy::until_moved(client, server, s, settle_after).await {
            UntilMoved::Ended(t) => t,
            UntilMoved::Bulk(moving) => {
                s.meter.listen.datapath_moved();
                let (client, server) = (moving.client, moving.server);
                let rest = handoff::forward(self.engine, Mode::Splice, client, server, s).await;
                moving.carried.then(rest)
            }
            UntilMoved::Settled(moving) => match &self.settle {
                Some(sockmap) => {
                    s.meter.listen.datapath_settled();
                    sockmap.forward_moved(moving, s).await
                }
                // Only asked for with a sockmap path: never here. Should it happen, the
                // session goes on to the bulk path, which takes any session.
                None => {
                    let (client, server) = (moving.client, moving.server);
                    let rest = handoff::forward(self.engine, Mode::Splice, client, server, s).await;
                    moving.carried.then(rest)
                }
            },
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
