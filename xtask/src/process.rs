//! Helper processes (mariadbd, sockhop): started so they cannot outlive us, stopped by PID.
//!
//! Every process is started in its own process group (so a Ctrl-C typed at the terminal
//! reaches only us, and we stop things in order) with `PR_SET_PDEATHSIG = SIGTERM` (so a
//! killed test binary or demo does not leave servers behind). Processes left over from a
//! run that died anyway are found again through their pid files.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How often stop loops look at a process.
const POLL: Duration = Duration::from_millis(10);

/// Makes `cmd` start in its own process group and receive SIGTERM when the thread that
/// spawned it dies. Spawn from the thread that owns the process for its whole life.
pub fn guard(cmd: &mut Command) -> &mut Command {
    cmd.process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid, getpid,
    // kill are plain system calls) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would signal us.
            if libc::getppid() != parent {
                libc::kill(libc::getpid(), libc::SIGTERM);
            }
            Ok(())
        })
    }
}

/// Sends `signal` to `pid`; `false` when there is no such process.
pub fn signal(pid: u32, signal: i32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with a positive pid only signals that one process.
    unsafe { libc::kill(pid, signal) == 0 }
}

/// Stops a child we spawned: SIGTERM by PID, wait up to `grace`, then SIGKILL and wait.
pub fn terminate(child: &mut Child, grace: Duration) -> io::Result<ExitStatus> {
    if let Some(status) = child.try_wait()? {
        return Ok(status);
    }
    signal(child.id(), libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        sleep(POLL);
    }
    signal(child.id(), libc::SIGKILL);
    child.wait()
}

/// Whether `pid` is a live (not zombie) process whose command line contains `marker`.
pub fn is_alive_with(pid: u32, marker: &str) -> bool {
    let proc_dir = Path::new("/proc").join(pid.to_string());
    let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    // The state is the first field after the parenthesised command name.
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
    if zombie {
        return false;
    }
    std::fs::read(proc_dir.join("cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains(marker))
        .unwrap_or(false)
}

/// Stops a leftover process of an earlier run, named by the pid in `pid_file`, provided its
/// command line still contains `marker` (so a recycled PID is never signalled). Returns the
/// PID it stopped.
pub fn stop_stale(pid_file: &Path, marker: &str, grace: Duration) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if !is_alive_with(pid, marker) {
        return None;
    }
    signal(pid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while is_alive_with(pid, marker) {
        if Instant::now() >= deadline {
            signal(pid, libc::SIGKILL);
            let hard = Instant::now() + grace;
            while is_alive_with(pid, marker) && Instant::now() < hard {
                sleep(POLL);
            }
            break;
        }
        sleep(POLL);
    }
    Some(pid)
}

/// The current effective user is root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
