//! Shared by the integration tests of the `sockhop` package: hand-built configurations.
#![allow(dead_code)]

use sockhop::config::{self, DataPathChoice};
use sockhop::state::Runtime;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub fn server(name: &str, address: SocketAddr, backup: bool) -> config::Server {
    config::Server {
        name: name.into(),
        address_text: address.to_string(),
        address,
        check: None,
        check_params: config::CheckParams {
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
    }
}

pub fn listen(bind: SocketAddr, servers: Vec<config::Server>) -> config::Listen {
    config::Listen {
        name: "L".into(),
        binds: vec![bind],
        balance: config::Balance::RoundRobin,
        mysql_check: None,
        maxconn: 100,
        retries: 3,
        allbackups: false,
        on_marked_down: config::OnMarkedDown::Nothing,
        on_marked_up: config::OnMarkedUp::Nothing,
        failback: config::Failback::Auto,
        timeouts: config::Timeouts {
            connect: Duration::from_secs(1),
            client: Duration::from_secs(60),
            server: Duration::from_secs(60),
            check: None,
        },
        datapath: None,
        servers,
    }
}

pub fn config(listens: Vec<config::Listen>) -> config::Config {
    config::Config {
        path: "test.toml".into(),
        global: config::Global {
            maxconn: 100,
            datapath: DataPathChoice::Copy,
            node: "test".into(),
            description: String::new(),
            stats_timeout: Duration::from_secs(10),
            uid: None,
            gid: None,
        },
        stats_sockets: vec![],
        listens,
        web: None,
    }
}

/// A runtime with one listen "L" and one server "S" (for driving data paths directly).
pub fn runtime() -> Arc<Runtime> {
    let s = server("S", ([127, 0, 0, 1], 9).into(), false);
    Arc::new(Runtime::new(config(vec![listen(
        ([127, 0, 0, 1], 0).into(),
        vec![s],
    )])))
}
