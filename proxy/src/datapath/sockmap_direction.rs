//! One direction of a sockmap session, supervised from userspace: raising the program's
//! `limit` as the destination takes bytes (the memory bound), forwarding what the program
//! passed, the duplicate guard, metering, and the FIN drain (the protocol is described in
//! `sockmap.rs`).

use super::sockmap_kernel::Kernel;
use super::tcpinfo::{bytes_queued_total, tcp_info};
use proxy_common::{CTL_PASS_ALL, DirControl, DirStats};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::net::TcpStream;

const BUF_SIZE: usize = 64 * 1024;
const TICK_BUSY: Duration = Duration::from_millis(1);
const TICK_IDLE_MAX: Duration = Duration::from_millis(50);
const TCP_CLOSE: u8 = 7;

/// Which side of the session a socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Client,
    Server,
}

/// A direction failed: which side's socket failed.
#[derive(Debug)]
pub(super) struct Abort(pub(super) Side);

/// One direction of a session: the bytes arriving on `src` and leaving through `dst`.
pub(super) struct Direction<'a> {
    pub(super) kernel: &'a Kernel,
    pub(super) cap: u64,
    pub(super) src: &'a TcpStream,
    pub(super) dst: &'a TcpStream,
    pub(super) src_side: Side,
    pub(super) src_cookie: u64,
    /// Whether the program sees `src`'s bytes (else userspace reads them all).
    pub(super) src_in_map: bool,
    /// `dst`'s acked + queued bytes before the session wrote anything to it.
    pub(super) dst_base: u64,
    /// Bytes of `src` that another path read before this one took the session over (the
    /// program never saw them; TCP's received count includes them).
    pub(super) src_base: u64,
    /// Bytes userspace read from `src` and wrote to `dst`.
    pub(super) consumed: u64,
    /// Whether the program may redirect again once userspace caught up.
    pub(super) resume_redirect: bool,
    /// Control flags the direction started with.
    pub(super) base_flags: u32,
    /// The control last written, to skip identical writes.
    pub(super) control: Option<DirControl>,
    /// Set once userspace carries the direction for good (`CTL_PASS_ALL` published, every
    /// redirected byte in `dst`'s send queue): the program's final `redirected`. From then
    /// on a passed read is written straight on, with no drain wait and no limit to raise.
    pub(super) settled: Option<u64>,
    /// Bytes moved so far (metered).
    pub(super) total: &'a AtomicU64,
    pub(super) count: &'a (dyn Fn(u64) + Sync),
}

impl Direction<'_> {
    fn dst_side(&self) -> Side {
        match self.src_side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    pub(super) async fn run(&mut self) -> Result<(), Abort> {
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
            if self.settled.is_none() {
                // The limit matters only while the program may still redirect.
                let written = self.dst_written()?;
                self.set_control(written)?;
            }
        }
        Ok(moved)
    }

    /// The program must never handle more bytes than TCP received in sequence. It did
    /// before it cut retransmitted heads off (the kernel's `tcp_read_skb` hands the verdict
    /// whole skbs, including the already-received head of a partially retransmitted one),
    /// and a kernel that delivers bytes twice some other way would do it again. Such a
    /// stream is corrupt; abort it (both sides get a reset) rather than deliver it.
    ///
    /// An excess is read a second time first: a duplicate stays in counters that only grow
    /// (new bytes raise both sides alike), while the program's `passed` was once seen 106
    /// bytes high and exact on the next read, and that session was reset for nothing
    /// (docs/datapaths.md).
    fn check_no_duplicates(&self, st: &DirStats) -> Result<(), Abort> {
        // Read after the counters: `received` can only have grown since.
        let received = tcp_info(self.src)
            .map_err(|_| Abort(self.src_side))?
            .bytes_received;
        if self.src_base + st.redirected + st.passed > received {
            // The counters and TCP's figure once more, read in that order.
            let again = self.kernel.stats(self.src_cookie).ok();
            let received_again = tcp_info(self.src).map(|i| i.bytes_received).ok();
            if let (Some(a), Some(r)) = (again, received_again)
                && self.src_base + a.redirected + a.passed <= r
            {
                tracing::warn!(
                    "sockmap: the counters read {} bytes handled against {received} \
                     received, then {} against {r}: a passing excess, not a duplicate. \
                     Counters {st:?}, then {a:?}",
                    self.src_base + st.redirected + st.passed,
                    self.src_base + a.redirected + a.passed
                );
                return Ok(());
            }
            tracing::error!(
                "sockmap: the kernel handed {} bytes to the verdict (after {} read before) but \
                 TCP received only {received} in sequence (duplicated bytes); resetting the \
                 session. Counters {st:?}, then {again:?} with {received_again:?} received",
                st.redirected + st.passed,
                self.src_base
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
    /// Returns the program's `redirected` at that point.
    async fn wait_drained(&mut self) -> Result<u64, Abort> {
        let mut pause = Duration::from_micros(200);
        loop {
            let st = self.stats()?;
            let written = self.dst_written()?;
            self.meter(st.redirected + self.consumed);
            if written >= st.redirected + self.consumed {
                return Ok(st.redirected);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// Writes bytes the program passed to `src`'s own queue on to `dst`, in order.
    async fn write_passed(&mut self, data: &[u8]) -> Result<(), Abort> {
        if self.src_in_map {
            // Checked before every write: a duplicated byte must never go out.
            self.check_no_duplicates(&self.stats()?)?;
        }
        if self.src_in_map && self.settled.is_none() {
            // No redirect can happen meanwhile: the program redirects only while every
            // passed byte is consumed, and these are not yet.
            let redirected = self.wait_drained().await?;
            if !self.resume_redirect {
                // Once userspace carries a direction it keeps it (see `resume_redirect`),
                // so `redirected` is final from here on.
                let ctl = DirControl {
                    flags: self.control.map_or(self.base_flags, |c| c.flags) | CTL_PASS_ALL,
                    ..self.control.unwrap_or_default()
                };
                self.kernel.set_control(self.src_cookie, ctl).map_err(|e| {
                    tracing::warn!("sockmap: writing control failed: {e}");
                    Abort(self.src_side)
                })?;
                self.control = Some(ctl);
                self.settled = Some(redirected);
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
        if let Some(redirected) = self.settled {
            self.meter(redirected + self.consumed);
            return Ok(());
        }
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
                let handled = self.src_base + st.redirected + st.passed;
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
