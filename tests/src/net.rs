//! The loopback addresses of one test, so every test has its own pair and proxy and all of
//! them run in parallel: block `n` is 127.0.n.0/24 with
//! - sockhop listening on 127.0.n.1:3306,
//! - sockhop's `source` address 127.0.n.2 (for tests that need one),
//! - the Primary on 127.0.n.10:3306 and the Secondary on 127.0.n.20:3306.
//!
//! Blocks in use (one per test; keep them unique):
//! - walkthrough: 101 replication (no proxy); the tests run once per data path
//!   ([`TestNet::per_path`]) in block `base + slot`, base 100 copy, 120 uring, 130 splice,
//!   140 sockmap, 150 auto, slot 2 round-robin, 3 backup, 4 failover, 5 admin, 6 manual
//!   failback, 8 `source` (so 102-108, 122-128, 132-138, 142-148, 152-158); slot 7 is
//!   max_connect_errors, which runs on copy only (107); slot 9 is the settle test, on auto
//!   only (159);
//! - 119: the data-path probes ([`probe_bind`]), 127.0.119.1-4 and .6 (one per path) and
//!   .5 (the probe's own test);
//! - compat: 110 HAProxy oracle, 111 prometheus-haproxy-exporter, 112 hatop, 113 sockhop
//!   ctl and socat over TCP; 114 the MySQL check function (mysql_check_real).

use crate::datapath::DataPath;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

pub const PORT: u16 = 3306;

#[derive(Debug, Clone, Copy)]
pub struct TestNet {
    pub block: u8,
}

impl TestNet {
    pub const fn new(block: u8) -> Self {
        TestNet { block }
    }

    /// The block of walkthrough test `slot` (2-9) on `path`.
    pub const fn per_path(slot: u8, path: DataPath) -> Self {
        assert!(slot >= 2 && slot <= 9, "walkthrough slots are 2-9");
        let base = match path {
            DataPath::Copy => 100,
            DataPath::Uring => 120,
            DataPath::Splice => 130,
            DataPath::Sockmap => 140,
            DataPath::Auto => 150,
        };
        TestNet::new(base + slot)
    }

    fn ip(self, last: u8) -> Ipv4Addr {
        Ipv4Addr::new(127, 0, self.block, last)
    }

    pub fn bind(self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(self.ip(1), PORT))
    }

    pub fn source(self) -> Ipv4Addr {
        self.ip(2)
    }

    pub fn primary(self) -> Ipv4Addr {
        self.ip(10)
    }

    pub fn secondary(self) -> Ipv4Addr {
        self.ip(20)
    }
}

/// Where the data-path probe for `path` binds (block 119, host 1-4, and 6 for auto).
pub fn probe_bind(path: DataPath) -> SocketAddr {
    match path {
        DataPath::Auto => probe_bind_at(6),
        _ => probe_bind_at(1 + path.index() as u8),
    }
}

/// Block 119's host `last` on [`PORT`]: 1-4 and 6 are the paths' probes, 5 the probe's own
/// test.
pub fn probe_bind_at(last: u8) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(127, 0, 119, last), PORT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_path_blocks_are_distinct_and_clear_of_the_others() {
        let mut seen = std::collections::HashSet::new();
        for path in DataPath::ALL {
            for slot in 2..=9 {
                let block = TestNet::per_path(slot, path).block;
                assert!(seen.insert(block), "block {block} used twice");
                assert!(![101, 110, 111, 112, 113, 114, 119].contains(&block));
            }
        }
        assert_eq!(TestNet::per_path(4, DataPath::Copy).block, 104);
        assert_eq!(TestNet::per_path(7, DataPath::Sockmap).block, 147);
    }
}
