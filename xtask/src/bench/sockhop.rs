//! sockhop, once per data path: the same listens as HAProxy's configuration, started with
//! `sockhop run --datapath X`. A path counts as available when the daemon starts and listens;
//! otherwise its log says why, and the report lists it as skipped.

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

/// The configuration file text for one sockhop instance.
pub fn config(t: &Target, primary: SocketAddr, secondary: SocketAddr, sock: &Path) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "[global]\nmaxconn = 4000\ndatapath = \"auto\"\n");
    let _ = writeln!(
        c,
        "[[stats_socket]]\npath = \"{}\"\nmode = \"0600\"\nlevel = \"admin\"\n",
        sock.display()
    );
    let _ = writeln!(
        c,
        "[defaults]\ntimeout_connect = \"10s\"\ntimeout_client = \"1m\"\ntimeout_server = \"1m\"\n"
    );
    for (name, port) in RAW_LISTENS {
        let _ = writeln!(
            c,
            "[[listen]]\nname = \"{name}\"\nbind = [\"{}:{port}\"]\nmode = \"tcp\"\n\n[[listen.server]]\nname = \"backend\"\naddress = \"{BACKEND_IP}:{port}\"\n",
            t.ip
        );
    }
    let _ = writeln!(
        c,
        "[[listen]]\nname = \"MySQL\"\nbind = [\"{}:{MYSQL_PORT}\"]\nmode = \"tcp\"\nbalance = \"roundrobin\"\nfailback = \"auto\"\nmysql_check = {{ user = \"haproxy\" }}\n",
        t.ip
    );
    for (name, addr, backup) in [("Primary", primary, false), ("Secondary", secondary, true)] {
        let _ = writeln!(
            c,
            "[[listen.server]]\nname = \"{name}\"\naddress = \"{addr}\"\ncheck = true\ninter = \"{CHECK_INTER_MS}ms\"\nfastinter = \"{CHECK_INTER_MS}ms\"\ndowninter = \"{CHECK_INTER_MS}ms\"\nrise = {CHECK_RISE}\nfall = {CHECK_FALL}{}\n",
            if backup { "\nbackup = true" } else { "" }
        );
    }
    c
}

/// Starts sockhop with data path `path`; `Err` (with the daemon's own words) when that path
/// does not start on this machine.
pub fn start(
    bin: &Path,
    t: &Target,
    path: &str,
    primary: SocketAddr,
    secondary: SocketAddr,
    dir: &Path,
) -> Result<Fixture> {
    let cfg = dir.join(format!("sockhop-{path}.toml"));
    let sock = short_socket_path(dir.join(format!("sockhop-{path}.sock")));
    std::fs::write(&cfg, config(t, primary, secondary, &sock))
        .with_context(|| format!("writing {}", cfg.display()))?;
    let log = dir.join(format!("sockhop-{path}.log"));
    let mut fx = Fixture::spawn(
        &format!("sockhop-{path}"),
        Command::new(bin)
            .args(["run", "--datapath", path, "--config"])
            .arg(&cfg)
            .env("RUST_LOG", "warn"),
        &log,
    )?;
    let ready = [t.sink(), t.echo(), t.greeting(), t.mysql]
        .into_iter()
        .try_for_each(|addr| wait_listening(&mut fx, addr, Duration::from_secs(10)));
    if let Err(e) = ready {
        drop(fx);
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = said
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let said = lines[lines.len().saturating_sub(3)..].join(" ");
        anyhow::bail!("{e}; sockhop said: {said}");
    }
    Ok(fx)
}

/// `wanted` if it fits a unix socket address (108 bytes), else a name in the temporary folder.
pub fn short_socket_path(wanted: std::path::PathBuf) -> std::path::PathBuf {
    if wanted.as_os_str().len() < 100 {
        return wanted;
    }
    let name = wanted
        .file_name()
        .map_or("sock".into(), |n| n.to_string_lossy().into_owned());
    std::env::temp_dir().join(format!("sockhop-bench-{}-{name}", std::process::id()))
}
