//! `set server <backend>/<server> state ready|drain|maint`, `weight <w>[%]` and
//! `health up|stopping|down` (stopping is HAProxy's NOLB: up, no new sessions, until the
//! next passed check).
//!
//! Forcing the health of a server without a health check has no effect in sockhop's state
//! model (its health cannot change), so it answers with an error instead of pretending.

use super::{Reply, find_server, weight};
use crate::state::{ForcedHealth, Runtime};
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
        Ok(ServerChange::Health(_)) if server.check_kind().is_none() => {
            Reply::error("This server has no health check: use 'set server <srv> state' instead.\n")
        }
        Ok(ServerChange::Health(h)) => {
            let forced = match h {
                Health::Up => ForcedHealth::Up,
                Health::Stopping => ForcedHealth::Stopping,
                Health::Down => ForcedHealth::Down,
            };
            listen.force_health(&server, forced);
            Reply::done()
        }
    }
}
