//! Installs what the bench needs when missing: the MariaDB packages through the shared
//! [`xtask::install::ensure`], then `haproxy` and `sysbench` (checked with `dpkg -s`,
//! installed with apt-get only as root; otherwise the exact command is printed).

use anyhow::{Context, Result, bail};
use std::process::{Command, Stdio};

/// The bench's own packages on top of the shared prerequisites.
pub const PACKAGES: [&str; 2] = ["haproxy", "sysbench"];

fn installed(package: &str) -> bool {
    Command::new("dpkg")
        .args(["-s", package])
        .stderr(Stdio::null())
        .output()
        .map(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l.trim() == "Status: install ok installed")
        })
        .unwrap_or(false)
}

pub fn ensure() -> Result<()> {
    xtask::install::ensure()?;
    let missing: Vec<&str> = PACKAGES.into_iter().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !xtask::process::is_root() {
        bail!(
            "missing packages: {list}\n  install them as root:\n    apt-get update && apt-get install -y {list}"
        );
    }
    for args in [vec!["update"], {
        let mut a = vec!["install", "-y", "--no-install-recommends"];
        a.extend(&missing);
        a
    }] {
        println!("+ apt-get {}", args.join(" "));
        let ok = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .context("cannot run apt-get")?
            .success();
        if !ok {
            bail!("`apt-get {}` failed", args.join(" "));
        }
    }
    // Debian starts the packaged haproxy service; the bench runs its own.
    let _ = Command::new("systemctl")
        .args(["stop", "haproxy"])
        .stderr(Stdio::null())
        .status();
    Ok(())
}
