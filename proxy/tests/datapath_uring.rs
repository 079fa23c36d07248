//! The io_uring data paths (`splice`, `uring`) driven directly through `DataPath::forward`
//! with real loopback sockets: a test client, the proxy's two sockets, a test server.
//!
//! Under `CI=true` an io_uring path that cannot be used here is a failure; elsewhere the
//! test prints why and skips.

mod common;
mod uring_pair;

use sockhop::config::DataPathChoice;
use sockhop::datapath::{DataPath, End};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use uring_pair::{
    MB, exchange, fill, path, paths, proxied, proxied_with, recv, send, session, within,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_each_direction_and_both() {
    for path in paths() {
        for (i, size) in [0, 1, 1000, 65_543, MB + 3, 64 * MB, 256 * MB]
            .into_iter()
            .enumerate()
        {
            let seed = 0x5EED ^ i as u64;
            for (up, down) in [(size, 0), (0, size), (size, size)] {
                within(120, exchange(proxied(&path).await, up, down, seed)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_speaks_first() {
    for path in paths() {
        let mut p = proxied(&path).await;
        within(10, async {
            p.server.write_all(b"greeting\0").await.unwrap();
            let mut g = [0u8; 9];
            p.client.read_exact(&mut g).await.unwrap();
            assert_eq!(&g, b"greeting\0");
            p.client.write_all(b"login").await.unwrap();
            let mut l = [0u8; 5];
            p.server.read_exact(&mut l).await.unwrap();
            assert_eq!(&l, b"login");
            // 64-byte ping-pongs: each answer arrives (no batching waits on small writes).
            for _ in 0..100 {
                p.client.write_all(&[7u8; 64]).await.unwrap();
                let mut b = [0u8; 64];
                p.server.read_exact(&mut b).await.unwrap();
                p.server.write_all(&b).await.unwrap();
                p.client.read_exact(&mut b).await.unwrap();
            }
            p.client.shutdown().await.unwrap();
            p.server.shutdown().await.unwrap();
            let t = p.forward.await.unwrap();
            assert_eq!(t.end, End::Done);
            assert_eq!(t.client_to_server, 5 + 6400);
            assert_eq!(t.server_to_client, 9 + 6400);
        })
        .await;
    }
}

/// One side half-closes with its data still in flight; the other side then answers a lot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_each_way_with_data_in_flight() {
    for path in paths() {
        for client_first in [true, false] {
            let p = proxied(&path).await;
            within(60, async {
                let (mut first, mut second) = if client_first {
                    (p.client, p.server)
                } else {
                    (p.server, p.client)
                };
                // 8 MB then FIN, without waiting for the reader. The reader runs alongside:
                // waiting for the whole send first would need 8 MB of kernel buffers, which
                // autotuning gives only sometimes (a stall by test design, not a path bug).
                let (sent, got) = tokio::join!(send(&mut first, 1, 8 * MB), recv(&mut second, 1));
                sent.unwrap();
                assert_eq!(got.unwrap(), 8 * MB);
                // The half-closed side still receives.
                let (sent, got) = tokio::join!(send(&mut second, 2, 8 * MB), recv(&mut first, 2));
                sent.unwrap();
                assert_eq!(got.unwrap(), 8 * MB);
                let t = p.forward.await.unwrap();
                assert_eq!(t.end, End::Done);
                assert_eq!(t.client_to_server + t.server_to_client, 16 * MB);
            })
            .await;
        }
    }
}

fn reset(s: TcpStream) {
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(s);
}

/// Reads until an error: an aborted peer must never look like a clean EOF.
async fn expect_reset(s: &mut TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) => panic!("clean EOF where a reset was due"),
            Ok(_) => continue,
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                    ),
                    "{e}"
                );
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_stream_propagates() {
    for path in paths() {
        for client_resets in [true, false] {
            eprintln!("{path:?} client_resets={client_resets}");
            let p = proxied(&path).await;
            within(30, async {
                let (mut talker, mut resetter) = if client_resets {
                    (p.server, p.client)
                } else {
                    (p.client, p.server)
                };
                let (mut tr, mut tw) = talker.split();
                // The reset reaches the talker either as its write's error or its read's; a
                // read that ends cleanly before any write failed would be a FIN.
                let write_failed = std::cell::Cell::new(None);
                let writer = async {
                    let buf = vec![9u8; 64 * 1024];
                    loop {
                        if let Err(e) = tw.write_all(&buf).await {
                            write_failed.set(Some(e.kind()));
                            break;
                        }
                    }
                };
                let reader = async {
                    let mut got = vec![0u8; 1024 * 1024];
                    resetter.read_exact(&mut got).await.unwrap();
                    reset(resetter);
                    expect_reset_half(&mut tr, &write_failed).await;
                };
                tokio::join!(writer, reader);
                let t = p.forward.await.unwrap();
                let want = if client_resets {
                    End::ClientAbort
                } else {
                    End::ServerAbort
                };
                assert_eq!(t.end, want);
            })
            .await;
        }
    }
}

async fn expect_reset_half(
    r: &mut tokio::net::tcp::ReadHalf<'_>,
    write_failed: &std::cell::Cell<Option<io::ErrorKind>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) => {
                assert_eq!(
                    write_failed.get(),
                    Some(io::ErrorKind::ConnectionReset),
                    "clean EOF where a reset was due"
                );
                return;
            }
            Ok(_) => continue,
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_sends_and_closes_at_once() {
    for path in paths() {
        let mut p = proxied_with(&path, Duration::from_secs(30), async |c| {
            send(c, 3, 100_000).await.unwrap();
        })
        .await;
        drop(p.client);
        within(10, async {
            assert_eq!(recv(&mut p.server, 3).await.unwrap(), 100_000);
            drop(p.server);
            let t = p.forward.await.unwrap();
            assert_eq!(t.client_to_server, 100_000);
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_and_cancel_reset_both_sides() {
    for path in paths() {
        let mut p = proxied_with(&path, Duration::from_millis(300), async |_| {}).await;
        within(10, async {
            expect_reset(&mut p.client).await;
            expect_reset(&mut p.server).await;
            let t = p.forward.await.unwrap();
            assert!(
                matches!(t.end, End::ClientTimeout | End::ServerTimeout),
                "{t:?}"
            );
        })
        .await;

        let mut p = proxied(&path).await;
        p.client.write_all(b"x").await.unwrap();
        let mut b = [0u8; 1];
        p.server.read_exact(&mut b).await.unwrap();
        p.cancel.cancel();
        within(10, async {
            expect_reset(&mut p.client).await;
            expect_reset(&mut p.server).await;
            let t = p.forward.await.unwrap();
            assert_eq!(t.end, End::Killed);
            assert_eq!(t.client_to_server, 1);
        })
        .await;
    }
}

/// 4 parallel clients, 250 sequential connections each, random sizes both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_connections_four_parallel() {
    for path in paths() {
        let mut tasks = Vec::new();
        for w in 0..4u64 {
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                let mut x = 0x1234_5678_9abc_def1u64 ^ w;
                for i in 0..250u64 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let (up, down) = ((x % 300_000), (x >> 32) % 300_000);
                    let p = proxied(&path).await;
                    timeout(Duration::from_secs(20), exchange(p, up, down, x))
                        .await
                        .unwrap_or_else(|_| panic!("connection {w}/{i} stalled"));
                }
            }));
        }
        for t in tasks {
            within(600, t).await.unwrap();
        }
    }
}

/// The third (maximum) value of /proc/sys/net/ipv4/<name>.
fn sysctl_max(name: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}")).unwrap();
    text.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// The server stops reading for 10 s while the client keeps writing: the proxy buffers only
/// a bounded amount, the counters move while the session runs, and everything arrives after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_reader_bounded_then_completes() {
    for path in paths() {
        let rt = common::runtime();
        let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let back = TcpListener::bind("127.0.0.3:0").await.unwrap();
        let mut client = TcpStream::connect(front.local_addr().unwrap())
            .await
            .unwrap();
        let (fs, _) = front.accept().await.unwrap();
        let bs = TcpStream::connect(back.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = back.accept().await.unwrap();
        let s = session(&rt, Duration::from_secs(60));
        let p2 = path.clone();
        let forward = tokio::spawn(async move { p2.forward(fs, bs, &s).await });

        // What the kernel alone may hold: send and receive buffers of the two hops at their
        // autotuning maxima; the path itself may add only a few MB (one pipe or buffer ring).
        let bound = 2 * (sysctl_max("tcp_rmem") + sysctl_max("tcp_wmem")) + 4 * MB;
        let total = bound + 32 * MB;
        let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let w2 = written.clone();
        let writer = tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            let mut pos = 0;
            while pos < total {
                let n = (total - pos).min(buf.len() as u64) as usize;
                fill(7, pos, &mut buf[..n]);
                client.write_all(&buf[..n]).await.unwrap();
                pos += n as u64;
                w2.store(pos, std::sync::atomic::Ordering::Relaxed);
            }
            client.shutdown().await.unwrap();
            client
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        let stalled_at = written.load(std::sync::atomic::Ordering::Relaxed);
        let counted = rt.listens[0].servers[0]
            .counters
            .bytes_in
            .load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("{path:?}: {} MB accepted during the stall", stalled_at / MB);
        assert!(
            stalled_at < bound,
            "{} MB accepted while the reader stalled (bound {} MB)",
            stalled_at / MB,
            bound / MB
        );
        assert!(
            counted > 0,
            "byte counters did not move while the session ran"
        );
        within(120, async {
            assert_eq!(recv(&mut server, 7).await.unwrap(), total);
            let client = writer.await.unwrap();
            drop(client);
            drop(server);
            let t = forward.await.unwrap();
            assert_eq!(t.client_to_server, total);
        })
        .await;
    }
}

/// Pipes and buffer rings are reused across sessions: a session that ends with bytes still
/// buffered (a reset mid-stream) must never hand them to the next one. Aborted floods and
/// byte-exact exchanges alternate on every ring worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_buffers_never_carry_an_aborted_sessions_bytes() {
    for path in paths() {
        for round in 0..12u64 {
            let p = proxied(&path).await;
            within(30, async {
                let (mut server, mut client) = (p.server, p.client);
                let flood = async {
                    let buf = vec![0xEEu8; 256 * 1024];
                    while server.write_all(&buf).await.is_ok() {}
                };
                let abort = async {
                    let mut got = vec![0u8; 512 * 1024];
                    client.read_exact(&mut got).await.unwrap();
                    reset(client);
                };
                tokio::join!(flood, abort);
                assert_eq!(p.forward.await.unwrap().end, End::ClientAbort);
            })
            .await;
            let seed = 0x5EED_0000 + round;
            let size = 1 + (round * 7919) % (300 * 1024);
            within(30, exchange(proxied(&path).await, size, size / 2 + 1, seed)).await;
        }
    }
}

/// `auto` picks splice where the kernel allows it (the order measured best, see
/// `AUTO_ORDER`); under CI, where io_uring must be available, anything else is a failure.
#[test]
fn auto_picks_splice_first() {
    use sockhop::datapath::DataPathKind;
    let auto = DataPath::select(DataPathChoice::Auto, "test").unwrap();
    match path(DataPathChoice::Splice) {
        Some(_) => assert_eq!(auto.kind(), DataPathKind::Splice),
        None => assert_ne!(auto.kind(), DataPathKind::Splice),
    }
}
