//! The scenarios, how each runs against one target, and the figures it yields.
//! Raw TCP scenarios run the `loadgen` binary; the MySQL ones run sysbench; failover runs
//! `loadgen failover` while stopping the Primary (see [`super::failover`]).

use super::cpu::{CpuSnapshot, CpuUsed};
use super::proc::run_load;
use super::targets::Target;
use super::{failover, sysbench};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// Every scenario, in run order.
pub const ALL: [Scenario; 7] = [
    Scenario::Throughput1,
    Scenario::Throughput8,
    Scenario::Rr,
    Scenario::ConnRate,
    Scenario::PointSelect,
    Scenario::ReadWrite,
    Scenario::Failover,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Throughput1,
    Throughput8,
    Rr,
    ConnRate,
    PointSelect,
    ReadWrite,
    Failover,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Throughput1 => "throughput_1",
            Scenario::Throughput8 => "throughput_8",
            Scenario::Rr => "rr_64",
            Scenario::ConnRate => "connrate",
            Scenario::PointSelect => "point_select",
            Scenario::ReadWrite => "read_write",
            Scenario::Failover => "failover",
        }
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        ALL.into_iter().find(|x| x.name() == s)
    }

    /// Needs the MariaDB pair.
    pub fn needs_db(self) -> bool {
        matches!(
            self,
            Scenario::PointSelect | Scenario::ReadWrite | Scenario::Failover
        )
    }

    /// Meaningless without a proxy in front of two servers.
    pub fn needs_proxy(self) -> bool {
        self == Scenario::Failover
    }
}

/// One figure: its key in results.json, label and unit, and which way is better.
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    pub higher_is_better: bool,
    /// Must be > 0 in a sane run (else only >= 0).
    pub positive: bool,
}

const fn m(key: &'static str, label: &'static str, hib: bool, positive: bool) -> Metric {
    Metric {
        key,
        label,
        higher_is_better: hib,
        positive,
    }
}

/// The figures of each scenario, in report order.
pub fn metrics(s: Scenario) -> &'static [Metric] {
    const THR: &[Metric] = &[
        m("gbit_per_s", "Gbit/s", true, true),
        m("machine_cpu_s_per_gb", "machine CPU s/GB", false, true),
        m("proxy_cpu_s_per_gb", "proxy CPU s/GB", false, false),
    ];
    const RR: &[Metric] = &[
        m("p50_us", "p50 µs", false, true),
        m("p99_us", "p99 µs", false, true),
        m("p999_us", "p99.9 µs", false, true),
        m("rtt_per_s", "round trips/s", true, true),
        m("machine_cpu_s_per_1k", "machine CPU s/1k RTT", false, true),
        m("proxy_cpu_s_per_1k", "proxy CPU s/1k RTT", false, false),
    ];
    const CONN: &[Metric] = &[
        m("conn_per_s", "conn/s", true, true),
        m("errors", "errors", false, false),
        m("machine_cpu_s_per_1k", "machine CPU s/1k conn", false, true),
        m("proxy_cpu_s_per_1k", "proxy CPU s/1k conn", false, false),
    ];
    const SQL: &[Metric] = &[
        m("qps", "QPS", true, true),
        m("p95_ms", "p95 ms", false, true),
        m("errors", "errors", false, false),
        m(
            "machine_cpu_s_per_1k",
            "machine CPU s/1k queries",
            false,
            true,
        ),
        m("proxy_cpu_s_per_1k", "proxy CPU s/1k queries", false, false),
    ];
    const FAIL: &[Metric] = &[
        m("recovery_ms", "recovery ms", false, true),
        m("errors", "client errors", false, false),
    ];
    match s {
        Scenario::Throughput1 | Scenario::Throughput8 => THR,
        Scenario::Rr => RR,
        Scenario::ConnRate => CONN,
        Scenario::PointSelect | Scenario::ReadWrite => SQL,
        Scenario::Failover => FAIL,
    }
}

/// One measured run of one scenario on one target.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub target: String,
    pub scenario: &'static str,
    pub rep: usize,
    pub metrics: BTreeMap<String, f64>,
    /// The generator's own output (loadgen JSON or sysbench's parsed figures).
    pub raw: serde_json::Value,
    pub command: String,
}

/// What every scenario run needs.
pub struct Ctx {
    pub loadgen: PathBuf,
    pub seconds: f64,
    pub db: Option<super::db::DbSetup>,
}

/// Runs `s` once against `t`.
pub fn run(ctx: &Ctx, s: Scenario, t: &Target, rep: usize) -> Result<Sample> {
    let secs = format!("{}", ctx.seconds);
    let (mut cmd, ops_key) = match s {
        Scenario::Throughput1 | Scenario::Throughput8 => {
            let conns = if s == Scenario::Throughput1 { "1" } else { "8" };
            let mut c = Command::new(&ctx.loadgen);
            c.args(["--seconds", &secs, "throughput", "--conns", conns, "--addr"])
                .arg(t.sink().to_string());
            (c, "bytes_sent")
        }
        Scenario::Rr => {
            let mut c = Command::new(&ctx.loadgen);
            c.args(["--seconds", &secs, "rr", "--size", "64", "--addr"])
                .arg(t.echo().to_string());
            (c, "round_trips")
        }
        Scenario::ConnRate => {
            let mut c = Command::new(&ctx.loadgen);
            c.args(["--seconds", &secs, "connrate", "--threads", "4", "--addr"])
                .arg(t.greeting().to_string());
            (c, "connections")
        }
        Scenario::PointSelect | Scenario::ReadWrite => {
            let db = ctx.db.as_ref().context("the MariaDB pair is not running")?;
            return sysbench::run(db, s, t, rep, ctx.seconds);
        }
        Scenario::Failover => {
            let db = ctx.db.as_ref().context("the MariaDB pair is not running")?;
            return failover::run(ctx, db, t, rep);
        }
    };
    let command = super::proc::shell_line(&cmd);
    let before = CpuSnapshot::take(t.pid);
    let out = run_load(&mut cmd)?;
    let cpu = before.until(&CpuSnapshot::take(t.pid));
    if !out.success {
        bail!(
            "{} through {} failed: {}",
            s.name(),
            t.name,
            out.stderr.trim()
        );
    }
    let raw: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .with_context(|| format!("loadgen output is not JSON: {}", out.stdout))?;
    let num = |k: &str| raw.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    let (sent, received) = (num("bytes_sent"), num("bytes_received"));
    // Bulk and echo traffic must arrive whole (the greeting exchange is asymmetric by design).
    let symmetric = s != Scenario::ConnRate;
    if !(sent > 0.0 && (!symmetric || sent == received)) {
        bail!(
            "{} through {}: bytes received ({received}) differ from bytes sent ({sent})",
            s.name(),
            t.name
        );
    }
    let mut metrics = BTreeMap::new();
    let ops = num(ops_key);
    match s {
        Scenario::Throughput1 | Scenario::Throughput8 => {
            metrics.insert("gbit_per_s".into(), num("gbit_per_s"));
            cpu_per(&mut metrics, cpu, ops / 1e9, "gb");
        }
        Scenario::Rr => {
            for k in ["p50_us", "p99_us", "p999_us", "rtt_per_s"] {
                metrics.insert(k.into(), num(k));
            }
            cpu_per(&mut metrics, cpu, ops / 1e3, "1k");
        }
        _ => {
            metrics.insert("conn_per_s".into(), num("conn_per_s"));
            metrics.insert("errors".into(), num("errors"));
            cpu_per(&mut metrics, cpu, ops / 1e3, "1k");
        }
    }
    Ok(Sample {
        target: t.name.clone(),
        scenario: s.name(),
        rep,
        metrics,
        raw,
        command,
    })
}

/// Adds `machine_cpu_s_per_<unit>` and (for proxies) `proxy_cpu_s_per_<unit>`.
pub fn cpu_per(metrics: &mut BTreeMap<String, f64>, cpu: CpuUsed, units: f64, unit: &str) {
    metrics.insert(format!("machine_cpu_s_per_{unit}"), cpu.machine_s / units);
    if let Some(p) = cpu.proxy_s {
        metrics.insert(format!("proxy_cpu_s_per_{unit}"), p / units);
    }
}

/// Checks every figure of a sample is present and sane (finite; > 0 where it must be).
pub fn check_sane(s: Scenario, sample: &Sample, is_proxy: bool) -> Result<()> {
    for m in metrics(s) {
        let v = match sample.metrics.get(m.key) {
            Some(v) => *v,
            None if m.key.starts_with("proxy_") && !is_proxy => continue,
            None => bail!("{} on {}: no {}", sample.scenario, sample.target, m.key),
        };
        let ok = v.is_finite() && if m.positive { v > 0.0 } else { v >= 0.0 };
        if !ok {
            bail!(
                "{} on {}: {} = {v} is not sane",
                sample.scenario,
                sample.target,
                m.key
            );
        }
    }
    Ok(())
}
