//! `disable server <backend>/<server>`: forced maintenance (checks stop), like
//! `set server <b>/<s> state maint`.

use super::{Reply, find_server};
use crate::state::{AdminChange, Runtime};

pub fn run(rt: &Runtime, target: &str) -> Reply {
    match find_server(rt, target) {
        Ok((listen, server)) => {
            listen.set_admin(&server, AdminChange::Maint);
            Reply::done()
        }
        Err(e) => e,
    }
}
