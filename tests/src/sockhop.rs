//! The real `sockhop` binary under test: its configuration file and its process.
//!
//! The binary is built once per test process with `cargo build -p sockhop` (cargo says
//! where the executable is, and rebuilds it if the source changed), because
//! `CARGO_BIN_EXE_*` only exists for binaries of the test's own package.
//!
//! With `SOCKHOP_TESTS_PROXY=haproxy` the same [`Setup`] is written as an HAProxy
//! configuration and the real `haproxy` runs in sockhop's place (the reference behaviour).

use crate::datapath::DataPath;
use crate::net::TestNet;
use crate::stats::{self, StatTable};
use crate::wait;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use xtask::mariadb::CHECK_USER;
use xtask::process;

/// Time allowed for sockhop to start answering on its stats socket.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The `sockhop` executable, built on first use.
pub fn binary() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| xtask::workspace::build_sockhop().map_err(|e| e.to_string()))
        .clone()
        .unwrap_or_else(|e| panic!("cannot build sockhop: {e}"))
}

/// The knobs the walkthrough tests turn; everything else is the seed's configuration.
#[derive(Debug, Clone)]
pub struct Setup {
    pub balance: &'static str,
    /// The Secondary is `backup = true` (the seed) or a second active server.
    pub secondary_backup: bool,
    pub inter: Duration,
    pub rise: u32,
    pub fall: u32,
    /// `failback = "manual"` when set.
    pub manual_failback: bool,
    /// Connect to the servers (checks and data) from the test's 127.0.n.2.
    pub use_source: bool,
    /// Listen here instead of the test's 127.0.n.1:3306 (to run two proxies side by side).
    pub bind: Option<SocketAddr>,
    /// Also serve the stats socket on this TCP address (`ipv4@...`), level admin.
    pub tcp_stats: Option<SocketAddr>,
    /// Run sockhop with `--datapath <path>`; `None` leaves the configuration's `auto`.
    /// (HAProxy, the reference, has no such choice and ignores it.)
    pub datapath: Option<DataPath>,
}

impl Default for Setup {
    /// The seed's configuration with fast checks: roundrobin, Secondary as backup,
    /// inter 100ms, rise 2, fall 3.
    fn default() -> Self {
        Setup {
            balance: "roundrobin",
            secondary_backup: true,
            inter: Duration::from_millis(100),
            rise: 2,
            fall: 3,
            manual_failback: false,
            use_source: false,
            bind: None,
            tcp_stats: None,
            datapath: None,
        }
    }
}

/// Which program runs as the proxy under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proxy {
    Sockhop,
    /// The real HAProxy, the reference.
    Haproxy,
}

impl Proxy {
    /// `SOCKHOP_TESTS_PROXY=haproxy` selects HAProxy; sockhop otherwise.
    pub fn from_env() -> Proxy {
        if std::env::var("SOCKHOP_TESTS_PROXY").is_ok_and(|v| v == "haproxy") {
            Proxy::Haproxy
        } else {
            Proxy::Sockhop
        }
    }
}

impl Setup {
    /// The seed's setup (see [`Setup::default`]) with sockhop on data path `path`.
    pub fn on(path: DataPath) -> Setup {
        Setup {
            datapath: Some(path),
            ..Setup::default()
        }
    }

    /// Where the proxy listens.
    pub fn bind_addr(&self, net: TestNet) -> SocketAddr {
        self.bind.unwrap_or(net.bind())
    }

    /// The TOML text of the configuration (the seed's, adapted to the test's addresses).
    pub fn toml(&self, net: TestNet, stats_socket: &Path) -> String {
        let inter = format!("{}ms", self.inter.as_millis());
        let failback = if self.manual_failback {
            "failback = \"manual\"\n"
        } else {
            ""
        };
        let server = |name: &str, ip: std::net::Ipv4Addr, backup: bool| {
            let mut s = format!(
                "\n[[listen.server]]\nname = \"{name}\"\naddress = \"{ip}:{port}\"\n\
                 check = true\ninter = \"{inter}\"\nrise = {rise}\nfall = {fall}\n",
                port = crate::net::PORT,
                rise = self.rise,
                fall = self.fall,
            );
            if backup {
                s.push_str("backup = true\n");
            }
            if self.use_source {
                s.push_str(&format!("source = \"{}\"\n", net.source()));
            }
            s
        };
        let tcp_stats = self.tcp_stats.map_or_else(String::new, |a| {
            format!("[[stats_socket]]\naddress = \"ipv4@{a}\"\nlevel = \"admin\"\n\n")
        });
        format!(
            "[global]\nmaxconn = 400\n\n\
             [[stats_socket]]\npath = \"{sock}\"\nmode = \"0600\"\nlevel = \"admin\"\n\n{tcp_stats}\
             [defaults]\ntimeout_connect = \"2s\"\ntimeout_client = \"30s\"\n\
             timeout_server = \"30s\"\ntimeout_check = \"2s\"\n\n\
             [[listen]]\nname = \"MySQL\"\nbind = [\"{bind}\"]\nmode = \"tcp\"\n\
             balance = \"{balance}\"\nmysql_check = {{ user = \"{CHECK_USER}\" }}\n{failback}{primary}{secondary}",
            sock = stats_socket.display(),
            bind = self.bind_addr(net),
            balance = self.balance,
            primary = server("Primary", net.primary(), false),
            secondary = server("Secondary", net.secondary(), self.secondary_backup),
        )
    }
}

impl Setup {
    /// The same setup as an HAProxy configuration, for running the walkthrough against the
    /// real HAProxy (the reference) with `SOCKHOP_TESTS_PROXY=haproxy`. HAProxy has no
    /// `failback`, so that test cannot pass there.
    pub fn haproxy_cfg(&self, net: TestNet, stats_socket: &Path) -> String {
        let inter = self.inter.as_millis();
        let server = |name: &str, ip: std::net::Ipv4Addr, backup: bool| {
            format!(
                "    server {name} {ip}:{port} check inter {inter}ms rise {rise} fall {fall}{backup}{source}\n",
                port = crate::net::PORT,
                rise = self.rise,
                fall = self.fall,
                backup = if backup { " backup" } else { "" },
                source = if self.use_source {
                    format!(" source {}", net.source())
                } else {
                    String::new()
                },
            )
        };
        let tcp_stats = self.tcp_stats.map_or_else(String::new, |a| {
            format!("    stats socket ipv4@{a} level admin\n")
        });
        format!(
            "global\n    maxconn 400\n    stats socket {sock} mode 600 level admin\n{tcp_stats}\
             defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    timeout check 2s\n\
             listen MySQL\n    bind {bind}\n    balance {balance}\n    option mysql-check user {CHECK_USER} post-41\n{primary}{secondary}",
            sock = stats_socket.display(),
            bind = self.bind_addr(net),
            balance = self.balance,
            primary = server("Primary", net.primary(), false),
            secondary = server("Secondary", net.secondary(), self.secondary_backup),
        )
    }
}

/// A running sockhop, stopped by PID on drop. Its log is `sockhop.log` in its folder and
/// is printed when a test fails.
#[derive(Debug)]
pub struct Sockhop {
    child: Child,
    dir: PathBuf,
    stats_socket: PathBuf,
    bind: SocketAddr,
    proxy: Proxy,
}

impl Sockhop {
    /// The folder a test's sockhop uses; call [`Sockhop::clean`] on it before anything else.
    pub fn dir_for(pair_dir: &Path) -> PathBuf {
        pair_dir.join("sockhop")
    }

    /// Stops a sockhop an earlier, killed run left in `dir`.
    pub fn clean(dir: &Path) {
        process::stop_stale(&dir.join("sockhop.pid"), "sockhop", Duration::from_secs(10));
    }

    /// Writes the configuration into `dir`, starts sockhop and waits until its stats socket
    /// answers (listeners are bound before it).
    pub fn start(dir: &Path, net: TestNet, setup: &Setup) -> Sockhop {
        Self::start_as(dir, net, setup, Proxy::from_env())
    }

    /// As [`Sockhop::start`], with the proxy program chosen by the caller.
    pub fn start_as(dir: &Path, net: TestNet, setup: &Setup, proxy: Proxy) -> Sockhop {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let stats_socket = xtask::mariadb::client::socket_path(dir, "stats.sock");
        let haproxy = proxy == Proxy::Haproxy;
        let (config, text) = if haproxy {
            (
                dir.join("haproxy.cfg"),
                setup.haproxy_cfg(net, &stats_socket),
            )
        } else {
            (dir.join("sockhop.toml"), setup.toml(net, &stats_socket))
        };
        fs::write(&config, text).unwrap_or_else(|e| panic!("{}: {e}", config.display()));
        let log_path = dir.join("sockhop.log");
        let log =
            fs::File::create(&log_path).unwrap_or_else(|e| panic!("{}: {e}", log_path.display()));
        let mut rust_log = "info";
        let mut cmd = if haproxy {
            let mut cmd = Command::new("haproxy");
            cmd.arg("-db").arg("-f").arg(&config);
            cmd
        } else {
            let mut cmd = Command::new(binary());
            cmd.arg("run").arg("--config").arg(&config);
            if let Some(path) = setup.datapath {
                cmd.arg("--datapath").arg(path.as_str());
                rust_log = path.rust_log();
            }
            cmd
        };
        cmd.env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log file"))
            .stderr(log);
        process::guard(&mut cmd);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sockhop: {e}"));
        fs::write(dir.join("sockhop.pid"), child.id().to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut sockhop = Sockhop {
            child,
            dir: dir.to_path_buf(),
            stats_socket,
            bind: setup.bind_addr(net),
            proxy,
        };
        wait::until(
            START_TIMEOUT,
            "sockhop to answer on its stats socket",
            || {
                if let Ok(Some(status)) = sockhop.child.try_wait() {
                    panic!(
                        "{proxy:?} exited during start-up ({status}):\n{}",
                        sockhop.log()
                    );
                }
                stats::raw(&sockhop.stats_socket, "show stat")
            },
        );
        sockhop
    }

    /// Which program this is.
    pub fn proxy(&self) -> Proxy {
        self.proxy
    }

    /// The address clients connect to.
    pub fn bind(&self) -> SocketAddr {
        self.bind
    }

    pub fn stats_socket(&self) -> &Path {
        &self.stats_socket
    }

    /// The process id (for tools that must be pointed at it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a stats command over a raw unix stream.
    pub fn command(&self, command: &str) -> String {
        stats::raw(&self.stats_socket, command).unwrap_or_else(|e| panic!("{command}: {e}"))
    }

    /// `show stat`, parsed.
    pub fn show_stat(&self) -> StatTable {
        StatTable::parse(&self.command("show stat")).unwrap_or_else(|e| panic!("{e}"))
    }

    /// What sockhop has logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("sockhop.log")).unwrap_or_default()
    }
}

impl Drop for Sockhop {
    fn drop(&mut self) {
        if let Err(e) = process::terminate(&mut self.child, Duration::from_secs(10)) {
            eprintln!("cannot stop sockhop: {e}");
        }
        let _ = fs::remove_file(self.dir.join("sockhop.pid"));
        if std::thread::panicking() {
            eprintln!(
                "---- sockhop log ({}) ----\n{}",
                self.dir.display(),
                self.log()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_configuration_with_test_addresses() {
        let toml = Setup::default().toml(TestNet::new(9), Path::new("/s/stats.sock"));
        for needle in [
            "name = \"MySQL\"",
            "bind = [\"127.0.9.1:3306\"]",
            "mysql_check = { user = \"haproxy\" }",
            "address = \"127.0.9.10:3306\"",
            "address = \"127.0.9.20:3306\"",
            "backup = true",
            "inter = \"100ms\"",
            "path = \"/s/stats.sock\"",
        ] {
            assert!(toml.contains(needle), "{needle} missing from:\n{toml}");
        }
        assert!(!toml.contains("source"));
        assert!(!toml.contains("address = \"ipv4@"));
        assert!(!toml.contains("failback"));
        assert_eq!(toml.matches("backup = true").count(), 1);
    }

    #[test]
    fn source_and_manual_failback_when_asked() {
        let setup = Setup {
            manual_failback: true,
            use_source: true,
            secondary_backup: false,
            ..Setup::default()
        };
        let toml = setup.toml(TestNet::new(9), Path::new("/s"));
        assert_eq!(toml.matches("source = \"127.0.9.2\"").count(), 2);
        assert!(toml.contains("failback = \"manual\""));
        assert!(!toml.contains("backup = true"));
    }

    #[test]
    fn own_bind_and_tcp_stats_socket_in_both_formats() {
        let setup = Setup {
            bind: Some("127.0.9.3:3306".parse().unwrap()),
            tcp_stats: Some("127.0.9.1:9999".parse().unwrap()),
            ..Setup::default()
        };
        let net = TestNet::new(9);
        let toml = setup.toml(net, Path::new("/s"));
        assert!(toml.contains("bind = [\"127.0.9.3:3306\"]"), "{toml}");
        assert!(toml.contains("address = \"ipv4@127.0.9.1:9999\""), "{toml}");
        let cfg = setup.haproxy_cfg(net, Path::new("/s"));
        assert!(cfg.contains("bind 127.0.9.3:3306"), "{cfg}");
        assert!(
            cfg.contains("stats socket ipv4@127.0.9.1:9999 level admin"),
            "{cfg}"
        );
    }
}
