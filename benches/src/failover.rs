//! Query load for the failover scenario: several threads run a query whose first column is
//! the server id, reconnecting after any error. It records when each error happened and when
//! a thread's queries start succeeding on a different server (or again after an error), so
//! the caller can measure the outage around the moment it stopped a server.

use crate::mysql::{Conn, Login};
use crate::{BenchError, unix_micros};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

/// Pause after an error before reconnecting (bounds the error rate of a refused connect).
const BACKOFF: Duration = Duration::from_millis(10);
/// At most this many error timestamps are kept per thread.
const MAX_ERRORS: usize = 20_000;

/// A success that starts a new run: first success of a thread, first after an error, or
/// first on another server.
#[derive(Debug, Clone, Serialize)]
pub struct Switch {
    pub at_us: u64,
    pub server: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailoverLoad {
    pub scenario: &'static str,
    pub threads: usize,
    pub seconds: f64,
    pub queries: u64,
    pub errors: u64,
    pub qps: f64,
    pub by_server: BTreeMap<String, u64>,
    pub error_at_us: Vec<u64>,
    pub switches: Vec<Switch>,
    pub last_error: Option<String>,
}

#[derive(Default)]
struct ThreadLog {
    queries: u64,
    errors: u64,
    by_server: BTreeMap<String, u64>,
    error_at_us: Vec<u64>,
    switches: Vec<Switch>,
    last_error: Option<String>,
}

pub fn run(
    addr: SocketAddr,
    login: Login,
    sql: String,
    threads: usize,
    dur: Duration,
) -> Result<FailoverLoad, BenchError> {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (l, q) = (login.clone(), sql.clone());
            thread::spawn(move || worker(addr, &l, &q, start + dur))
        })
        .collect();
    let mut out = FailoverLoad {
        scenario: "failover_load",
        threads,
        seconds: 0.0,
        queries: 0,
        errors: 0,
        qps: 0.0,
        by_server: BTreeMap::new(),
        error_at_us: Vec::new(),
        switches: Vec::new(),
        last_error: None,
    };
    for h in handles {
        let log = h.join().expect("failover thread panicked");
        out.queries += log.queries;
        out.errors += log.errors;
        for (k, v) in log.by_server {
            *out.by_server.entry(k).or_default() += v;
        }
        out.error_at_us.extend(log.error_at_us);
        out.switches.extend(log.switches);
        out.last_error = out.last_error.or(log.last_error);
    }
    out.seconds = start.elapsed().as_secs_f64();
    out.qps = out.queries as f64 / out.seconds;
    out.error_at_us.sort_unstable();
    out.switches.sort_by_key(|s| s.at_us);
    Ok(out)
}

fn worker(addr: SocketAddr, login: &Login, sql: &str, deadline: Instant) -> ThreadLog {
    let mut log = ThreadLog::default();
    let mut conn: Option<Conn> = None;
    let mut prev: Option<String> = None; // server of the previous success; None after an error
    while Instant::now() < deadline {
        let result = match conn.as_mut() {
            Some(c) => c.query_first(sql),
            None => match Conn::connect(addr, login, Duration::from_secs(2)) {
                Ok(c) => conn.insert(c).query_first(sql),
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(server) => {
                let server = server.unwrap_or_default();
                log.queries += 1;
                *log.by_server.entry(server.clone()).or_default() += 1;
                if prev.as_ref() != Some(&server) {
                    log.switches.push(Switch {
                        at_us: unix_micros(),
                        server: server.clone(),
                    });
                }
                prev = Some(server);
            }
            Err(e) => {
                log.errors += 1;
                if log.error_at_us.len() < MAX_ERRORS {
                    log.error_at_us.push(unix_micros());
                }
                log.last_error = Some(e.to_string());
                conn = None;
                prev = None;
                thread::sleep(BACKOFF);
            }
        }
    }
    if let Some(c) = conn {
        c.quit();
    }
    log
}
