//! The portable data path: two userspace pumps on tokio, one per direction.
//!
//! Each pump reads into its own buffer (never zeroed: reads fill its spare capacity) and
//! writes everything to the other side; on EOF it shuts down the write side of the peer
//! (half-close) and the other pump goes on until its own EOF. A read or write error on one
//! side aborts the session: the other side is closed with a reset (SO_LINGER 0), as the peer
//! of an aborted stream must not mistake it for a clean end.
//!
//! [`until_moved`] is the same copy with ways out, for the splice path: when a read fills a
//! whole buffer while both directions are open, both pumps stop between messages (nothing
//! read is left unwritten) and the sockets go on to a path built for bulk; optionally, once
//! a session has exchanged a number of small messages with both directions open (a
//! request/response session that stays), the same stop hands it to the sockmap path.

use super::{End, SessionIo, Transfer};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::sync::Notify;
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

/// How a pump stopped without failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// EOF passed on (the peer's write side is shut down).
    Eof,
    /// The session is moving to a bulk path; this pump stopped between messages.
    Moving,
}

/// Shared by the two pumps of a session that may move to another path.
#[derive(Default)]
struct Bulk {
    /// Why both pumps stop at their next read: [`NOT_MOVING`], [`TO_BULK`] or
    /// [`TO_SETTLED`], set by the pump that decided.
    moving: AtomicU8,
    /// Set by a pump that read EOF: a half-closed session stays on copy.
    eof: AtomicBool,
    /// Reads (of either pump) after which a session of small messages settles; `None`: never.
    settle_after: Option<u32>,
    /// Reads so far, both pumps together.
    reads: AtomicU32,
    wake: Notify,
}

const NOT_MOVING: u8 = 0;
const TO_BULK: u8 = 1;
const TO_SETTLED: u8 = 2;

/// How a session that [`until_moved`] carried went on.
pub(crate) enum UntilMoved {
    /// It ended on copy.
    Ended(Transfer),
    /// A read filled a whole buffer: both pumps stopped between messages, every byte read so
    /// far was delivered, and the sockets go on to a bulk path.
    Bulk(Moving),
    /// The session exchanged `settle_after` small messages with both directions open: both
    /// pumps stopped between messages (every byte read so far delivered, and every read
    /// shorter than the buffer, so it took all the socket had) and the sockets go on to a
    /// path built for request/response.
    Settled(Moving),
}

/// A session on its way from copy to another path (splice once bulk, sockmap once settled).
pub(crate) struct Moving {
    pub client: TcpStream,
    pub server: TcpStream,
    pub carried: Carried,
}

/// The bytes copy carried before a session moved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Carried {
    pub client_to_server: u64,
    pub server_to_client: u64,
}

impl Carried {
    /// The session went on with `rest` on the bulk path: the totals of both.
    pub fn then(self, rest: Transfer) -> Transfer {
        Transfer {
            client_to_server: self.client_to_server + rest.client_to_server,
            server_to_client: self.server_to_client + rest.server_to_client,
            end: rest.end,
        }
    }
}

/// Carries a session with copy until a read fills a whole buffer or, with `settle_after`,
/// until that many small reads went through (see the module doc).
pub(crate) async fn until_moved(
    client: TcpStream,
    server: TcpStream,
    s: &SessionIo,
    settle_after: Option<u32>,
) -> UntilMoved {
    let bulk = Bulk {
        settle_after,
        ..Bulk::default()
    };
    carry(client, server, s, Some(&bulk)).await
}

/// Carries a session with copy; with `bulk`, until it moves.
async fn carry(
    mut client: TcpStream,
    mut server: TcpStream,
    s: &SessionIo,
    bulk: Option<&Bulk>,
) -> UntilMoved {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (flow, up, down) = CopyPath.run(&mut client, &mut server, s, bulk).await;
    let settled =
        bulk.is_some_and(|b| b.moving.load(Relaxed) == TO_SETTLED && !b.eof.load(Relaxed));
    let moving = Moving {
        client,
        server,
        carried: Carried {
            client_to_server: up,
            server_to_client: down,
        },
    };
    match flow {
        // A session that half-closed meanwhile goes to the bulk path, which carries
        // half-closed sockets (sockmap cannot take a socket that is no longer ESTABLISHED).
        Flow::Moving if settled => UntilMoved::Settled(moving),
        Flow::Moving => UntilMoved::Bulk(moving),
        Flow::Ended(end) => {
            let (client, server) = (moving.client, moving.server);
            UntilMoved::Ended(CopyPath::ended(&client, &server, end, up, down))
        }
    }
}

/// How [`CopyPath::run`] came back.
enum Flow {
    Ended(End),
    Moving,
}

impl CopyPath {
    pub async fn forward(&self, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
        match carry(client, server, s, None).await {
            UntilMoved::Ended(t) => t,
            // Only pumps given a `Bulk` stop for moving: never here. Should it happen, the
            // session ends as killed (both sides reset) rather than hang.
            UntilMoved::Bulk(m) | UntilMoved::Settled(m) => {
                let Carried {
                    client_to_server: up,
                    server_to_client: down,
                } = m.carried;
                CopyPath::ended(&m.client, &m.server, End::Killed, up, down)
            }
        }
    }

    fn ended(client: &TcpStream, server: &TcpStream, end: End, up: u64, down: u64) -> Transfer {
        if end != End::Done {
            // Whatever did not finish cleanly is reset, so neither peer sees a clean EOF.
            for sock in [client, server] {
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
        bulk: Option<&Bulk>,
    ) -> (Flow, u64, u64) {
        let (cr, cw) = client.split();
        let (sr, sw) = server.split();
        let activity = Activity {
            start: Instant::now(),
            client: AtomicU64::new(0),
            server: AtomicU64::new(0),
        };
        let up_bytes = AtomicU64::new(0);
        let down_bytes = AtomicU64::new(0);

        let up = pump(cr, sw, Side::Client, &activity, &up_bytes, bulk, |n| {
            s.meter.client_to_server(n)
        });
        let down = pump(sr, cw, Side::Server, &activity, &down_bytes, bulk, |n| {
            s.meter.server_to_client(n)
        });
        // The first failure of either pump ends the session; clean EOFs wait for each other.
        let both = async { tokio::try_join!(up, down) };
        let flow = tokio::select! {
            r = both => match r {
                Ok((Stop::Eof, Stop::Eof)) => Flow::Ended(End::Done),
                // A pump that stopped for moving left its direction open; one that had seen
                // EOF leaves a socket that reads EOF again on the next path.
                Ok(_) => Flow::Moving,
                Err(Abort(Side::Client)) => Flow::Ended(End::ClientAbort),
                Err(Abort(Side::Server)) => Flow::Ended(End::ServerAbort),
            },
            end = idle_watchdog(&activity, s.client_timeout, s.server_timeout) => Flow::Ended(end),
            _ = s.cancel.cancelled() => Flow::Ended(End::Killed),
        };
        (flow, up_bytes.load(Relaxed), down_bytes.load(Relaxed))
    }
}

/// Copies `from` to `to` until EOF, then half-closes `to`; with `bulk`, stops between
/// messages once either pump has read a full buffer, or the pumps together have done
/// `settle_after` reads, while both directions were open.
async fn pump(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    side: Side,
    activity: &Activity,
    total: &AtomicU64,
    bulk: Option<&Bulk>,
    count: impl Fn(u64),
) -> Result<Stop, Abort> {
    let other = match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    };
    // Capacity only: `read_buf` fills spare capacity, so nothing is zeroed per session.
    let mut buf = Vec::with_capacity(BUF_SIZE);
    loop {
        buf.clear();
        let read = match bulk {
            None => from.read_buf(&mut buf).await,
            Some(b) => {
                // Created before the flag is read: a later notify_waiters reaches it.
                let moving = b.wake.notified();
                if b.moving.load(Relaxed) != NOT_MOVING {
                    return Ok(Stop::Moving);
                }
                tokio::select! {
                    biased;
                    _ = moving => return Ok(Stop::Moving),
                    r = from.read_buf(&mut buf) => r,
                }
            }
        };
        let n = match read {
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
        if let Some(b) = bulk
            && !b.eof.load(Relaxed)
        {
            let reads = b.reads.fetch_add(1, Relaxed) + 1;
            let why = if n >= BUF_SIZE {
                TO_BULK
            } else if b.settle_after.is_some_and(|k| reads >= k) {
                TO_SETTLED
            } else {
                NOT_MOVING
            };
            if why == TO_BULK {
                // Bulk wins over settling: this read may have left part of an skb in the
                // socket, which only the bulk path reads correctly.
                b.moving.store(TO_BULK, Relaxed);
            } else if why == TO_SETTLED {
                let _ = b
                    .moving
                    .compare_exchange(NOT_MOVING, TO_SETTLED, Relaxed, Relaxed);
            }
            if why != NOT_MOVING {
                b.wake.notify_waiters();
                return Ok(Stop::Moving);
            }
        }
    }
    if let Some(b) = bulk {
        // Set before the first await below: the other pump sees it before it could decide
        // to move a half-closed session.
        b.eof.store(true, Relaxed);
    }
    // EOF from this side: pass the FIN on, keep the other direction open.
    to.shutdown().await.map_err(|_| Abort(other))?;
    Ok(Stop::Eof)
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
