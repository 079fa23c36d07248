//! The io_uring copy direction: a multishot receive into the direction's provided-buffer ring,
//! then one gathered send (`SENDMSG`) of every filled buffer, in order, to the destination.
//!
//! Memory per direction is the ring's buffers: when all are filled and unsent, the receive
//! ends with `ENOBUFS` and is re-armed once half of them have been sent. The multishot receive
//! also reports EOF (result 0), after which the destination is shut down for writing once
//! every queued byte has been sent.

use super::bufring::{BUFS, BufRing};
use super::session::{Ops, Shared, Step, TAG_RECV, TAG_SEND};
use crate::datapath::Meter;
use io_uring::{cqueue, opcode, types};
use std::collections::VecDeque;
use std::os::fd::RawFd;

/// The message header of a gathered send and its vector (boxed: the kernel reads both until
/// the send completes).
struct Gather {
    hdr: libc::msghdr,
    iov: [libc::iovec; BUFS as usize],
}

pub(super) struct RecvSendDir {
    ring: BufRing,
    msg: Box<Gather>,
    /// Filled buffers not yet fully sent: (buffer id, length).
    queue: VecDeque<(u16, u32)>,
    /// Bytes of the head buffer already sent.
    sent: u32,
    sending: bool,
    receiving: bool,
    eof: bool,
}

impl RecvSendDir {
    pub fn new(ring: BufRing) -> RecvSendDir {
        // SAFETY: all-zero is a valid msghdr and iovec (null pointers, zero lengths).
        let msg = Box::new(unsafe { std::mem::zeroed::<Gather>() });
        RecvSendDir {
            ring,
            msg,
            queue: VecDeque::with_capacity(BUFS as usize),
            sent: 0,
            sending: false,
            receiving: false,
            eof: false,
        }
    }

    /// Advances direction `d`: `cqe` is the completion that woke it (None at start).
    pub fn on_event(
        &mut self,
        d: usize,
        fds: [RawFd; 2],
        cqe: Option<(u8, i32, u32)>,
        shared: &Shared,
        meter: &Meter,
        ops: &mut Ops<'_>,
    ) -> Step {
        let (src, dst) = (d, 1 - d);
        match cqe {
            Some((tag, res, flags)) if tag & 0xf0 == TAG_RECV => {
                if !cqueue::more(flags) {
                    self.receiving = false;
                }
                if res > 0 {
                    let Some(bid) = cqueue::buffer_select(flags) else {
                        return Step::Abort(src);
                    };
                    self.queue.push_back((bid, res as u32));
                    shared.touch(src);
                } else if res == 0 {
                    self.eof = true;
                } else if res != -libc::ENOBUFS && res != -libc::ECANCELED {
                    return Step::Abort(src);
                }
            }
            Some((_, res, _)) => {
                self.sending = false;
                if res < 0 {
                    return Step::Abort(dst);
                }
                shared.touch(dst);
                shared.delivered(d, res as u64, meter);
                let mut left = res as u32;
                while left > 0
                    && let Some(&(bid, len)) = self.queue.front()
                {
                    let rest = len - self.sent;
                    if left < rest {
                        self.sent += left;
                        break;
                    }
                    left -= rest;
                    self.queue.pop_front();
                    self.sent = 0;
                    self.ring.offer(bid);
                }
            }
            None => {}
        }
        if !self.sending && !self.queue.is_empty() {
            // Every filled buffer goes out in one gathered send.
            for (i, &(bid, len)) in self.queue.iter().enumerate() {
                let skip = if i == 0 { self.sent } else { 0 };
                // SAFETY: the buffer belongs to this direction's ring and is not offered back
                // to the kernel until the send that covers it completes.
                self.msg.iov[i] = libc::iovec {
                    iov_base: unsafe { self.ring.buf(bid).add(skip as usize) } as *mut _,
                    iov_len: (len - skip) as usize,
                };
            }
            self.msg.hdr.msg_iov = self.msg.iov.as_mut_ptr();
            self.msg.hdr.msg_iovlen = self.queue.len() as _;
            let e = opcode::SendMsg::new(types::Fd(fds[dst]), &self.msg.hdr)
                .flags(libc::MSG_NOSIGNAL as u32)
                .build();
            ops.push(TAG_SEND | d as u8, e);
            self.sending = true;
        }
        let free = usize::from(BUFS) - self.queue.len();
        if !self.receiving && !self.eof && free >= usize::from(BUFS) / 2 {
            let e = opcode::RecvMulti::new(types::Fd(fds[src]), self.ring.bgid).build();
            ops.push(TAG_RECV | d as u8, e);
            self.receiving = true;
        }
        if self.eof && !self.sending && self.queue.is_empty() {
            // SAFETY: shutdown on a socket the session owns.
            if unsafe { libc::shutdown(fds[dst], libc::SHUT_WR) } != 0 {
                return Step::Abort(dst);
            }
            return Step::Done;
        }
        Step::Pending
    }

    /// A receive completed after the session ended: its buffer goes straight back.
    pub fn reclaim(&mut self, flags: u32) {
        if let Some(bid) = cqueue::buffer_select(flags) {
            self.ring.offer(bid);
        }
    }

    /// Gives every buffer still held back to the kernel and returns the ring for reuse.
    pub fn into_ring(mut self) -> BufRing {
        while let Some((bid, _)) = self.queue.pop_front() {
            self.ring.offer(bid);
        }
        self.ring
    }
}
