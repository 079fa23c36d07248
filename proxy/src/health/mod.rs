//! Health checks.
//!
//! PLACEHOLDER SKELETON — replaced by the health-check work.

pub mod fsm;

use crate::state::Runtime;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Starts one checker task per checked server.
pub fn spawn_checkers(rt: &Arc<Runtime>, shutdown: CancellationToken) {
    let _ = (rt, shutdown);
}
