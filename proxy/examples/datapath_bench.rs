//! Loopback benchmark of the data paths, one process, same run: 1 GB over one connection
//! (client -> server, median of 3) and 64-byte ping-pong round trips (p50/p99 of 3 x 20,000), directly and
//! through each data path (sockmap when its program loads), and through a naive
//! `IORING_OP_SPLICE` proxy for comparison. Run with
//! `cargo run --release -p sockhop --example datapath_bench`.
//!
//! `BENCH_PATHS=direct,copy,sockmap` keeps only the named rows (`sockmap-notrim`: sockmap
//! without cutting retransmitted heads off, for comparison; `sockmap-nocap`: sockmap with
//! no memory bound, so every byte is redirected in the kernel, for profiling;
//! `sockmap-autorcv`: sockmap with the kernel's default receive buffers; none of these is in
//! the default set);
//! `BENCH_CONNS=8` adds a column: the same 1 GB split over that many parallel connections.

use sockhop::config::DataPathChoice;
use sockhop::datapath::{DataPath, Meter, SessionIo, SockmapPath};
use sockhop::state::Runtime;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const GB: u64 = 1 << 30;
const ROUND_TRIPS: usize = 20_000;

fn runtime() -> Arc<Runtime> {
    let text = r#"
[[listen]]
name = "bench"
bind = ["127.0.0.1:1"]
balance = "first"
retries = 0

[[listen.server]]
name = "s1"
address = "127.0.0.1:1"
"#;
    let config = sockhop::config::parse(text, std::path::Path::new("bench.toml"))
        .expect("the bench's built-in configuration is valid");
    Arc::new(Runtime::new(config))
}

/// Starts a proxy on `rt` in front of `backend` and returns its address.
fn proxy(rt: &tokio::runtime::Runtime, path: DataPath, backend: SocketAddr) -> SocketAddr {
    let state = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let server = tokio::net::TcpStream::connect(backend).await.unwrap();
            let path = path.clone();
            let listen = state.listens[0].clone();
            let s = SessionIo {
                client_timeout: Duration::from_secs(60),
                server_timeout: Duration::from_secs(60),
                cancel: CancellationToken::new(),
                meter: Meter {
                    runtime: state.clone(),
                    server: listen.servers[0].clone(),
                    listen,
                },
            };
            tokio::spawn(async move { path.forward(client, server, &s).await });
        }
    });
    addr
}

/// A server that sinks each connection's bytes to EOF, or echoes 64-byte messages.
fn backend() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.2:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let mut c = c.unwrap();
            c.set_nodelay(true).unwrap();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        // Ping-pong messages are exactly 64 bytes; bulk reads are larger.
                        Ok(64) => {
                            if c.write_all(&buf[..64]).is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    addr
}

/// 1 GB in total over `conns` parallel connections, in Gbit/s; `None` when a connection
/// failed (the path reset it).
fn throughput(addr: SocketAddr, conns: u64) -> Option<f64> {
    let start = Instant::now();
    let senders: Vec<_> = (0..conns)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr)?;
                let buf = vec![1u8; 256 * 1024];
                let mut sent = 0;
                while sent < GB / conns {
                    c.write_all(&buf)?;
                    sent += buf.len() as u64;
                }
                c.shutdown(std::net::Shutdown::Write)?;
                let mut rest = [0u8; 1];
                // The sink closes after EOF: that read returns once every byte went through.
                c.read(&mut rest).map(|_| ())
            })
        })
        .collect();
    let mut ok = true;
    for s in senders {
        ok &= s.join().unwrap().is_ok();
    }
    ok.then(|| (GB * 8) as f64 / start.elapsed().as_secs_f64() / 1e9)
}

/// Round-trip times in microseconds, after a warm-up.
fn ping_pong(addr: SocketAddr) -> Vec<f64> {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_nodelay(true).unwrap();
    let msg = [5u8; 64];
    let mut back = [0u8; 64];
    let mut rtt = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS + 1000 {
        let t = Instant::now();
        c.write_all(&msg).unwrap();
        c.read_exact(&mut back).unwrap();
        if i >= 1000 {
            rtt.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    rtt
}

/// The naive design, for comparison only: one ring per connection, `IORING_OP_SPLICE` on
/// blocking sockets (socket -> pipe, then pipe -> socket, per direction). The kernel runs every
/// such splice on an io-wq worker thread.
fn op_splice_proxy(backend: SocketAddr) -> SocketAddr {
    use io_uring::{IoUring, opcode, types::Fd};
    use std::os::fd::AsRawFd;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let client = c.unwrap();
            let server = TcpStream::connect(backend).unwrap();
            std::thread::spawn(move || {
                let mut ring = IoUring::new(64).unwrap();
                let fds = [client.as_raw_fd(), server.as_raw_fd()];
                let mut pipes = [[0; 2]; 2];
                for p in &mut pipes {
                    // SAFETY: pipe() fills the two descriptors.
                    assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
                }
                let read = |d: usize| {
                    opcode::Splice::new(Fd(fds[d]), -1, Fd(pipes[d][1]), -1, 65536)
                        .build()
                        .user_data(d as u64)
                };
                let write = |d: usize, n: u32| {
                    opcode::Splice::new(Fd(pipes[d][0]), -1, Fd(fds[1 - d]), -1, n)
                        .build()
                        .user_data(2 + d as u64)
                };
                for d in 0..2 {
                    // SAFETY: the entries reference descriptors that outlive the ring.
                    unsafe { ring.submission().push(&read(d)).unwrap() };
                }
                let mut open = 2;
                while open > 0 {
                    ring.submit_and_wait(1).unwrap();
                    let done: Vec<(u64, i32)> = ring
                        .completion()
                        .map(|c| (c.user_data(), c.result()))
                        .collect();
                    for (ud, res) in done {
                        let d = (ud % 2) as usize;
                        let next = match (ud < 2, res) {
                            (_, r) if r < 0 => None,
                            (true, 0) => {
                                let _ =
                                    [&client, &server][1 - d].shutdown(std::net::Shutdown::Write);
                                None
                            }
                            (true, n) => Some(write(d, n as u32)),
                            (false, _) => Some(read(d)),
                        };
                        match next {
                            // SAFETY: as above.
                            Some(e) => unsafe { ring.submission().push(&e).unwrap() },
                            None => open -= 1,
                        }
                    }
                }
            });
        }
    });
    addr
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let only = std::env::var("BENCH_PATHS").ok();
    let wanted = |name: &str| match &only {
        Some(list) => list.split(',').any(|n| n == name),
        None => !name.starts_with("sockmap-"),
    };
    let conns: u64 = std::env::var("BENCH_CONNS").map_or(1, |v| v.parse().unwrap());
    let back = backend();
    let mut targets = vec![("direct".to_string(), back)];
    for choice in [
        DataPathChoice::Copy,
        DataPathChoice::Uring,
        DataPathChoice::Splice,
        DataPathChoice::Sockmap,
    ] {
        let _guard = rt.enter();
        match DataPath::select(choice, "bench") {
            Ok(p) => targets.push((p.kind().as_str().to_string(), proxy(&rt, p, back))),
            Err(e) => println!("{e}"),
        }
    }
    if wanted("sockmap-notrim") {
        let _guard = rt.enter();
        if let Ok(p) = SockmapPath::load() {
            let p = DataPath::Sockmap(p.with_trim_retransmits(false));
            targets.push(("sockmap-notrim".to_string(), proxy(&rt, p, back)));
        }
    }
    if wanted("sockmap-nocap") {
        let _guard = rt.enter();
        if let Ok(p) = SockmapPath::load() {
            let p = DataPath::Sockmap(p.with_cap(1 << 50));
            targets.push(("sockmap-nocap".to_string(), proxy(&rt, p, back)));
        }
    }
    if wanted("sockmap-autorcv") {
        let _guard = rt.enter();
        if let Ok(p) = SockmapPath::load() {
            let p = DataPath::Sockmap(p.with_rcvbuf(None));
            targets.push(("sockmap-autorcv".to_string(), proxy(&rt, p, back)));
        }
    }
    // Rounds interleave the paths, so a busy moment on the machine hits all of them alike.
    targets.push(("op-splice".to_string(), op_splice_proxy(back)));
    targets.retain(|(name, _)| wanted(name));
    let mut gbits = vec![Vec::new(); targets.len()];
    let mut gbits_n = vec![Vec::new(); targets.len()];
    let mut rtts = vec![Vec::new(); targets.len()];
    let mut failed = vec![0; targets.len()];
    for _ in 0..3 {
        for (i, (_, addr)) in targets.iter().enumerate() {
            // A failed transfer is counted and measured again.
            let mut measure = |n| loop {
                match throughput(*addr, n) {
                    Some(g) => return g,
                    None => failed[i] += 1,
                }
            };
            gbits[i].push(measure(1));
            if conns > 1 {
                gbits_n[i].push(measure(conns));
            }
            rtts[i].extend(ping_pong(*addr));
        }
    }
    let multi = format!("{conns} conns");
    println!(
        "{:<14} {:>12} {:>10} {:>10} {:>10}",
        "path",
        "1GB Gbit/s",
        if conns > 1 { multi.as_str() } else { "" },
        "p50 us",
        "p99 us"
    );
    for (i, (name, _)) in targets.iter().enumerate() {
        gbits[i].sort_by(f64::total_cmp);
        gbits_n[i].sort_by(f64::total_cmp);
        rtts[i].sort_by(f64::total_cmp);
        let r = &rtts[i];
        let (p50, p99) = (r[r.len() / 2], r[r.len() * 99 / 100]);
        let n = gbits_n[i]
            .get(1)
            .map_or(String::new(), |g| format!("{g:.1}"));
        let f = match failed[i] {
            0 => String::new(),
            k => format!("  ({k} transfer(s) reset, measured again)"),
        };
        println!(
            "{name:<14} {:>12.1} {n:>10} {p50:>10.1} {p99:>10.1}{f}",
            gbits[i][1]
        );
    }
}
