//! The loopback addresses of one test, so every test has its own pair and proxy and all of
//! them run in parallel: block `n` is 127.0.n.0/24 with
//! - sockhop listening on 127.0.n.1:3306,
//! - sockhop's `source` address 127.0.n.2 (for tests that need one),
//! - the Primary on 127.0.n.10:3306 and the Secondary on 127.0.n.20:3306.
//!
//! Blocks in use (one per test; keep them unique): 101 replication, 102 round-robin,
//! 103 backup, 104 failover, 105 admin, 106 manual failback, 107 max_connect_errors,
//! 110 compat: HAProxy oracle, 111 compat: prometheus-haproxy-exporter, 112 compat: hatop,
//! 113 compat: sockhop ctl and socat over TCP, 114 the MySQL check function (mysql_check_real).

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
