//! `shutdown session <id>` and `shutdown sessions server <backend>/<server>`.

use super::{Reply, find_server};
use crate::state::Runtime;

pub fn session(rt: &Runtime, id: Option<u64>) -> Reply {
    let Some(id) = id else {
        return Reply::error("Session pointer expected (use 'show sess').\n");
    };
    let killed = rt.session(id).is_some_and(|s| {
        let server = s.server.and_then(|sid| {
            rt.listens
                .iter()
                .find(|l| l.id == s.listen)
                .and_then(|l| l.servers.iter().find(|srv| srv.id == sid))
        });
        server.is_some_and(|srv| srv.shutdown_session(id))
    });
    if killed {
        Reply::done()
    } else {
        Reply::error("No such session (use 'show sess').\n")
    }
}

pub fn server_sessions(rt: &Runtime, target: &str) -> Reply {
    match find_server(rt, target) {
        Ok((_, server)) => {
            server.shutdown_sessions();
            Reply::done()
        }
        Err(e) => e,
    }
}
