//! `results.json` (everything) and `report.md` (the machine, the headline table with ratios,
//! every figure with min–max, the exact commands).

use super::machine::Machine;
use super::scenarios::{self, Sample};
use super::summary::{Stat, Summary};
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// A figure of the headline table: (scenario, metric key, label).
pub const HEADLINE: [(&str, &str, &str); 14] = [
    ("throughput_1", "gbit_per_s", "throughput, 1 conn (Gbit/s)"),
    ("throughput_8", "gbit_per_s", "throughput, 8 conns (Gbit/s)"),
    (
        "throughput_8",
        "machine_cpu_s_per_gb",
        "machine CPU s per GB (8 conns)",
    ),
    ("rr_64", "p50_us", "64 B round trip p50 (µs)"),
    ("rr_64", "p99_us", "64 B round trip p99 (µs)"),
    ("rr_64", "p999_us", "64 B round trip p99.9 (µs)"),
    ("rr_64", "rtt_per_s", "round trips/s"),
    ("connrate", "conn_per_s", "new connections/s"),
    ("point_select", "qps", "sysbench point_select QPS"),
    ("point_select", "p95_ms", "point_select p95 (ms)"),
    ("read_write", "qps", "sysbench read_write QPS"),
    (
        "read_write",
        "machine_cpu_s_per_1k",
        "machine CPU s per 1k queries (read_write)",
    ),
    (
        "failover",
        "recovery_ms",
        "failover: time to first query on Secondary (ms)",
    ),
    ("failover", "errors", "failover: client errors"),
];

#[derive(Debug, Serialize)]
pub struct Results<'a> {
    pub started_utc: &'a str,
    pub command: &'a str,
    pub quick: bool,
    pub reps: usize,
    pub seconds: f64,
    pub machine: &'a Machine,
    pub targets: &'a [String],
    pub skipped_targets: &'a [(String, String)],
    pub setup_commands: &'a [String],
    pub samples: &'a [Sample],
    pub summary: &'a Summary,
    /// Runs that failed (full runs go on without them), with the reason.
    pub failed_runs: &'a [String],
}

pub fn write_json(dir: &Path, r: &Results) -> Result<()> {
    let path = dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(r)?)
        .with_context(|| format!("writing {}", path.display()))
}

fn num(v: f64) -> String {
    let decimals = if v.fract() == 0.0 || v.abs() >= 100.0 {
        0
    } else if v.abs() >= 1.0 {
        2
    } else {
        3
    };
    format!("{v:.decimals$}")
}

fn ratio(r: Option<f64>) -> String {
    match r {
        None => "–".into(),
        Some(r) if r.abs() < 0.1 => format!("{r:.3}×"),
        Some(r) => format!("{r:.2}×"),
    }
}

fn cell(s: Option<&Stat>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s.vs_direct.is_some() => {
            format!("{} ({} d)", num(s.median), ratio(s.vs_direct))
        }
        Some(s) => num(s.median),
    }
}

pub fn markdown(r: &Results) -> String {
    let mut md = String::new();
    let m = r.machine;
    let _ = writeln!(md, "# sockhop bench, {}\n", r.started_utc);
    let _ = writeln!(
        md,
        "{} repetition(s), {} s per scenario{}; targets interleaved (A B C A B C …); medians, min–max in the full table.\n",
        r.reps,
        r.seconds,
        if r.quick {
            " (--quick: a smoke run, figures are not meaningful)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "## Machine\n\n| | |\n|---|---|");
    for (k, v) in [
        ("kernel", m.kernel.clone()),
        ("CPU", m.cpu_model.clone()),
        ("cores", m.cores.to_string()),
        ("HAProxy", m.haproxy.clone()),
        ("MariaDB", m.mariadb.clone()),
        ("sysbench", m.sysbench.clone()),
        ("sockhop", m.sockhop.clone()),
    ] {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    if !r.skipped_targets.is_empty() {
        let _ = writeln!(md, "\nTargets not measured:\n");
        for (t, why) in r.skipped_targets {
            let _ = writeln!(md, "- `{t}`: {}", why.replace('\n', " "));
        }
    }
    if !r.failed_runs.is_empty() {
        let _ = writeln!(
            md,
            "\nRuns that failed ({}; their figures come from the runs that completed, see `n` in the full table):\n",
            r.failed_runs.len()
        );
        for f in r.failed_runs {
            let _ = writeln!(md, "- {f}");
        }
    }
    let _ = writeln!(
        md,
        "\n## Headline (median; `d` = ratio to direct)\n\n| figure | {} |\n|---|{}",
        r.targets.join(" | "),
        "---|".repeat(r.targets.len())
    );
    for (sc, key, label) in HEADLINE {
        let Some(per_target) = r.summary.get(sc) else {
            continue;
        };
        let cells: Vec<String> = r
            .targets
            .iter()
            .map(|t| cell(per_target.get(t).and_then(|m| m.get(key))))
            .collect();
        let _ = writeln!(md, "| {label} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        md,
        "\n## Every figure\n\n| scenario | figure | target | median | min–max | n | vs direct | vs HAProxy |\n|---|---|---|---|---|---|---|---|"
    );
    for s in scenarios::ALL {
        let Some(per_target) = r.summary.get(s.name()) else {
            continue;
        };
        for metric in scenarios::metrics(s) {
            for t in r.targets {
                let Some(st) = per_target.get(t).and_then(|m| m.get(metric.key)) else {
                    continue;
                };
                let _ = writeln!(
                    md,
                    "| {} | {} {} | {t} | {} | {}–{} | {} | {} | {} |",
                    s.name(),
                    metric.label,
                    if metric.higher_is_better {
                        "↑"
                    } else {
                        "↓"
                    },
                    num(st.median),
                    num(st.min),
                    num(st.max),
                    st.n,
                    ratio(st.vs_direct),
                    ratio(st.vs_haproxy)
                );
            }
        }
    }
    let _ = writeln!(
        md,
        "\nLower is better for latencies, CPU, recovery time and errors; higher for the rest. \
         Machine CPU is every core's busy time from /proc/stat during the test (load generator \
         and servers included, and anything else running on the machine); proxy CPU is the \
         proxy process's utime+stime. Failover stops the Primary's mariadbd under \
         point-select load (4 client threads) and counts from the stop to the first query \
         answered by the Secondary. Health checks on both proxies: inter = fastinter = downinter = {} ms, rise {}, fall {}.",
        super::targets::CHECK_INTER_MS,
        super::targets::CHECK_RISE,
        super::targets::CHECK_FALL
    );
    let _ = writeln!(md, "\n## Commands\n\n```\n{}", r.command);
    for c in r.setup_commands {
        let _ = writeln!(md, "{c}");
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in r.samples {
        if s.rep == 0 && seen.insert((s.scenario, s.target.clone())) {
            let _ = writeln!(md, "{}", s.command);
        }
    }
    let _ = writeln!(md, "```");
    md
}
