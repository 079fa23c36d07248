//! HAProxy 2.6 with the configuration equivalent to sockhop's: mode tcp, the raw listens,
//! and the MySQL listen with `option mysql-check`, the Secondary as `backup`.

use super::proc::{Fixture, wait_listening};
use super::targets::{
    BACKEND_IP, CHECK_FALL, CHECK_INTER_MS, CHECK_RISE, MYSQL_PORT, RAW_LISTENS, Target,
};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The configuration file text.
pub fn config(t: &Target, primary: SocketAddr, secondary: SocketAddr, dir: &Path) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "global\n    maxconn 4000");
    let sock = super::sockhop::short_socket_path(dir.join("haproxy.sock"));
    let _ = writeln!(
        c,
        "    stats socket {} mode 600 level admin\n",
        sock.display()
    );
    let _ = writeln!(
        c,
        "defaults\n    mode tcp\n    timeout connect 10s\n    timeout client 1m\n    timeout server 1m\n    retries 3\n    option redispatch\n"
    );
    for (name, port) in RAW_LISTENS {
        let _ = writeln!(
            c,
            "listen {name}\n    bind {}:{port}\n    server backend {BACKEND_IP}:{port}\n",
            t.ip
        );
    }
    let i = CHECK_INTER_MS;
    let check = format!(
        "check inter {i}ms fastinter {i}ms downinter {i}ms rise {CHECK_RISE} fall {CHECK_FALL}"
    );
    let _ = writeln!(
        c,
        "listen MySQL\n    bind {}:{MYSQL_PORT}\n    balance roundrobin\n    option mysql-check user haproxy\n    server Primary {primary} {check}\n    server Secondary {secondary} {check} backup",
        t.ip
    );
    c
}

/// Writes the configuration and starts HAProxy in the foreground (`-db`), waiting until
/// every listen accepts connections.
pub fn start(
    t: &Target,
    primary: SocketAddr,
    secondary: SocketAddr,
    dir: &Path,
) -> Result<Fixture> {
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, config(t, primary, secondary, dir))
        .with_context(|| format!("writing {}", cfg.display()))?;
    let mut fx = Fixture::spawn(
        "haproxy",
        Command::new("haproxy").arg("-db").arg("-f").arg(&cfg),
        &dir.join("haproxy.log"),
    )?;
    for addr in [t.sink(), t.echo(), t.greeting(), t.mysql] {
        wait_listening(&mut fx, addr, Duration::from_secs(10))?;
    }
    Ok(fx)
}
