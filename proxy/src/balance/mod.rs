//! Server selection within one tier (active or backup servers): pure algorithms over a list
//! of candidates, so selection sequences can be tested without sockets.
//!
//! - `roundrobin.rs`: smooth weighted round-robin.
//! - `leastconn.rs`: fewest current sessions per unit of weight, ties rotate.
//! - `first.rs`: the first server (in configuration order) that has room.
//!
//! Which tier is asked, and which servers are candidates (usable, below their `maxconn`, not
//! already tried), is decided by [`crate::state::ListenState::pick`].

mod first;
mod leastconn;
mod roundrobin;

use crate::config::Balance;

/// A server that may take the next session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Position of the server in its listen (0-based, configuration order).
    pub index: usize,
    /// Current user weight (> 0).
    pub weight: u32,
    /// Current sessions on the server.
    pub cur: u64,
}

/// Per-listen selection state.
#[derive(Debug)]
pub struct Balancer {
    algo: Balance,
    rr: roundrobin::SmoothWrr,
    lc: leastconn::LeastConn,
}

impl Balancer {
    /// `servers`: how many servers the listen has.
    pub fn new(algo: Balance, servers: usize) -> Self {
        Balancer {
            algo,
            rr: roundrobin::SmoothWrr::new(servers),
            lc: leastconn::LeastConn::default(),
        }
    }

    /// Picks one candidate; returns its `index`, or `None` if `cands` is empty.
    pub fn pick(&mut self, cands: &[Candidate]) -> Option<usize> {
        if cands.is_empty() {
            return None;
        }
        Some(match self.algo {
            Balance::RoundRobin => self.rr.pick(cands),
            Balance::LeastConn => self.lc.pick(cands),
            Balance::First => first::pick(cands),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(index: usize, weight: u32, cur: u64) -> Candidate {
        Candidate { index, weight, cur }
    }

    fn sequence(b: &mut Balancer, cands: &[Candidate], n: usize) -> Vec<usize> {
        (0..n).map(|_| b.pick(cands).unwrap()).collect()
    }

    #[test]
    fn roundrobin_alternates_equal_weights() {
        let mut b = Balancer::new(Balance::RoundRobin, 2);
        assert_eq!(
            sequence(&mut b, &[c(0, 1, 0), c(1, 1, 0)], 6),
            [0, 1, 0, 1, 0, 1]
        );
    }

    #[test]
    fn roundrobin_is_smooth_and_weighted() {
        let mut b = Balancer::new(Balance::RoundRobin, 3);
        let s = sequence(&mut b, &[c(0, 5, 0), c(1, 1, 0), c(2, 1, 0)], 7);
        assert_eq!(s, [0, 0, 1, 0, 2, 0, 0]);
        let s = sequence(&mut b, &[c(0, 3, 0), c(1, 1, 0)], 8);
        assert_eq!(s.iter().filter(|&&i| i == 0).count(), 6);
    }

    #[test]
    fn roundrobin_skips_missing_candidates() {
        let mut b = Balancer::new(Balance::RoundRobin, 3);
        assert_eq!(sequence(&mut b, &[c(0, 1, 0), c(2, 1, 0)], 4), [0, 2, 0, 2]);
        assert_eq!(sequence(&mut b, &[c(1, 1, 0)], 2), [1, 1]);
    }

    #[test]
    fn leastconn_prefers_fewest_sessions_per_weight() {
        let mut b = Balancer::new(Balance::LeastConn, 3);
        assert_eq!(b.pick(&[c(0, 1, 5), c(1, 1, 2), c(2, 1, 3)]), Some(1));
        // 4 sessions at weight 4 is lighter than 2 at weight 1.
        assert_eq!(b.pick(&[c(0, 4, 4), c(1, 1, 2)]), Some(0));
    }

    #[test]
    fn leastconn_rotates_ties() {
        let mut b = Balancer::new(Balance::LeastConn, 3);
        let cands = [c(0, 1, 0), c(1, 1, 0), c(2, 1, 0)];
        let s = sequence(&mut b, &cands, 3);
        let mut sorted = s.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2]);
    }

    #[test]
    fn first_takes_lowest_index() {
        let mut b = Balancer::new(Balance::First, 3);
        assert_eq!(sequence(&mut b, &[c(1, 1, 9), c(2, 1, 0)], 3), [1, 1, 1]);
    }

    #[test]
    fn empty_gives_none() {
        let mut b = Balancer::new(Balance::RoundRobin, 2);
        assert_eq!(b.pick(&[]), None);
    }
}
