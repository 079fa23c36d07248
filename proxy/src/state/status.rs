//! A server's coarse state in HAProxy's words (UP/DOWN/MAINT/DRAIN), from its admin bits and
//! health: what the state history records and `haproxy_server_status` reports. The full
//! `show stat` text (`UP 2/3`, `no check`, ...) is `stats::status::server_status`.

use super::server::{ServerSnapshot, admin};

/// The coarse state of a server: what it does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerMode {
    /// Healthy and ready (or without a check).
    Up,
    /// Failed its checks (or forced down).
    Down,
    /// In maintenance: from the operator (`disable server`) or the configuration.
    Maint,
    /// Healthy but taking no new sessions (`set server state drain`).
    Drain,
    /// Up but stopping: no new sessions (`set server health stopping`).
    Nolb,
}

impl ServerMode {
    /// From the admin bits and the health: MAINT wins, then DOWN, then NOLB, then DRAIN.
    pub fn of(admin_bits: u8, up: bool, stopping: bool) -> ServerMode {
        if admin_bits & admin::MAINT != 0 {
            ServerMode::Maint
        } else if !up {
            ServerMode::Down
        } else if stopping {
            ServerMode::Nolb
        } else if admin_bits & admin::DRAIN != 0 {
            ServerMode::Drain
        } else {
            ServerMode::Up
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServerMode::Up => "UP",
            ServerMode::Down => "DOWN",
            ServerMode::Maint => "MAINT",
            ServerMode::Drain => "DRAIN",
            ServerMode::Nolb => "NOLB",
        }
    }
}

impl ServerSnapshot {
    pub fn mode(&self) -> ServerMode {
        ServerMode::of(self.admin, self.up, self.stopping)
    }
}
