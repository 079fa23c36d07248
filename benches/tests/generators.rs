//! The load generators against the raw backend on loopback: every figure comes out, bytes
//! arrive whole, and a wrong byte count is caught.

use sockhop_bench::{backend, connrate, rr, throughput};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

const SHORT: Duration = Duration::from_millis(200);

#[test]
fn generators_measure_the_raw_backend() {
    let b = backend::start(any_port(), any_port(), any_port()).unwrap();

    let t = throughput::run(b.sink, 2, SHORT).unwrap();
    assert!(t.bytes_sent > 0);
    assert_eq!(t.bytes_sent, t.bytes_received);
    assert!(t.gbit_per_s > 0.0);

    let r = rr::run(b.echo, 64, SHORT).unwrap();
    assert!(r.round_trips > 0);
    assert_eq!(r.bytes_sent, r.bytes_received);
    assert!(r.p50_us > 0.0 && r.p50_us <= r.p99_us && r.p99_us <= r.p999_us);

    let c = connrate::run(b.greeting, 2, SHORT).unwrap();
    assert!(c.connections > 0);
    assert_eq!(c.errors, 0);
    assert!(c.conn_per_s > 0.0);
}

#[test]
fn a_sink_that_loses_bytes_is_caught() {
    // A sink that reports one byte fewer than it received.
    let l = TcpListener::bind(any_port()).unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let mut buf = vec![0u8; 65536];
            let mut n = 0u64;
            while let Ok(k) = c.read(&mut buf) {
                if k == 0 {
                    break;
                }
                n += k as u64;
            }
            let _ = c.write_all(&(n - 1).to_le_bytes());
        }
    });
    let err = throughput::run(addr, 1, SHORT).unwrap_err();
    assert!(err.to_string().contains("byte count mismatch"), "{err}");
}
