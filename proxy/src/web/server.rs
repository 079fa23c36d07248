//! The HTTP server: accepting with a bound on concurrent connections, per-request timeouts,
//! and routing (`/` page, `/metrics`, `POST /action`), each behind Basic authentication.

use super::actions::{self, ActionError};
use super::auth::{self, CsrfToken, Login};
use super::http::{self, Request, Response};
use super::{WebError, metrics, page};
use crate::config::{Web, WebLevel};
use crate::state::Runtime;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Most connections served at once; more get `503` at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Time allowed to send a whole request, and to take the whole response.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long and how much a closing connection keeps reading (see `linger`).
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 * 1024;

/// Security headers of every HTML page: no script, no framing, forms post to this origin.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A running web server.
#[derive(Debug)]
pub struct WebServer {
    /// The bound address (useful when `bind` had port 0).
    pub local_addr: SocketAddr,
    pub task: JoinHandle<()>,
}

struct Shared {
    rt: Arc<Runtime>,
    web: Web,
    token: CsrfToken,
    slots: Arc<Semaphore>,
    /// The result of each user's last action, shown once on their next page.
    notices: Mutex<HashMap<String, String>>,
}

/// Binds `web.bind` and serves until `shutdown`.
pub async fn serve(
    rt: Arc<Runtime>,
    web: Web,
    shutdown: CancellationToken,
) -> Result<WebServer, WebError> {
    let listener = TcpListener::bind(web.bind)
        .await
        .map_err(|source| WebError::Bind {
            addr: web.bind,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| WebError::Bind {
        addr: web.bind,
        source,
    })?;
    let shared = Arc::new(Shared {
        rt,
        token: CsrfToken::generate().map_err(WebError::Random)?,
        web,
        slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        notices: Mutex::new(HashMap::new()),
    });
    tracing::info!("Web status page on http://{local_addr}/ (metrics on /metrics).");
    let task = tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("web: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let shared = Arc::clone(&shared);
            let stop = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = stop.cancelled() => {}
                    _ = connection(shared, stream, peer) => {}
                }
            });
        }
    });
    Ok(WebServer { local_addr, task })
}

async fn connection(shared: Arc<Shared>, mut stream: TcpStream, peer: SocketAddr) {
    let Ok(_slot) = Arc::clone(&shared.slots).try_acquire_owned() else {
        let busy = Response::text(503, "Too many connections, try again.\n");
        let _ = tokio::time::timeout(IO_TIMEOUT, busy.write(&mut stream, false)).await;
        linger(&mut stream).await;
        return;
    };
    let (response, head_only) =
        match tokio::time::timeout(IO_TIMEOUT, http::read_request(&mut stream)).await {
            Err(_) => (Response::text(408, "Request Timeout\n"), false),
            Ok(Err(e)) => match e.response() {
                Some(r) => {
                    tracing::debug!("web: {peer}: {e}");
                    (r, false)
                }
                None => return,
            },
            Ok(Ok(req)) => (route(&shared, &req), req.method == "HEAD"),
        };
    let _ = tokio::time::timeout(IO_TIMEOUT, response.write(&mut stream, head_only)).await;
    linger(&mut stream).await;
}

/// Closes gracefully: FIN first, then reads what the client still sends for a moment, so a
/// client that is still writing (a refused oversized request) gets the answer instead of a
/// reset that would discard it.
async fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut buf = [0u8; 4096];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

fn route(shared: &Shared, req: &Request) -> Response {
    let allowed: &[&str] = match req.path.as_str() {
        "/" | "/metrics" => &["GET", "HEAD"],
        "/action" => &["POST"],
        _ => return Response::text(404, "Not Found\n"),
    };
    if !allowed.contains(&req.method.as_str()) {
        return Response::text(405, "Method Not Allowed\n").with("Allow", allowed.join(", "));
    }
    let Some(login) = auth::authenticate(req, &shared.web.users) else {
        return auth::challenge();
    };
    match req.path.as_str() {
        "/" => status_page(shared, &login),
        "/metrics" => Response::new(200, metrics::CONTENT_TYPE, metrics::render(&shared.rt)),
        _ => action(shared, &login, req),
    }
}

fn status_page(shared: &Shared, login: &Login) -> Response {
    let notice = shared.notices.lock().unwrap().remove(&login.name);
    let ctx = page::PageContext {
        login,
        token: &shared.token,
        refresh: shared.web.refresh,
        notice,
    };
    Response::html(page::render(&shared.rt, &ctx))
        .with("Content-Security-Policy", CSP)
        .with("X-Frame-Options", "DENY")
        .with("Referrer-Policy", "same-origin")
}

fn action(shared: &Shared, login: &Login, req: &Request) -> Response {
    if login.level != WebLevel::Admin {
        return Response::text(
            403,
            "Forbidden: this account has level \"user\"; actions need level \"admin\".\n",
        );
    }
    match actions::apply(&shared.rt, &shared.token, req) {
        Ok(msg) => {
            tracing::warn!("web: user '{}': {msg}", login.name);
            shared
                .notices
                .lock()
                .unwrap()
                .insert(login.name.clone(), msg);
            Response::see_other("/")
        }
        Err(e) => refused(&e),
    }
}

fn refused(e: &ActionError) -> Response {
    Response::text(e.status(), format!("{e}\n"))
}
