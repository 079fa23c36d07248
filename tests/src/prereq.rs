//! Prerequisites of the integration tests: root (mariadbd runs as root, sources such as
//! 127.0.x.2 are bound), mariadbd, mariadb-install-db, the mariadb client and socat.
//!
//! Missing one is a skip with a printed reason on a developer's machine, and a failure under
//! `CI=true`, where a skipped test would hide a broken setup.

use std::io::Write;
use xtask::mariadb::program;

/// What is missing, if anything: the common prerequisites and the programs of `extra`.
pub fn missing_with(extra: &[&str]) -> Vec<String> {
    let mut missing = missing();
    for name in extra {
        if !program(name).is_absolute() {
            missing.push(format!("{name} (`cargo xtask test` installs it)"));
        }
    }
    missing
}

/// What is missing, if anything.
pub fn missing() -> Vec<String> {
    let mut missing = Vec::new();
    if !xtask::process::is_root() {
        missing.push("root (the tests run mariadbd as root and bind loopback sources)".into());
    }
    for name in ["mariadbd", "mariadb-install-db", "mariadb", "socat"] {
        if !program(name).is_absolute() {
            missing.push(format!("{name} (`cargo xtask test` installs it)"));
        }
    }
    missing
}

/// Whether CI is set to a true value.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// `true` when the test can run. Otherwise prints why it is skipped and returns `false`,
/// or panics under CI.
pub fn available(test: &str) -> bool {
    available_with(test, &[])
}

/// [`available`], also requiring the programs of `extra` (e.g. `haproxy`, `tmux`).
pub fn available_with(test: &str, extra: &[&str]) -> bool {
    let missing = missing_with(extra);
    if missing.is_empty() {
        return true;
    }
    let list = missing.join(", ");
    assert!(
        !under_ci(),
        "{test}: prerequisites missing under CI=true: {list}"
    );
    // Written to stderr directly, not with eprintln!, which the test harness would capture
    // and hide for a passing test.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: missing {list}");
    false
}

/// Returns from the calling test (skipped) when prerequisites are missing; fails it under CI.
#[macro_export]
macro_rules! require_prerequisites {
    ($test:expr) => {
        if !$crate::prereq::available($test) {
            return;
        }
    };
    ($test:expr, $extra:expr) => {
        if !$crate::prereq::available_with($test, &$extra) {
            return;
        }
    };
}
