//! Bulk upload: N connections each write as fast as they can for the duration, half-close, and
//! read the sink's count of bytes received, which must equal the bytes sent.

use crate::BenchError;
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const CHUNK: usize = 128 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct ThroughputResult {
    pub scenario: &'static str,
    pub connections: usize,
    pub seconds: f64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub gbit_per_s: f64,
}

pub fn run(addr: SocketAddr, conns: usize, dur: Duration) -> Result<ThroughputResult, BenchError> {
    let barrier = Arc::new(Barrier::new(conns + 1));
    let handles: Vec<_> = (0..conns)
        .map(|i| {
            let b = Arc::clone(&barrier);
            thread::spawn(move || one(addr, i, dur, b))
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let (mut sent, mut received) = (0u64, 0u64);
    let mut first_err = None;
    for h in handles {
        match h.join().expect("throughput thread panicked") {
            Ok((s, r)) => {
                sent += s;
                received += r;
            }
            Err(e) => first_err = first_err.or(Some(e)),
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(ThroughputResult {
        scenario: if conns == 1 {
            "throughput_1"
        } else {
            "throughput_n"
        },
        connections: conns,
        seconds,
        bytes_sent: sent,
        bytes_received: received,
        gbit_per_s: received as f64 * 8.0 / seconds / 1e9,
    })
}

fn one(
    addr: SocketAddr,
    i: usize,
    dur: Duration,
    b: Arc<Barrier>,
) -> Result<(u64, u64), BenchError> {
    let conn = TcpStream::connect(addr).map_err(BenchError::io(format!("connect {addr}")));
    b.wait();
    let mut c = conn?;
    let buf = vec![0x5au8; CHUNK];
    let deadline = Instant::now() + dur;
    let mut sent = 0u64;
    while Instant::now() < deadline {
        c.write_all(&buf).map_err(BenchError::io("write"))?;
        sent += CHUNK as u64;
    }
    c.shutdown(Shutdown::Write)
        .map_err(BenchError::io("half-close"))?;
    let mut count = [0u8; 8];
    c.read_exact(&mut count)
        .map_err(BenchError::io("read the sink's byte count"))?;
    let received = u64::from_le_bytes(count);
    if received != sent {
        return Err(BenchError::Mismatch {
            conn: i,
            sent,
            received,
        });
    }
    Ok((sent, received))
}
