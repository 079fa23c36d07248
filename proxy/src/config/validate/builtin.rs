//! Built-in defaults: what a key is worth when neither the server, its listen nor
//! `[defaults]` sets it. HAProxy's value wherever HAProxy has one (documented in
//! docs/configuration.md).

use std::time::Duration;

/// `[global] maxconn`, and the default `maxconn` of every listen.
pub const GLOBAL_MAXCONN: u32 = 4000;
/// Upper bound of `[global] nbthread` (HAProxy's own limit is 64 per thread group).
pub const NBTHREAD_LIMIT: i64 = 64;

/// `[global] nbthread` when unset: one session thread per CPU this process may run on
/// (HAProxy's default too).
pub fn nbthread() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(NBTHREAD_LIMIT as usize) as u32)
}

/// HAProxy `stats timeout`.
pub const STATS_TIMEOUT: Duration = Duration::from_secs(10);
/// Stats socket permissions: owner only (HAProxy leaves it to the umask; sockhop is strict).
pub const STATS_MODE: u32 = 0o600;
/// Upper bound of every `maxconn`.
pub const MAXCONN_LIMIT: i64 = 1_000_000;

/// HAProxy has no default and warns; 5s is its documentation's usual choice.
pub const TIMEOUT_CONNECT: Duration = Duration::from_secs(5);
/// Inactivity timeouts; raise them if clients keep idle pooled connections longer.
pub const TIMEOUT_CLIENT: Duration = Duration::from_secs(60);
pub const TIMEOUT_SERVER: Duration = Duration::from_secs(60);
/// HAProxy `retries`.
pub const RETRIES: u32 = 3;
pub const RETRIES_LIMIT: i64 = 100;

/// HAProxy `inter`; `fastinter` and `downinter` default to the effective `inter`.
pub const INTER: Duration = Duration::from_secs(2);
pub const RISE: u32 = 2;
pub const FALL: u32 = 3;
pub const RISE_FALL_LIMIT: i64 = 1000;
pub const WEIGHT: u32 = 1;
/// HAProxy's maximum server weight.
pub const WEIGHT_LIMIT: i64 = 256;

/// `[web] refresh`: how often the status page reloads itself.
pub const WEB_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);
