//! New connections per second: several threads loop over connect, read the MySQL-style
//! greeting, send a login, read the OK, send COM_QUIT, wait for the server's close, close.

use crate::{BenchError, wire};
use serde::Serialize;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct ConnRateResult {
    pub scenario: &'static str,
    pub threads: usize,
    pub seconds: f64,
    pub connections: u64,
    pub errors: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub conn_per_s: f64,
}

/// Bytes one complete exchange moves in each direction.
fn exchange_sizes() -> (u64, u64) {
    let sent = 4 + wire::login().len() + 4 + wire::QUIT.len();
    let received = 4 + wire::greeting().len() + 4 + wire::OK.len();
    (sent as u64, received as u64)
}

pub fn run(addr: SocketAddr, threads: usize, dur: Duration) -> Result<ConnRateResult, BenchError> {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| thread::spawn(move || worker(addr, start + dur)))
        .collect();
    let (mut ok, mut errors) = (0u64, 0u64);
    let mut last_err = None;
    for h in handles {
        let (o, e, le) = h.join().expect("connrate thread panicked");
        ok += o;
        errors += e;
        last_err = last_err.or(le);
    }
    let seconds = start.elapsed().as_secs_f64();
    if ok == 0 {
        return Err(last_err.unwrap_or(BenchError::Protocol("no connection completed".into())));
    }
    let (s, r) = exchange_sizes();
    Ok(ConnRateResult {
        scenario: "connrate",
        threads,
        seconds,
        connections: ok,
        errors,
        bytes_sent: ok * s,
        bytes_received: ok * r,
        conn_per_s: ok as f64 / seconds,
    })
}

fn worker(addr: SocketAddr, deadline: Instant) -> (u64, u64, Option<BenchError>) {
    let (mut ok, mut errors, mut last) = (0, 0, None);
    while Instant::now() < deadline {
        match one(addr) {
            Ok(()) => ok += 1,
            Err(e) => {
                errors += 1;
                last = Some(e);
            }
        }
    }
    (ok, errors, last)
}

fn one(addr: SocketAddr) -> Result<(), BenchError> {
    let mut c = TcpStream::connect(addr).map_err(BenchError::io(format!("connect {addr}")))?;
    c.set_nodelay(true).map_err(BenchError::io("TCP_NODELAY"))?;
    let (seq, greeting) = wire::read_packet(&mut c).map_err(BenchError::io("read greeting"))?;
    if seq != 0 || greeting.first() != Some(&10) {
        return Err(BenchError::Protocol("not a protocol-10 greeting".into()));
    }
    wire::write_packet(&mut c, 1, &wire::login()).map_err(BenchError::io("send login"))?;
    let (_, ok) = wire::read_packet(&mut c).map_err(BenchError::io("read OK"))?;
    if ok.first() != Some(&0) {
        return Err(BenchError::Protocol("login not answered with OK".into()));
    }
    wire::write_packet(&mut c, 0, &wire::QUIT).map_err(BenchError::io("send COM_QUIT"))?;
    let mut rest = [0u8; 16];
    match c
        .read(&mut rest)
        .map_err(BenchError::io("wait for close"))?
    {
        0 => Ok(()),
        _ => Err(BenchError::Protocol("data after COM_QUIT".into())),
    }
}
