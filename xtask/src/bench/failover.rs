//! Failover under load: point-select load through a proxy target, the Primary's mariadbd is
//! stopped, and the figure is the time from the stop until queries succeed on the Secondary,
//! plus the client errors seen meanwhile. The Primary is started again afterwards and the
//! target must route to it again before the bench goes on.

use super::db::{BENCH_DB, BENCH_PASSWORD, BENCH_USER, DbSetup};
use super::proc::{check_interrupted, run_load};
use super::scenarios::{Ctx, Sample};
use super::targets::Target;
use anyhow::{Context, Result, bail};
use sockhop_bench::mysql::{Conn, Login};
use sockhop_bench::unix_micros;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// Load before the Primary is stopped.
const LEAD_IN: Duration = Duration::from_millis(1000);
/// Load after the stop: enough for fall × inter plus slack.
const WINDOW: Duration = Duration::from_secs(7);
/// The failover load's query: a point select whose first column is the server id.
pub const SQL: &str = "SELECT @@server_id, c FROM sbtest1 WHERE id = 1";

pub fn login() -> Login {
    Login {
        user: BENCH_USER.into(),
        password: BENCH_PASSWORD.into(),
        database: BENCH_DB.into(),
    }
}

/// Waits until a new connection through `addr` lands on the server with `server_id`.
pub fn wait_routed_to(addr: SocketAddr, server_id: u32, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        check_interrupted()?;
        match Conn::connect(addr, &login(), Duration::from_secs(2))
            .and_then(|mut c| c.query_first("SELECT @@server_id"))
        {
            Ok(Some(id)) if id == server_id.to_string() => return Ok(()),
            Ok(other) => last = format!("reached server {other:?}"),
            Err(e) => last = e.to_string(),
        }
        thread::sleep(Duration::from_millis(200));
    }
    bail!("{addr} does not reach server {server_id} after {timeout:?} ({last})")
}

pub fn run(ctx: &Ctx, db: &DbSetup, t: &Target, rep: usize) -> Result<Sample> {
    let (primary_id, secondary_id) = (db.primary_id, db.secondary_id);
    wait_routed_to(t.mysql, primary_id, Duration::from_secs(30))?;
    let secs = (LEAD_IN + WINDOW).as_secs_f64();
    let mut cmd = Command::new(&ctx.loadgen);
    cmd.args(["--seconds", &secs.to_string(), "failover", "--threads", "4"])
        .args(["--user", BENCH_USER, "--password", BENCH_PASSWORD])
        .args(["--database", BENCH_DB, "--sql", SQL, "--addr"])
        .arg(t.mysql.to_string());
    let command = super::proc::shell_line(&cmd);
    let load = thread::spawn(move || run_load(&mut cmd));
    thread::sleep(LEAD_IN);
    let stopped_at = unix_micros();
    let stop = db.stop_primary();
    let out = load.join().expect("failover load thread panicked");
    stop.context("stopping the Primary")?;
    db.start_primary().context("starting the Primary again")?;
    wait_routed_to(t.mysql, primary_id, Duration::from_secs(30))
        .context("after failover, waiting for traffic to return to the Primary")?;
    let out = out?;
    if !out.success {
        bail!(
            "failover load through {} failed: {}",
            t.name,
            out.stderr.trim()
        );
    }
    let raw: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .with_context(|| format!("loadgen output is not JSON: {}", out.stdout))?;
    let recovered_at = raw["switches"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["server"].as_str() == Some(&secondary_id.to_string()))
        .filter_map(|s| s["at_us"].as_u64())
        .find(|&at| at > stopped_at);
    let Some(recovered_at) = recovered_at else {
        bail!(
            "failover through {}: no query succeeded on the Secondary within {WINDOW:?} of stopping the Primary (last error: {})",
            t.name,
            raw["last_error"]
        );
    };
    let errors = raw["error_at_us"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_u64())
        .filter(|&at| at >= stopped_at)
        .count();
    let mut metrics = BTreeMap::new();
    metrics.insert(
        "recovery_ms".into(),
        (recovered_at - stopped_at) as f64 / 1000.0,
    );
    metrics.insert("errors".into(), errors as f64);
    let mut raw = raw;
    // Keep the report small: the timeline is summarised by the two figures above.
    if let Some(o) = raw.as_object_mut() {
        o.remove("error_at_us");
        o.insert("stopped_at_us".into(), stopped_at.into());
    }
    Ok(Sample {
        target: t.name.clone(),
        scenario: "failover",
        rep,
        metrics,
        raw,
        command,
    })
}
