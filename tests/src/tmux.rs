//! A private tmux server (its own socket file) running one program in a detached session,
//! to drive a terminal UI such as hatop: send keys, read the screen.
//!
//! The tmux server daemonizes, so it is not our child: its PID is read from tmux, kept in a
//! pid file, and on drop the server is told to exit and then signalled by that PID.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use xtask::process;

/// Screen size of the session (wide enough for hatop's columns).
const COLUMNS: &str = "200";
const LINES: &str = "50";

#[derive(Debug)]
pub struct Tmux {
    socket: PathBuf,
    pid_file: PathBuf,
    pid: u32,
}

impl Tmux {
    /// Starts `program args...` in session `main` of a tmux server on `<dir>/tmux.sock`.
    pub fn start(dir: &Path, program: &Path, args: &[&str]) -> Tmux {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let socket = dir.join("tmux.sock");
        let pid_file = dir.join("tmux.pid");
        let marker = socket.display().to_string();
        process::stop_stale(&pid_file, &marker, Duration::from_secs(5));
        let _ = std::fs::remove_file(&socket);
        let mut argv = vec![program.display().to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let tmux = |args: &[&str]| {
            Command::new("tmux")
                .arg("-f")
                .arg("/dev/null")
                .arg("-S")
                .arg(&socket)
                .args(args)
                .env("TERM", "xterm")
                .output()
                .unwrap_or_else(|e| panic!("cannot run tmux: {e}"))
        };
        let mut new = vec![
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            COLUMNS,
            "-y",
            LINES,
            "--",
        ];
        new.extend(argv.iter().map(String::as_str));
        let out = tmux(&new);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = tmux(&["display-message", "-p", "#{pid}"]);
        let pid: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no tmux server pid: {out:?}"));
        std::fs::write(&pid_file, pid.to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
        // Keep the pane (and its last screen) if the program exits, to show why.
        let _ = tmux(&["set-option", "-g", "remain-on-exit", "on"]);
        Tmux {
            socket,
            pid_file,
            pid,
        }
    }

    fn run(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run tmux: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tmux {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The screen with its escape sequences (attributes such as reverse video).
    pub fn screen_with_attributes(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", "main"])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sends keys in tmux notation (`Down`, `F10`, `q`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend(keys);
        self.run(&args).unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- tmux screen ----\n{}",
                self.run(&["capture-pane", "-p", "-t", "main"])
                    .unwrap_or_default()
            );
        }
        let _ = self.run(&["kill-server"]);
        let marker = self.socket.display().to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while process::is_alive_with(self.pid, &marker) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        process::stop_stale(&self.pid_file, &marker, Duration::from_secs(3));
        let _ = std::fs::remove_file(&self.pid_file);
        let _ = std::fs::remove_file(&self.socket);
    }
}
