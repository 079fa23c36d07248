//! A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe`: Chromium reads
//! NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4. No
//! WebSocket, no port: the browser is reachable only by this process.

use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The flags this machine needs for a headless Chromium.
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
];

pub struct Chromium {
    child: Child,
    to_browser: File,
    from_browser: Receiver<Value>,
    next_id: u64,
    /// Events received while waiting for something else, oldest first.
    pending: Vec<Value>,
}

fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

impl Chromium {
    /// Starts `exe` with a fresh profile in `profile`; its stderr goes to `log`.
    pub fn launch(exe: &Path, profile: &Path, log: &Path) -> std::io::Result<Chromium> {
        let (cmd_read, cmd_write) = pipe();
        let (evt_read, evt_write) = pipe();
        let mut command = Command::new(exe);
        command
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--window-size=1280,900")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log)?);
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. The
        // pipe ends are first moved above 10 so that dup2 onto 3 and 4 cannot clobber them.
        unsafe {
            command.pre_exec(move || {
                let r = libc::fcntl(cmd_read, libc::F_DUPFD, 10);
                let w = libc::fcntl(evt_write, libc::F_DUPFD, 10);
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn();
        // SAFETY: the child has its copies; these ends are ours only in the child.
        unsafe {
            libc::close(cmd_read);
            libc::close(evt_write);
        }
        let child = child?;
        // SAFETY: we own these descriptors from pipe2 and wrap each exactly once.
        let to_browser = unsafe { File::from_raw_fd(cmd_write) };
        let from = unsafe { File::from_raw_fd(evt_read) };
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from);
            loop {
                let mut buf = Vec::new();
                match reader.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        buf.pop_if(|b| *b == 0);
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                            && tx.send(v).is_err()
                        {
                            break;
                        }
                    }
                }
            }
        });
        Ok(Chromium {
            child,
            to_browser,
            from_browser: rx,
            next_id: 1,
            pending: Vec::new(),
        })
    }

    fn recv(&mut self, deadline: Instant) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.from_browser.recv_timeout(left) {
            Ok(v) => Ok(v),
            Err(RecvTimeoutError::Timeout) => Err("timed out waiting for Chromium".into()),
            Err(RecvTimeoutError::Disconnected) => Err("Chromium closed its pipe".into()),
        }
    }

    /// Sends a command (to a page session when `session` is set) and waits for its result.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to_browser
            .write_all(&bytes)
            .map_err(|e| format!("{method}: cannot write to Chromium: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.recv(deadline).map_err(|e| format!("{method}: {e}"))?;
            if v["id"] == json!(id) {
                if let Some(err) = v.get("error") {
                    return Err(format!("{method}: {err}"));
                }
                return Ok(v["result"].clone());
            }
            if v.get("method").is_some() {
                self.pending.push(v);
            }
        }
    }

    /// Drops the events received so far.
    pub fn clear_events(&mut self) {
        self.pending.clear();
        while let Ok(v) = self.from_browser.try_recv() {
            drop(v);
        }
    }

    /// Waits for event `method` (of `session`), returning its params.
    pub fn wait_event(
        &mut self,
        session: &str,
        method: &str,
        timeout: Duration,
    ) -> Result<Value, String> {
        let matches = |v: &Value| v["method"] == json!(method) && v["sessionId"] == json!(session);
        if let Some(i) = self.pending.iter().position(matches) {
            return Ok(self.pending.remove(i)["params"].clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.recv(deadline).map_err(|e| format!("{method}: {e}"))?;
            if matches(&v) {
                return Ok(v["params"].clone());
            }
        }
    }

    /// Evaluates `expression` in the page and returns its JSON value.
    pub fn eval(&mut self, session: &str, expression: &str) -> Result<Value, String> {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("{expression}: {e}"));
        }
        Ok(r["result"]["value"].clone())
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.call(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
