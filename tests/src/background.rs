//! A helper program running for one test (an exporter): started guarded (it cannot
//! outlive the test binary), stopped by PID on drop, its output kept in a log file that is
//! printed when the test fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use xtask::process;

/// A running helper program.
#[derive(Debug)]
pub struct Background {
    name: String,
    child: Child,
    log: PathBuf,
    pid_file: PathBuf,
}

impl Background {
    /// Starts `cmd` with stdout and stderr to `<dir>/<name>.log`, its PID in
    /// `<dir>/<name>.pid`; a leftover of an earlier, killed run (same pid file, `marker` in
    /// its command line) is stopped first.
    pub fn start(name: &str, dir: &Path, marker: &str, mut cmd: Command) -> Background {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let pid_file = dir.join(format!("{name}.pid"));
        process::stop_stale(&pid_file, marker, Duration::from_secs(5));
        let log = dir.join(format!("{name}.log"));
        let out = fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone().expect("clone log file"))
            .stderr(out);
        process::guard(&mut cmd);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        fs::write(&pid_file, child.id().to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
        Background {
            name: name.to_owned(),
            child,
            log,
            pid_file,
        }
    }

    /// Panics (with the log) if the program has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}):\n{}", self.name, self.log());
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Err(e) = process::terminate(&mut self.child, Duration::from_secs(5)) {
            eprintln!("cannot stop {}: {e}", self.name);
        }
        let _ = fs::remove_file(&self.pid_file);
        if std::thread::panicking() {
            eprintln!("---- {} log ----\n{}", self.name, self.log());
        }
    }
}
