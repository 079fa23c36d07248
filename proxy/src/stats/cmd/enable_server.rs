//! `enable server <backend>/<server>`: leaves maintenance (and drain), like
//! `set server <b>/<s> state ready`; checks restart with health = rise ("UP 1/3").

use super::{Reply, find_server};
use crate::state::{AdminChange, Runtime};

pub fn run(rt: &Runtime, target: &str) -> Reply {
    match find_server(rt, target) {
        Ok((listen, server)) => {
            listen.set_admin(&server, AdminChange::Ready);
            Reply::done()
        }
        Err(e) => e,
    }
}
