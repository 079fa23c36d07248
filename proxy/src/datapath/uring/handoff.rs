//! The control-plane half of an io_uring session: hands the sockets to a ring worker, enforces
//! the inactivity timeouts and the cancellation token from tokio, and waits for the worker's
//! [`Transfer`].

use super::engine::{Engine, Mode, Start, WorkerId};
use super::session::{CLIENT, Outcome, SERVER, Shared};
use crate::datapath::{CopyPath, End, SessionIo, Transfer};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Asks the worker to end the session if the forwarding future is dropped before it finished.
struct AbortOnDrop<'a> {
    engine: &'a Engine,
    worker: WorkerId,
    id: u64,
    armed: bool,
}

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.engine.abort(self.worker, self.id, End::Killed);
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
    engine: &'static Engine,
    mode: Mode,
    client: TcpStream,
    server: TcpStream,
    s: &SessionIo,
) -> Transfer {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
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
    let worker = engine.start(Start {
        id,
        fds,
        mode,
        shared: shared.clone(),
        meter: s.meter.clone(),
        reply,
    });
    let mut guard = AbortOnDrop {
        engine,
        worker,
        id,
        armed: true,
    };
    let early = tokio::select! {
        outcome = &mut done => Some(outcome),
        end = idle_watchdog(&shared, s.client_timeout, s.server_timeout) => {
            engine.abort(worker, id, end);
            None
        }
        _ = s.cancel.cancelled() => {
            engine.abort(worker, id, End::Killed);
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
            tracing::warn!("io_uring worker refused a session ({e}); carrying it with copy");
            s.meter.listen.datapath_fell_back();
            let [c, sv] = fds;
            match (into_stream(c), into_stream(sv)) {
                (Ok(c), Ok(sv)) => CopyPath.forward(c, sv, s).await,
                _ => Transfer {
                    client_to_server: 0,
                    server_to_client: 0,
                    end: End::ClientAbort,
                },
            }
        }
        // The worker thread is gone; its sockets were closed with it.
        Err(_) => Transfer {
            client_to_server: shared.bytes(0),
            server_to_client: shared.bytes(1),
            end: End::Killed,
        },
    }
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
