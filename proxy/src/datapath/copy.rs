//! The portable data path: two userspace pumps on tokio, one per direction.
//!
//! Each pump reads into its own buffer (never zeroed: reads fill its spare capacity) and writes everything to the other side; on EOF it
//! shuts down the write side of the peer (half-close) and the other pump goes on until its
//! own EOF. A read or write error on one side aborts the session: the other side is closed
//! with a reset (SO_LINGER 0), as the peer of an aborted stream must not mistake it for a
//! clean end.

use super::{End, SessionIo, Transfer};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::time::Instant;

const BUF_SIZE: usize = 64 * 1024;

#[derive(Debug, Clone, Default)]
pub struct CopyPath;

/// Which side of the session a pump reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// Last activity on each side, in milliseconds since the session started.
struct Activity {
    start: Instant,
    client: AtomicU64,
    server: AtomicU64,
}

impl Activity {
    fn touch(&self, side: Side) {
        let ms = self.start.elapsed().as_millis() as u64;
        match side {
            Side::Client => self.client.store(ms, Relaxed),
            Side::Server => self.server.store(ms, Relaxed),
        }
    }
    fn last(&self, side: Side) -> Instant {
        let ms = match side {
            Side::Client => self.client.load(Relaxed),
            Side::Server => self.server.load(Relaxed),
        };
        self.start + Duration::from_millis(ms)
    }
}

/// A pump failed: which side's socket failed.
struct Abort(Side);

impl CopyPath {
    pub async fn forward(
        &self,
        mut client: TcpStream,
        mut server: TcpStream,
        s: &SessionIo,
    ) -> Transfer {
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (end, up, down) = self.run(&mut client, &mut server, s).await;
        if end != End::Done {
            // Whatever did not finish cleanly is reset, so neither peer sees a clean EOF.
            for sock in [&client, &server] {
                let _ = socket2::SockRef::from(sock).set_linger(Some(Duration::ZERO));
            }
        }
        Transfer {
            client_to_server: up,
            server_to_client: down,
            end,
        }
    }

    async fn run(
        &self,
        client: &mut TcpStream,
        server: &mut TcpStream,
        s: &SessionIo,
    ) -> (End, u64, u64) {
        let (cr, cw) = client.split();
        let (sr, sw) = server.split();
        let activity = Activity {
            start: Instant::now(),
            client: AtomicU64::new(0),
            server: AtomicU64::new(0),
        };
        let up_bytes = AtomicU64::new(0);
        let down_bytes = AtomicU64::new(0);

        let up = pump(cr, sw, Side::Client, &activity, &up_bytes, |n| {
            s.meter.client_to_server(n)
        });
        let down = pump(sr, cw, Side::Server, &activity, &down_bytes, |n| {
            s.meter.server_to_client(n)
        });
        // The first failure of either pump ends the session; clean EOFs wait for each other.
        let both = async { tokio::try_join!(up, down).map(drop) };
        let end = tokio::select! {
            r = both => match r {
                Ok(()) => End::Done,
                Err(Abort(Side::Client)) => End::ClientAbort,
                Err(Abort(Side::Server)) => End::ServerAbort,
            },
            end = idle_watchdog(&activity, s.client_timeout, s.server_timeout) => end,
            _ = s.cancel.cancelled() => End::Killed,
        };
        (end, up_bytes.load(Relaxed), down_bytes.load(Relaxed))
    }
}

/// Copies `from` to `to` until EOF, then half-closes `to`.
async fn pump(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    side: Side,
    activity: &Activity,
    total: &AtomicU64,
    count: impl Fn(u64),
) -> Result<(), Abort> {
    let other = match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    };
    // Capacity only: `read_buf` fills spare capacity, so nothing is zeroed per session.
    let mut buf = Vec::with_capacity(BUF_SIZE);
    loop {
        buf.clear();
        let n = match from.read_buf(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Abort(side)),
        };
        activity.touch(side);
        to.write_all(&buf).await.map_err(|_| Abort(other))?;
        activity.touch(other);
        total.fetch_add(n as u64, Relaxed);
        count(n as u64);
    }
    // EOF from this side: pass the FIN on, keep the other direction open.
    to.shutdown().await.map_err(|_| Abort(other))?;
    Ok(())
}

/// Resolves when a side has been idle for longer than its timeout.
async fn idle_watchdog(activity: &Activity, client: Duration, server: Duration) -> End {
    loop {
        let client_deadline = activity.last(Side::Client) + client;
        let server_deadline = activity.last(Side::Server) + server;
        let now = Instant::now();
        if now >= client_deadline {
            return End::ClientTimeout;
        }
        if now >= server_deadline {
            return End::ServerTimeout;
        }
        tokio::time::sleep_until(client_deadline.min(server_deadline)).await;
    }
}
