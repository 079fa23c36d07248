//! `enable health` / `disable health <backend>/<server>`: turns a server's configured
//! health check on or off (off shows "no check" and keeps the last health).

use super::{Reply, find_server};
use crate::state::Runtime;

pub fn set(rt: &Runtime, target: &str, on: bool) -> Reply {
    let (listen, server) = match find_server(rt, target) {
        Ok(found) => found,
        Err(e) => return e,
    };
    if on && server.check_kind().is_none() {
        return Reply::error("Health check was not configured on this server, cannot enable.\n");
    }
    listen.set_checks_enabled(&server, on);
    Reply::done()
}
