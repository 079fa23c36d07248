//! One mariadbd: its folder, its configuration file, starting and stopping it by PID.

use super::client::{self, Endpoint, Login};
use super::template::tail;
use super::{
    APPLICATION_PASSWORD, APPLICATION_USER, INNODB_SETTINGS, MariaDbError, PairOptions, Role,
};
use crate::process;
use std::collections::HashMap;
use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Time allowed for mariadbd to start accepting connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed for a clean shutdown after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(60);

/// One local MariaDB server of a [`super::MariaDbPair`].
#[derive(Debug)]
pub struct Instance {
    role: Role,
    addr: SocketAddr,
    dir: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
}

impl Instance {
    /// Prepares the instance's folder `dir` (data copied from `template`, `my.cnf`) without
    /// starting it.
    pub(super) fn create(
        role: Role,
        opts: &PairOptions,
        dir: PathBuf,
        template: &Path,
    ) -> Result<Self, MariaDbError> {
        let ip = match role {
            Role::Primary => opts.primary_ip,
            Role::Secondary => opts.secondary_ip,
        };
        let socket = client::socket_path(&dir, "mariadbd.sock");
        let instance = Instance {
            role,
            addr: SocketAddr::new(IpAddr::V4(ip), opts.port),
            dir,
            socket,
            child: None,
        };
        super::template::copy_data(template, &instance.data_dir())?;
        let cnf = instance.cnf_path();
        fs::write(&cnf, instance.cnf_text(opts)).map_err(|e| MariaDbError::io(&cnf, e))?;
        Ok(instance)
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The TCP address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn server_id(&self) -> u32 {
        self.role.server_id()
    }

    /// Its folder: `data/`, `my.cnf`, `mariadbd.pid`, `error.log` (and usually the socket).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub(super) fn cnf_path(&self) -> PathBuf {
        self.dir.join("my.cnf")
    }

    pub(super) fn pid_path(&self) -> PathBuf {
        self.dir.join("mariadbd.pid")
    }

    /// The error log, for diagnosing a failed start.
    pub fn error_log(&self) -> PathBuf {
        self.dir.join("error.log")
    }

    fn cnf_text(&self, opts: &PairOptions) -> String {
        let id = self.role.server_id();
        let mut lines = vec![
            "[mariadbd]".to_string(),
            format!("datadir={}", self.data_dir().display()),
            format!("socket={}", self.socket.display()),
            format!("pid-file={}", self.pid_path().display()),
            format!("log-error={}", self.error_log().display()),
            format!("bind-address={}", self.addr.ip()),
            format!("port={}", self.addr.port()),
            format!("server_id={id}"),
            // One GTID domain per master, as MariaDB recommends for multi-master.
            format!("gtid_domain_id={}", self.role.offset()),
            "log-bin=mysql-bin".to_string(),
            "relay-log=relay-bin".to_string(),
            "log-slave-updates".to_string(),
            "auto_increment_increment=2".to_string(),
            format!("auto_increment_offset={}", self.role.offset()),
            "performance_schema=OFF".to_string(),
            "innodb_flush_log_at_trx_commit=2".to_string(),
            "sync_binlog=0".to_string(),
            "max_connections=200".to_string(),
        ];
        lines.extend(INNODB_SETTINGS.iter().map(|s| s.to_string()));
        if opts.skip_name_resolve {
            lines.push("skip-name-resolve".to_string());
        }
        if let Some(n) = opts.max_connect_errors {
            lines.push(format!("max_connect_errors={n}"));
        }
        if process::is_root() {
            lines.push("user=root".to_string());
        }
        lines.join("\n") + "\n"
    }

    /// Starts mariadbd and waits until it accepts connections.
    pub fn start(&mut self) -> Result<(), MariaDbError> {
        self.spawn()?;
        self.wait_ready()
    }

    /// Starts mariadbd without waiting (see [`Instance::wait_ready`]).
    pub(super) fn spawn(&mut self) -> Result<(), MariaDbError> {
        if self.is_running() {
            return Ok(());
        }
        let mut cmd = Command::new(super::program("mariadbd"));
        cmd.arg(format!("--defaults-file={}", self.cnf_path().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if process::is_root() {
            cmd.arg("--user=root");
        }
        process::guard(&mut cmd);
        let child = cmd.spawn().map_err(|source| MariaDbError::Spawn {
            program: "mariadbd".into(),
            source,
        })?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the server answers `SELECT 1` on its socket (a clean login, so nothing
    /// counts as an aborted connect).
    pub(super) fn wait_ready(&mut self) -> Result<(), MariaDbError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let endpoint = Endpoint::Socket(self.socket.clone());
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(self.start_error(format!("mariadbd exited ({status})")));
            }
            if self.socket.exists() && client::query(&endpoint, root(), "SELECT 1").is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.start_error(format!(
                    "mariadbd did not accept connections within {START_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn start_error(&self, what: String) -> MariaDbError {
        MariaDbError::Start {
            role: self.role,
            addr: self.addr,
            what,
            log: tail(&self.error_log()),
        }
    }

    /// Stops mariadbd: SIGTERM to its PID, then waits for it to exit (SIGKILL after a
    /// minute). Stopping a stopped instance does nothing.
    pub fn stop(&mut self) -> Result<(), MariaDbError> {
        if let Some(mut child) = self.child.take() {
            process::terminate(&mut child, STOP_GRACE)
                .map_err(|e| MariaDbError::io(&self.dir, e))?;
        }
        Ok(())
    }

    /// Runs `sql` as `root` over the unix socket; batch output without column names.
    pub fn sql(&self, sql: &str) -> Result<String, MariaDbError> {
        client::query(&Endpoint::Socket(self.socket.clone()), root(), sql)
    }

    /// Runs `sql` as `root` over the unix socket; rows as column-name maps.
    pub fn sql_rows(&self, sql: &str) -> Result<Vec<HashMap<String, String>>, MariaDbError> {
        client::query_rows(&Endpoint::Socket(self.socket.clone()), root(), sql)
    }

    /// Runs `sql` as the `application` user over TCP, as an application would.
    pub fn app_sql(&self, sql: &str) -> Result<String, MariaDbError> {
        client::query(
            &Endpoint::Tcp(self.addr),
            Login::new(APPLICATION_USER, Some(APPLICATION_PASSWORD)),
            sql,
        )
    }

    /// A global status counter such as `Aborted_connects`.
    pub fn global_status(&self, name: &str) -> Result<u64, MariaDbError> {
        let out = self.sql(&format!("SHOW GLOBAL STATUS LIKE '{name}'"))?;
        out.lines()
            .find_map(|l| {
                l.split_once('\t')
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            })
            .and_then(|(_, v)| v.trim().parse().ok())
            .ok_or_else(|| MariaDbError::Unexpected(format!("no status variable {name}: {out:?}")))
    }

    /// Whether both replication threads of this server run.
    pub fn replication_running(&self) -> Result<bool, MariaDbError> {
        let rows = self.sql_rows("SHOW SLAVE STATUS")?;
        Ok(rows.first().is_some_and(|r| {
            r.get("Slave_IO_Running").map(String::as_str) == Some("Yes")
                && r.get("Slave_SQL_Running").map(String::as_str) == Some("Yes")
        }))
    }
}

fn root() -> Login<'static> {
    Login::new("root", None)
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("cannot stop the {} mariadbd: {e}", self.role);
        }
    }
}
