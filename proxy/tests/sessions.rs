//! The session control plane on real loopback sockets: redispatch on refused connects,
//! refusing only when no server can take a client, and `maxconn` gating `accept()`.

mod common;

use sockhop::config::DataPathChoice;
use sockhop::datapath::DataPath;
use sockhop::proxy::bind_listen;
use sockhop::state::Runtime;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const LIMIT: Duration = Duration::from_secs(20);

/// An address nothing listens on (connects are refused).
async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// An echo server that answers every connection with `tag` and then echoes.
async fn echo(tag: &'static [u8]) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                s.write_all(tag).await.ok();
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Starts serving `cfg`'s only listen; returns the runtime and the bound address.
fn start(cfg: sockhop::config::Config, stop: &CancellationToken) -> (Arc<Runtime>, SocketAddr) {
    let rt = Arc::new(Runtime::new(cfg));
    let bound = bind_listen(Arc::clone(&rt.listens[0])).unwrap();
    let addr = bound.sockets[0].local_addr().unwrap();
    let path = DataPath::select(DataPathChoice::Copy, "L").unwrap();
    bound.serve(Arc::clone(&rt), path, stop.clone());
    (rt, addr)
}

async fn greeting(addr: SocketAddr) -> Vec<u8> {
    let mut c = TcpStream::connect(addr).await.unwrap();
    let mut tag = [0u8; 1];
    tokio::time::timeout(LIMIT, c.read_exact(&mut tag))
        .await
        .unwrap()
        .unwrap();
    tag.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connect_redispatches_to_the_backup() {
    let stop = CancellationToken::new();
    let dead = closed_port().await;
    let backup = echo(b"S").await;
    let l = common::listen(
        ([127, 0, 0, 1], 0).into(),
        vec![
            common::server("P", dead, false),
            common::server("S", backup, true),
        ],
    );
    let (rt, addr) = start(common::config(vec![l]), &stop);
    assert_eq!(greeting(addr).await, b"S");
    let listen = &rt.listens[0];
    let p = &listen.servers[0].counters;
    let s = &listen.servers[1].counters;
    assert_eq!(p.conn_errors.load(Relaxed), 1);
    assert_eq!(s.redispatches.load(Relaxed), 1);
    assert_eq!(s.total.load(Relaxed), 1);
    assert_eq!(listen.backend.conn_errors.load(Relaxed), 1);
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_everywhere_closes_the_client_after_retries() {
    let stop = CancellationToken::new();
    let mut l = common::listen(
        ([127, 0, 0, 1], 0).into(),
        vec![common::server("P", closed_port().await, false)],
    );
    l.retries = 1;
    let (rt, addr) = start(common::config(vec![l]), &stop);
    let mut c = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(LIMIT, c.read_to_end(&mut buf))
        .await
        .unwrap();
    assert!(buf.is_empty(), "no data from nowhere");
    drop(r);
    let p = &rt.listens[0].servers[0].counters;
    assert_eq!(p.conn_errors.load(Relaxed), 2, "first attempt + 1 retry");
    assert_eq!(p.retries.load(Relaxed), 1);
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_maxconn_holds_accepts_until_a_session_ends() {
    let stop = CancellationToken::new();
    let server = echo(b"E").await;
    let mut l = common::listen(
        ([127, 0, 0, 1], 0).into(),
        vec![common::server("E", server, false)],
    );
    l.maxconn = 2;
    let (rt, addr) = start(common::config(vec![l]), &stop);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut tag = [0u8; 1];
        c.read_exact(&mut tag).await.unwrap();
        held.push(c);
    }
    // The third client completes its TCP handshake (the kernel's backlog, then one accept
    // loop) but gets no session while the listen is full.
    let mut third = TcpStream::connect(addr).await.unwrap();
    let mut tag = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read_exact(&mut tag)).await;
    assert!(
        early.is_err(),
        "third client served while maxconn = 2 was reached"
    );
    assert_eq!(rt.listens[0].frontend.cur.load(Relaxed), 2);
    drop(held.pop());
    tokio::time::timeout(LIMIT, third.read_exact(&mut tag))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&tag, b"E");
    assert_eq!(rt.listens[0].frontend.max.load(Relaxed), 2);
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_actives_alternate() {
    let stop = CancellationToken::new();
    let a = echo(b"A").await;
    let b = echo(b"B").await;
    let l = common::listen(
        ([127, 0, 0, 1], 0).into(),
        vec![common::server("A", a, false), common::server("B", b, false)],
    );
    let (_rt, addr) = start(common::config(vec![l]), &stop);
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.extend(greeting(addr).await);
    }
    assert_eq!(seen, b"ABAB");
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_listen_does_not_starve_another_of_global_slots() {
    let stop = CancellationToken::new();
    let server = echo(b"E").await;
    // Two listens, one global slot: the idle one must not hold it while it waits.
    let listens = ["Idle", "Busy"].map(|name| {
        let mut l = common::listen(
            ([127, 0, 0, 1], 0).into(),
            vec![common::server("E", server, false)],
        );
        l.name = name.into();
        l
    });
    let mut cfg = common::config(listens.to_vec());
    cfg.global.maxconn = 1;
    let rt = Arc::new(Runtime::new(cfg));
    let mut busy = None;
    for listen in &rt.listens {
        let bound = bind_listen(Arc::clone(listen)).unwrap();
        if listen.name() == "Busy" {
            busy = Some(bound.sockets[0].local_addr().unwrap());
        }
        let path = DataPath::select(DataPathChoice::Copy, listen.name()).unwrap();
        bound.serve(Arc::clone(&rt), path, stop.clone());
    }
    // Let both accept loops reach their wait before the client arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let served = tokio::time::timeout(LIMIT, greeting(busy.unwrap())).await;
    assert_eq!(
        served.expect("the Busy listen got no session: a global slot was held by the idle one"),
        b"E"
    );
    stop.cancel();
}
