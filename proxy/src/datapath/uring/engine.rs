//! The ring workers: a fixed pool of threads, each owning one io_uring that carries many
//! sessions. The control plane hands a session over with [`Engine::start`] (the sockets'
//! descriptors move to the worker, which closes them at the end) and may ask for its end with
//! [`Engine::abort`]; every command is a channel message plus an eventfd write that the
//! worker's ring watches with a multishot poll.

use super::ring::{Ring, RingFlavor};
use super::session::{Outcome, Shared};
use super::worker;
use crate::datapath::{End, Meter};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, mpsc};
use tokio::sync::oneshot;

/// How a session's bytes move on its ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Splice,
    RecvSend,
}

pub(super) struct Start {
    pub id: u64,
    pub fds: [OwnedFd; 2],
    pub mode: Mode,
    pub shared: Arc<Shared>,
    pub meter: Meter,
    pub reply: oneshot::Sender<Outcome>,
}

pub(super) enum Command {
    Start(Box<Start>),
    Abort(u64, End),
}

struct WorkerHandle {
    tx: mpsc::Sender<Command>,
    wake: Arc<OwnedFd>,
}

pub(super) struct Engine {
    workers: Vec<WorkerHandle>,
    next: AtomicUsize,
    pub flavor: RingFlavor,
}

/// Which worker carries a session.
#[derive(Debug, Clone, Copy)]
pub(super) struct WorkerId(usize);

impl Engine {
    /// The process-wide engine, started on first use (one worker per CPU, at most 4).
    pub fn global() -> Result<&'static Engine, String> {
        static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
        ENGINE
            .get_or_init(|| {
                let n = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
                Engine::spawn(n).map_err(|e| format!("cannot start io_uring workers: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn spawn(n: usize) -> io::Result<Engine> {
        let mut workers = Vec::with_capacity(n);
        let mut flavor = RingFlavor::Plain;
        for i in 0..n {
            // SAFETY: eventfd returns a new descriptor (or -1) that we own.
            let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let wake = Arc::new(unsafe { OwnedFd::from_raw_fd(fd) });
            let (tx, rx) = mpsc::channel();
            let (ready_tx, ready_rx) = mpsc::sync_channel(1);
            let worker_wake = wake.clone();
            std::thread::Builder::new()
                .name(format!("sockhop-uring-{i}"))
                .spawn(move || match Ring::new() {
                    Ok(ring) => {
                        // Started before the main thread drops its privileges: drop them
                        // here, the ring needs none once set up.
                        crate::privileges::drop_current_thread_or_log();
                        let _ = ready_tx.send(Ok(ring.flavor));
                        worker::run(ring, rx, worker_wake);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                })?;
            flavor = ready_rx
                .recv()
                .map_err(|_| io::Error::other("io_uring worker died at start"))??;
            workers.push(WorkerHandle { tx, wake });
        }
        tracing::info!("io_uring: {n} ring worker(s), setup {}.", flavor.as_str());
        Ok(Engine {
            workers,
            next: AtomicUsize::new(0),
            flavor,
        })
    }

    /// Hands a session to the next worker (round robin).
    pub fn start(&self, start: Start) -> WorkerId {
        let w = self.next.fetch_add(1, Relaxed) % self.workers.len();
        self.send(w, Command::Start(Box::new(start)));
        WorkerId(w)
    }

    /// Asks the worker to end session `id` with `end` (ignored if it already ended).
    pub fn abort(&self, worker: WorkerId, id: u64, end: End) {
        self.send(worker.0, Command::Abort(id, end));
    }

    fn send(&self, w: usize, cmd: Command) {
        let h = &self.workers[w];
        if h.tx.send(cmd).is_ok() {
            let one: u64 = 1;
            // SAFETY: 8-byte write to an eventfd we own.
            unsafe { libc::write(h.wake.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }
}
