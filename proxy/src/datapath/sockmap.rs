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

use super::sockmap_kernel::{Kernel, KernelError, kernel};
use super::tcpinfo::{bytes_queued_total, cookie, tcp_info};
use super::{CopyPath, End, SessionIo, Transfer};
use proxy_common::{CTL_NO_TRIM, CTL_PASS_ALL, DirControl, DirStats};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Default bound on the bytes that may wait in a destination's psock queue.
pub const DEFAULT_CAP: u64 = 4 << 20;
/// Default SO_SNDBUF of both sockets of a session (the kernel doubles it).
pub const DEFAULT_SNDBUF: usize = 8 << 20;
const BUF_SIZE: usize = 64 * 1024;
const TICK_BUSY: Duration = Duration::from_millis(1);
const TICK_IDLE_MAX: Duration = Duration::from_millis(50);
const TCP_CLOSE: u8 = 7;

/// Retransmitted bytes the kernel program cut off, over every session of the process.
static TRIMMED: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct SockmapPath {
    kernel: Arc<Kernel>,
    cap: u64,
    sndbuf: Option<usize>,
    resume_redirect: bool,
    trim: bool,
}

/// Which side of the session a socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// A direction failed: which side's socket failed.
#[derive(Debug)]
struct Abort(Side);

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
            resume_redirect: false,
            trim: true,
        })
    }

    /// The same path with another SO_SNDBUF for the sockets (`None`: kernel autotuning).
    pub fn with_sndbuf(mut self, sndbuf: Option<usize>) -> SockmapPath {
        self.sndbuf = sndbuf;
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
        let (end, up, down) = self.run(&client, &server, &setup, s).await;
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
            consumed: 0,
            resume_redirect: self.resume_redirect,
            base_flags: self.base_flags(),
            control: None,
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
            consumed: 0,
            resume_redirect: self.resume_redirect,
            base_flags: self.base_flags(),
            control: None,
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

/// One direction of a session: the bytes arriving on `src` and leaving through `dst`.
struct Direction<'a> {
    kernel: &'a Kernel,
    cap: u64,
    src: &'a TcpStream,
    dst: &'a TcpStream,
    src_side: Side,
    src_cookie: u64,
    /// Whether the program sees `src`'s bytes (else userspace reads them all).
    src_in_map: bool,
    /// `dst`'s acked + queued bytes before the session wrote anything to it.
    dst_base: u64,
    /// Bytes userspace read from `src` and wrote to `dst`.
    consumed: u64,
    /// Whether the program may redirect again once userspace caught up.
    resume_redirect: bool,
    /// Control flags the direction started with.
    base_flags: u32,
    /// The control last written, to skip identical writes.
    control: Option<DirControl>,
    /// Bytes moved so far (metered).
    total: &'a AtomicU64,
    count: &'a (dyn Fn(u64) + Sync),
}

impl Direction<'_> {
    fn dst_side(&self) -> Side {
        match self.src_side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    async fn run(&mut self) -> Result<(), Abort> {
        let mut buf = vec![0u8; BUF_SIZE];
        let mut tick = TICK_BUSY;
        loop {
            tokio::select! {
                r = self.src.readable() => {
                    r.map_err(|_| Abort(self.src_side))?;
                    match self.src.try_read(&mut buf) {
                        Ok(0) => return self.finish(&mut buf).await,
                        Ok(n) => {
                            self.write_passed(&buf[..n]).await?;
                            tick = TICK_BUSY;
                        }
                        Err(e) if retry(&e) => {}
                        Err(_) => return Err(Abort(self.src_side)),
                    }
                }
                _ = tokio::time::sleep(tick) => {
                    let moved = self.refresh()?;
                    tick = if moved { TICK_BUSY } else { (tick * 2).min(TICK_IDLE_MAX) };
                }
            }
        }
    }

    /// The program's counters for this direction (userspace-only when `src` is not in
    /// the map).
    fn stats(&self) -> Result<DirStats, Abort> {
        if !self.src_in_map {
            return Ok(DirStats {
                passed: self.consumed,
                ..DirStats::default()
            });
        }
        self.kernel.stats(self.src_cookie).map_err(|e| {
            tracing::warn!("sockmap: reading counters failed: {e}");
            Abort(self.src_side)
        })
    }

    /// Bytes written to `dst` by the session so far (acked + queued).
    fn dst_written(&self) -> Result<u64, Abort> {
        let info = tcp_info(self.dst).map_err(|_| Abort(self.dst_side()))?;
        if info.state == TCP_CLOSE {
            tracing::debug!("sockmap: destination closed");
            return Err(Abort(self.dst_side()));
        }
        let total = bytes_queued_total(self.dst).map_err(|_| Abort(self.dst_side()))?;
        Ok(total.saturating_sub(self.dst_base))
    }

    /// Meters what moved since the last call; raises the limit. Returns whether any byte
    /// moved.
    fn refresh(&mut self) -> Result<bool, Abort> {
        let st = self.stats()?;
        let moved = self.meter(st.redirected + self.consumed);
        if self.src_in_map {
            self.check_no_duplicates(&st)?;
            let written = self.dst_written()?;
            self.set_control(written)?;
        }
        Ok(moved)
    }

    /// The program must never handle more bytes than TCP received in sequence. It did
    /// before it cut retransmitted heads off (the kernel's `tcp_read_skb` hands the verdict
    /// whole skbs, including the already-received head of a partially retransmitted one),
    /// and a kernel that delivers bytes twice some other way would do it again. Such a
    /// stream is corrupt; abort it (both sides get a reset) rather than deliver it.
    fn check_no_duplicates(&self, st: &DirStats) -> Result<(), Abort> {
        // Read after the counters: `received` can only have grown since.
        let received = tcp_info(self.src)
            .map_err(|_| Abort(self.src_side))?
            .bytes_received;
        if st.redirected + st.passed > received {
            // For diagnosis: the counters and TCP's figure once more, read in that order.
            let again = self.kernel.stats(self.src_cookie).ok();
            let received_again = tcp_info(self.src).map(|i| i.bytes_received).ok();
            tracing::error!(
                "sockmap: the kernel handed {} bytes to the verdict but TCP received only \
                 {received} in sequence (duplicated bytes); resetting the session. \
                 Counters {st:?}, then {again:?} with {received_again:?} received",
                st.redirected + st.passed
            );
            return Err(Abort(self.src_side));
        }
        Ok(())
    }

    fn meter(&self, now: u64) -> bool {
        let before = self.total.load(Relaxed);
        if now > before {
            self.total.store(now, Relaxed);
            (self.count)(now - before);
            return true;
        }
        false
    }

    /// Lets the program redirect until `cap` bytes wait beyond what `dst` took.
    fn set_control(&mut self, written: u64) -> Result<(), Abort> {
        let flags = self.control.map_or(self.base_flags, |c| c.flags);
        let ctl = DirControl {
            limit: written.saturating_sub(self.consumed) + self.cap,
            consumed: self.consumed,
            flags,
            _pad: 0,
        };
        if self.control == Some(ctl) {
            return Ok(());
        }
        self.kernel.set_control(self.src_cookie, ctl).map_err(|e| {
            tracing::warn!("sockmap: writing control failed: {e}");
            Abort(self.src_side)
        })?;
        self.control = Some(ctl);
        Ok(())
    }

    /// Waits until everything redirected (and written) before now is in `dst`'s send
    /// queue, so bytes userspace writes next cannot overtake it.
    async fn wait_drained(&mut self) -> Result<u64, Abort> {
        let mut pause = Duration::from_micros(200);
        loop {
            let st = self.stats()?;
            let written = self.dst_written()?;
            self.meter(st.redirected + self.consumed);
            if written >= st.redirected + self.consumed {
                return Ok(written);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// Writes bytes the program passed to `src`'s own queue on to `dst`, in order.
    async fn write_passed(&mut self, data: &[u8]) -> Result<(), Abort> {
        if self.src_in_map {
            self.check_no_duplicates(&self.stats()?)?;
            self.wait_drained().await?;
            if !self.resume_redirect && self.control.is_none_or(|c| c.flags & CTL_PASS_ALL == 0) {
                // Once userspace carries a direction it keeps it (see `resume_redirect`).
                let ctl = DirControl {
                    flags: self.control.map_or(self.base_flags, |c| c.flags) | CTL_PASS_ALL,
                    ..self.control.unwrap_or_default()
                };
                self.kernel.set_control(self.src_cookie, ctl).map_err(|e| {
                    tracing::warn!("sockmap: writing control failed: {e}");
                    Abort(self.src_side)
                })?;
                self.control = Some(ctl);
            }
        }
        write_all(self.dst, data).await.map_err(|e| {
            tracing::debug!(
                "sockmap: writing {} passed bytes failed: {e}; stats {:?} consumed {} written {:?} dst {:?}",
                data.len(),
                self.stats().ok(),
                self.consumed,
                bytes_queued_total(self.dst).map(|t| t - self.dst_base),
                tcp_info(self.dst)
            );
            Abort(self.dst_side())
        })?;
        self.consumed += data.len() as u64;
        let st = self.stats()?;
        self.meter(st.redirected + self.consumed);
        if self.src_in_map {
            let written = self.dst_written()?;
            self.set_control(written)?;
        }
        Ok(())
    }

    /// `src` reached EOF: drain, then pass the FIN on with `shutdown(dst, SHUT_WR)`.
    async fn finish(&mut self, buf: &mut [u8]) -> Result<(), Abort> {
        let mut pause = Duration::from_micros(200);
        loop {
            let st = self.stats()?;
            if st.passed > self.consumed {
                // Passed bytes not read yet (still on their way to the socket's queue).
                match self.src.try_read(buf) {
                    Ok(n) if n > 0 => {
                        self.write_passed(&buf[..n]).await?;
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) if retry(&e) => {}
                    Err(_) => return Err(Abort(self.src_side)),
                }
            } else {
                let received = tcp_info(self.src)
                    .map_err(|_| Abort(self.src_side))?
                    .bytes_received;
                let handled = st.redirected + st.passed;
                if handled > received {
                    self.check_no_duplicates(&st)?;
                }
                let written = self.dst_written()?;
                // `received` counts the FIN.
                if received <= handled + 1 && written >= st.redirected + self.consumed {
                    self.meter(st.redirected + self.consumed);
                    tracing::debug!(
                        "sockmap: EOF drained: received {received}, {st:?}, consumed {}, written {written}",
                        self.consumed
                    );
                    break;
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(5));
        }
        socket2::SockRef::from(self.dst)
            .shutdown(std::net::Shutdown::Write)
            .map_err(|_| Abort(self.dst_side()))
    }
}

fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

async fn write_all(s: &TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        s.writable().await?;
        match s.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if retry(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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
