//! Listening sockets and the accept loop.
//!
//! `maxconn` is enforced before `accept()`: while the process (`[global] maxconn`) or the
//! listen (`maxconn`) is full, the loop stops accepting and pending clients wait in the
//! kernel's backlog; it resumes as soon as a session ends.

use super::session;
use crate::datapath::DataPath;
use crate::state::{ListenState, Runtime};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// A listen's bound sockets, ready to serve.
#[derive(Debug)]
pub struct Bound {
    pub listen: Arc<ListenState>,
    pub sockets: Vec<TcpListener>,
}

/// Binds every address of `listen` (SO_REUSEADDR, backlog 1024).
pub fn bind_listen(listen: Arc<ListenState>) -> Result<Bound, (SocketAddr, io::Error)> {
    let mut sockets = Vec::new();
    for &addr in &listen.config.binds {
        let bind = || -> io::Result<TcpListener> {
            let s = if addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            s.set_reuseaddr(true)?;
            s.bind(addr)?;
            s.listen(1024)
        };
        sockets.push(bind().map_err(|e| (addr, e))?);
    }
    Ok(Bound { listen, sockets })
}

impl Bound {
    /// Spawns the accept loops of this listen.
    pub fn serve(self, rt: Arc<Runtime>, path: DataPath, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.listen.config.maxconn as usize));
        for sock in self.sockets {
            let rt = Arc::clone(&rt);
            let listen = Arc::clone(&self.listen);
            let slots = Arc::clone(&slots);
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
        let Ok(global) = Arc::clone(&rt.conn_slots).acquire_owned().await else {
            return;
        };
        let Ok(local) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (client, peer) = match sock.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::error!("Proxy {}: accept failed: {e}", listen.name());
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
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
