//! A hand-built runtime for the web module's unit tests: listen `My<SQL>` (a name that
//! needs escaping) with an active `Primary` and a backup `Secondary`, both TCP-checked.

use crate::config::{self, Balance, CheckKind, CheckParams, Failback, OnMarkedDown, OnMarkedUp};
use crate::state::Runtime;
use std::time::Duration;

pub fn runtime() -> Runtime {
    runtime_named("My<SQL>")
}

/// The same runtime with another listen name (e.g. one that needs label escaping).
pub fn runtime_named(listen_name: &str) -> Runtime {
    let server = |name: &str, port: u16, backup: bool| config::Server {
        name: name.into(),
        address_text: format!("127.0.0.1:{port}"),
        address: ([127, 0, 0, 1], port).into(),
        check: Some(CheckKind::Tcp),
        check_params: CheckParams {
            inter: Duration::from_secs(2),
            fastinter: Duration::from_secs(2),
            downinter: Duration::from_secs(2),
            rise: 2,
            fall: 3,
        },
        weight: 1,
        backup,
        maxconn: None,
        source: None,
        disabled: false,
    };
    let listen = config::Listen {
        name: listen_name.into(),
        binds: vec![([127, 0, 0, 1], 3306).into()],
        balance: Balance::RoundRobin,
        mysql_check: None,
        maxconn: 100,
        retries: 3,
        allbackups: false,
        on_marked_down: OnMarkedDown::Nothing,
        on_marked_up: OnMarkedUp::Nothing,
        failback: Failback::Auto,
        timeouts: config::Timeouts {
            connect: Duration::from_secs(1),
            client: Duration::from_secs(60),
            server: Duration::from_secs(60),
            check: None,
        },
        datapath: None,
        servers: vec![server("Primary", 1, false), server("Secondary", 2, true)],
    };
    Runtime::new(config::Config {
        path: "t.toml".into(),
        global: config::Global {
            maxconn: 10,
            datapath: config::DataPathChoice::Copy,
            node: "node-1".into(),
            description: String::new(),
            stats_timeout: Duration::from_secs(10),
            uid: None,
            gid: None,
        },
        stats_sockets: vec![],
        listens: vec![listen],
        web: None,
    })
}
