//! `set server <backend>/<server> state ready|drain|maint`, `weight <w>[%]` and
//! `health up|down`.
//!
//! `health stopping` (HAProxy's NOLB) has no equivalent in sockhop's state model, and
//! forcing the health of a server without a health check has no effect in it: both answer
//! with an error instead of pretending.

use super::{Reply, find_server, weight};
use crate::state::Runtime;
use crate::stats::command::{Health, ServerChange};

pub fn run(rt: &Runtime, target: &str, change: Result<ServerChange, String>) -> Reply {
    let (listen, server) = match find_server(rt, target) {
        Ok(found) => found,
        Err(e) => return e,
    };
    match change {
        Err(e) => Reply::error(e),
        Ok(ServerChange::State(c)) => {
            listen.set_admin(&server, c);
            Reply::done()
        }
        Ok(ServerChange::Weight(w)) => {
            weight::apply(&listen, &server, w);
            Reply::done()
        }
        Ok(ServerChange::Health(Health::Stopping)) => Reply::error(
            "'set server <srv> health stopping' is not supported by sockhop; use 'set server <srv> state drain'.\n",
        ),
        Ok(ServerChange::Health(_)) if server.check_kind().is_none() => {
            Reply::error("This server has no health check: use 'set server <srv> state' instead.\n")
        }
        Ok(ServerChange::Health(h)) => {
            listen.force_health(&server, h == Health::Up);
            Reply::done()
        }
    }
}
