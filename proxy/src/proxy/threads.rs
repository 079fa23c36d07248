//! Session threads: HAProxy's threading model (`[global] nbthread`).
//!
//! Each thread runs its own single-threaded event loop and registers its own duplicate of
//! every listening socket. A connection is accepted, connected, proxied and closed on the
//! thread that accepted it: no wakeup crosses threads on the per-byte path and no work
//! stealing runs, which a shared multi-threaded scheduler pays for on every small message.
//! Whichever thread is free first accepts a pending connection, so a busy thread takes fewer.
//!
//! Each thread drops every privilege before it serves anything. Health checks, the stats
//! socket and the web page stay on the main thread's event loop.

use super::Bound;
use crate::datapath::DataPath;
use crate::privileges;
use crate::state::Runtime;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The running session threads.
#[derive(Debug)]
pub struct SessionThreads {
    threads: Vec<JoinHandle<()>>,
}

impl SessionThreads {
    /// Starts `count` threads, each serving every listen of `bound` until `shutdown`.
    pub fn start(
        rt: &Arc<Runtime>,
        bound: Vec<(Bound, DataPath)>,
        count: usize,
        shutdown: &CancellationToken,
    ) -> io::Result<SessionThreads> {
        let count = count.max(1);
        let mut per_thread: Vec<Vec<(Bound, DataPath)>> = (0..count).map(|_| Vec::new()).collect();
        for (b, path) in bound {
            for mine in per_thread.iter_mut().skip(1) {
                mine.push((b.try_clone()?, path.clone()));
            }
            per_thread[0].push((b, path));
        }
        let mut threads = Vec::with_capacity(count);
        for (i, mine) in per_thread.into_iter().enumerate() {
            let event_loop = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.add_session_loop(event_loop.handle().clone());
            let rt = Arc::clone(rt);
            let shutdown = shutdown.clone();
            let thread = std::thread::Builder::new()
                .name(format!("sockhop-s{i}"))
                .spawn(move || {
                    privileges::drop_current_thread_or_log();
                    event_loop.block_on(async move {
                        for (b, path) in mine {
                            b.serve(Arc::clone(&rt), path, shutdown.clone());
                        }
                        shutdown.cancelled().await;
                    });
                    // Dropping the event loop ends the sessions still running on it.
                })?;
            threads.push(thread);
        }
        Ok(SessionThreads { threads })
    }

    /// Waits for every thread to end (after `shutdown` was cancelled).
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}
