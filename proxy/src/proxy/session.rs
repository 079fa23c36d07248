//! One client session: choose a server, connect (retrying and redispatching), forward,
//! account.
//!
//! Connect failures: each failed attempt counts `econ` on the server; the next attempt goes
//! to another usable server not tried yet (a redispatch, `wredis`), so a client is refused
//! only when no server can take it. When every usable server has been tried, the remaining
//! `retries` go to servers again after HAProxy's 1 s retry delay (`wretr`).

use super::connect::connect;
use crate::datapath::{DataPath, End, Meter, SessionIo};
use crate::state::{ListenState, Runtime, ServerState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const RETRY_DELAY: Duration = Duration::from_secs(1);

pub async fn run(
    rt: Arc<Runtime>,
    listen: Arc<ListenState>,
    client: TcpStream,
    peer: SocketAddr,
    path: DataPath,
) {
    let started = tokio::time::Instant::now();
    let id = rt.open_session(listen.id, peer);
    rt.global.session_start();
    listen.frontend.session_start();
    if let Some((server, conn)) = establish(&rt, &listen, id).await {
        let connect_ms = started.elapsed().as_millis() as u64;
        server.counters.connected_after(connect_ms);
        listen.backend.connected_after(connect_ms);
        carry(&rt, &listen, &server, id, client, conn, &path).await;
        let total_ms = started.elapsed().as_millis() as u64;
        server.counters.session_lasted(total_ms);
        listen.backend.session_lasted(total_ms);
    } else {
        tracing::warn!(
            "Proxy {}: no server could take the connection from {peer}; closing it.",
            listen.name()
        );
    }
    listen.frontend.session_end();
    rt.global.session_end();
    rt.close_session(id);
}

/// Picks servers and connects until one accepts or no attempt is left.
async fn establish(
    rt: &Runtime,
    listen: &ListenState,
    id: u64,
) -> Option<(Arc<ServerState>, TcpStream)> {
    let timeout = listen.config.timeouts.connect;
    let mut tried: Vec<u32> = Vec::new();
    let mut retries_left = listen.config.retries;
    let mut previous: Option<u32> = None;
    loop {
        let server = match listen.pick(&tried) {
            Some(s) => s,
            None if retries_left > 0 && !tried.is_empty() => {
                // Everything usable was tried: retry from the start after the delay.
                retries_left -= 1;
                tried.clear();
                tokio::time::sleep(RETRY_DELAY).await;
                let s = listen.pick(&tried)?;
                s.counters.retries.fetch_add(1, Relaxed);
                listen.backend.retries.fetch_add(1, Relaxed);
                s
            }
            None => return None,
        };
        if let Some(prev) = previous
            && prev != server.id
        {
            server.counters.redispatches.fetch_add(1, Relaxed);
            listen.backend.redispatches.fetch_add(1, Relaxed);
        }
        server.counters.connects.fetch_add(1, Relaxed);
        listen.backend.connects.fetch_add(1, Relaxed);
        match connect(server.config.address, server.config.source, timeout).await {
            Ok(conn) => {
                rt.session_assigned(id, server.id);
                return Some((server, conn));
            }
            Err(e) => {
                server.counters.conn_errors.fetch_add(1, Relaxed);
                listen.backend.conn_errors.fetch_add(1, Relaxed);
                tracing::info!(
                    "Proxy {}: connect to {}/{} ({}) failed: {e}",
                    listen.name(),
                    listen.name(),
                    server.name(),
                    server.config.address
                );
                tried.push(server.id);
                previous = Some(server.id);
            }
        }
    }
}

/// Forwards an established pair and accounts for how it ended.
async fn carry(
    rt: &Arc<Runtime>,
    listen: &Arc<ListenState>,
    server: &Arc<ServerState>,
    id: u64,
    client: TcpStream,
    conn: TcpStream,
    path: &DataPath,
) {
    server.counters.session_start();
    listen.backend.session_start();
    let cancel = CancellationToken::new();
    server.register_session(id, cancel.clone());
    let io = SessionIo {
        client_timeout: listen.config.timeouts.client,
        server_timeout: listen.config.timeouts.server,
        cancel,
        meter: Meter {
            runtime: Arc::clone(rt),
            listen: Arc::clone(listen),
            server: Arc::clone(server),
        },
    };
    let t = path.forward(client, conn, &io).await;
    match t.end {
        End::ClientAbort | End::ClientTimeout => {
            server.counters.cli_aborts.fetch_add(1, Relaxed);
            listen.backend.cli_aborts.fetch_add(1, Relaxed);
        }
        End::ServerAbort | End::ServerTimeout => {
            server.counters.srv_aborts.fetch_add(1, Relaxed);
            listen.backend.srv_aborts.fetch_add(1, Relaxed);
            if t.end == End::ServerAbort {
                server.counters.resp_errors.fetch_add(1, Relaxed);
                listen.backend.resp_errors.fetch_add(1, Relaxed);
            }
        }
        End::Done | End::Killed => {}
    }
    tracing::debug!(
        "Proxy {}: session {id} on {} ended ({:?}): {} bytes in, {} bytes out.",
        listen.name(),
        server.name(),
        t.end,
        t.client_to_server,
        t.server_to_client
    );
    server.unregister_session(id);
    server.counters.session_end();
    listen.backend.session_end();
}
