//! Where things are: the workspace, its target folder, the state folder for local servers;
//! and building the `sockhop` binary with cargo (for the demo and the integration tests).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why the `sockhop` binary could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run `{cargo} build`: {source}")]
    Spawn {
        cargo: String,
        source: std::io::Error,
    },
    #[error("`cargo build -p sockhop` failed ({0}); the compiler's messages are above")]
    Failed(std::process::ExitStatus),
    #[error("`cargo build -p sockhop` succeeded but reported no `sockhop` executable")]
    NoExecutable,
}

/// The workspace root (the folder holding the top-level Cargo.toml).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo target folder (`CARGO_TARGET_DIR` if set, else `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        }
        None => root().join("target"),
    }
}

/// The folder under which local servers keep their data: `<target>/sockhop-state`.
pub fn state_dir() -> PathBuf {
    target_dir().join("sockhop-state")
}

/// The cargo to run: the one that started us if cargo did, else `cargo` from PATH.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Builds the `sockhop` binary (debug profile) and returns the path cargo reports for it.
///
/// Cargo's messages go to our stderr; cargo itself decides whether anything needs
/// rebuilding, so the result is never stale.
pub fn build_sockhop() -> Result<PathBuf, BuildError> {
    let cargo = cargo();
    let mut child = Command::new(&cargo)
        .current_dir(root())
        .args([
            "build",
            "--quiet",
            "--package",
            "sockhop",
            "--bin",
            "sockhop",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| BuildError::Spawn {
            cargo: cargo.clone(),
            source,
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executable = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(path) = sockhop_executable(&line) {
            executable = Some(path);
        }
    }
    let status = child.wait().map_err(|source| BuildError::Spawn {
        cargo: cargo.clone(),
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Failed(status));
    }
    executable.ok_or(BuildError::NoExecutable)
}

/// The executable of the `sockhop` binary target, if `line` is the cargo message about it.
fn sockhop_executable(line: &str) -> Option<PathBuf> {
    let msg: serde_json::Value = serde_json::from_str(line).ok()?;
    if msg.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = msg.get("target")?;
    let is_bin = target
        .get("kind")?
        .as_array()?
        .iter()
        .any(|k| k.as_str() == Some("bin"));
    if !is_bin || target.get("name")?.as_str()? != "sockhop" {
        return None;
    }
    msg.get("executable")?.as_str().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sockhop_executable_in_cargo_messages() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"sockhop"},"executable":"/t/debug/sockhop"}"#;
        assert_eq!(
            sockhop_executable(line),
            Some(PathBuf::from("/t/debug/sockhop"))
        );
    }

    #[test]
    fn ignores_libraries_other_binaries_and_other_messages() {
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"sockhop"},"executable":null}"#;
        let other = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"xtask"},"executable":"/t/debug/xtask"}"#;
        let done = r#"{"reason":"build-finished","success":true}"#;
        for line in [lib, other, done, "not json"] {
            assert_eq!(sockhop_executable(line), None, "{line}");
        }
    }
}
