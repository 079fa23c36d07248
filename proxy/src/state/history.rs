//! What a server keeps about its past: a bounded ring of state changes ([`History`]) and
//! the distribution of health-check durations ([`CheckLatency`]).

use super::status::ServerMode;
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

/// How many state changes a server remembers.
pub const HISTORY_LEN: usize = 10;

/// Upper bounds (seconds) of the check-duration histogram buckets; a last `+Inf` bucket
/// is implied.
pub const CHECK_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// One change of a server's coarse state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub at: SystemTime,
    pub from: ServerMode,
    pub to: ServerMode,
    /// Why: the check outcome, or the operator action.
    pub reason: String,
}

/// The most recent [`HISTORY_LEN`] state changes, oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    ring: VecDeque<StateChange>,
}

impl History {
    /// Records a change if `from != to`, dropping the oldest beyond [`HISTORY_LEN`].
    pub fn record(&mut self, from: ServerMode, to: ServerMode, reason: impl Into<String>) {
        if from == to {
            return;
        }
        if self.ring.len() == HISTORY_LEN {
            self.ring.pop_front();
        }
        self.ring.push_back(StateChange {
            at: SystemTime::now(),
            from,
            to,
            reason: reason.into(),
        });
    }

    pub fn changes(&self) -> Vec<StateChange> {
        self.ring.iter().cloned().collect()
    }
}

/// Cumulative histogram of check durations (Prometheus style).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckLatency {
    /// Checks that took at most `CHECK_BUCKETS[i]` (non-cumulative per bucket; the last
    /// slot counts the rest).
    pub buckets: [u64; CHECK_BUCKETS.len() + 1],
    pub count: u64,
    pub sum: Duration,
}

impl CheckLatency {
    pub fn observe(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        let slot = CHECK_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(CHECK_BUCKETS.len());
        self.buckets[slot] += 1;
        self.count += 1;
        self.sum += d;
    }

    /// `(upper bound, cumulative count)` for every bucket, ending with `(+Inf, count)`.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut acc = 0;
        let mut out = Vec::with_capacity(self.buckets.len());
        for (i, n) in self.buckets.iter().enumerate() {
            acc += n;
            out.push((CHECK_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY), acc));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_skips_non_changes() {
        let mut h = History::default();
        h.record(ServerMode::Up, ServerMode::Up, "nothing");
        assert!(h.changes().is_empty());
        for i in 0..HISTORY_LEN + 3 {
            let (a, b) = if i % 2 == 0 {
                (ServerMode::Up, ServerMode::Down)
            } else {
                (ServerMode::Down, ServerMode::Up)
            };
            h.record(a, b, format!("#{i}"));
        }
        let c = h.changes();
        assert_eq!(c.len(), HISTORY_LEN);
        assert_eq!(c[0].reason, "#3");
        assert_eq!(c.last().unwrap().reason, format!("#{}", HISTORY_LEN + 2));
    }

    #[test]
    fn latency_buckets_are_cumulative() {
        let mut l = CheckLatency::default();
        l.observe(Duration::from_micros(500));
        l.observe(Duration::from_millis(30));
        l.observe(Duration::from_secs(9));
        let c = l.cumulative();
        assert_eq!(c[0], (0.001, 1));
        assert_eq!(c[5], (0.05, 2));
        assert_eq!(c.last().unwrap().1, 3);
        assert!(c.last().unwrap().0.is_infinite());
        assert_eq!(l.count, 3);
    }
}
