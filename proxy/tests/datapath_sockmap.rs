//! The sockmap data path driven directly: a socket pair on each side (client <-> proxy,
//! proxy <-> server) on loopback, the path forwarding between the two proxy ends, and the
//! test playing both the client and the server. Needs root and the eBPF programs built;
//! without them the tests skip with the reason, except under CI=true where that fails.

mod common;
mod sockmap_pair;

use common::payload;
use sockmap_pair::{LONG, pair, pair_with, path};

use sockhop::config::DataPathChoice;
use sockhop::datapath::{End, SockmapPath};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Writes `data` then half-closes; reads everything until EOF; returns what was read.
async fn talk(mut s: TcpStream, data: Vec<u8>) -> Vec<u8> {
    let (mut r, mut w) = s.split();
    let send = async {
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
    };
    let recv = async {
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        got
    };
    let ((), got) = tokio::join!(send, recv);
    got
}

/// Both directions at once, byte-exact, with counters checked.
async fn exchange(path: &SockmapPath, up: usize, down: usize, seed: u64) {
    let p = pair(path).await;
    let a = payload(up, seed);
    let b = payload(down, seed + 1);
    let c = tokio::spawn(talk(p.client, a.clone()));
    let s = tokio::spawn(talk(p.server, b.clone()));
    let (got_at_client, got_at_server) =
        tokio::time::timeout(LONG, async { (c.await.unwrap(), s.await.unwrap()) })
            .await
            .unwrap_or_else(|_| panic!("stalled: up {up} down {down}"));
    let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
        .await
        .expect("forward did not end")
        .unwrap();
    assert!(got_at_server == a, "client->server bytes differ ({up} B)");
    assert!(got_at_client == b, "server->client bytes differ ({down} B)");
    assert_eq!(t.end, End::Done);
    assert_eq!(
        (t.client_to_server, t.server_to_client),
        (up as u64, down as u64)
    );
    let fe = &p.rt.listens[0].frontend;
    assert_eq!(
        fe.bytes_in.load(std::sync::atomic::Ordering::Relaxed),
        up as u64
    );
    assert_eq!(
        fe.bytes_out.load(std::sync::atomic::Ordering::Relaxed),
        down as u64
    );
}

const SIZES: [usize; 8] = [0, 1, 1000, 65_543, 1 << 20, 16 << 20, 64 << 20, 256 << 20];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_exact_client_to_server() {
    let Some(path) = path() else { return };
    for (i, n) in SIZES.into_iter().enumerate() {
        exchange(&path, n, 0, 10 + i as u64).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_exact_server_to_client() {
    let Some(path) = path() else { return };
    for (i, n) in SIZES.into_iter().enumerate() {
        exchange(&path, 0, n, 20 + i as u64).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_exact_both_ways_at_once() {
    let Some(path) = path() else { return };
    for (i, n) in SIZES.into_iter().enumerate() {
        exchange(&path, n, SIZES[SIZES.len() - 1 - i], 30 + i as u64).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_speaks_first_then_request_response() {
    let Some(path) = path() else { return };
    let mut p = pair(&path).await;
    let greeting = payload(78, 1);
    p.server.write_all(&greeting).await.unwrap();
    let mut got = vec![0u8; greeting.len()];
    p.client.read_exact(&mut got).await.unwrap();
    assert_eq!(got, greeting);
    for round in 0..50u64 {
        let q = payload(64 + round as usize, round);
        p.client.write_all(&q).await.unwrap();
        let mut at_server = vec![0u8; q.len()];
        p.server.read_exact(&mut at_server).await.unwrap();
        assert_eq!(at_server, q);
        p.server.write_all(&q[..10]).await.unwrap();
        let mut back = [0u8; 10];
        p.client.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, &q[..10]);
    }
    drop(p.client);
    let mut rest = Vec::new();
    p.server.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    drop(p.server);
    let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.end, End::Done);
}

/// One end half-closes with 8 MiB still in flight; the other reads to EOF, then answers
/// 4 MiB and closes. Both streams byte-exact, the session ends cleanly.
async fn half_close_with_data_in_flight(client_first: bool, seed: u64) {
    let Some(path) = path() else { return };
    let p = pair(&path).await;
    let (mut first, mut second) = if client_first {
        (p.client, p.server)
    } else {
        (p.server, p.client)
    };
    let early = payload(8 << 20, seed);
    let late = payload(4 << 20, seed + 1);
    let (mut fr, mut fw) = first.split();
    let first_side = async {
        fw.write_all(&early).await.unwrap();
        fw.shutdown().await.unwrap();
        let mut got = Vec::new();
        fr.read_to_end(&mut got).await.unwrap();
        got
    };
    let second_side = async {
        let mut got = Vec::new();
        second.read_to_end(&mut got).await.unwrap();
        second.write_all(&late).await.unwrap();
        second.shutdown().await.unwrap();
        got
    };
    let (at_first, at_second) =
        tokio::time::timeout(LONG, async { tokio::join!(first_side, second_side) })
            .await
            .expect("stalled");
    assert!(at_second == early);
    assert!(at_first == late);
    let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.end, End::Done);
}

/// The client half-closes with bytes in flight; the server answers after seeing the EOF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_client_first_with_data_in_flight() {
    half_close_with_data_in_flight(true, 5).await;
}

/// The server half-closes with bytes in flight; the client goes on sending after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_server_first_with_data_in_flight() {
    half_close_with_data_in_flight(false, 7).await;
}

/// Reads until EOF or error; returns (bytes, whether it ended with an error).
async fn drain(s: &mut TcpStream) -> (usize, bool) {
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0;
    loop {
        match s.read(&mut buf).await {
            Ok(0) => return (n, false),
            Ok(k) => n += k,
            Err(_) => return (n, true),
        }
    }
}

fn reset(s: TcpStream) {
    let std = s.into_std().unwrap();
    socket2::SockRef::from(&std)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(std);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reset_mid_stream_resets_the_server() {
    let Some(path) = path() else { return };
    let mut p = pair(&path).await;
    let chunk = payload(1 << 20, 9);
    p.client.write_all(&chunk).await.unwrap();
    let mut first = vec![0u8; 1000];
    p.server.read_exact(&mut first).await.unwrap();
    p.server.write_all(&chunk).await.unwrap();
    reset(p.client);
    let (_, errored) = tokio::time::timeout(Duration::from_secs(10), drain(&mut p.server))
        .await
        .expect("server never saw the end");
    assert!(errored, "server must see a reset, not a clean EOF");
    let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.end, End::ClientAbort);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_reset_mid_stream_resets_the_client() {
    let Some(path) = path() else { return };
    let mut p = pair(&path).await;
    let chunk = payload(1 << 20, 10);
    p.server.write_all(&chunk).await.unwrap();
    let mut first = vec![0u8; 1000];
    p.client.read_exact(&mut first).await.unwrap();
    p.client.write_all(&chunk).await.unwrap();
    reset(p.server);
    let (_, errored) = tokio::time::timeout(Duration::from_secs(10), drain(&mut p.client))
        .await
        .expect("client never saw the end");
    assert!(errored, "client must see a reset, not a clean EOF");
    let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.end, End::ServerAbort);
}

/// A reset on one side ends the session even when the other direction is idle: the idle
/// peer sees the reset at once instead of an open connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_while_the_other_direction_is_idle() {
    let Some(path) = path() else { return };
    for client_resets in [true, false] {
        let mut p = pair(&path).await;
        p.client.write_all(b"query").await.unwrap();
        let mut q = [0u8; 5];
        p.server.read_exact(&mut q).await.unwrap();
        let (idle, end) = if client_resets {
            reset(p.client);
            (p.server, End::ClientAbort)
        } else {
            reset(p.server);
            (p.client, End::ServerAbort)
        };
        let mut idle = idle;
        let (_, errored) = tokio::time::timeout(Duration::from_secs(5), drain(&mut idle))
            .await
            .expect("the idle side was never told");
        assert!(errored, "the idle side must see a reset");
        let t = tokio::time::timeout(Duration::from_secs(5), p.forward)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.end, end);
    }
}

/// A client that sends and closes before the path gets its socket (it cannot be inserted:
/// the session falls back to copying) still delivers every byte and its EOF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_that_sends_and_closes_at_once() {
    let Some(path) = path() else { return };
    for size in [1usize, 100, 70_000] {
        let data = payload(size, 11);
        let d2 = data.clone();
        let mut p = pair_with(&path, LONG, |mut c| async move {
            c.write_all(&d2).await.unwrap();
            c.shutdown().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            c
        })
        .await;
        let mut got = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), p.server.read_to_end(&mut got))
            .await
            .expect("stalled")
            .unwrap();
        assert!(got == data, "{size} B");
        p.server.shutdown().await.unwrap();
        let mut rest = Vec::new();
        let _ = p.client.read_to_end(&mut rest).await;
        let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.client_to_server, size as u64);
        assert_eq!(
            p.rt.listens[0].datapath_fallbacks(),
            1,
            "{size} B: a session the path could not take is counted as a fallback"
        );
    }
}

/// Request/response sessions of random sizes, one after another and four at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_sequential_and_four_parallel_sessions() {
    let Some(path) = path() else { return };
    let mut seed = 0x5eed_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let sizes: Vec<(usize, usize, u64)> = (0..1000)
        .map(|_| {
            let a = next();
            // Mostly small, sometimes up to 1 MB.
            let big = a % 10 == 0;
            let up = (a >> 8) as usize % if big { 1 << 20 } else { 4096 };
            let down = (a >> 32) as usize % if big { 1 << 20 } else { 16384 };
            (up, down, a)
        })
        .collect();
    for &(up, down, s) in &sizes {
        tokio::time::timeout(Duration::from_secs(20), exchange(&path, up, down, s))
            .await
            .unwrap_or_else(|_| panic!("sequential session stalled ({up}, {down})"));
    }
    let mut tasks = Vec::new();
    for w in 0..4usize {
        let path = path.clone();
        let mine: Vec<_> = sizes.iter().copied().skip(w).step_by(4).take(100).collect();
        tasks.push(tokio::spawn(async move {
            for (up, down, s) in mine {
                tokio::time::timeout(Duration::from_secs(20), exchange(&path, up, down, s))
                    .await
                    .unwrap_or_else(|_| panic!("parallel session stalled ({up}, {down})"));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Memory the kernel has available (`MemAvailable` in /proc/meminfo), in bytes.
fn mem_available() -> u64 {
    let s = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = s.lines().find(|l| l.starts_with("MemAvailable:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

/// A client writes `total` bytes while the server end does not read for `stall`. Returns
/// the most bytes the kernel held for the session during the stall (accepted from the
/// client's writes, not yet read by the server), the drop of MemAvailable, and whether the
/// writer was still held back at the end of the stall; then reads everything and checks it.
async fn stalled_reader(path: &SockmapPath, total: usize, stall: Duration) -> (u64, i64, bool) {
    let p = pair(path).await;
    let mem_before = mem_available() as i64;
    let (mut client, mut server) = (p.client, p.server);
    let accepted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let acc = Arc::clone(&accepted);
    let writer = tokio::spawn(async move {
        let data = payload(1 << 20, 12);
        for _ in 0..(total >> 20) {
            client.write_all(&data).await.unwrap();
            acc.fetch_add(1 << 20, std::sync::atomic::Ordering::Relaxed);
        }
        client.shutdown().await.unwrap();
        client
    });
    let mut peak = 0u64;
    let mut mem_drop = 0i64;
    let until = tokio::time::Instant::now() + stall;
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The write in progress may be partly accepted too.
        peak = peak.max(accepted.load(std::sync::atomic::Ordering::Relaxed) + (1 << 20));
        mem_drop = mem_drop.max(mem_before - mem_available() as i64);
    }
    let held_back = !writer.is_finished();
    let expect = payload(1 << 20, 12);
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..(total >> 20) {
        tokio::time::timeout(Duration::from_secs(30), server.read_exact(&mut buf))
            .await
            .expect("stalled after resuming")
            .unwrap();
        assert!(buf == expect, "chunk {i} differs");
    }
    assert_eq!(server.read(&mut buf).await.unwrap(), 0);
    drop(writer.await.unwrap());
    drop(server);
    let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.end, End::Done);
    assert_eq!(t.client_to_server, total as u64);
    (peak, mem_drop, held_back)
}

/// The receiving server stops reading for 10 s while the client keeps writing: what the
/// kernel holds for the session stays bounded, and every byte arrives once it reads again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_reader_keeps_memory_bounded_and_resumes() {
    let Some(path) = path() else { return };
    let (peak, mem_drop, held_back) =
        stalled_reader(&path, 512 << 20, Duration::from_secs(10)).await;
    eprintln!(
        "stalled reader (cap {} KiB): at most {} KiB held in the kernel, MemAvailable drop {} KiB",
        path.cap() >> 10,
        peak >> 10,
        mem_drop >> 10
    );
    assert!(held_back, "the writer must have been held back");
    assert!(
        peak < 64 << 20,
        "the kernel held {peak} bytes while the reader stalled"
    );
}

/// Negative control: without the bound (a cap larger than the transfer) the kernel takes
/// everything the writer sends while the reader stalls, which the test above would catch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_bound_the_kernel_memory_grows() {
    let Some(path) = path() else { return };
    let path = path.with_cap(1 << 40);
    let (peak, mem_drop, held_back) =
        stalled_reader(&path, 256 << 20, Duration::from_secs(3)).await;
    eprintln!(
        "unbounded: {} KiB held in the kernel, MemAvailable drop {} KiB",
        peak >> 10,
        mem_drop >> 10
    );
    assert!(
        !held_back && peak >= 256 << 20,
        "unbounded redirect held only {peak} bytes"
    );
}
/// Inactivity on one side ends the session with that side's timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_session_times_out() {
    let Some(path) = path() else { return };
    let mut p = pair_with(&path, Duration::from_millis(300), |c| async { c }).await;
    p.client.write_all(b"hello").await.unwrap();
    let mut got = [0u8; 5];
    p.server.read_exact(&mut got).await.unwrap();
    let t = tokio::time::timeout(Duration::from_secs(5), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(t.end, End::ClientTimeout | End::ServerTimeout),
        "{:?}",
        t.end
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_resets_both_sides() {
    let Some(path) = path() else { return };
    let mut p = pair(&path).await;
    p.client.write_all(b"x").await.unwrap();
    let mut one = [0u8; 1];
    p.server.read_exact(&mut one).await.unwrap();
    p.cancel.cancel();
    let t = tokio::time::timeout(Duration::from_secs(5), p.forward)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.end, End::Killed);
    let (_, errored) = drain(&mut p.client).await;
    assert!(errored);
}

/// `sockmap` by name gives the sockmap path when it loads (an error naming the reason when
/// it does not); `auto` never picks it (see `select_auto`).
#[test]
fn selection() {
    use sockhop::datapath::{DataPath, DataPathKind};
    let auto = DataPath::select(DataPathChoice::Auto, "L").unwrap();
    assert_ne!(auto.kind(), DataPathKind::Sockmap);
    match (path(), DataPath::select(DataPathChoice::Sockmap, "L")) {
        (Some(_), Ok(p)) => assert_eq!(p.kind(), DataPathKind::Sockmap),
        (None, Err(e)) => assert!(e.to_string().contains("sockmap"), "{e}"),
        (Some(_), Err(e)) => panic!("loaded but not selectable: {e}"),
        (None, Ok(_)) => panic!("selected although unavailable"),
    }
}

/// Bytes the client sent before the path got its socket, with the client then waiting for
/// an answer (nothing else arrives to wake the program): they are delivered all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_queued_before_setup_reach_a_waiting_peer() {
    let Some(path) = path() else { return };
    for size in [1usize, 100, 70_000] {
        let data = payload(size, 12);
        let d2 = data.clone();
        let mut p = pair_with(&path, LONG, |mut c| async move {
            c.write_all(&d2).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            c
        })
        .await;
        let mut got = vec![0u8; size];
        tokio::time::timeout(Duration::from_secs(5), p.server.read_exact(&mut got))
            .await
            .expect("bytes queued before setup stalled")
            .unwrap();
        assert!(got == data, "{size} B");
        p.server.write_all(b"answer").await.unwrap();
        let mut back = [0u8; 6];
        tokio::time::timeout(Duration::from_secs(5), p.client.read_exact(&mut back))
            .await
            .expect("answer stalled")
            .unwrap();
        drop(p.client);
        drop(p.server);
        let t = tokio::time::timeout(Duration::from_secs(10), p.forward)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.client_to_server, size as u64);
        assert_eq!(t.end, End::Done, "{size} B");
        assert_eq!(
            p.rt.listens[0].datapath_fallbacks(),
            0,
            "{size} B: not a fallback"
        );
    }
}
