//! sysbench `oltp_point_select` and `oltp_read_write` against the MariaDB Primary through a
//! target: QPS, p95 latency, ignored errors, and CPU per 1,000 queries.

use super::cpu::CpuSnapshot;
use super::db::{BENCH_DB, BENCH_PASSWORD, BENCH_USER, DbSetup};
use super::proc::run_load;
use super::scenarios::{Sample, Scenario, cpu_per};
use super::targets::Target;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;

/// Client threads sysbench runs.
pub const THREADS: u32 = 4;

fn base(test: &str, addr: SocketAddr, table_size: u32) -> Command {
    let mut c = Command::new("sysbench");
    c.arg(test)
        .arg("--db-driver=mysql")
        .arg(format!("--mysql-host={}", addr.ip()))
        .arg(format!("--mysql-port={}", addr.port()))
        .arg(format!("--mysql-user={BENCH_USER}"))
        .arg(format!("--mysql-password={BENCH_PASSWORD}"))
        .arg(format!("--mysql-db={BENCH_DB}"))
        .arg("--tables=1")
        .arg(format!("--table-size={table_size}"));
    c
}

/// Creates and fills the sysbench table on the Primary (replicated to the Secondary).
pub fn prepare(db: &DbSetup) -> Result<String> {
    let mut c = base("oltp_read_write", db.primary, db.table_size);
    c.arg("prepare");
    let cmd = super::proc::shell_line(&c);
    let out = run_load(&mut c)?;
    if !out.success {
        bail!("sysbench prepare failed: {}{}", out.stdout, out.stderr);
    }
    Ok(cmd)
}

pub fn run(db: &DbSetup, s: Scenario, t: &Target, rep: usize, seconds: f64) -> Result<Sample> {
    let test = match s {
        Scenario::PointSelect => "oltp_point_select",
        _ => "oltp_read_write",
    };
    let secs = seconds.round().max(1.0) as u64;
    let mut c = base(test, t.mysql, db.table_size);
    c.arg(format!("--threads={THREADS}"))
        .arg(format!("--time={secs}"))
        .arg("--report-interval=0")
        .arg("run");
    let command = super::proc::shell_line(&c);
    let before = CpuSnapshot::take(t.pid);
    let out = run_load(&mut c)?;
    let cpu = before.until(&CpuSnapshot::take(t.pid));
    if !out.success {
        bail!(
            "sysbench {test} through {} failed: {}{}",
            t.name,
            out.stdout.trim(),
            out.stderr.trim()
        );
    }
    let parsed = parse(&out.stdout)
        .with_context(|| format!("unexpected sysbench output:\n{}", out.stdout))?;
    let mut metrics = BTreeMap::new();
    metrics.insert("qps".into(), parsed.qps);
    metrics.insert("p95_ms".into(), parsed.p95_ms);
    metrics.insert("errors".into(), parsed.errors);
    cpu_per(&mut metrics, cpu, parsed.queries / 1e3, "1k");
    Ok(Sample {
        target: t.name.clone(),
        scenario: s.name(),
        rep,
        metrics,
        raw: serde_json::json!({
            "queries": parsed.queries, "qps": parsed.qps,
            "p95_ms": parsed.p95_ms, "ignored_errors": parsed.errors
        }),
        command,
    })
}

#[derive(Debug, PartialEq)]
struct Parsed {
    queries: f64,
    qps: f64,
    p95_ms: f64,
    errors: f64,
}

/// Reads `queries: N (Q per sec.)`, `ignored errors: E` and `95th percentile: P`.
fn parse(out: &str) -> Option<Parsed> {
    let field = |label: &str| -> Option<&str> {
        out.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(label))
            .map(str::trim)
    };
    let queries_line = field("queries:")?;
    let mut parts = queries_line.split_whitespace();
    let queries = parts.next()?.parse().ok()?;
    let qps = parts.next()?.trim_start_matches('(').parse().ok()?;
    let errors = field("ignored errors:")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let p95_ms = field("95th percentile:")?.parse().ok()?;
    Some(Parsed {
        queries,
        qps,
        p95_ms,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sysbench_1_0_output() {
        let out = "SQL statistics:\n    queries performed:\n        read:                            38520\n        other:                           0\n        total:                           38520\n    transactions:                        38520  (3851.21 per sec.)\n    queries:                             38520  (3851.21 per sec.)\n    ignored errors:                      0      (0.00 per sec.)\n    reconnects:                          0      (0.00 per sec.)\n\nLatency (ms):\n         min:                                    0.17\n         avg:                                    1.03\n         max:                                   10.20\n         95th percentile:                        1.89\n";
        assert_eq!(
            parse(out),
            Some(Parsed {
                queries: 38520.0,
                qps: 3851.21,
                p95_ms: 1.89,
                errors: 0.0
            })
        );
    }

    #[test]
    fn rejects_output_without_figures() {
        assert_eq!(parse("FATAL: unable to connect to MySQL server"), None);
    }
}
