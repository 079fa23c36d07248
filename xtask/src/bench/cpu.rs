//! CPU accounting from /proc: a process's user+system seconds (/proc/PID/stat) and the whole
//! machine's busy seconds (/proc/stat: everything but idle and iowait). Kernel-side forwarding
//! is charged to no process, so only the machine figure is fair across data paths.

use std::fs;

/// A snapshot of the counters at one instant.
#[derive(Debug, Clone, Copy)]
pub struct CpuSnapshot {
    proc_ticks: Option<u64>,
    machine_ticks: u64,
}

/// CPU seconds spent between two snapshots.
#[derive(Debug, Clone, Copy)]
pub struct CpuUsed {
    /// The proxy process's CPU seconds (None without a proxy, e.g. the direct target).
    pub proxy_s: Option<f64>,
    pub machine_s: f64,
}

fn ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

fn proc_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state(0) ppid(1) ... utime(11) stime(12).
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn machine_ticks() -> u64 {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is already inside user).
    [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| v.get(i)).sum()
}

impl CpuSnapshot {
    pub fn take(pid: Option<u32>) -> CpuSnapshot {
        CpuSnapshot {
            proc_ticks: pid.and_then(proc_ticks),
            machine_ticks: machine_ticks(),
        }
    }

    /// CPU used from `self` until `later`.
    pub fn until(&self, later: &CpuSnapshot) -> CpuUsed {
        let hz = ticks_per_s();
        CpuUsed {
            proxy_s: match (self.proc_ticks, later.proc_ticks) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / hz),
                _ => None,
            },
            machine_s: later.machine_ticks.saturating_sub(self.machine_ticks) as f64 / hz,
        }
    }
}
