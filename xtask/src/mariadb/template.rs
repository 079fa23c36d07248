//! The cached template data directory every instance starts from.
//!
//! `mariadb-install-db` plus the schema and users takes seconds; copying the result takes
//! milliseconds. The template is built once per (mariadbd version, bootstrap SQL, server
//! settings) under `<state>/template-<hash>`, under a file lock so parallel tests and
//! processes build it only once, and published by an atomic rename.

use super::client::{self, Endpoint, Login};
use super::{INNODB_SETTINGS, MariaDbError, bootstrap_sql};
use crate::process;
use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bump when the way the template is made changes in a way the hash cannot see.
const FORMAT: u32 = 1;

/// Time allowed for the bootstrap server to come up.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// 64-bit FNV-1a: a stable hash for cache keys and file names (not for security).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Returns the template folder under `state`, building it first if needed.
pub fn ensure(state: &Path) -> Result<PathBuf, MariaDbError> {
    fs::create_dir_all(state).map_err(|e| MariaDbError::io(state, e))?;
    let key = cache_key()?;
    let final_dir = state.join(format!("template-{key:016x}"));
    let lock_path = state.join("template.lock");
    let lock = File::create(&lock_path).map_err(|e| MariaDbError::io(&lock_path, e))?;
    // SAFETY: flock on a descriptor we own; released when `lock` is closed.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(MariaDbError::io(
            &lock_path,
            std::io::Error::last_os_error(),
        ));
    }
    if final_dir.is_dir() {
        return Ok(final_dir);
    }
    let work = state.join(format!("template-{key:016x}.building"));
    if work.exists() {
        fs::remove_dir_all(&work).map_err(|e| MariaDbError::io(&work, e))?;
    }
    build(&work)?;
    fs::rename(&work, &final_dir).map_err(|e| MariaDbError::io(&final_dir, e))?;
    drop(lock);
    Ok(final_dir)
}

/// The cache key: mariadbd's version, the bootstrap SQL and the server settings.
fn cache_key() -> Result<u64, MariaDbError> {
    let out = Command::new(super::program("mariadbd"))
        .arg("--version")
        .output()
        .map_err(|source| MariaDbError::Spawn {
            program: "mariadbd".into(),
            source,
        })?;
    let mut material = out.stdout;
    material.extend_from_slice(bootstrap_sql().as_bytes());
    material.extend_from_slice(INNODB_SETTINGS.join("\n").as_bytes());
    material.extend_from_slice(&FORMAT.to_le_bytes());
    Ok(fnv1a(&material))
}

/// Creates a data directory in `work`, with the schema and users of [`bootstrap_sql`].
fn build(work: &Path) -> Result<(), MariaDbError> {
    let data = work.join("data");
    let log = work.join("install.log");
    fs::create_dir_all(work).map_err(|e| MariaDbError::io(work, e))?;
    let log_file = File::create(&log).map_err(|e| MariaDbError::io(&log, e))?;
    let mut install = Command::new(super::program("mariadb-install-db"));
    install
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg("--auth-root-authentication-method=socket")
        .arg("--skip-test-db")
        .args(INNODB_SETTINGS.iter().map(|s| format!("--{s}")))
        .stdout(Stdio::from(
            log_file
                .try_clone()
                .map_err(|e| MariaDbError::io(&log, e))?,
        ))
        .stderr(Stdio::from(log_file));
    if process::is_root() {
        install.arg("--user=root");
    }
    let status = install.status().map_err(|source| MariaDbError::Spawn {
        program: "mariadb-install-db".into(),
        source,
    })?;
    if !status.success() {
        return Err(MariaDbError::Template(format!(
            "mariadb-install-db failed ({status}); its output:\n{}",
            tail(&log)
        )));
    }

    // Start it once without networking to create the schema and users.
    let socket = client::socket_path(work, "boot.sock");
    let err_log = work.join("boot.err");
    let mut cmd = Command::new(super::program("mariadbd"));
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", work.join("boot.pid").display()))
        .arg(format!("--log-error={}", err_log.display()))
        .arg("--skip-networking")
        .arg("--skip-log-bin")
        .args(INNODB_SETTINGS.iter().map(|s| format!("--{s}")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if process::is_root() {
        cmd.arg("--user=root");
    }
    process::guard(&mut cmd);
    let mut child = cmd.spawn().map_err(|source| MariaDbError::Spawn {
        program: "mariadbd".into(),
        source,
    })?;
    let endpoint = Endpoint::Socket(socket.clone());
    let root = Login::new("root", None);
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let result = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Err(MariaDbError::Template(format!(
                "the bootstrap mariadbd exited ({status}); its log:\n{}",
                tail(&err_log)
            )));
        }
        if socket.exists() && client::query(&endpoint, root, "SELECT 1").is_ok() {
            break client::query(&endpoint, root, &bootstrap_sql()).map(|_| ());
        }
        if Instant::now() >= deadline {
            break Err(MariaDbError::Template(format!(
                "the bootstrap mariadbd did not accept connections within {BOOT_TIMEOUT:?}; \
                 its log:\n{}",
                tail(&err_log)
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stopped = process::terminate(&mut child, Duration::from_secs(60));
    result?;
    let status = stopped.map_err(|e| MariaDbError::io(work, e))?;
    if !status.success() {
        return Err(MariaDbError::Template(format!(
            "the bootstrap mariadbd did not shut down cleanly ({status}); its log:\n{}",
            tail(&err_log)
        )));
    }
    Ok(())
}

/// The last lines of a log file, for error messages.
pub fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| format!("(cannot read: {e})"));
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(15);
    format!("{}:\n{}", path.display(), lines[start..].join("\n"))
}

/// Copies the template's data directory to `dest` (which must not exist).
pub fn copy_data(template: &Path, dest: &Path) -> Result<(), MariaDbError> {
    copy_tree(&template.join("data"), dest)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), MariaDbError> {
    fs::create_dir_all(to).map_err(|e| MariaDbError::io(to, e))?;
    for entry in fs::read_dir(from).map_err(|e| MariaDbError::io(from, e))? {
        let entry = entry.map_err(|e| MariaDbError::io(from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| MariaDbError::io(&src, e))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| MariaDbError::io(&src, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
