//! Ready-made typed configurations for tests that build a runtime without a file: the
//! built-in defaults (HAProxy's timings, one listen, no stats socket), each piece returned
//! as a plain struct for the test to adjust. One place to follow when the model grows.

use super::{
    Balance, CheckKind, CheckParams, Config, DataPathChoice, Failback, Global, Listen,
    OnMarkedDown, OnMarkedUp, Server, Timeouts,
};
use std::net::SocketAddr;
use std::time::Duration;

/// A server at `address`, weight 1, with `check` (None: no health check), rise 2, fall 3,
/// inter 2s.
pub fn server(name: &str, address: SocketAddr, backup: bool, check: Option<CheckKind>) -> Server {
    Server {
        name: name.into(),
        address_text: address.to_string(),
        address,
        check,
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
    }
}

/// A round-robin listen `name` bound to 127.0.0.1:3306 (not bound by the tests that use
/// it unless they say so), maxconn 100, 3 retries, connect 1s, client/server 60s.
pub fn listen(name: &str, servers: Vec<Server>) -> Listen {
    Listen {
        name: name.into(),
        binds: vec![([127, 0, 0, 1], 3306).into()],
        balance: Balance::RoundRobin,
        mysql_check: None,
        maxconn: 100,
        retries: 3,
        allbackups: false,
        on_marked_down: OnMarkedDown::Nothing,
        on_marked_up: OnMarkedUp::Nothing,
        failback: Failback::Auto,
        timeouts: Timeouts {
            connect: Duration::from_secs(1),
            client: Duration::from_secs(60),
            server: Duration::from_secs(60),
            check: None,
        },
        datapath: None,
        servers,
    }
}

/// A whole configuration around `listens`: maxconn 100, copy data path, node "test", no
/// stats socket, no web server, no user switch.
pub fn config(listens: Vec<Listen>) -> Config {
    Config {
        path: "test.toml".into(),
        global: Global {
            maxconn: 100,
            nbthread: 2,
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
