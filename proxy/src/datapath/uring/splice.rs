//! The splice direction: socket -> pipe -> socket, bytes never copied to userspace.
//!
//! `IORING_OP_SPLICE` cannot be issued without blocking (the kernel always hands it to an io-wq
//! worker thread, which is what made a 64-byte round trip cost 117 µs), so the ring is used
//! only for readiness and the ring worker itself calls `splice(2)` with `SPLICE_F_NONBLOCK` on
//! ready sockets. A multishot `IORING_OP_POLL_ADD` watches the source from its first empty
//! read to the end of the session: armed once, not once per message (no poll set up and torn
//! down in the kernel for every message). A one-shot one watches the destination when it has
//! no room. Reads go into
//! the pipe only when it is empty, so an `EAGAIN` from the read always means "socket empty",
//! never "pipe full" (a pipe fills by slots, not bytes), and a stalled destination stops
//! reading: at most one pipe of bytes is held per direction.
//!
//! Pipes outlive sessions: an empty pipe goes back to its worker's pool when a session ends
//! (HAProxy keeps a pipe pool for the same reason), which saves a `pipe2`, an `F_SETPIPE_SZ`
//! and two `close` per direction on every new connection.

use super::session::{Ops, Shared, Step, TAG_POLL_IN, TAG_POLL_OUT};
use crate::datapath::Meter;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Pipe capacity per direction (rounded by the kernel to a power of two pages).
pub(super) const PIPE_SIZE: usize = 256 * 1024;

/// A pipe used as a splice buffer.
pub(super) struct Pipe {
    r: OwnedFd,
    w: OwnedFd,
}

impl Pipe {
    pub fn new() -> io::Result<Pipe> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two descriptors we take ownership of right away.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // A bigger pipe is an optimisation only; the default 64 KiB pipe works too.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, PIPE_SIZE as libc::c_int) };
        Ok(Pipe { r, w })
    }

    /// True when the kernel holds no byte in the pipe.
    fn is_empty(&self) -> bool {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int.
        let r = unsafe { libc::ioctl(self.r.as_raw_fd(), libc::FIONREAD, &mut n) };
        r == 0 && n == 0
    }
}

pub(super) struct SpliceDir {
    pipe: Pipe,
    /// Bytes in the pipe, not yet written to the destination.
    in_pipe: usize,
    /// The last read from the source was short (or none was made yet): the socket is most
    /// likely empty, so wait for readiness instead of calling splice(2) for an EAGAIN. The
    /// ring checks readiness when the poll is armed, and the armed poll completes on every
    /// wakeup after, so bytes that arrive later are not missed.
    maybe_empty: bool,
    /// The read poll reported hang-up or error: nothing will wake the poll again, so a
    /// short read no longer means "empty".
    ending: bool,
    eof: bool,
    poll_in: bool,
    poll_out: bool,
}

enum Io {
    Moved(usize),
    WouldBlock,
    Failed,
}

fn splice(from: RawFd, to: RawFd, len: usize) -> Io {
    loop {
        // SAFETY: plain syscall on descriptors owned by the session, null offsets (streams).
        let n = unsafe {
            libc::splice(
                from,
                std::ptr::null_mut(),
                to,
                std::ptr::null_mut(),
                len,
                libc::SPLICE_F_NONBLOCK | libc::SPLICE_F_MOVE,
            )
        };
        if n >= 0 {
            return Io::Moved(n as usize);
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Io::WouldBlock,
            _ => return Io::Failed,
        }
    }
}

impl SpliceDir {
    pub fn new(pipe: Pipe) -> SpliceDir {
        SpliceDir {
            pipe,
            in_pipe: 0,
            maybe_empty: true,
            ending: false,
            eof: false,
            poll_in: false,
            poll_out: false,
        }
    }

    /// The pipe back for another session, when nothing is left in it. `in_pipe` is exact
    /// (every splice(2) reports what it moved), so an empty count is an empty pipe; debug
    /// builds, which the tests run, ask the kernel as well (`FIONREAD`).
    pub fn into_pipe(self) -> Option<Pipe> {
        if self.in_pipe != 0 {
            return None;
        }
        debug_assert!(self.pipe.is_empty(), "a pipe counted empty holds bytes");
        Some(self.pipe)
    }

    /// A readiness poll armed by this direction completed with `res` (the ready events, or an
    /// error); `armed` if it stays armed (the multishot read poll, until cancelled or ended
    /// by the kernel).
    pub fn polled(&mut self, tag: u8, res: i32, armed: bool) {
        if tag & 0xf0 == TAG_POLL_IN {
            self.poll_in = armed;
            self.maybe_empty = false;
            let ending = (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) as i32;
            if res > 0 && res & ending != 0 {
                self.ending = true;
            }
        } else {
            self.poll_out = false;
        }
    }

    /// Moves bytes of direction `d` until a socket would block, EOF is passed on, or a side fails.
    pub fn pump(
        &mut self,
        d: usize,
        fds: [RawFd; 2],
        shared: &Shared,
        meter: &Meter,
        ops: &mut Ops<'_>,
    ) -> Step {
        let (src, dst) = (d, 1 - d);
        loop {
            if self.in_pipe == 0 && !self.eof {
                let read = if self.maybe_empty {
                    Io::WouldBlock
                } else {
                    splice(fds[src], self.pipe.w.as_raw_fd(), PIPE_SIZE)
                };
                match read {
                    Io::Moved(0) => self.eof = true,
                    Io::Moved(n) => {
                        self.in_pipe = n;
                        // Once the source has closed or failed, no readiness event comes
                        // again: read on until EOF or the error.
                        self.maybe_empty = n < PIPE_SIZE && !self.ending;
                        shared.touch(src);
                    }
                    Io::WouldBlock => {
                        if !self.poll_in {
                            self.poll_in = true;
                            let events = libc::POLLIN | libc::POLLRDHUP;
                            ops.poll_multi(fds[src], events, TAG_POLL_IN | d as u8);
                        }
                        return Step::Pending;
                    }
                    Io::Failed => return Step::Abort(src),
                }
            }
            if self.in_pipe > 0 {
                match splice(self.pipe.r.as_raw_fd(), fds[dst], self.in_pipe) {
                    Io::Moved(n) => {
                        self.in_pipe -= n;
                        shared.touch(dst);
                        shared.delivered(d, n as u64, meter);
                        meter.runtime.spliced(n as u64);
                    }
                    Io::WouldBlock => {
                        if !self.poll_out {
                            self.poll_out = true;
                            ops.poll(fds[dst], libc::POLLOUT, TAG_POLL_OUT | d as u8);
                        }
                        return Step::Pending;
                    }
                    Io::Failed => return Step::Abort(dst),
                }
                continue;
            }
            if self.eof {
                // SAFETY: shutdown on a socket the session owns.
                if unsafe { libc::shutdown(fds[dst], libc::SHUT_WR) } != 0 {
                    return Step::Abort(dst);
                }
                return Step::Done;
            }
        }
    }
}
