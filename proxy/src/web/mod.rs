//! The web status page and Prometheus `/metrics` (`[web]` in the configuration).
//!
//! - `server.rs`: binding, accepting, timeouts, routing.
//! - `http.rs`: reading one bounded HTTP/1.1 request, writing one response.
//! - `auth.rs`: HTTP Basic authentication, CSRF token and same-origin check.
//! - `page.rs`: the HTML status page.
//! - `history.rs`: ages, timestamps and the recent state changes the page lists.
//! - `actions.rs`: the enable/disable/drain buttons, applied through `ListenState::set_admin`.
//! - `metrics.rs`: `/metrics` with HAProxy's exporter names plus `sockhop_*` metrics.
//!
//! What the page shows and the metric list: docs/web.md.

pub mod actions;
pub mod auth;
pub mod history;
pub mod http;
pub mod metrics;
pub mod page;
mod server;

#[cfg(test)]
mod test_support;

pub use server::{IO_TIMEOUT, MAX_CONNECTIONS, WebServer, serve};

use std::net::SocketAddr;

/// Why the web server could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("[web] cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("[web] cannot read random bytes for the form token: {0}")]
    Random(std::io::Error),
}
