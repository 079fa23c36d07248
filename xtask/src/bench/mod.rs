//! `cargo xtask bench`: sockhop side by side with a direct connection and HAProxy.
//!
//! Where things live:
//! - [`install`]: packages (haproxy, sysbench, MariaDB) installed when missing.
//! - [`proc`]: fixtures stopped by PID on drop, load generators, the Ctrl-C handler.
//! - [`targets`]: direct / haproxy / sockhop-<path> and their loopback addresses.
//! - [`haproxy`], [`sockhop`]: configurations and start-up of the two proxies.
//! - [`db`]: the shared MariaDB pair plus the sysbench account.
//! - [`scenarios`]: every scenario and its figures; [`sysbench`] and [`failover`] for the
//!   MySQL ones; the raw TCP ones run `loadgen` from `benches/`.
//! - [`cpu`]: proxy and whole-machine CPU seconds from /proc.
//! - [`summary`]: medians, min–max, ratios; [`report`]: results.json and report.md;
//!   [`chart`]: the SVG of ratios; [`machine`]: kernel, CPU, versions.
//!
//! Fixtures: the raw backend (`bench-backend`) on 127.0.77.1, HAProxy on 127.0.77.2, one
//! sockhop per data path on 127.0.77.3–6, the MariaDB pair on 127.0.77.10/20. All run for the
//! whole bench and are stopped by PID at the end, on error, or on Ctrl-C.

mod chart;
mod cpu;
mod db;
mod failover;
mod haproxy;
mod install;
mod machine;
mod proc;
mod report;
mod scenarios;
mod sockhop;
mod summary;
mod sysbench;
mod targets;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use proc::{Fixture, wait_listening};
use scenarios::{Ctx, Sample, Scenario};
use std::net::{SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use targets::{DATA_PATHS, Kind, Target};

/// `cargo xtask bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Smoke run: every scenario about one second, one repetition, debug build; checks every
    /// figure was produced and is sane, never that it is fast.
    #[arg(long)]
    pub quick: bool,
    /// Targets, comma-separated: direct, haproxy, sockhop (every data path that starts) or
    /// sockhop-copy, sockhop-uring, sockhop-splice, sockhop-sockmap, sockhop-auto. Default: all.
    #[arg(long, value_delimiter = ',')]
    pub targets: Option<Vec<String>>,
    /// Scenarios, comma-separated: throughput_1, throughput_8, rr_64, connrate, point_select,
    /// read_write, failover. Default: all.
    #[arg(long, value_delimiter = ',')]
    pub scenarios: Option<Vec<String>>,
    /// Repetitions of every scenario on every target (default 3; 1 with --quick).
    #[arg(long)]
    pub reps: Option<usize>,
    /// Seconds per scenario run (default 5; 1 with --quick).
    #[arg(long)]
    pub duration: Option<f64>,
}

/// Which targets were asked for.
struct Wanted {
    direct: bool,
    haproxy: bool,
    /// Data paths, and whether each was named explicitly (then failing to start is an error).
    paths: Vec<(&'static str, bool)>,
}

fn wanted(list: &Option<Vec<String>>) -> Result<Wanted> {
    let Some(list) = list else {
        return Ok(Wanted {
            direct: true,
            haproxy: true,
            paths: DATA_PATHS.iter().map(|p| (*p, *p == "copy")).collect(),
        });
    };
    let mut w = Wanted {
        direct: false,
        haproxy: false,
        paths: Vec::new(),
    };
    for t in list {
        match t.as_str() {
            "direct" => w.direct = true,
            "haproxy" => w.haproxy = true,
            "sockhop" => {
                for p in DATA_PATHS {
                    if !w.paths.iter().any(|(q, _)| *q == p) {
                        w.paths.push((p, p == "copy"));
                    }
                }
            }
            other => match other
                .strip_prefix("sockhop-")
                .and_then(|p| DATA_PATHS.iter().find(|d| **d == p))
            {
                Some(p) => {
                    w.paths.retain(|(q, _)| q != p);
                    w.paths.push((p, true));
                }
                None => bail!(
                    "unknown target '{other}': use direct, haproxy, sockhop or sockhop-{}",
                    DATA_PATHS.join("|sockhop-")
                ),
            },
        }
    }
    Ok(w)
}

fn chosen_scenarios(list: &Option<Vec<String>>) -> Result<Vec<Scenario>> {
    let Some(list) = list else {
        return Ok(scenarios::ALL.to_vec());
    };
    list.iter()
        .map(|s| {
            Scenario::parse(s).with_context(|| {
                format!(
                    "unknown scenario '{s}': use {}",
                    scenarios::ALL.map(|x| x.name()).join(", ")
                )
            })
        })
        .collect()
}

/// Builds sockhop and the bench binaries; returns the folder holding them.
fn build(release: bool) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(xtask::workspace::root()).args([
        "build",
        "--quiet",
        "-p",
        "sockhop",
        "-p",
        "sockhop-bench",
        "--bins",
    ]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build of sockhop and sockhop-bench failed ({status})");
    }
    Ok(xtask::workspace::target_dir().join(if release { "release" } else { "debug" }))
}

/// UTC date and time: (`20261130-121500`, `2026-11-30 12:15:00 UTC`).
fn utc_now() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    (
        format!("{y:04}{m:02}{d:02}-{hh:02}{mm:02}{ss:02}"),
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} UTC"),
    )
}

pub fn run(args: BenchArgs) -> Result<()> {
    proc::install_ctrlc()?;
    let reps = args.reps.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let seconds = args.duration.unwrap_or(if args.quick { 1.0 } else { 5.0 });
    if seconds.is_nan() || seconds <= 0.0 {
        bail!("--duration must be a positive number of seconds");
    }
    let want = wanted(&args.targets)?;
    let chosen = chosen_scenarios(&args.scenarios)?;
    install::ensure()?;
    let bin = build(!args.quick)?;
    let (stamp, started) = utc_now();
    let out = xtask::workspace::target_dir().join("bench").join(&stamp);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    println!("bench: results go to {}", out.display());
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut setup_commands = Vec::new();

    // The raw backend.
    let backend_ip = targets::BACKEND_IP;
    let sa = |port| SocketAddr::V4(SocketAddrV4::new(backend_ip, port));
    let mut backend_cmd = Command::new(bin.join("bench-backend"));
    backend_cmd
        .arg("--sink")
        .arg(sa(targets::SINK_PORT).to_string())
        .arg("--echo")
        .arg(sa(targets::ECHO_PORT).to_string())
        .arg("--greeting")
        .arg(sa(targets::GREETING_PORT).to_string());
    setup_commands.push(proc::shell_line(&backend_cmd));
    let mut backend = Fixture::spawn("bench-backend", &mut backend_cmd, &logs.join("backend.log"))?;
    for port in [
        targets::SINK_PORT,
        targets::ECHO_PORT,
        targets::GREETING_PORT,
    ] {
        wait_listening(&mut backend, sa(port), Duration::from_secs(10))?;
    }

    // The MariaDB pair, when a MySQL scenario runs.
    let db = if chosen.iter().any(|s| s.needs_db()) {
        println!("bench: starting the MariaDB pair and preparing the sysbench table");
        let db = db::DbSetup::start(if args.quick { 1000 } else { 10_000 })?;
        setup_commands.push(sysbench::prepare(&db)?);
        db.wait_table_replicated()?;
        Some(db)
    } else {
        None
    };
    let (primary, secondary) = match &db {
        Some(d) => (d.primary, d.secondary),
        None => (
            SocketAddr::V4(SocketAddrV4::new(db::PRIMARY_IP, 3306)),
            SocketAddr::V4(SocketAddrV4::new(db::SECONDARY_IP, 3306)),
        ),
    };

    // Targets: proxies keep running for the whole bench (their guards stop them).
    let mut list: Vec<Target> = Vec::new();
    let mut fixtures: Vec<Fixture> = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    if want.direct {
        list.push(Target::direct(primary));
    }
    if want.haproxy {
        let mut t = Target::proxy(Kind::Haproxy, targets::proxy_ip(&Kind::Haproxy));
        let fx = haproxy::start(&t, primary, secondary, &logs)?;
        setup_commands.push(format!(
            "haproxy -db -f {}",
            logs.join("haproxy.cfg").display()
        ));
        t.pid = Some(fx.pid());
        fixtures.push(fx);
        list.push(t);
    }
    for (path, explicit) in &want.paths {
        let kind = Kind::Sockhop(path);
        let mut t = Target::proxy(kind.clone(), targets::proxy_ip(&kind));
        match sockhop::start(&bin.join("sockhop"), &t, path, primary, secondary, &logs) {
            Ok(fx) => {
                setup_commands.push(format!(
                    "{} run --datapath {path} --config {}",
                    bin.join("sockhop").display(),
                    logs.join(format!("sockhop-{path}.toml")).display()
                ));
                t.pid = Some(fx.pid());
                fixtures.push(fx);
                list.push(t);
            }
            Err(e) if !explicit => {
                println!("bench: sockhop-{path} skipped: {e:#}");
                skipped.push((t.name.clone(), format!("{e:#}")));
            }
            Err(e) => return Err(e.context(format!("starting {}", t.name))),
        }
    }
    if list.is_empty() {
        bail!("no target to measure");
    }

    let ctx = Ctx {
        loadgen: bin.join("loadgen"),
        seconds,
        db,
    };
    let plan: Vec<(usize, Scenario, usize)> = (0..reps)
        .flat_map(|rep| {
            let list = &list;
            chosen.iter().flat_map(move |s| {
                list.iter()
                    .enumerate()
                    .filter(move |(_, t)| t.is_proxy() || !s.needs_proxy())
                    .map(move |(i, _)| (rep, *s, i))
            })
        })
        .collect();
    let bar = ProgressBar::new(plan.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    let mut samples: Vec<Sample> = Vec::new();
    // A full run keeps going when one run fails (a data path resetting a stream, say): the
    // failure is reported and the figures use the runs that completed. --quick, the smoke
    // test, fails at the first failed run.
    let mut failed_runs: Vec<String> = Vec::new();
    for (rep, s, i) in plan {
        let t = &list[i];
        bar.set_message(format!(
            "rep {}/{reps}: {} through {}",
            rep + 1,
            s.name(),
            t.name
        ));
        for fx in fixtures.iter_mut().chain(std::iter::once(&mut backend)) {
            if let Some(status) = fx.exited() {
                bail!("{} exited during the bench ({status})", fx.name);
            }
        }
        let outcome = scenarios::run(&ctx, s, t, rep)
            .and_then(|sample| scenarios::check_sane(s, &sample, t.is_proxy()).map(|()| sample))
            .with_context(|| format!("{} through {} (repetition {})", s.name(), t.name, rep + 1));
        let sample = match outcome {
            Ok(sample) => sample,
            Err(e) if !args.quick => {
                // One line, without the backtrace a failing load generator may print.
                let full = format!("{e:#}");
                let reason = full.split("Stack backtrace:").next().unwrap_or(&full);
                let line = reason.split_whitespace().collect::<Vec<_>>().join(" ");
                bar.suspend(|| println!("bench: FAILED {line}"));
                failed_runs.push(line);
                bar.inc(1);
                continue;
            }
            Err(e) => return Err(e),
        };
        if bar.is_hidden() {
            // No terminal (CI): one line per finished run instead of the bar.
            println!(
                "bench: [{}/{}] rep {}: {} through {}",
                bar.position() + 1,
                bar.length().unwrap_or(0),
                rep + 1,
                s.name(),
                t.name
            );
        }
        samples.push(sample);
        bar.inc(1);
    }
    bar.finish_with_message("done");

    let summary = summary::summarize(&samples);
    let names: Vec<String> = list.iter().map(|t| t.name.clone()).collect();
    let machine = machine::describe(&bin.join("sockhop"));
    let command = std::iter::once("cargo xtask".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let results = report::Results {
        started_utc: &started,
        command: &command,
        quick: args.quick,
        reps,
        seconds,
        machine: &machine,
        targets: &names,
        skipped_targets: &skipped,
        setup_commands: &setup_commands,
        samples: &samples,
        summary: &summary,
        failed_runs: &failed_runs,
    };
    report::write_json(&out, &results)?;
    let md = report::markdown(&results);
    std::fs::write(out.join("report.md"), &md)?;
    chart::write(&out.join("ratios.svg"), &summary, &names)?;
    drop(fixtures);
    drop(backend);
    drop(ctx);
    print_headline(&md);
    println!(
        "bench: {} figures from {} runs, all sane{}; report: {}",
        samples.iter().map(|s| s.metrics.len()).sum::<usize>(),
        samples.len(),
        match failed_runs.len() {
            0 => String::new(),
            n => format!(" ({n} runs failed, listed in the report)"),
        },
        out.join("report.md").display()
    );
    Ok(())
}

/// Prints the headline table of the report.
fn print_headline(md: &str) {
    let mut on = false;
    for line in md.lines() {
        if line.starts_with("## Headline") {
            on = true;
        } else if line.starts_with("## ") {
            on = false;
        }
        if on {
            println!("{line}");
        }
    }
}
