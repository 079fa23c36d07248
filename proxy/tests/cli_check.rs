//! `sockhop check`: exit 0 for a valid file, 64 with `file:line:col: key: problem. fix` on
//! stderr for an invalid one.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

fn check(config: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sockhop"))
        .args(["check", "--config"])
        .arg(config)
        .output()
        .expect("run sockhop")
}

#[test]
fn seed_config_is_valid() {
    let seed = repo_file("config/seed.toml");
    let out = check(&seed);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("is valid (1 listen, 2 servers)"),
        "{stdout}"
    );
}

#[test]
fn demo_and_example_configs_are_valid() {
    for rel in ["config/demo.toml", "config/example.toml"] {
        let out = check(&repo_file(rel));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn invalid_config_exits_64_naming_file_line_and_fix() {
    let bad = repo_file("config/fixtures/invalid/unknown-key.toml");
    let out = check(&bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout for an invalid file"
    );
    let expected = format!(
        "{}:6:1: defaults.timeout_clinet: unknown key `timeout_clinet` in [defaults]. Did you mean `timeout_client`?\n",
        bad.display()
    );
    assert_eq!(stderr, expected);
}

#[test]
fn missing_file_exits_64() {
    let out = check(&repo_file("config/does-not-exist.toml"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "stderr: {stderr}");
    assert!(
        stderr.contains("does-not-exist.toml: cannot read"),
        "{stderr}"
    );
}
