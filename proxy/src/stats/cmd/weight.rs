//! `get weight <backend>/<server>` (any level) and `set weight <backend>/<server> <w>[%]`.

use super::{Reply, find_server};
use crate::state::Runtime;
use crate::stats::command::WeightSpec;

pub fn get(rt: &Runtime, target: &str) -> Reply {
    match find_server(rt, target) {
        Ok((_, server)) => {
            let s = server.snapshot();
            Reply::ok(format!("{} (initial {})\n", s.uweight, s.iweight))
        }
        Err(e) => e,
    }
}

pub fn set(rt: &Runtime, target: &str, weight: Result<WeightSpec, &'static str>) -> Reply {
    let (listen, server) = match find_server(rt, target) {
        Ok(found) => found,
        Err(e) => return e,
    };
    match weight {
        Ok(w) => {
            apply(&listen, &server, w);
            Reply::done()
        }
        Err(e) => Reply::error(e),
    }
}

/// Sets the weight (a percentage is of the configured weight).
pub fn apply(
    listen: &crate::state::ListenState,
    server: &crate::state::ServerState,
    w: WeightSpec,
) {
    let weight = w.resolve(server.config.weight);
    listen.set_weight(server, weight);
}
