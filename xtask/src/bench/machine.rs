//! The machine and software the figures were measured on, for the report.

use super::proc::output_of;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub kernel: String,
    pub cpu_model: String,
    pub cores: usize,
    pub haproxy: String,
    pub mariadb: String,
    pub sysbench: String,
    pub sockhop: String,
}

fn first_line(s: Option<String>) -> String {
    s.and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

pub fn describe(sockhop_bin: &std::path::Path) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let mariadbd = xtask::mariadb::program("mariadbd");
    Machine {
        kernel: first_line(output_of("uname", &["-srm"])),
        cpu_model,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        haproxy: first_line(output_of("haproxy", &["-v"])),
        mariadb: first_line(output_of(&mariadbd.to_string_lossy(), &["--version"])),
        sysbench: first_line(output_of("sysbench", &["--version"])),
        sockhop: first_line(output_of(&sockhop_bin.to_string_lossy(), &["--version"])),
    }
}
