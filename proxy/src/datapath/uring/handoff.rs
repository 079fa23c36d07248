//! The event-loop half of an io_uring session: puts the sockets on this thread's ring, enforces
//! the inactivity timeouts and the cancellation token with tokio, and waits for the ring's
//! [`Transfer`].

use super::local::{LocalRing, Mode, Start};
use super::session::{CLIENT, Outcome, SERVER, Shared};
use crate::datapath::{CopyPath, End, SessionIo, Transfer};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Ends the session on the ring if the forwarding future is dropped before it finished.
struct AbortOnDrop<'a> {
    ring: &'a LocalRing,
    id: u64,
    armed: bool,
}

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.ring.abort(self.id, End::Killed);
        }
    }
}

fn into_fd(stream: TcpStream, blocking: bool) -> std::io::Result<OwnedFd> {
    let std = stream.into_std()?;
    // tokio's sockets are non-blocking already: only the ring's own operations want them
    // blocking (one ioctl per socket saved on every splice session).
    if blocking {
        std.set_nonblocking(false)?;
    }
    Ok(OwnedFd::from(std))
}

fn into_stream(fd: OwnedFd) -> std::io::Result<TcpStream> {
    let std = std::net::TcpStream::from(fd);
    std.set_nonblocking(true)?;
    TcpStream::from_std(std)
}

pub(super) async fn forward(
    mode: Mode,
    client: TcpStream,
    server: TcpStream,
    s: &SessionIo,
) -> Transfer {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let ring = match LocalRing::current() {
        Ok(ring) => ring,
        Err(e) => return fall_back(&e, client, server, s).await,
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    // Splice calls splice(2) itself on ready sockets and needs them non-blocking; the ring's
    // own receive and send operations poll for readiness internally.
    let blocking = mode == Mode::RecvSend;
    let fds = match (into_fd(client, blocking), into_fd(server, blocking)) {
        (Ok(c), Ok(s)) => [c, s],
        // Deregistering from tokio failed (the sockets were dropped): nothing left to carry.
        _ => {
            return Transfer {
                client_to_server: 0,
                server_to_client: 0,
                end: End::ClientAbort,
            };
        }
    };
    let shared = Arc::new(Shared::new());
    let (reply, mut done) = oneshot::channel();
    let id = NEXT_ID.fetch_add(1, Relaxed);
    ring.start(Start {
        id,
        fds,
        mode,
        shared: shared.clone(),
        meter: s.meter.clone(),
        reply,
    });
    let mut guard = AbortOnDrop {
        ring: &ring,
        id,
        armed: true,
    };
    let early = tokio::select! {
        outcome = &mut done => Some(outcome),
        end = idle_watchdog(&shared, s.client_timeout, s.server_timeout) => {
            ring.abort(id, end);
            None
        }
        _ = s.cancel.cancelled() => {
            ring.abort(id, End::Killed);
            None
        }
    };
    let outcome = match early {
        Some(o) => o,
        None => done.await,
    };
    guard.armed = false;
    match outcome {
        Ok(Outcome::Finished(t)) => t,
        Ok(Outcome::Refused(fds, e)) => {
            let [c, sv] = fds;
            match (into_stream(c), into_stream(sv)) {
                (Ok(c), Ok(sv)) => fall_back(&e.to_string(), c, sv, s).await,
                _ => Transfer {
                    client_to_server: 0,
                    server_to_client: 0,
                    end: End::ClientAbort,
                },
            }
        }
        // The ring's event loop is ending; the session ends with it.
        Err(_) => Transfer {
            client_to_server: shared.bytes(0),
            server_to_client: shared.bytes(1),
            end: End::Killed,
        },
    }
}

/// Carries a session the ring could not take with the copy path, and counts it.
async fn fall_back(why: &str, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
    tracing::warn!("io_uring could not take a session ({why}); carrying it with copy");
    s.meter.listen.datapath_fell_back();
    CopyPath.forward(client, server, s).await
}

/// Resolves when a side has been idle for longer than its timeout.
async fn idle_watchdog(shared: &Shared, client: Duration, server: Duration) -> End {
    loop {
        let client_deadline = shared.last(CLIENT) + client;
        let server_deadline = shared.last(SERVER) + server;
        let now = std::time::Instant::now();
        if now >= client_deadline {
            return End::ClientTimeout;
        }
        if now >= server_deadline {
            return End::ServerTimeout;
        }
        let next = client_deadline.min(server_deadline);
        tokio::time::sleep_until(tokio::time::Instant::from_std(next)).await;
    }
}
