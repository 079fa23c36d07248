//! The sessions on one ring: start them, dispatch each completion to its session, end them
//! on request, and release them once nothing of theirs is in flight (recycling their pipes
//! and buffer rings).

use super::bufring::BufRing;
use super::local::{Mode, Start};
use super::recv_send::RecvSendDir;
use super::ring::{Cqe, Ring};
use super::session::{Dirs, Outcome, Session, TAG_CANCEL, split_user_data};
use super::splice::{Pipe, SpliceDir};
use crate::datapath::End;
use io_uring::cqueue;
use std::collections::HashMap;
use std::io;

/// Registered buffer rings kept for reuse when idle; beyond this they are unregistered.
const IDLE_RINGS: usize = 64;
/// Empty pipes kept for reuse (two per splice session); beyond this they are closed.
const IDLE_PIPES: usize = 128;

pub(super) struct Worker {
    ring: Ring,
    slots: Vec<Option<Box<Session>>>,
    free_slots: Vec<u32>,
    by_id: HashMap<u64, u32>,
    idle_rings: Vec<BufRing>,
    idle_pipes: Vec<Pipe>,
    next_bgid: u32,
    free_bgids: Vec<u16>,
    cqes: Vec<Cqe>,
}

impl Worker {
    pub fn new(ring: Ring) -> Worker {
        Worker {
            ring,
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_id: HashMap::new(),
            idle_rings: Vec::new(),
            idle_pipes: Vec::new(),
            next_bgid: 0,
            free_bgids: Vec::new(),
            cqes: Vec::with_capacity(256),
        }
    }

    /// Submits what the sessions queued, runs the completion work the kernel deferred, and
    /// handles every completion that is ready, until there is nothing left to submit or
    /// reap. Never waits. Completion work deferred after the last entry signals the ring's
    /// eventfd, so stopping without entering again loses nothing.
    pub fn pump(&mut self) {
        let mut enter = true;
        loop {
            if enter && let Err(e) = self.ring.submit_and_reap() {
                tracing::warn!("io_uring submit failed: {e}");
            }
            let mut batch = std::mem::take(&mut self.cqes);
            self.ring.drain(&mut batch);
            let reaped = !batch.is_empty();
            for (ud, res, flags) in batch.drain(..) {
                self.complete(ud, res, flags);
            }
            self.cqes = batch;
            enter = self.ring.queued() > 0;
            if !enter && !reaped {
                return;
            }
        }
    }

    /// Ends session `id` with `end` (nothing if it already ended).
    pub fn abort(&mut self, id: u64, end: End) {
        if let Some(&slot) = self.by_id.get(&id) {
            if let Some(s) = self.slots[slot as usize].as_mut() {
                s.finish(&mut self.ring, slot, end);
            }
            self.maybe_release(slot);
        }
    }

    /// Takes a session (or hands its sockets back, refused).
    pub fn start(&mut self, start: Start) {
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

impl Drop for Worker {
    fn drop(&mut self) {
        // The event loop ended with sessions still running (shutdown). Their buffers may
        // still be written by the kernel until it has torn the ring down, after this: leak
        // them rather than free memory the kernel may still use.
        for s in self.slots.drain(..).flatten() {
            if s.inflight > 0 {
                Box::leak(s);
            }
        }
    }
}
