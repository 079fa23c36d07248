//! Test helpers shared by the sockmap suites (`datapath_sockmap`, `datapath_sockmap_stress`):
//! the path as the tests load it (with the measurement knobs from the environment) and
//! forwarded pairs of real loopback sockets.
#![allow(dead_code)]

use crate::common;
use sockhop::datapath::{Meter, SessionIo, SockmapPath, Transfer};
use sockhop::state::Runtime;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const LONG: Duration = Duration::from_secs(120);

/// The path, or `None` (skip) when unavailable outside CI.
pub fn path() -> Option<SockmapPath> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    match SockmapPath::load() {
        // Measurements may vary the bound and the send buffers.
        Ok(mut p) => {
            if let Ok(c) = std::env::var("BENCH_CAP") {
                p = p.with_cap(c.parse().unwrap());
            }
            if std::env::var("BENCH_RESUME").is_ok() {
                p = p.with_resume_redirect(true);
            }
            // Shows the fault that cutting retransmitted heads off fixes.
            if std::env::var("BENCH_NO_TRIM").is_ok() {
                p = p.with_trim_retransmits(false);
            }
            if let Ok(b) = std::env::var("BENCH_SNDBUF") {
                let b: usize = b.parse().unwrap();
                p = p.with_sndbuf((b > 0).then_some(b));
            }
            Some(p)
        }
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("sockmap data path unavailable under CI: {e}")
        }
        Err(e) => {
            eprintln!("SKIP: sockmap data path unavailable: {e}");
            None
        }
    }
}

pub fn session(rt: &Arc<Runtime>, timeout: Duration) -> SessionIo {
    let listen = Arc::clone(&rt.listens[0]);
    let server = Arc::clone(&listen.servers[0]);
    SessionIo {
        client_timeout: timeout,
        server_timeout: timeout,
        cancel: CancellationToken::new(),
        meter: Meter {
            runtime: Arc::clone(rt),
            listen,
            server,
        },
    }
}

/// One forwarded session: the test's client and server ends, and the forwarding task.
pub struct Pair {
    pub client: TcpStream,
    pub server: TcpStream,
    pub forward: JoinHandle<Transfer>,
    pub rt: Arc<Runtime>,
    pub cancel: CancellationToken,
}

/// Connected pairs on 127.0.0.x; `before` runs on the test's client end before the path
/// gets the sockets (e.g. send and close at once).
pub async fn pair_with<F, Fut>(path: &SockmapPath, timeout: Duration, before: F) -> Pair
where
    F: FnOnce(TcpStream) -> Fut,
    Fut: std::future::Future<Output = TcpStream>,
{
    let front = TcpListener::bind("127.0.0.3:0").await.unwrap();
    let back = TcpListener::bind("127.0.0.4:0").await.unwrap();
    let client = TcpStream::connect(front.local_addr().unwrap())
        .await
        .unwrap();
    let (proxy_client, _) = front.accept().await.unwrap();
    let proxy_server = TcpStream::connect(back.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = back.accept().await.unwrap();
    let client = before(client).await;
    let rt = common::runtime();
    let io = session(&rt, timeout);
    let cancel = io.cancel.clone();
    let p = path.clone();
    let forward = tokio::spawn(async move { p.forward(proxy_client, proxy_server, &io).await });
    Pair {
        client,
        server,
        forward,
        rt,
        cancel,
    }
}

pub async fn pair(path: &SockmapPath) -> Pair {
    pair_with(path, LONG, |c| async { c }).await
}
