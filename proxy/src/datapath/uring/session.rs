//! One session as the ring worker sees it: the two sockets, the state of each direction, the
//! operations it has in flight, and what the tokio side can read while it runs ([`Shared`]).

use super::bufring::BufRing;
use super::recv_send::RecvSendDir;
use super::ring::Ring;
use super::splice::{Pipe, SpliceDir};
use crate::datapath::{End, Meter, Transfer};
use io_uring::{cqueue, opcode, squeue, types};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Socket index: the client is side 0, the server side 1. Direction `d` reads side `d` and
/// writes side `1 - d` (direction 0 is client to server).
pub(super) const CLIENT: usize = 0;
pub(super) const SERVER: usize = 1;

/// What the control plane and the ring worker both see of a running session.
#[derive(Debug)]
pub(super) struct Shared {
    pub start: Instant,
    /// Last read or write on each side, in milliseconds since `start`.
    last: [AtomicU64; 2],
    /// Bytes delivered per direction.
    bytes: [AtomicU64; 2],
}

impl Shared {
    pub fn new() -> Shared {
        Shared {
            start: Instant::now(),
            last: [AtomicU64::new(0), AtomicU64::new(0)],
            bytes: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }
    pub fn touch(&self, side: usize) {
        self.last[side].store(self.start.elapsed().as_millis() as u64, Relaxed);
    }
    pub fn last(&self, side: usize) -> Instant {
        self.start + Duration::from_millis(self.last[side].load(Relaxed))
    }
    pub fn bytes(&self, dir: usize) -> u64 {
        self.bytes[dir].load(Relaxed)
    }
    /// `n` bytes of direction `dir` reached their destination.
    pub fn delivered(&self, dir: usize, n: u64, meter: &Meter) {
        self.bytes[dir].fetch_add(n, Relaxed);
        if dir == 0 {
            meter.client_to_server(n);
        } else {
            meter.server_to_client(n);
        }
    }
}

/// The worker's answer to a session handed to it.
pub(super) enum Outcome {
    Finished(Transfer),
    /// The worker could not take the session (e.g. out of buffer groups): the sockets come back
    /// untouched so the control plane can carry the session another way.
    Refused([OwnedFd; 2], std::io::Error),
}

/// Operation tags in the low byte of user_data; bit 0 is the direction.
pub(super) const TAG_POLL_IN: u8 = 0x10;
pub(super) const TAG_POLL_OUT: u8 = 0x20;
pub(super) const TAG_RECV: u8 = 0x30;
pub(super) const TAG_SEND: u8 = 0x40;
pub(super) const TAG_CANCEL: u8 = 0x50;

pub(super) fn user_data(slot: u32, tag: u8) -> u64 {
    (u64::from(slot) << 8) | u64::from(tag)
}
pub(super) fn split_user_data(ud: u64) -> (u32, u8) {
    ((ud >> 8) as u32, ud as u8)
}

/// Submits operations on behalf of one session, counting them in flight.
pub(super) struct Ops<'a> {
    pub ring: &'a mut Ring,
    pub slot: u32,
    pub inflight: &'a mut u32,
}

impl Ops<'_> {
    pub fn push(&mut self, tag: u8, entry: squeue::Entry) {
        self.ring.push(&entry.user_data(user_data(self.slot, tag)));
        *self.inflight += 1;
    }
    pub fn poll(&mut self, fd: RawFd, events: i16, tag: u8) {
        let e = opcode::PollAdd::new(types::Fd(fd), events as u32).build();
        self.push(tag, e);
    }
    /// A poll that stays armed and completes on every readiness event until cancelled.
    pub fn poll_multi(&mut self, fd: RawFd, events: i16, tag: u8) {
        let e = opcode::PollAdd::new(types::Fd(fd), events as u32)
            .multi(true)
            .build();
        self.push(tag, e);
    }
}

/// What a direction's step left it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Waiting for an operation.
    Pending,
    /// EOF passed on to the destination; nothing more to do.
    Done,
    /// The socket of this side failed.
    Abort(usize),
}

pub(super) enum Dirs {
    Splice([SpliceDir; 2]),
    RecvSend([RecvSendDir; 2]),
}

pub(super) struct Session {
    pub id: u64,
    pub fds: [OwnedFd; 2],
    pub shared: Arc<Shared>,
    pub meter: Meter,
    pub reply: Option<oneshot::Sender<Outcome>>,
    pub dirs: Dirs,
    pub inflight: u32,
    /// Set once the session is ending: in-flight operations are being cancelled.
    pub end: Option<End>,
    pub done: [bool; 2],
}

impl Session {
    /// Starts both directions.
    pub fn start(&mut self, ring: &mut Ring, slot: u32) {
        for d in 0..2 {
            self.step(ring, slot, d, None);
        }
    }

    /// Advances direction `d`, optionally with the completion `(tag, res, flags)` that woke it.
    pub fn step(&mut self, ring: &mut Ring, slot: u32, d: usize, cqe: Option<(u8, i32, u32)>) {
        if self.end.is_some() || self.done[d] {
            if let (Dirs::RecvSend(dirs), Some((tag, res, flags))) = (&mut self.dirs, cqe)
                && tag & 0xf0 == TAG_RECV
                && res > 0
            {
                dirs[d].reclaim(flags);
            }
            return;
        }
        let fds = [self.fds[0].as_raw_fd(), self.fds[1].as_raw_fd()];
        let mut ops = Ops {
            ring,
            slot,
            inflight: &mut self.inflight,
        };
        let step = match &mut self.dirs {
            Dirs::Splice(dirs) => {
                if let Some((tag, res, flags)) = cqe {
                    dirs[d].polled(tag, res, cqueue::more(flags));
                }
                dirs[d].pump(d, fds, &self.shared, &self.meter, &mut ops)
            }
            Dirs::RecvSend(dirs) => {
                dirs[d].on_event(d, fds, cqe, &self.shared, &self.meter, &mut ops)
            }
        };
        match step {
            Step::Pending => {}
            Step::Done => {
                self.done[d] = true;
                if self.done == [true, true] {
                    self.finish(ring, slot, End::Done);
                }
            }
            Step::Abort(CLIENT) => self.finish(ring, slot, End::ClientAbort),
            Step::Abort(_) => self.finish(ring, slot, End::ServerAbort),
        }
    }

    /// Ends the session: an abnormal end resets both sockets; operations still in flight are
    /// cancelled, and the session is released when the last one has completed.
    pub fn finish(&mut self, ring: &mut Ring, slot: u32, end: End) {
        if self.end.is_some() {
            return;
        }
        self.end = Some(end);
        if end != End::Done {
            for fd in &self.fds {
                let _ = socket2::SockRef::from(fd).set_linger(Some(Duration::ZERO));
            }
        }
        if self.inflight > 0 {
            let mut ops = Ops {
                ring,
                slot,
                inflight: &mut self.inflight,
            };
            for fd in [self.fds[0].as_raw_fd(), self.fds[1].as_raw_fd()] {
                let e = opcode::AsyncCancel2::new(types::CancelBuilder::fd(types::Fd(fd)).all())
                    .build();
                ops.push(TAG_CANCEL, e);
            }
        }
    }

    /// True once the session has ended and nothing of it is in flight.
    pub fn releasable(&self) -> bool {
        self.end.is_some() && self.inflight == 0
    }

    /// Closes everything and answers the control plane. Returns the buffer rings and the
    /// empty pipes to recycle.
    pub fn release(mut self) -> (Vec<BufRing>, Vec<Pipe>) {
        let transfer = Transfer {
            client_to_server: self.shared.bytes(0),
            server_to_client: self.shared.bytes(1),
            end: self.end.unwrap_or(End::Done),
        };
        let recycled = match self.dirs {
            Dirs::Splice(dirs) => (
                Vec::new(),
                dirs.into_iter().filter_map(SpliceDir::into_pipe).collect(),
            ),
            Dirs::RecvSend(dirs) => (
                dirs.into_iter().map(RecvSendDir::into_ring).collect(),
                Vec::new(),
            ),
        };
        drop(self.fds);
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Outcome::Finished(transfer));
        }
        recycled
    }
}
