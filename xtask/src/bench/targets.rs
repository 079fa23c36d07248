//! What the bench measures through: `direct` (no proxy), `haproxy`, and `sockhop-<path>`
//! for each data path that starts. Every target has its own loopback address; the raw
//! backend and the MariaDB pair sit behind all of them at once.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// Address of the raw backend fixture.
pub const BACKEND_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 77, 1);
pub const SINK_PORT: u16 = 15001;
pub const ECHO_PORT: u16 = 15002;
pub const GREETING_PORT: u16 = 15003;
/// Port of every proxy's MySQL listen.
pub const MYSQL_PORT: u16 = 13306;

/// The sockhop data paths, in report order. `auto` is what a default configuration gets:
/// splice whose request/response sessions settle on sockmap.
pub const DATA_PATHS: [&str; 5] = ["copy", "uring", "splice", "sockmap", "auto"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Haproxy,
    Sockhop(&'static str),
}

/// One target: where each scenario connects.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub kind: Kind,
    /// The proxy's listen address (unused for direct).
    pub ip: Ipv4Addr,
    /// The MySQL endpoint: the Primary itself for direct, the proxy's MySQL listen otherwise.
    pub mysql: SocketAddr,
    /// PID of the proxy process, once started.
    pub pid: Option<u32>,
}

impl Target {
    pub fn direct(primary: SocketAddr) -> Target {
        Target {
            name: "direct".into(),
            kind: Kind::Direct,
            ip: BACKEND_IP,
            mysql: primary,
            pid: None,
        }
    }

    pub fn proxy(kind: Kind, ip: Ipv4Addr) -> Target {
        let name = match &kind {
            Kind::Direct => "direct".to_string(),
            Kind::Haproxy => "haproxy".to_string(),
            Kind::Sockhop(p) => format!("sockhop-{p}"),
        };
        Target {
            name,
            kind,
            ip,
            mysql: SocketAddr::V4(SocketAddrV4::new(ip, MYSQL_PORT)),
            pid: None,
        }
    }

    pub fn sink(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(self.ip, SINK_PORT))
    }
    pub fn echo(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(self.ip, ECHO_PORT))
    }
    pub fn greeting(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(self.ip, GREETING_PORT))
    }
    pub fn is_proxy(&self) -> bool {
        self.kind != Kind::Direct
    }
}

/// The loopback address of a proxy target: haproxy .2, sockhop paths .3 upwards.
pub fn proxy_ip(kind: &Kind) -> Ipv4Addr {
    let last = match kind {
        Kind::Direct => 1,
        Kind::Haproxy => 2,
        Kind::Sockhop(p) => 3 + DATA_PATHS.iter().position(|d| d == p).unwrap_or(0) as u8,
    };
    Ipv4Addr::new(127, 0, 77, last)
}

/// Health-check settings shared by the HAProxy and sockhop configurations.
pub const CHECK_INTER_MS: u64 = 1000;
pub const CHECK_RISE: u32 = 2;
pub const CHECK_FALL: u32 = 3;

/// The raw listens every proxy carries: (name, port).
pub const RAW_LISTENS: [(&str, u16); 3] = [
    ("sink", SINK_PORT),
    ("echo", ECHO_PORT),
    ("greeting", GREETING_PORT),
];
