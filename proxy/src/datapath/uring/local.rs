//! The ring of a session thread. Each thread that carries io_uring sessions owns one ring,
//! made on first use, and its single-threaded event loop drives it: the ring signals an
//! eventfd when completions are ready and a task on the loop handles them. A session is
//! started, carried and ended on the thread that accepted it, so no wakeup crosses threads
//! (a separate ring thread cost two context switches per connection more than HAProxy).

use super::ring::Ring;
use super::session::{Outcome, Shared};
use super::worker::Worker;
use crate::datapath::{End, Meter};
use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::runtime::{Handle, RuntimeFlavor};
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

/// One thread's ring and the sessions on it.
pub(super) struct LocalRing {
    /// Only ever locked on the owning thread (uncontended); the lock makes the driving task
    /// `Send`, as tokio's spawn requires even on a single-threaded loop.
    worker: Mutex<Worker>,
    /// False once the driving task is gone (its event loop ended): the ring is then unusable.
    driven: AtomicBool,
}

thread_local! {
    static LOCAL: RefCell<Option<Arc<LocalRing>>> = const { RefCell::new(None) };
}

impl LocalRing {
    /// This thread's ring, made (and its driver started on the current event loop) on first
    /// use; an error says why this thread cannot carry io_uring sessions.
    pub fn current() -> Result<Arc<LocalRing>, String> {
        let handle = Handle::try_current().map_err(|e| e.to_string())?;
        if handle.runtime_flavor() != RuntimeFlavor::CurrentThread {
            // A multi-threaded scheduler may move a session to another thread, and a
            // single-issuer ring only takes submissions from its own.
            return Err("io_uring sessions need a single-threaded event loop".into());
        }
        LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            if let Some(ring) = local.as_ref()
                && ring.driven.load(Relaxed)
            {
                return Ok(Arc::clone(ring));
            }
            let ring = LocalRing::start_on(&handle)
                .map_err(|e| format!("cannot set up this thread's io_uring: {e}"))?;
            *local = Some(Arc::clone(&ring));
            Ok(ring)
        })
    }

    fn start_on(handle: &Handle) -> std::io::Result<Arc<LocalRing>> {
        let ring = Ring::new()?;
        // SAFETY: eventfd returns a new descriptor (or -1) that we own.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let eventfd = unsafe { OwnedFd::from_raw_fd(fd) };
        ring.register_eventfd(eventfd.as_raw_fd())?;
        // SAFETY: the OwnedFd is a valid open descriptor that the AsyncFd owns from here on,
        // and as_raw_fd on it always returns that same descriptor.
        let signals = unsafe { AsyncFd::register_with_interest(eventfd, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        let local = Arc::new(LocalRing {
            worker: Mutex::new(Worker::new(ring)),
            driven: AtomicBool::new(true),
        });
        handle.spawn(drive(Arc::clone(&local), signals));
        Ok(local)
    }

    fn worker(&self) -> MutexGuard<'_, Worker> {
        self.worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts a session on the ring and submits its first operations.
    pub fn start(&self, start: Start) {
        let mut w = self.worker();
        w.start(start);
        w.pump();
    }

    /// Ends session `id` with `end` (nothing if it already ended).
    pub fn abort(&self, id: u64, end: End) {
        let mut w = self.worker();
        w.abort(id, end);
        w.pump();
    }
}

/// Marks the ring undriven when the driving task ends or is dropped with its event loop.
struct Undriven<'a>(&'a AtomicBool);

impl Drop for Undriven<'_> {
    fn drop(&mut self) {
        self.0.store(false, Relaxed);
    }
}

/// Handles the ring's completions whenever it signals its eventfd.
async fn drive(local: Arc<LocalRing>, signals: AsyncFd<OwnedFd>) {
    let _undriven = Undriven(&local.driven);
    loop {
        let mut ready = match signals.readable().await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("io_uring: cannot watch this thread's ring any more: {e}");
                return;
            }
        };
        // Cleared before the ring is read: a signal that arrives meanwhile wakes us again.
        // The eventfd's count is never read back: the event loop watches it edge-triggered,
        // and every signal is an edge whatever the count (one read syscall saved per wakeup).
        ready.clear_ready();
        local.worker().pump();
    }
}
