//! Session threads for code that drives a data path directly (integration tests, the
//! `datapath_bench` example): a fixed set of long-lived threads, each with a single-threaded
//! event loop, as the daemon runs its sessions (see `proxy/threads.rs`). The io_uring paths
//! need this: they carry a session on the ring of the thread whose event loop runs it, and
//! a ring outlives its sessions (its pipes and buffer rings are reused by the next ones).

use super::{DataPath, SessionIo, Transfer};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// How many threads carry directly driven sessions (as `nbthread = 2`).
const THREADS: usize = 2;

fn loops() -> &'static [Handle] {
    static LOOPS: OnceLock<Vec<Handle>> = OnceLock::new();
    LOOPS.get_or_init(|| {
        (0..THREADS)
            .map(|i| {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::Builder::new()
                    .name(format!("session-{i}"))
                    .spawn(move || {
                        let event_loop = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("a single-threaded event loop can be built");
                        let _ = tx.send(event_loop.handle().clone());
                        event_loop.block_on(std::future::pending::<()>());
                    })
                    .expect("a session thread can be started");
                rx.recv()
                    .expect("the session thread reports its event loop")
            })
            .collect()
    })
}

/// Runs `path.forward(client, server, io)` on the next session thread (round robin). The
/// sockets may come from any event loop; the handle can be awaited from any.
pub fn spawn_forward(
    path: DataPath,
    client: TcpStream,
    server: TcpStream,
    io: SessionIo,
) -> std::io::Result<JoinHandle<Transfer>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // Moved between event loops as plain sockets: each loop registers its own.
    let (client, server) = (client.into_std()?, server.into_std()?);
    let event_loop = &loops()[NEXT.fetch_add(1, Relaxed) % THREADS];
    Ok(event_loop.spawn(async move {
        match (TcpStream::from_std(client), TcpStream::from_std(server)) {
            (Ok(client), Ok(server)) => path.forward(client, server, &io).await,
            _ => Transfer {
                client_to_server: 0,
                server_to_client: 0,
                end: super::End::ClientAbort,
            },
        }
    }))
}
