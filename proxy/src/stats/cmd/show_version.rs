//! `show version`.

use super::Reply;

pub fn run() -> Reply {
    Reply::ok(format!("{}\n", env!("CARGO_PKG_VERSION")))
}
