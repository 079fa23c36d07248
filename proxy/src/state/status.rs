//! A server's state in HAProxy's words, from a [`ServerSnapshot`]: the coarse state
//! (UP/DOWN/MAINT/DRAIN) and the `status` text of `show stat` (`UP 2/3`, `DOWN 1/2`,
//! `no check`, ...). Shared by every reader (web page, metrics, stats socket).

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
}

impl ServerMode {
    /// From the admin bits and the health: MAINT wins, then DOWN, then DRAIN.
    pub fn of(admin_bits: u8, up: bool) -> ServerMode {
        if admin_bits & admin::MAINT != 0 {
            ServerMode::Maint
        } else if !up {
            ServerMode::Down
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
        }
    }
}

impl ServerSnapshot {
    pub fn mode(&self) -> ServerMode {
        ServerMode::of(self.admin, self.up)
    }

    /// HAProxy's `status` column: `MAINT`, `UP`, `UP 2/3` (going down: (health-rise+1)/fall),
    /// `DRAIN`, `DRAIN 2/3`, `DOWN`, `DOWN 1/2` (going up: health/rise) or `no check`.
    pub fn status_text(&self) -> String {
        match self.mode() {
            ServerMode::Maint => "MAINT".into(),
            ServerMode::Down if self.check_enabled && self.health > 0 => {
                format!("DOWN {}/{}", self.health, self.rise)
            }
            ServerMode::Down => "DOWN".into(),
            mode => {
                let top = self.rise + self.fall.saturating_sub(1);
                let going = (self.check_enabled && self.health < top).then(|| {
                    format!(
                        "{}/{}",
                        (self.health + 1).saturating_sub(self.rise),
                        self.fall
                    )
                });
                match (mode, going) {
                    (ServerMode::Drain, Some(g)) => format!("DRAIN {g}"),
                    (ServerMode::Drain, None) => "DRAIN".into(),
                    (_, Some(g)) => format!("UP {g}"),
                    (_, None) if !self.check_enabled => "no check".into(),
                    (_, None) => "UP".into(),
                }
            }
        }
    }
}
