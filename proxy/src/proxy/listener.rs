//! Listening sockets and the accept loop.
//!
//! `maxconn`: an accept loop takes one connection, then waits for a slot of its listen
//! (`maxconn`) and of the process (`[global] maxconn`) before it starts that session and
//! accepts the next one. While full, that one client waits unserved and the others wait in
//! the kernel's backlog; no loop holds a slot while it waits for a client, so a full listen
//! never starves another listen of global slots.

use super::session;
use crate::datapath::DataPath;
use crate::state::{ListenState, Runtime};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// A listen's bound sockets, ready to serve on one or more session threads.
#[derive(Debug)]
pub struct Bound {
    pub listen: Arc<ListenState>,
    /// One listening socket per bind address (non-blocking, not yet on an event loop).
    pub sockets: Vec<std::net::TcpListener>,
    /// The listen's connection slots (`maxconn`), shared by every thread serving it.
    slots: Arc<Semaphore>,
}

/// Binds every address of `listen` (SO_REUSEADDR, backlog 1024).
pub fn bind_listen(listen: Arc<ListenState>) -> Result<Bound, (SocketAddr, io::Error)> {
    let mut sockets = Vec::new();
    for &addr in &listen.config.binds {
        let bind = || -> io::Result<std::net::TcpListener> {
            let s = socket2::Socket::new(
                socket2::Domain::for_address(addr),
                socket2::Type::STREAM,
                None,
            )?;
            s.set_nonblocking(true)?;
            s.set_reuse_address(true)?;
            s.bind(&addr.into())?;
            s.listen(1024)?;
            Ok(s.into())
        };
        sockets.push(bind().map_err(|e| (addr, e))?);
    }
    let slots = Arc::new(Semaphore::new(listen.config.maxconn as usize));
    Ok(Bound {
        listen,
        sockets,
        slots,
    })
}

impl Bound {
    /// Another handle on the same sockets and slots, for one more session thread: every
    /// thread registers its own duplicate of each listening socket, and whichever is free
    /// first accepts a pending connection.
    pub fn try_clone(&self) -> io::Result<Bound> {
        Ok(Bound {
            listen: Arc::clone(&self.listen),
            sockets: self
                .sockets
                .iter()
                .map(|s| s.try_clone())
                .collect::<io::Result<_>>()?,
            slots: Arc::clone(&self.slots),
        })
    }

    /// Spawns the accept loops of this listen on the current event loop; sessions accepted
    /// there run there too.
    pub fn serve(self, rt: Arc<Runtime>, path: DataPath, shutdown: CancellationToken) {
        for sock in self.sockets {
            let sock = match TcpListener::from_std(sock) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(
                        "Proxy {}: cannot watch a listening socket: {e}",
                        self.listen.name()
                    );
                    continue;
                }
            };
            let rt = Arc::clone(&rt);
            let listen = Arc::clone(&self.listen);
            let slots = Arc::clone(&self.slots);
            let path = path.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = accept_loop(rt, listen, sock, slots, path) => {}
                    _ = shutdown.cancelled() => {}
                }
            });
        }
    }
}

async fn accept_loop(
    rt: Arc<Runtime>,
    listen: Arc<ListenState>,
    sock: TcpListener,
    slots: Arc<Semaphore>,
    path: DataPath,
) {
    loop {
        let (client, peer) = match sock.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::error!("Proxy {}: accept failed: {e}", listen.name());
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        // The listen's slot first: a client waiting for its full listen holds no global slot.
        let Ok(local) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Ok(global) = Arc::clone(&rt.conn_slots).acquire_owned().await else {
            return;
        };
        let rt = Arc::clone(&rt);
        let listen = Arc::clone(&listen);
        let path = path.clone();
        tokio::spawn(async move {
            session::run(rt, listen, client, peer, path).await;
            drop((global, local));
        });
    }
}
