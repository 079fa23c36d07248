//! The loop of one ring worker thread: submit, wait, dispatch each completion to its session,
//! take new sessions and aborts from the control plane, release sessions that have ended.

use super::bufring::BufRing;
use super::engine::{Command, Mode, Start};
use super::recv_send::RecvSendDir;
use super::ring::{Cqe, Ring};
use super::session::{Dirs, Outcome, Session, TAG_CANCEL, split_user_data};
use super::splice::{Pipe, SpliceDir};
use io_uring::{cqueue, opcode, types};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, mpsc};

/// user_data of the eventfd poll that wakes the worker for commands.
const WAKE: u64 = u64::MAX;
/// Registered buffer rings kept for reuse when idle; beyond this they are unregistered.
const IDLE_RINGS: usize = 64;
/// Empty pipes kept for reuse (two per splice session); beyond this they are closed.
const IDLE_PIPES: usize = 128;

struct Worker {
    ring: Ring,
    slots: Vec<Option<Box<Session>>>,
    free_slots: Vec<u32>,
    by_id: HashMap<u64, u32>,
    idle_rings: Vec<BufRing>,
    idle_pipes: Vec<Pipe>,
    next_bgid: u32,
    free_bgids: Vec<u16>,
}

pub(super) fn run(ring: Ring, rx: mpsc::Receiver<Command>, wake: Arc<OwnedFd>) {
    let mut w = Worker {
        ring,
        slots: Vec::new(),
        free_slots: Vec::new(),
        by_id: HashMap::new(),
        idle_rings: Vec::new(),
        idle_pipes: Vec::new(),
        next_bgid: 0,
        free_bgids: Vec::new(),
    };
    w.arm_wake(&wake);
    let mut cqes: Vec<Cqe> = Vec::with_capacity(256);
    loop {
        if let Err(e) = w.ring.submit_and_wait() {
            tracing::error!("io_uring worker stops: {e}");
            return;
        }
        w.ring.drain(&mut cqes);
        for (ud, res, flags) in cqes.drain(..) {
            if ud == WAKE {
                if !cqueue::more(flags) {
                    w.arm_wake(&wake);
                }
                let mut counter = [0u8; 8];
                // SAFETY: 8-byte read from our non-blocking eventfd.
                unsafe { libc::read(wake.as_raw_fd(), counter.as_mut_ptr().cast(), 8) };
                loop {
                    match rx.try_recv() {
                        Ok(cmd) => w.command(cmd),
                        Err(mpsc::TryRecvError::Empty) => break,
                        // The engine is gone: nothing can hand us sessions any more.
                        Err(mpsc::TryRecvError::Disconnected) => return,
                    }
                }
            } else {
                w.complete(ud, res, flags);
            }
        }
    }
}

impl Worker {
    fn arm_wake(&mut self, wake: &OwnedFd) {
        let e = opcode::PollAdd::new(types::Fd(wake.as_raw_fd()), libc::POLLIN as u32)
            .multi(true)
            .build()
            .user_data(WAKE);
        self.ring.push(&e);
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Start(start) => self.start(*start),
            Command::Abort(id, end) => {
                if let Some(&slot) = self.by_id.get(&id) {
                    if let Some(s) = self.slots[slot as usize].as_mut() {
                        s.finish(&mut self.ring, slot, end);
                    }
                    self.maybe_release(slot);
                }
            }
        }
    }

    fn start(&mut self, start: Start) {
        let dirs = match self.dirs(start.mode) {
            Ok(dirs) => dirs,
            Err(e) => {
                let _ = start.reply.send(Outcome::Refused(start.fds, e));
                return;
            }
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let mut session = Box::new(Session {
            id: start.id,
            fds: start.fds,
            shared: start.shared,
            meter: start.meter,
            reply: Some(start.reply),
            dirs,
            inflight: 0,
            end: None,
            done: [false, false],
        });
        session.start(&mut self.ring, slot);
        self.by_id.insert(session.id, slot);
        self.slots[slot as usize] = Some(session);
        self.maybe_release(slot);
    }

    fn dirs(&mut self, mode: Mode) -> io::Result<Dirs> {
        Ok(match mode {
            Mode::Splice => {
                let [a, b] = self.two(Self::pipe, |w, p| w.idle_pipes.push(p))?;
                Dirs::Splice([SpliceDir::new(a), SpliceDir::new(b)])
            }
            Mode::RecvSend => {
                let [a, b] = self.two(Self::buf_ring, |w, r| w.idle_rings.push(r))?;
                Dirs::RecvSend([RecvSendDir::new(a), RecvSendDir::new(b)])
            }
        })
    }

    /// Two of a per-direction resource; when the second cannot be had, the first goes back.
    fn two<T>(
        &mut self,
        take: fn(&mut Self) -> io::Result<T>,
        give_back: fn(&mut Self, T),
    ) -> io::Result<[T; 2]> {
        let a = take(self)?;
        match take(self) {
            Ok(b) => Ok([a, b]),
            Err(e) => {
                give_back(self, a);
                Err(e)
            }
        }
    }

    fn pipe(&mut self) -> io::Result<Pipe> {
        match self.idle_pipes.pop() {
            Some(p) => Ok(p),
            None => Pipe::new(),
        }
    }

    fn buf_ring(&mut self) -> io::Result<BufRing> {
        if let Some(r) = self.idle_rings.pop() {
            return Ok(r);
        }
        let bgid = match self.free_bgids.pop() {
            Some(b) => b,
            None if self.next_bgid <= u32::from(u16::MAX) => {
                self.next_bgid += 1;
                (self.next_bgid - 1) as u16
            }
            None => return Err(io::Error::other("no buffer group id left on this ring")),
        };
        BufRing::register(&self.ring.submitter(), bgid).inspect_err(|_| self.free_bgids.push(bgid))
    }

    fn complete(&mut self, ud: u64, res: i32, flags: u32) {
        let (slot, tag) = split_user_data(ud);
        let Some(s) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else {
            return;
        };
        // A multishot operation stays in flight while the kernel says more will come.
        if !cqueue::more(flags) {
            s.inflight -= 1;
        }
        if tag != TAG_CANCEL {
            let d = usize::from(tag & 1);
            s.step(&mut self.ring, slot, d, Some((tag, res, flags)));
        }
        self.maybe_release(slot);
    }

    fn maybe_release(&mut self, slot: u32) {
        let Some(s) = self.slots[slot as usize].as_ref() else {
            return;
        };
        if !s.releasable() {
            return;
        }
        let s = self.slots[slot as usize].take().expect("checked above");
        self.by_id.remove(&s.id);
        self.free_slots.push(slot);
        let (rings, pipes) = (*s).release();
        for p in pipes {
            if self.idle_pipes.len() < IDLE_PIPES {
                self.idle_pipes.push(p);
            }
        }
        for r in rings {
            if self.idle_rings.len() < IDLE_RINGS {
                self.idle_rings.push(r);
            } else {
                let bgid = r.bgid;
                r.unregister(&self.ring.submitter());
                self.free_bgids.push(bgid);
            }
        }
    }
}
