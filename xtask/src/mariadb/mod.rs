//! Two local MariaDB servers in master-master replication: the seed's "Primary"
//! (server_id 10) and "Secondary" (server_id 20). One implementation for the demo and the
//! integration tests.
//!
//! Where things live:
//! - this file: the pair, its options, roles, users, schema and errors;
//! - [`instance`]: one mariadbd (configuration file, start, stop by PID);
//! - [`template`]: the cached data directory every instance is copied from (fast starts);
//! - [`client`]: running SQL with the real `mariadb` client.
//!
//! Layout under the state folder: `<state>/<name>/{primary,secondary}/` each with `data/`,
//! `my.cnf`, `mariadbd.pid`, `error.log` and the unix socket; `<state>/template-*/`.

pub mod client;
mod instance;
pub mod template;

pub use instance::Instance;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The application's database and table (the seed's `important.stuff`).
pub const DATABASE: &str = "important";
pub const TABLE: &str = "important.stuff";
/// The application account: password, rights on `important.stuff`, from any host.
pub const APPLICATION_USER: &str = "application";
pub const APPLICATION_PASSWORD: &str = "s3cr3t";
/// The health-check account: no password, USAGE only (HAProxy's `mysql-check user haproxy`).
pub const CHECK_USER: &str = "haproxy";
/// The account each server replicates from the other with.
const REPLICATION_USER: &str = "replicator";
const REPLICATION_PASSWORD: &str = "replicator-pw";

/// InnoDB settings shared by the template and every instance (small and fast to start).
pub(crate) const INNODB_SETTINGS: &[&str] =
    &["innodb_buffer_pool_size=16M", "innodb_log_file_size=8M"];

/// Time allowed for both replication threads of both servers to run.
const REPLICATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQL that creates the schema and users, run once into the template.
pub(crate) fn bootstrap_sql() -> String {
    format!(
        "CREATE DATABASE {DATABASE};
         CREATE TABLE {TABLE} (
             id INT AUTO_INCREMENT PRIMARY KEY,
             details VARCHAR(255),
             happened TIMESTAMP DEFAULT CURRENT_TIMESTAMP
         );
         CREATE USER '{APPLICATION_USER}'@'%' IDENTIFIED BY '{APPLICATION_PASSWORD}';
         GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO '{APPLICATION_USER}'@'%';
         CREATE USER '{CHECK_USER}'@'%';
         CREATE USER '{REPLICATION_USER}'@'%' IDENTIFIED BY '{REPLICATION_PASSWORD}';
         GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'%';"
    )
}

/// What went wrong with the local servers.
#[derive(Debug, thiserror::Error)]
pub enum MariaDbError {
    #[error(
        "cannot run {program}: {source} (is MariaDB installed? `cargo xtask demo` installs it)"
    )]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build the MariaDB template data directory: {0}")]
    Template(String),
    #[error("the {role} MariaDB server on {addr} did not start: {what}\n{log}")]
    Start {
        role: Role,
        addr: SocketAddr,
        what: String,
        log: String,
    },
    #[error("SQL as {user} on {endpoint} failed: {message}\n  statement: {sql}")]
    Sql {
        endpoint: String,
        user: String,
        sql: String,
        /// The MySQL error number, when the client printed one.
        code: Option<u16>,
        message: String,
    },
    #[error("replication did not start within {timeout:?}: {detail}")]
    Replication { timeout: Duration, detail: String },
    #[error("unexpected answer from MariaDB: {0}")]
    Unexpected(String),
}

impl MariaDbError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        MariaDbError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The MySQL error number of a failed statement.
    pub fn sql_code(&self) -> Option<u16> {
        match self {
            MariaDbError::Sql { code, .. } => *code,
            _ => None,
        }
    }
}

/// Which server of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Primary,
    Secondary,
}

impl Role {
    pub const BOTH: [Role; 2] = [Role::Primary, Role::Secondary];

    /// The seed's server ids: 10 and 20.
    pub fn server_id(self) -> u32 {
        match self {
            Role::Primary => 10,
            Role::Secondary => 20,
        }
    }

    /// `auto_increment_offset` and GTID domain: 1 and 2.
    fn offset(self) -> u32 {
        match self {
            Role::Primary => 1,
            Role::Secondary => 2,
        }
    }

    /// The name sockhop's configuration gives the server.
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "Primary",
            Role::Secondary => "Secondary",
        }
    }

    pub fn other(self) -> Role {
        match self {
            Role::Primary => Role::Secondary,
            Role::Secondary => Role::Primary,
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How to set up a pair.
#[derive(Debug, Clone)]
pub struct PairOptions {
    /// Folder name under the state folder (the demo uses `demo`, each test its own).
    pub name: String,
    /// The state folder (default `<target>/sockhop-state`).
    pub state_dir: PathBuf,
    pub primary_ip: Ipv4Addr,
    pub secondary_ip: Ipv4Addr,
    pub port: u16,
    /// `skip-name-resolve` (default on). MariaDB keeps its host cache, and so blocks hosts
    /// after `max_connect_errors`, only when it resolves names: turn this off to see that.
    pub skip_name_resolve: bool,
    /// `max_connect_errors` on both servers (MariaDB's default when `None`).
    pub max_connect_errors: Option<u32>,
}

impl PairOptions {
    /// The seed's addresses: Primary on 127.0.0.10:3306, Secondary on 127.0.0.20:3306.
    pub fn new(name: &str) -> Self {
        PairOptions {
            name: name.to_string(),
            state_dir: crate::workspace::state_dir(),
            primary_ip: Ipv4Addr::new(127, 0, 0, 10),
            secondary_ip: Ipv4Addr::new(127, 0, 0, 20),
            port: 3306,
            skip_name_resolve: true,
            max_connect_errors: None,
        }
    }

    pub fn ips(mut self, primary: Ipv4Addr, secondary: Ipv4Addr) -> Self {
        self.primary_ip = primary;
        self.secondary_ip = secondary;
        self
    }

    pub fn max_connect_errors(mut self, n: u32) -> Self {
        self.max_connect_errors = Some(n);
        self
    }

    pub fn skip_name_resolve(mut self, on: bool) -> Self {
        self.skip_name_resolve = on;
        self
    }

    /// The pair's folder.
    pub fn dir(&self) -> PathBuf {
        self.state_dir.join(&self.name)
    }
}

/// Two running MariaDB servers replicating from each other. Dropping it stops both.
#[derive(Debug)]
pub struct MariaDbPair {
    dir: PathBuf,
    primary: Instance,
    secondary: Instance,
}

impl MariaDbPair {
    /// Stops what an earlier run left in the pair's folder, creates both servers from the
    /// template, starts them, and sets up master-master replication.
    pub fn start(opts: PairOptions) -> Result<Self, MariaDbError> {
        let dir = opts.dir();
        clean(&dir)?;
        let template = template::ensure(&opts.state_dir)?;
        let make = |role: Role| Instance::create(role, &opts, dir.join(role.folder()), &template);
        let mut pair = MariaDbPair {
            primary: make(Role::Primary)?,
            secondary: make(Role::Secondary)?,
            dir,
        };
        // Start both at once, then wait for both.
        pair.primary.spawn()?;
        pair.secondary.spawn()?;
        pair.primary.wait_ready()?;
        pair.secondary.wait_ready()?;
        for role in Role::BOTH {
            let master = pair.instance(role.other()).addr();
            pair.instance(role).sql(&format!(
                "CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT={}, \
                 MASTER_USER='{REPLICATION_USER}', MASTER_PASSWORD='{REPLICATION_PASSWORD}', \
                 MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;",
                master.ip(),
                master.port()
            ))?;
        }
        pair.wait_replication()?;
        Ok(pair)
    }

    /// The pair's folder under the state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn primary(&self) -> &Instance {
        &self.primary
    }

    pub fn secondary(&self) -> &Instance {
        &self.secondary
    }

    pub fn instance(&self, role: Role) -> &Instance {
        match role {
            Role::Primary => &self.primary,
            Role::Secondary => &self.secondary,
        }
    }

    pub fn instance_mut(&mut self, role: Role) -> &mut Instance {
        match role {
            Role::Primary => &mut self.primary,
            Role::Secondary => &mut self.secondary,
        }
    }

    /// Stops one server (SIGTERM by PID, waits for it to exit).
    pub fn stop(&mut self, role: Role) -> Result<(), MariaDbError> {
        self.instance_mut(role).stop()
    }

    /// Starts one server again and waits until it accepts connections and replicates.
    pub fn start_again(&mut self, role: Role) -> Result<(), MariaDbError> {
        self.instance_mut(role).start()?;
        self.wait_replication()
    }

    /// Stops both servers.
    pub fn stop_all(&mut self) -> Result<(), MariaDbError> {
        self.secondary.stop()?;
        self.primary.stop()
    }

    /// Waits until both replication threads run on both servers.
    pub fn wait_replication(&self) -> Result<(), MariaDbError> {
        let deadline = Instant::now() + REPLICATION_TIMEOUT;
        loop {
            let mut waiting = Vec::new();
            for role in Role::BOTH {
                if !self.instance(role).replication_running()? {
                    waiting.push(role);
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let detail = waiting
                    .iter()
                    .map(|r| {
                        let status = self
                            .instance(*r)
                            .sql("SHOW SLAVE STATUS\\G")
                            .unwrap_or_else(|e| e.to_string());
                        format!("{r} replication threads not running:\n{status}")
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                return Err(MariaDbError::Replication {
                    timeout: REPLICATION_TIMEOUT,
                    detail,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Stops servers an earlier run left in `dir` (by their pid files) and removes `dir`.
fn clean(dir: &Path) -> Result<(), MariaDbError> {
    for role in Role::BOTH {
        let sub = dir.join(role.folder());
        let marker = format!("--defaults-file={}", sub.join("my.cnf").display());
        if let Some(pid) =
            crate::process::stop_stale(&sub.join("mariadbd.pid"), &marker, Duration::from_secs(60))
        {
            eprintln!("stopped a {role} mariadbd left by an earlier run (pid {pid})");
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| MariaDbError::io(dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| MariaDbError::io(dir, e))
}

/// Where a MariaDB program is: found in PATH, else in /usr/sbin or /usr/bin (where Debian
/// puts them; /usr/sbin is not always in a non-login PATH). The bare name if nowhere.
pub fn program(name: &str) -> PathBuf {
    crate::install::which(name)
        .or_else(|| {
            ["/usr/sbin", "/usr/bin"]
                .iter()
                .map(|dir| Path::new(dir).join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from(name))
}
