//! Idempotent installation of the Debian packages the demo and the tests need.
//!
//! Each package is checked with `dpkg -s`; only missing ones are installed, with
//! `apt-get update` then `apt-get install -y`, and only as root (otherwise we print the
//! exact command and fail). Package scripts must not start services (a system mariadbd
//! would take port 3306): when Debian's `/usr/sbin/policy-rc.d` is absent, a temporary one
//! that answers 101 ("action forbidden") is in place for the duration of the install.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};

/// The packages, and what each one gives us.
pub const PACKAGES: &[(&str, &str)] = &[
    ("mariadb-server", "mariadbd and mariadb-install-db"),
    ("mariadb-client", "the mariadb command-line client"),
    ("socat", "talking to stats sockets from the shell"),
    ("iproute2", "ip and ss"),
    ("chromium", "headless browser for the web status page test"),
    (
        "haproxy",
        "the reference the compatibility tests compare sockhop with",
    ),
    (
        "prometheus-haproxy-exporter",
        "a real stats-socket client: Prometheus metrics from show stat",
    ),
    (
        "hatop",
        "a real stats-socket client: the interactive HAProxy monitor",
    ),
    ("tmux", "drives hatop in the compatibility tests"),
];

const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

/// Whether dpkg says `package` is installed.
fn installed(package: &str) -> bool {
    Command::new("dpkg")
        .args(["-s", package])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|l| l.trim() == "Status: install ok installed")
        })
        .unwrap_or(false)
}

/// The packages of `packages` that are not installed.
pub fn missing_of<'a>(packages: &[&'a str]) -> Vec<&'a str> {
    packages.iter().copied().filter(|p| !installed(p)).collect()
}

/// Installs whatever of [`PACKAGES`] is missing; quick when everything is there.
/// Everything the demo, the tests and the bench need: the Debian packages above, then the
/// eBPF build chain (so `cargo build` produces the sockmap program).
pub fn ensure() -> Result<()> {
    let names: Vec<&str> = PACKAGES.iter().map(|(p, _)| *p).collect();
    ensure_packages(&names)?;
    crate::ebpf::ensure_toolchain()
}

/// Installs whatever of `packages` is missing.
pub fn ensure_packages(packages: &[&str]) -> Result<()> {
    if which("dpkg").is_none() {
        bail!(
            "this is not a Debian-like system (no dpkg); install by hand the equivalents of: {}",
            packages.join(", ")
        );
    }
    let missing = missing_of(packages);
    if missing.is_empty() {
        println!("prerequisites: installed ({})", packages.join(", "));
        return Ok(());
    }
    let list = missing.join(" ");
    if !crate::process::is_root() {
        bail!(
            "missing packages: {list}\n  install them as root:\n    \
             apt-get update && apt-get install -y {list}\n  then run this command again"
        );
    }
    for p in &missing {
        let why = PACKAGES
            .iter()
            .find(|(n, _)| n == p)
            .map_or("", |(_, w)| *w);
        println!("prerequisites: installing {p} ({why})");
    }
    {
        let _policy = PolicyRcD::forbid_service_starts()?;
        apt(&["update"])?;
        let mut args = vec!["install", "-y", "--no-install-recommends"];
        args.extend(missing.iter().copied());
        apt(&args)?;
    }
    let still = missing_of(&missing);
    if !still.is_empty() {
        bail!(
            "apt-get finished but these are still not installed: {}",
            still.join(" ")
        );
    }
    println!("prerequisites: installed {list}");
    Ok(())
}

fn apt(args: &[&str]) -> Result<()> {
    println!("+ apt-get {}", args.join(" "));
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .context("cannot run apt-get")?;
    if !status.success() {
        bail!("`apt-get {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// A temporary `/usr/sbin/policy-rc.d` forbidding service starts, removed on drop; does
/// nothing when the system already has one (it is the administrator's policy).
struct PolicyRcD {
    created: bool,
}

impl PolicyRcD {
    fn forbid_service_starts() -> Result<Self> {
        let path = Path::new(POLICY_RC_D);
        if path.exists() {
            println!("prerequisites: {POLICY_RC_D} exists; package scripts follow its policy");
            return Ok(PolicyRcD { created: false });
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(
            path,
            "#!/bin/sh\n# Temporary, written by `cargo xtask`: no service starts during install.\nexit 101\n",
        )
        .with_context(|| format!("cannot write {POLICY_RC_D}"))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {POLICY_RC_D} executable"))?;
        println!("prerequisites: wrote a temporary {POLICY_RC_D} so no service starts");
        Ok(PolicyRcD { created: true })
    }
}

impl Drop for PolicyRcD {
    fn drop(&mut self) {
        if self.created {
            match std::fs::remove_file(POLICY_RC_D) {
                Ok(()) => println!("prerequisites: removed the temporary {POLICY_RC_D}"),
                Err(e) => eprintln!("cannot remove the temporary {POLICY_RC_D}: {e}"),
            }
        }
    }
}

/// The path of `program` in PATH, if any.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
