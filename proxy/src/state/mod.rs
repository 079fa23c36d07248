//! Runtime state shared by the listeners, the health checkers and the stats socket.
//!
//! - `runtime.rs`: the process (`Runtime`): listens, global counters, live sessions.
//! - `listen.rs`: one listen (`ListenState`): selection with backup tiers and manual
//!   failback, reactions to server state changes, backend health.
//! - `server.rs`: one server (`ServerState`): admin state and health kept apart, weight,
//!   last check, sessions; `ServerSnapshot` for readers.
//! - `check.rs`: check outcomes in HAProxy's vocabulary (`CheckStatus`, `CheckResult`).
//! - `status.rs`: a server's coarse state in HAProxy's words (`ServerMode`).
//! - `history.rs`: recent state changes per server and the check-duration histogram.
//! - `counters.rs`: lock-free session/byte counters and rates.

mod check;
mod counters;
mod history;
mod listen;
mod runtime;
mod server;
mod status;

pub use check::{CheckResult, CheckStatus};
pub use counters::{Counters, RateCounter};
pub use history::{CHECK_BUCKETS, CheckLatency, HISTORY_LEN, History, StateChange};
pub use listen::{BackendSnapshot, ListenState};
pub use runtime::{Runtime, SessionInfo};
pub use server::{AdminChange, ForcedHealth, OpState, ServerSnapshot, ServerState, admin};
pub use status::ServerMode;

#[cfg(test)]
pub(crate) mod tests;
