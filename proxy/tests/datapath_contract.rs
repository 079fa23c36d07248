//! The data path contract, checked on real loopback sockets for every data path this kernel
//! offers: byte-exact transfers both ways, server-speaks-first, half-close with data in
//! flight, reset propagation, inactivity timeouts, cancellation, and byte counters.

mod common;

use common::payload;

use common::runtime;
use sockhop::config::DataPathChoice;
use sockhop::datapath::{DataPath, End, Meter, SessionIo, Transfer};
use sockhop::state::Runtime;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

const LIMIT: Duration = Duration::from_secs(60);

/// Every data path that can run here.
fn paths() -> Vec<DataPath> {
    [DataPathChoice::Copy]
        .into_iter()
        .map(|c| DataPath::select(c, "L").expect("data path available"))
        .collect()
}

/// A proxied pair: the test's client end, the test's server end, and the running session.
struct Pair {
    client: TcpStream,
    server: TcpStream,
    session: tokio::task::JoinHandle<Transfer>,
    cancel: CancellationToken,
    rt: Arc<Runtime>,
}

async fn pair(path: &DataPath, timeouts: (Duration, Duration)) -> Pair {
    let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(front.local_addr().unwrap())
        .await
        .unwrap();
    let (proxy_client, _) = front.accept().await.unwrap();
    let proxy_server = TcpStream::connect(back.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = back.accept().await.unwrap();
    let rt = runtime();
    let cancel = CancellationToken::new();
    let io = SessionIo {
        client_timeout: timeouts.0,
        server_timeout: timeouts.1,
        cancel: cancel.clone(),
        meter: Meter {
            runtime: Arc::clone(&rt),
            listen: Arc::clone(&rt.listens[0]),
            server: Arc::clone(&rt.listens[0].servers[0]),
        },
    };
    let path = path.clone();
    let session = tokio::spawn(async move { path.forward(proxy_client, proxy_server, &io).await });
    Pair {
        client,
        server,
        session,
        cancel,
        rt,
    }
}

const LONG: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(60));

/// Writes `data` then half-closes, while reading everything the other end sends.
async fn send_and_receive(mut s: TcpStream, data: Vec<u8>) -> (TcpStream, Vec<u8>) {
    let (mut r, mut w) = s.split();
    let write = async {
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
    };
    let mut got = Vec::new();
    let read = r.read_to_end(&mut got);
    let (_, n) = tokio::join!(write, read);
    n.unwrap();
    (s, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_exact_both_directions_at_once() {
    for path in paths() {
        for (up, down) in [
            (0, 0),
            (1, 0),
            (0, 1),
            (100_000, 3),
            (5_000_000, 7_000_000),
            (256 << 20, 0),
            (0, 256 << 20),
            (256 << 20, 256 << 20),
        ] {
            let p = pair(&path, LONG).await;
            let to_server = payload(up, 1);
            let to_client = payload(down, 2);
            let (c, s) = tokio::time::timeout(LIMIT, async {
                tokio::join!(
                    send_and_receive(p.client, to_server.clone()),
                    send_and_receive(p.server, to_client.clone())
                )
            })
            .await
            .expect("transfer stalled");
            assert!(
                s.1 == to_server,
                "{:?}: client->server bytes differ ({up} B)",
                path.kind()
            );
            assert!(
                c.1 == to_client,
                "{:?}: server->client bytes differ ({down} B)",
                path.kind()
            );
            let t = tokio::time::timeout(LIMIT, p.session)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(t.end, End::Done);
            assert_eq!(
                (t.client_to_server, t.server_to_client),
                (up as u64, down as u64)
            );
            let fe = &p.rt.listens[0].frontend;
            assert_eq!(fe.bytes_in.load(Relaxed), up as u64);
            assert_eq!(fe.bytes_out.load(Relaxed), down as u64);
            let srv = &p.rt.listens[0].servers[0].counters;
            assert_eq!(srv.bytes_in.load(Relaxed), up as u64);
            assert_eq!(srv.bytes_out.load(Relaxed), down as u64);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_speaks_first_then_half_close_each_way() {
    for path in paths() {
        // Server greets first, client answers and half-closes, server keeps sending after
        // the client's FIN, then closes.
        let mut p = pair(&path, LONG).await;
        p.server.write_all(b"greeting").await.unwrap();
        let mut buf = [0u8; 8];
        p.client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"greeting");
        p.client.write_all(b"query").await.unwrap();
        p.client.shutdown().await.unwrap();
        let mut q = Vec::new();
        p.server.read_to_end(&mut q).await.unwrap();
        assert_eq!(q, b"query", "client FIN reaches the server after its data");
        let tail = payload(2_000_000, 3);
        p.server.write_all(&tail).await.unwrap();
        p.server.shutdown().await.unwrap();
        let mut got = Vec::new();
        p.client.read_to_end(&mut got).await.unwrap();
        assert!(
            got == tail,
            "data after the client's half-close arrives whole"
        );
        let t = tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.end, End::Done);

        // The other way round: the server half-closes first, the client keeps sending.
        let mut p = pair(&path, LONG).await;
        p.server.write_all(b"bye").await.unwrap();
        p.server.shutdown().await.unwrap();
        let mut got = Vec::new();
        p.client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"bye");
        let tail = payload(1_000_000, 4);
        p.client.write_all(&tail).await.unwrap();
        p.client.shutdown().await.unwrap();
        let mut got = Vec::new();
        p.server.read_to_end(&mut got).await.unwrap();
        assert!(got == tail);
        assert_eq!(
            tokio::time::timeout(LIMIT, p.session)
                .await
                .unwrap()
                .unwrap()
                .end,
            End::Done
        );
    }
}

async fn reset(s: TcpStream) {
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_propagate() {
    for path in paths() {
        let mut p = pair(&path, LONG).await;
        p.client.write_all(b"x").await.unwrap();
        let mut b = [0u8; 1];
        p.server.read_exact(&mut b).await.unwrap();
        reset(p.client).await;
        let t = tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.end, End::ClientAbort);
        let err = p.server.read(&mut [0u8; 16]).await;
        assert!(
            matches!(&err, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
            "server sees a reset, not a clean EOF: {err:?}"
        );

        let mut p = pair(&path, LONG).await;
        p.server.write_all(b"y").await.unwrap();
        p.client.read_exact(&mut b).await.unwrap();
        reset(p.server).await;
        let t = tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.end, End::ServerAbort);
        let err = p.client.read(&mut [0u8; 16]).await;
        assert!(
            matches!(&err, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
            "client sees a reset: {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_sends_and_closes_at_once() {
    for path in paths() {
        let mut p = pair(&path, LONG).await;
        p.client.write_all(b"COM_QUIT").await.unwrap();
        drop(p.client);
        let mut got = Vec::new();
        p.server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"COM_QUIT");
        drop(p.server);
        let t = tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.client_to_server, 8);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sides_time_out() {
    for path in paths() {
        let p = pair(&path, (Duration::from_millis(300), Duration::from_secs(60))).await;
        let t = tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.end, End::ClientTimeout);
        let p = pair(&path, (Duration::from_secs(60), Duration::from_millis(300))).await;
        let t = tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.end, End::ServerTimeout);

        // Traffic keeps a session alive past its timeout (margins wide enough for a loaded
        // machine: a ping every 200 ms against a 2 s timeout, for 3 s).
        let mut p = pair(&path, (Duration::from_secs(2), Duration::from_secs(2))).await;
        for _ in 0..15 {
            p.client.write_all(b"ping").await.unwrap();
            let mut b = [0u8; 4];
            p.server.read_exact(&mut b).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(!p.session.is_finished(), "active session must not time out");
        p.cancel.cancel();
        assert_eq!(p.session.await.unwrap().end, End::Killed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_resets_both_sides() {
    for path in paths() {
        let mut p = pair(&path, LONG).await;
        p.cancel.cancel();
        assert_eq!(
            tokio::time::timeout(LIMIT, p.session)
                .await
                .unwrap()
                .unwrap()
                .end,
            End::Killed
        );
        let c = p.client.read(&mut [0u8; 4]).await;
        let s = p.server.read(&mut [0u8; 4]).await;
        assert!(
            c.is_err() && s.is_err(),
            "both sides are reset: {c:?} {s:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_reader_resumes_without_loss() {
    for path in paths() {
        let mut p = pair(&path, LONG).await;
        let data = payload(32 * 1024 * 1024, 5);
        let writer = {
            let data = data.clone();
            let mut c = p.client;
            tokio::spawn(async move {
                c.write_all(&data).await.unwrap();
                c.shutdown().await.unwrap();
                c
            })
        };
        // The server reads nothing for a while: the writer must be held back, not buffered
        // without bound.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let moved = p.rt.listens[0].frontend.bytes_in.load(Relaxed);
        assert!(
            moved < 16 * 1024 * 1024,
            "{moved} bytes buffered for a stalled reader"
        );
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, p.server.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert!(got == data);
        drop(writer.await.unwrap());
        drop(p.server);
        tokio::time::timeout(LIMIT, p.session)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sequential_and_parallel_sessions() {
    for path in paths() {
        let run = move |i: u64| {
            let path = path.clone();
            async move {
                let p = pair(&path, LONG).await;
                let len = (i * 7919 % 200_000) as usize;
                let up = payload(len, i);
                let down = payload(len / 3, i + 1);
                let (c, s) = tokio::join!(
                    send_and_receive(p.client, up.clone()),
                    send_and_receive(p.server, down.clone())
                );
                assert!(s.1 == up && c.1 == down, "session {i} truncated");
                p.session.await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(120), async {
            for i in 0..300 {
                run(i).await;
            }
            let tasks: Vec<_> = (0..4)
                .map(|t| {
                    let run = run.clone();
                    tokio::spawn(async move {
                        for i in 0..50 {
                            run(1000 + t * 100 + i).await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await
        .expect("sessions stalled");
    }
}
