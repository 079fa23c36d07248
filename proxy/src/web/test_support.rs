//! A hand-built runtime for the web module's unit tests: listen `My<SQL>` (a name that
//! needs escaping) with an active `Primary` and a backup `Secondary`, both TCP-checked.

use crate::config::{CheckKind, testing};
use crate::state::Runtime;

pub fn runtime() -> Runtime {
    runtime_named("My<SQL>")
}

/// The same runtime with another listen name (e.g. one that needs label escaping).
pub fn runtime_named(listen_name: &str) -> Runtime {
    let server = |name: &str, port: u16, backup: bool| {
        let addr = ([127, 0, 0, 1], port).into();
        testing::server(name, addr, backup, Some(CheckKind::Tcp))
    };
    let listen = testing::listen(
        listen_name,
        vec![server("Primary", 1, false), server("Secondary", 2, true)],
    );
    let mut config = testing::config(vec![listen]);
    config.path = "t.toml".into();
    config.global.maxconn = 10;
    config.global.node = "node-1".into();
    Runtime::new(config)
}
