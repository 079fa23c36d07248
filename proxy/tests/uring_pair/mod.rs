//! Test helpers shared by the io_uring suites (`datapath_uring`, `datapath_splice_moves`):
//! the paths as the tests select them, proxied pairs of real loopback sockets, and
//! position-addressed pseudo-random streams checked byte by byte.
#![allow(dead_code)]

use sockhop::config::DataPathChoice;
use sockhop::datapath::{DataPath, End, Meter, SessionIo, Transfer};
use sockhop::state::{ListenState, Runtime};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

pub const MB: u64 = 1024 * 1024;

pub fn path(choice: DataPathChoice) -> Option<DataPath> {
    match DataPath::select(choice, "test") {
        Ok(p) => Some(p),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!("{e}"),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// Every io_uring path: splice as configured (copy until a read fills a buffer, then
/// splice), splice from the first byte (so that every case below reaches the ring), uring,
/// and `auto` (splice whose request/response sessions settle on sockmap) when sockmap loads
/// here too (under CI it must: `datapath_settles.rs` fails otherwise).
pub fn paths() -> Vec<DataPath> {
    let mut v = Vec::new();
    if let Some(p) = path(DataPathChoice::Splice) {
        v.push(p.clone());
        if let DataPath::Splice(s) = p {
            v.push(DataPath::Splice(s.from_first_byte()));
        }
    }
    v.extend(path(DataPathChoice::Uring));
    if let Some(DataPath::Splice(s)) = path(DataPathChoice::Auto)
        && s.settles_on_sockmap()
    {
        v.push(DataPath::Splice(s));
    }
    v
}

pub fn session(rt: &Arc<Runtime>, idle: Duration) -> SessionIo {
    let listen = rt.listens[0].clone();
    let server = listen.servers[0].clone();
    SessionIo {
        client_timeout: idle,
        server_timeout: idle,
        cancel: CancellationToken::new(),
        meter: Meter {
            runtime: rt.clone(),
            listen,
            server,
        },
    }
}

/// One proxied connection: the test's client and server ends, and the running `forward`.
pub struct Proxied {
    pub client: TcpStream,
    pub server: TcpStream,
    pub forward: JoinHandle<Transfer>,
    pub cancel: CancellationToken,
    /// The session's listen (its `datapath_moves` says whether splice took over).
    pub listen: Arc<ListenState>,
    /// The session's process state (`spliced_out`: bytes written from pipes).
    pub rt: Arc<Runtime>,
}

/// Connects client -> proxy front and proxy back -> server on 127.0.0.x, then lets `path`
/// carry the pair. `before` runs on the client before the data path takes over.
pub async fn proxied_with(
    path: &DataPath,
    idle: Duration,
    before: impl AsyncFnOnce(&mut TcpStream),
) -> Proxied {
    let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let mut client = TcpStream::connect(front.local_addr().unwrap())
        .await
        .unwrap();
    let (front_sock, _) = front.accept().await.unwrap();
    before(&mut client).await;
    let back_sock = TcpStream::connect(back.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = back.accept().await.unwrap();
    let rt = crate::common::runtime();
    let s = session(&rt, idle);
    let cancel = s.cancel.clone();
    let listen = s.meter.listen.clone();
    let path = path.clone();
    let forward = tokio::spawn(async move { path.forward(front_sock, back_sock, &s).await });
    Proxied {
        client,
        server,
        forward,
        cancel,
        listen,
        rt,
    }
}

pub async fn proxied(path: &DataPath) -> Proxied {
    proxied_with(path, Duration::from_secs(30), async |_| {}).await
}

/// Byte `pos` of the pseudo-random stream `seed` (position-addressed, so either end can check
/// any chunk).
pub fn fill(seed: u64, pos: u64, buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        let p = pos + i as u64;
        let mut x = seed ^ (p >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
        *b = (x >> ((p & 7) * 8)) as u8;
    }
}

/// Writes `len` bytes of stream `seed`, then half-closes.
pub async fn send(w: &mut (impl AsyncWrite + Unpin), seed: u64, len: u64) -> io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut pos = 0;
    while pos < len {
        let n = (len - pos).min(buf.len() as u64) as usize;
        fill(seed, pos, &mut buf[..n]);
        w.write_all(&buf[..n]).await?;
        pos += n as u64;
    }
    w.shutdown().await
}

/// Reads to EOF, checking every byte against stream `seed`; returns the count.
pub async fn recv(r: &mut (impl AsyncRead + Unpin), seed: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut want = vec![0u8; 256 * 1024];
    let mut pos = 0u64;
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Ok(pos);
        }
        fill(seed, pos, &mut want[..n]);
        if buf[..n] != want[..n] {
            let at = buf[..n]
                .iter()
                .zip(&want[..n])
                .position(|(a, b)| a != b)
                .unwrap();
            return Err(io::Error::other(format!(
                "byte {} differs",
                pos + at as u64
            )));
        }
        pos += n as u64;
    }
}

/// Moves `up` bytes client -> server and `down` bytes server -> client at the same time and
/// checks both streams, the totals and a clean end.
pub async fn exchange(p: Proxied, up: u64, down: u64, seed: u64) {
    let Proxied {
        mut client,
        mut server,
        forward,
        ..
    } = p;
    both_ways(&mut client, &mut server, up, down, seed).await;
    let t = forward.await.unwrap();
    assert_eq!(
        t,
        Transfer {
            client_to_server: up,
            server_to_client: down,
            end: End::Done
        }
    );
}

/// Sends `up` bytes client -> server and `down` bytes server -> client at the same time
/// (each sender half-closes when done) and checks both streams byte for byte.
pub async fn both_ways(
    client: &mut TcpStream,
    server: &mut TcpStream,
    up: u64,
    down: u64,
    seed: u64,
) {
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let (a, b, c, d) = tokio::join!(
        send(&mut cw, seed, up),
        recv(&mut sr, seed),
        send(&mut sw, !seed, down),
        recv(&mut cr, !seed),
    );
    a.expect("client send");
    c.expect("server send");
    assert_eq!(b.expect("server receive"), up, "bytes at the server");
    assert_eq!(d.expect("client receive"), down, "bytes at the client");
}

pub async fn within<F: Future>(secs: u64, f: F) -> F::Output {
    timeout(Duration::from_secs(secs), f)
        .await
        .expect("stalled")
}
