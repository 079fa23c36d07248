//! `cargo xtask test`: what CI runs (`.ci/run`) and what a developer runs before pushing.
//!
//! Steps, each announced, stopping at the first failure: install prerequisites, the
//! formatting check, clippy with warnings as errors, every test of the workspace. The
//! environment (CI=true among it) is passed through, so under CI the integration tests treat
//! a missing prerequisite as a failure. `RUST_TEST_THREADS` defaults to 8 here: the
//! walkthrough tests spend their time waiting on servers, not computing.

use anyhow::{Result, bail};
use std::process::Command;
use std::time::Instant;

/// Test threads when `RUST_TEST_THREADS` is not set: the walkthrough tests mostly wait on
/// servers, so more of them than cores run at once.
const TEST_THREADS: &str = "8";

/// The cargo steps after installation: (what it checks, arguments to cargo).
const STEPS: &[(&str, &[&str])] = &[
    ("formatting", &["fmt", "--all", "--", "--check"]),
    (
        "lints",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ),
    ("tests", &["test", "--workspace"]),
];

pub fn run() -> Result<()> {
    let total = STEPS.len() + 1;
    let started = Instant::now();
    println!("==> [1/{total}] prerequisites");
    crate::install::ensure()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (i, (what, args)) in STEPS.iter().enumerate() {
        let shown = format!("cargo {}", args.join(" "));
        println!("==> [{}/{total}] {what}: {shown}", i + 2);
        let step_start = Instant::now();
        let mut cmd = Command::new(&cargo);
        cmd.args(*args).current_dir(crate::workspace::root());
        if args[0] == "test" && std::env::var_os("RUST_TEST_THREADS").is_none() {
            println!("    (RUST_TEST_THREADS={TEST_THREADS})");
            cmd.env("RUST_TEST_THREADS", TEST_THREADS);
        }
        let status = cmd.status()?;
        if !status.success() {
            bail!(
                "step {}/{total} ({what}) failed: `{shown}` exited with {status}; \
                 see its output above",
                i + 2
            );
        }
        println!(
            "==> {what}: ok in {:.1}s",
            step_start.elapsed().as_secs_f64()
        );
    }
    println!(
        "==> all {total} steps passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
