//! Lock-free traffic counters shared by the data paths (writers) and the stats socket (reader).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tokio::time::Instant;

/// Session and byte counters of a frontend, backend or server (HAProxy's scur/smax/stot/
/// bin/bout/econ/eresp/wretr/wredis/cli_abrt/srv_abrt/lbtot).
#[derive(Debug, Default)]
pub struct Counters {
    /// Current sessions (`scur`).
    pub cur: AtomicU64,
    /// Highest `cur` seen (`smax`).
    pub max: AtomicU64,
    /// Cumulative sessions (`stot`).
    pub total: AtomicU64,
    /// Bytes received from clients (`bin`).
    pub bytes_in: AtomicU64,
    /// Bytes sent to clients (`bout`).
    pub bytes_out: AtomicU64,
    /// Failed connects to a server (`econ`).
    pub conn_errors: AtomicU64,
    /// Sessions cut on the server side by an error (`eresp`).
    pub resp_errors: AtomicU64,
    /// Connect retries (`wretr`).
    pub retries: AtomicU64,
    /// Redispatches to another server (`wredis`).
    pub redispatches: AtomicU64,
    /// Sessions aborted by the client (`cli_abrt`).
    pub cli_aborts: AtomicU64,
    /// Sessions aborted by the server (`srv_abrt`).
    pub srv_aborts: AtomicU64,
    /// Times selected by the balancer (`lbtot`).
    pub lb_total: AtomicU64,
    /// Connection attempts to servers (`connect`).
    pub connects: AtomicU64,
    /// Session start rate (`rate`, `rate_max`).
    pub rate: RateCounter,
    /// Timestamp of the last session start (`lastsess`).
    pub last_session: Mutex<Option<Instant>>,
}

impl Counters {
    /// A session started here.
    pub fn session_start(&self) {
        let cur = self.cur.fetch_add(1, Relaxed) + 1;
        self.max.fetch_max(cur, Relaxed);
        self.total.fetch_add(1, Relaxed);
        self.rate.hit(Instant::now());
        *self.last_session.lock().unwrap() = Some(Instant::now());
    }

    /// A session that started here ended.
    pub fn session_end(&self) {
        self.cur.fetch_sub(1, Relaxed);
    }

    pub fn add_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Relaxed);
    }
    pub fn add_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Relaxed);
    }

    /// `clear counters`: maxima and rates only. `clear counters all`: everything but `cur`.
    pub fn clear(&self, all: bool) {
        self.max.store(self.cur.load(Relaxed), Relaxed);
        self.rate.clear_max();
        if all {
            for c in [
                &self.total,
                &self.bytes_in,
                &self.bytes_out,
                &self.conn_errors,
                &self.resp_errors,
                &self.retries,
                &self.redispatches,
                &self.cli_aborts,
                &self.srv_aborts,
                &self.lb_total,
                &self.connects,
            ] {
                c.store(0, Relaxed);
            }
        }
    }
}

/// Events per second over the last second, like HAProxy's `freq_ctr`: the current second's
/// count plus the previous second's count weighted by the part of it still inside the window.
#[derive(Debug, Default)]
pub struct RateCounter {
    inner: Mutex<RateInner>,
}

#[derive(Debug, Default)]
struct RateInner {
    origin: Option<Instant>,
    second: u64,
    cur: u64,
    prev: u64,
    max: u64,
}

impl RateInner {
    fn rotate(&mut self, now: Instant) -> f64 {
        let origin = *self.origin.get_or_insert(now);
        let elapsed = now.saturating_duration_since(origin);
        let sec = elapsed.as_secs();
        if sec != self.second {
            self.prev = if sec == self.second + 1 { self.cur } else { 0 };
            self.cur = 0;
            self.second = sec;
        }
        f64::from(elapsed.subsec_millis()) / 1000.0
    }
    fn value(&self, frac: f64) -> u64 {
        self.cur + ((self.prev as f64) * (1.0 - frac)).round() as u64
    }
}

impl RateCounter {
    pub fn hit(&self, now: Instant) {
        let mut r = self.inner.lock().unwrap();
        let frac = r.rotate(now);
        r.cur += 1;
        let v = r.value(frac);
        r.max = r.max.max(v);
    }
    /// Current rate (events in the last second).
    pub fn rate(&self, now: Instant) -> u64 {
        let mut r = self.inner.lock().unwrap();
        let frac = r.rotate(now);
        r.value(frac)
    }
    /// Highest rate seen.
    pub fn max(&self) -> u64 {
        self.inner.lock().unwrap().max
    }
    fn clear_max(&self) {
        self.inner.lock().unwrap().max = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn rate_counts_the_last_second() {
        let r = RateCounter::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            r.hit(t0);
        }
        assert_eq!(r.rate(t0), 10);
        assert_eq!(r.rate(t0 + Duration::from_millis(1500)), 5);
        assert_eq!(r.rate(t0 + Duration::from_secs(3)), 0);
        assert_eq!(r.max(), 10);
    }

    #[test]
    fn sessions_track_cur_max_total() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let c = Counters::default();
            c.session_start();
            c.session_start();
            c.session_end();
            assert_eq!(c.cur.load(Relaxed), 1);
            assert_eq!(c.max.load(Relaxed), 2);
            assert_eq!(c.total.load(Relaxed), 2);
            c.clear(false);
            assert_eq!(c.max.load(Relaxed), 1);
            assert_eq!(c.total.load(Relaxed), 2);
            c.clear(true);
            assert_eq!(c.total.load(Relaxed), 0);
        });
    }
}
