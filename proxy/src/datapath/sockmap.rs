//! The sockmap data path: payload bytes move inside the kernel. Both sockets of a session
//! go into the SockHash under each other's cookie; the `sk_skb` verdict program
//! (`proxy-ebpf`) redirects what arrives on one to the other's egress. Userspace never
//! reads before inserting (bytes that arrived earlier are redirected after insertion) and
//! then only supervises:
//!
//! - **Bounded memory.** The kernel has no backpressure for redirected bytes: they wait in
//!   the destination's psock queue, unbounded, when its reader stops. Userspace keeps the
//!   program's `limit` at "bytes the destination took + cap"; past it the program passes the
//!   bytes to the source socket's own receive queue, where they are charged to its receive
//!   buffer, so TCP closes the window. Userspace reads those bytes, waits until everything
//!   redirected before them is in the destination's send queue, writes them (a normal,
//!   flow-controlled write) and raises `consumed`; the program redirects again only once
//!   `consumed == passed`, so bytes never overtake each other. The same passing is the
//!   program's answer to any failure, so no byte is ever dropped.
//! - **FIN.** The kernel does not forward it. On EOF of a source, userspace waits until the
//!   source's received bytes equal what the program handled, everything passed was
//!   written, and the destination's acked + queued bytes equal redirected + written, and
//!   only then shuts down the destination's write side (earlier, bytes still in the psock
//!   queue would be lost).
//! - **Errors and time.** A reset or error on a side resets the other (SO_LINGER 0);
//!   inactivity timeouts come from `tcpi_last_data_recv`/`_sent`; cancellation resets both.
//! - **Counting.** The program's per-direction counters plus userspace-written bytes feed
//!   the [`Meter`](super::Meter) as they move (ticks of 1 ms while bytes move, slower idle).
//! - **Retransmitted bytes.** The kernel hands the program whole skbs, also the head of a
//!   partially retransmitted one that was already handled; the program cuts such heads off
//!   by TCP sequence number (see `proxy-ebpf`). As a guard against kernels that still
//!   deliver a byte twice, userspace checks that the program never handled more bytes than
//!   TCP received in sequence, and resets the session if it did.
//! - **Fallback.** A session whose client cannot be inserted (EOPNOTSUPP once it is no
//!   longer ESTABLISHED, or any other insert failure) uses the copy path instead.

use super::copy::{Carried, Moving};
use super::sockmap_direction::{Abort, Direction, Side};
use super::sockmap_kernel::{Kernel, KernelError, kernel};
use super::tcpinfo::{bytes_queued_total, cookie, tcp_info};
use super::{CopyPath, End, SessionIo, Transfer};
use proxy_common::{CTL_NO_TRIM, CTL_PASS_ALL, DirControl};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Default bound on the bytes that may wait in a destination's psock queue.
pub const DEFAULT_CAP: u64 = 4 << 20;
/// Default SO_SNDBUF of both sockets of a session (the kernel doubles it, after capping it
/// at `net.core.wmem_max`).
pub const DEFAULT_SNDBUF: usize = 8 << 20;
/// Default SO_RCVBUF of both sockets of a session (the kernel doubles it, after capping it
/// at `net.core.rmem_max`).
pub const DEFAULT_RCVBUF: usize = 4 << 20;

/// Retransmitted bytes the kernel program cut off, over every session of the process.
static TRIMMED: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct SockmapPath {
    kernel: Arc<Kernel>,
    cap: u64,
    sndbuf: Option<usize>,
    rcvbuf: Option<usize>,
    resume_redirect: bool,
    trim: bool,
}

/// What setting a session up in the kernel gave.
struct Setup {
    client_cookie: u64,
    server_cookie: u64,
    client_base: u64,
    server_base: u64,
    server_in_map: bool,
}

impl SockmapPath {
    /// Loads (once per process) and attaches the kernel program.
    pub fn load() -> Result<SockmapPath, KernelError> {
        Ok(SockmapPath {
            kernel: kernel()?,
            cap: DEFAULT_CAP,
            sndbuf: Some(DEFAULT_SNDBUF),
            rcvbuf: Some(DEFAULT_RCVBUF),
            resume_redirect: false,
            trim: true,
        })
    }

    /// The same path with another SO_SNDBUF for the sockets (`None`: kernel autotuning).
    pub fn with_sndbuf(mut self, sndbuf: Option<usize>) -> SockmapPath {
        self.sndbuf = sndbuf;
        self
    }

    /// The same path with another SO_RCVBUF for the sockets (`None`: the kernel's default,
    /// which it does not grow while the program takes the socket's bytes).
    pub fn with_rcvbuf(mut self, rcvbuf: Option<usize>) -> SockmapPath {
        self.rcvbuf = rcvbuf;
        self
    }

    /// Whether a direction that userspace took over (the bound was reached) may go back to
    /// kernel redirect once userspace caught up. Off by default: it multiplies the mode
    /// switches and has not measured better. (Its 1-in-20 corrupted 2 GiB streams were the
    /// retransmit fault the program now cuts off, as in sticky mode; docs/datapaths.md.)
    pub fn with_resume_redirect(mut self, on: bool) -> SockmapPath {
        self.resume_redirect = on;
        self
    }

    /// Whether the program cuts already-handled bytes off retransmitted skbs. On by
    /// default; off only to measure the fault it fixes (docs/datapaths.md).
    pub fn with_trim_retransmits(mut self, on: bool) -> SockmapPath {
        self.trim = on;
        self
    }

    /// Retransmitted bytes the kernel program cut off so far, over every session of this
    /// process (counted when a session ends).
    pub fn trimmed_total() -> u64 {
        TRIMMED.load(Relaxed)
    }

    /// The bound on bytes waiting in a destination's psock queue, per direction.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// The same path with another bound on queued bytes per direction.
    pub fn with_cap(mut self, cap: u64) -> SockmapPath {
        self.cap = cap.max(64 * 1024);
        self
    }

    pub async fn forward(&self, client: TcpStream, server: TcpStream, s: &SessionIo) -> Transfer {
        let none = Carried {
            client_to_server: 0,
            server_to_client: 0,
        };
        self.carry(client, server, none, s).await
    }

    /// Takes over a session that copy carried so far and stopped between messages, every
    /// read of it shorter than copy's buffer (`copy::until_moved`, settled): the sockets'
    /// receive queues hold whole skbs that no one read from, which the program handles
    /// once the sockets are in the map. Returns the totals of both paths.
    pub(crate) async fn forward_moved(&self, m: Moving, s: &SessionIo) -> Transfer {
        let carried = m.carried;
        carried.then(self.carry(m.client, m.server, carried, s).await)
    }

    /// Carries a session whose first `before` bytes each way another path carried.
    async fn carry(
        &self,
        client: TcpStream,
        server: TcpStream,
        before: Carried,
        s: &SessionIo,
    ) -> Transfer {
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let setup = match self.setup(&client, &server) {
            Ok(setup) => setup,
            Err(e) => {
                tracing::debug!("sockmap: {e}; this session uses the copy path");
                s.meter.listen.datapath_fell_back();
                return CopyPath.forward(client, server, s).await;
            }
        };
        if !setup.server_in_map {
            // Userspace carries this session's bytes, as the copy path would.
            s.meter.listen.datapath_fell_back();
        }
        // Forgets the session's map entries however this future ends (even dropped).
        let _entries = Entries {
            kernel: &self.kernel,
            cookies: [setup.client_cookie, setup.server_cookie],
        };
        let (end, up, down) = self.run(&client, &server, &setup, before, s).await;
        let counters = [setup.client_cookie, setup.server_cookie].map(|c| self.kernel.stats(c));
        tracing::trace!(
            "sockmap: kernel counters up {:?}, down {:?}",
            counters[0],
            counters[1]
        );
        let trimmed: u64 = counters.iter().flatten().map(|st| st.trimmed).sum();
        if trimmed > 0 {
            TRIMMED.fetch_add(trimmed, Relaxed);
            tracing::debug!("sockmap: cut {trimmed} retransmitted bytes off skbs");
        }
        tracing::debug!("sockmap: session ended {end:?} after {up} B up, {down} B down");
        if end != End::Done {
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

    fn setup(&self, client: &TcpStream, server: &TcpStream) -> io::Result<Setup> {
        if let Some(v) = self.sndbuf {
            // Each socket is the destination of a direction: the kernel's redirect worker
            // backs off whenever its send buffer is full, so a larger fixed one keeps it
            // busy (measured in docs/datapaths.md); it is also part of the memory bound.
            socket2::SockRef::from(client).set_send_buffer_size(v)?;
            socket2::SockRef::from(server).set_send_buffer_size(v)?;
        }
        if let Some(v) = self.rcvbuf {
            // Each socket is also the source of a direction, and the kernel does not grow
            // the receive buffer of a socket whose bytes the program takes (it stays at
            // `tcp_rmem`'s default, 128 KiB here): the sender then waits for window
            // updates. Measured in docs/datapaths.md.
            socket2::SockRef::from(client).set_recv_buffer_size(v)?;
            socket2::SockRef::from(server).set_recv_buffer_size(v)?;
        }
        let client_cookie = cookie(client)?;
        let server_cookie = cookie(server)?;
        let client_base = bytes_queued_total(client)?;
        let server_base = bytes_queued_total(server)?;
        let ctl = DirControl {
            limit: self.cap,
            flags: self.base_flags(),
            ..DirControl::default()
        };
        let k = &self.kernel;
        let opened = k
            .open_direction(client_cookie, ctl)
            .and_then(|()| k.open_direction(server_cookie, ctl));
        if let Err(e) = opened {
            k.close(&[client_cookie, server_cookie]);
            return Err(io::Error::other(e.to_string()));
        }
        // The client first: it is the side that may already be gone (EOPNOTSUPP).
        if let Err(e) = k.insert_socket(server_cookie, client) {
            k.close(&[client_cookie, server_cookie]);
            return Err(e);
        }
        // With the client in and the server not, the client's bytes are passed (no redirect
        // target) and the server's are read normally: userspace carries both directions.
        let server_in_map = match k.insert_socket(client_cookie, server) {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!("sockmap: server socket not inserted ({e}); copying it");
                let pass_all = DirControl {
                    flags: ctl.flags | CTL_PASS_ALL,
                    ..ctl
                };
                k.set_control(client_cookie, pass_all)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                false
            }
        };
        Ok(Setup {
            client_cookie,
            server_cookie,
            client_base,
            server_base,
            server_in_map,
        })
    }

    /// Control flags every direction starts with.
    fn base_flags(&self) -> u32 {
        if self.trim { 0 } else { CTL_NO_TRIM }
    }

    async fn run(
        &self,
        client: &TcpStream,
        server: &TcpStream,
        setup: &Setup,
        before: Carried,
        s: &SessionIo,
    ) -> (End, u64, u64) {
        let up_total = AtomicU64::new(0);
        let down_total = AtomicU64::new(0);
        let mut up = Direction {
            kernel: &self.kernel,
            cap: self.cap,
            src: client,
            dst: server,
            src_side: Side::Client,
            src_cookie: setup.client_cookie,
            src_in_map: true,
            dst_base: setup.server_base,
            src_base: before.client_to_server,
            consumed: 0,
            resume_redirect: self.resume_redirect,
            base_flags: self.base_flags(),
            control: None,
            settled: None,
            total: &up_total,
            count: &|n| s.meter.client_to_server(n),
        };
        let mut down = Direction {
            kernel: &self.kernel,
            cap: self.cap,
            src: server,
            dst: client,
            src_side: Side::Server,
            src_cookie: setup.server_cookie,
            src_in_map: setup.server_in_map,
            dst_base: setup.client_base,
            src_base: before.server_to_client,
            consumed: 0,
            resume_redirect: self.resume_redirect,
            base_flags: self.base_flags(),
            control: None,
            settled: None,
            total: &down_total,
            count: &|n| s.meter.server_to_client(n),
        };
        // The first failure ends the session at once: the other direction may be idle
        // and would otherwise keep it (and the aborted peer) open indefinitely.
        let both = async { tokio::try_join!(up.run(), down.run()).map(|_| ()) };
        let end = tokio::select! {
            r = both => match r {
                Ok(()) => End::Done,
                Err(Abort(Side::Client)) => End::ClientAbort,
                Err(Abort(Side::Server)) => End::ServerAbort,
            },
            end = watchdog(client, server, s.client_timeout, s.server_timeout) => end,
            _ = s.cancel.cancelled() => End::Killed,
        };
        (end, up_total.load(Relaxed), down_total.load(Relaxed))
    }
}

/// A session's entries in the kernel maps, removed on drop.
struct Entries<'a> {
    kernel: &'a Kernel,
    cookies: [u64; 2],
}

impl Drop for Entries<'_> {
    fn drop(&mut self) {
        self.kernel.close(&self.cookies);
    }
}

/// Resolves when a side has been idle (no data received from it nor sent to it) for longer
/// than its timeout, per the kernel's `tcpi_last_data_recv`/`_sent`.
async fn watchdog(client: &TcpStream, server: &TcpStream, tc: Duration, ts: Duration) -> End {
    let start = Instant::now();
    let period = (tc.min(ts) / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
    loop {
        tokio::time::sleep(period).await;
        let since_start = start.elapsed();
        if idle(client, since_start) >= tc {
            return End::ClientTimeout;
        }
        if idle(server, since_start) >= ts {
            return End::ServerTimeout;
        }
    }
}

fn idle(sock: &TcpStream, since_start: Duration) -> Duration {
    match tcp_info(sock) {
        Ok(i) => Duration::from_millis(u64::from(i.last_data_recv_ms.min(i.last_data_sent_ms)))
            .min(since_start),
        Err(_) => Duration::ZERO,
    }
}
