//! One io_uring instance, owned by one worker thread: setup with the cheapest task-work mode the
//! kernel accepts, pushing submissions, waiting, and draining completions.

use io_uring::{IoUring, squeue};
use std::io;

/// Completion as copied out of the queue: (user_data, result, flags).
pub(super) type Cqe = (u64, i32, u32);

/// How the ring was set up, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingFlavor {
    /// IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: completions run only when the
    /// worker asks for them, no inter-processor interrupts.
    DeferTaskrun,
    /// IORING_SETUP_COOP_TASKRUN: no forced interrupts, task work at the next kernel entry.
    CoopTaskrun,
    /// No setup flags.
    Plain,
}

impl RingFlavor {
    pub fn as_str(self) -> &'static str {
        match self {
            RingFlavor::DeferTaskrun => "single_issuer+defer_taskrun",
            RingFlavor::CoopTaskrun => "coop_taskrun",
            RingFlavor::Plain => "plain",
        }
    }
}

/// Applies a flavor's setup flags to a ring builder.
type Configure = fn(&mut io_uring::Builder);

pub(super) struct Ring {
    ring: IoUring,
    pub flavor: RingFlavor,
}

const SQ_ENTRIES: u32 = 1024;
const CQ_ENTRIES: u32 = 8192;

impl Ring {
    /// Creates a ring on the calling thread (single-issuer rings belong to their creator).
    pub fn new() -> io::Result<Ring> {
        let attempts: [(RingFlavor, Configure); 3] = [
            (RingFlavor::DeferTaskrun, |b| {
                b.setup_single_issuer().setup_defer_taskrun();
            }),
            (RingFlavor::CoopTaskrun, |b| {
                b.setup_coop_taskrun();
            }),
            (RingFlavor::Plain, |_| {}),
        ];
        let mut last = None;
        for (flavor, configure) in attempts {
            let mut builder = IoUring::builder();
            builder.setup_cqsize(CQ_ENTRIES);
            configure(&mut builder);
            match builder.build(SQ_ENTRIES) {
                Ok(ring) => return Ok(Ring { ring, flavor }),
                // EINVAL: flags unknown to this kernel; try the next flavor.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL)))
    }

    pub fn submitter(&self) -> io_uring::Submitter<'_> {
        self.ring.submitter()
    }

    /// Queues `entry`, flushing the submission queue to the kernel first if it is full.
    pub fn push(&mut self, entry: &squeue::Entry) {
        loop {
            // SAFETY: every buffer an entry points to is owned by a session that stays alive
            // (boxed, not moved) until the entry's last completion has been reaped.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return;
            }
            if let Err(e) = self.ring.submit() {
                tracing::warn!("io_uring submit failed: {e}");
            }
        }
    }

    /// Submits what is queued and sleeps until at least one completion is ready.
    pub fn submit_and_wait(&mut self) -> io::Result<()> {
        match self.ring.submit_and_wait(1) {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Moves every ready completion into `out`.
    pub fn drain(&mut self, out: &mut Vec<Cqe>) {
        let mut cq = self.ring.completion();
        cq.sync();
        out.extend(cq.map(|c| (c.user_data(), c.result(), c.flags())));
    }
}
