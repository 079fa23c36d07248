//! Processes the bench starts: fixtures that live for the whole run ([`Fixture`], stopped by
//! PID when dropped, so also on error) and load generators that run to completion
//! ([`run_load`]). A Ctrl-C sets [`interrupted`] and stops the running load generators; the run
//! then unwinds and every fixture's guard stops its process.

use anyhow::{Context, Result, bail};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// PIDs of running load generators (stopped at once on Ctrl-C).
static LOADS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Installs the Ctrl-C handler (once per process).
pub fn install_ctrlc() -> Result<()> {
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        for pid in LOADS.lock().map(|l| l.clone()).unwrap_or_default() {
            signal(pid, libc::SIGTERM);
        }
    })
    .context("installing the Ctrl-C handler")
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Fails with "interrupted" once Ctrl-C was pressed.
pub fn check_interrupted() -> Result<()> {
    if interrupted() {
        bail!("interrupted by Ctrl-C; stopping every fixture");
    }
    Ok(())
}

fn signal(pid: u32, sig: i32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) on one positive PID of a child we have not reaped yet.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Own process group (a terminal Ctrl-C reaches only us, we stop things in order) and
/// SIGTERM when we die, so nothing outlives a killed bench.
fn detach(cmd: &mut Command) -> &mut Command {
    cmd.process_group(0);
    // SAFETY: only prctl(2), an async-signal-safe system call, runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        })
    }
}

/// A long-running process stopped by PID (SIGTERM, then SIGKILL) when dropped.
pub struct Fixture {
    pub name: String,
    child: Child,
}

impl Fixture {
    /// Starts `cmd` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Result<Fixture> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = detach(cmd)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {name}: {cmd:?}"))?;
        Ok(Fixture {
            name: name.to_string(),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` if the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        signal(self.child.id(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            sleep(Duration::from_millis(10));
        }
        signal(self.child.id(), libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `addr` accepts a TCP connection, failing if `fixture` exits or `timeout` passes.
pub fn wait_listening(
    fixture: &mut Fixture,
    addr: std::net::SocketAddr,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = fixture.exited() {
            bail!(
                "{} exited ({status}) before listening on {addr}",
                fixture.name
            );
        }
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "{} is not listening on {addr} after {timeout:?}",
                fixture.name
            );
        }
        check_interrupted()?;
        sleep(Duration::from_millis(50));
    }
}

/// Output of a load generator run.
pub struct LoadOutput {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
}

/// Runs a load generator to completion (stopped early by Ctrl-C), capturing its output.
pub fn run_load(cmd: &mut Command) -> Result<LoadOutput> {
    check_interrupted()?;
    let child = detach(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id();
    LOADS.lock().expect("load registry").push(pid);
    let out = child.wait_with_output();
    LOADS.lock().expect("load registry").retain(|&p| p != pid);
    let out = out.with_context(|| format!("waiting for {cmd:?}"))?;
    check_interrupted()?;
    Ok(LoadOutput {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
    })
}

/// Runs a short command and returns its stdout (for versions and installs).
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    if s.trim().is_empty() {
        s = String::from_utf8_lossy(&out.stderr).into_owned();
    }
    Some(s.trim().to_string())
}

/// `cmd` as a shell command line (arguments quoted only where needed), for the report.
pub fn shell_line(cmd: &Command) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}
