//! Request/response: one TCP_NODELAY connection, fixed-size messages echoed back, the round
//! trip time of each recorded in an HDR histogram.

use crate::BenchError;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct RrResult {
    pub scenario: &'static str,
    pub size: usize,
    pub seconds: f64,
    pub round_trips: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub rtt_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

pub fn run(addr: SocketAddr, size: usize, dur: Duration) -> Result<RrResult, BenchError> {
    let mut c = TcpStream::connect(addr).map_err(BenchError::io(format!("connect {addr}")))?;
    c.set_nodelay(true).map_err(BenchError::io("TCP_NODELAY"))?;
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)
        .map_err(|e| BenchError::Protocol(e.to_string()))?;
    let mut req = vec![0u8; size];
    let mut resp = vec![0u8; size];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < dur {
        let k = 8.min(size);
        req[..k].copy_from_slice(&n.to_le_bytes()[..k]);
        let t = Instant::now();
        c.write_all(&req).map_err(BenchError::io("write request"))?;
        c.read_exact(&mut resp)
            .map_err(BenchError::io("read reply"))?;
        let ns = t.elapsed().as_nanos() as u64;
        if resp != req {
            return Err(BenchError::EchoCorrupt(n));
        }
        hist.saturating_record(ns.max(1));
        n += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    c.shutdown(Shutdown::Write)
        .map_err(BenchError::io("half-close"))?;
    let mut rest = Vec::new();
    c.read_to_end(&mut rest)
        .map_err(BenchError::io("read to end"))?;
    let us = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    let bytes = n * size as u64;
    Ok(RrResult {
        scenario: "rr",
        size,
        seconds,
        round_trips: n,
        bytes_sent: bytes,
        bytes_received: bytes + rest.len() as u64,
        rtt_per_s: n as f64 / seconds,
        p50_us: us(0.5),
        p99_us: us(0.99),
        p999_us: us(0.999),
        max_us: hist.max() as f64 / 1000.0,
    })
}
