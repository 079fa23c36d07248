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
    /// Connect time in ms, averaged over the last sessions (`ctime`, `ctime_max`).
    pub connect_ms: SlidingAvg,
    /// Whole session time in ms, averaged over the last sessions (`ttime`, `ttime_max`).
    pub session_ms: SlidingAvg,
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

    /// A connect to a server succeeded after `ms` (first attempt to established).
    pub fn connected_after(&self, ms: u64) {
        self.connect_ms.add(ms);
    }

    /// A session that started here lasted `ms`.
    pub fn session_lasted(&self, ms: u64) {
        self.session_ms.add(ms);
    }

    pub fn add_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Relaxed);
    }
    pub fn add_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Relaxed);
    }

    /// `clear counters`: maxima and rates only. `clear counters all`: everything but `cur`.
    pub fn clear(&self, all: bool) {
        self.max.store(0, Relaxed);
        self.rate.clear_max();
        self.connect_ms.clear_max();
        self.session_ms.clear_max();
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

/// HAProxy's sliding average over the last [`SlidingAvg::SAMPLES`] values (`swrate`):
/// `sum = sum - sum / n + v`, average = `sum / n` once `n` values were seen (before that,
/// the average of the values seen so far), plus the highest value seen.
#[derive(Debug, Default)]
pub struct SlidingAvg {
    inner: Mutex<(u64, u64, u64)>,
}

impl SlidingAvg {
    pub const SAMPLES: u64 = 1024;

    pub fn add(&self, v: u64) {
        let mut g = self.inner.lock().unwrap();
        let (sum, count, max) = &mut *g;
        *count = (*count + 1).min(Self::SAMPLES);
        *sum = *sum - *sum / Self::SAMPLES + v;
        *max = (*max).max(v);
    }
    /// The average, 0 before any value.
    pub fn avg(&self) -> u64 {
        let (sum, count, _) = *self.inner.lock().unwrap();
        if count == 0 {
            0
        } else if count < Self::SAMPLES {
            // The decay has only applied to `count` values: weight them evenly.
            sum / count
        } else {
            sum / Self::SAMPLES
        }
    }
    pub fn max(&self) -> u64 {
        self.inner.lock().unwrap().2
    }
    fn clear_max(&self) {
        self.inner.lock().unwrap().2 = 0;
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

    #[test]
    fn sliding_average() {
        let a = SlidingAvg::default();
        assert_eq!(a.avg(), 0);
        a.add(10);
        a.add(20);
        assert_eq!(a.max(), 20);
        assert!((14..=15).contains(&a.avg()), "{}", a.avg());
        for _ in 0..5000 {
            a.add(100);
        }
        assert!((99..=100).contains(&a.avg()), "{}", a.avg());
    }

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
            assert_eq!(c.max.load(Relaxed), 0);
            assert_eq!(c.total.load(Relaxed), 2);
            c.clear(true);
            assert_eq!(c.total.load(Relaxed), 0);
        });
    }
}
