//! Running SQL with the real `mariadb` command-line client.
//!
//! Over TCP (`-h/-P/-u/-p`) for anything an application would do, including connections
//! through sockhop; over the instance's unix socket as `root` for administration, because
//! `root@localhost` authenticates by unix socket only.

use super::MariaDbError;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Seconds the client waits for a TCP connection before giving up.
const CONNECT_TIMEOUT_SECS: u32 = 5;

/// Where the client connects.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// `--protocol=TCP -h <ip> -P <port>`.
    Tcp(SocketAddr),
    /// `--socket=<path>`.
    Socket(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
            Endpoint::Socket(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Who logs in.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub user: &'a str,
    /// `None`: no `-p` at all (an account without a password).
    pub password: Option<&'a str>,
}

impl<'a> Login<'a> {
    pub fn new(user: &'a str, password: Option<&'a str>) -> Self {
        Login { user, password }
    }
}

/// Runs `sql` and returns the client's output in batch mode without column names
/// (tab-separated fields, one row per line).
pub fn query(endpoint: &Endpoint, login: Login<'_>, sql: &str) -> Result<String, MariaDbError> {
    run(endpoint, login, sql, false)
}

/// Runs `sql` (one statement returning rows) and returns its rows as column-name maps.
pub fn query_rows(
    endpoint: &Endpoint,
    login: Login<'_>,
    sql: &str,
) -> Result<Vec<HashMap<String, String>>, MariaDbError> {
    let out = run(endpoint, login, sql, true)?;
    let mut lines = out.lines();
    let Some(header) = lines.next() else {
        return Ok(Vec::new());
    };
    let names: Vec<&str> = header.split('\t').collect();
    Ok(lines
        .map(|line| {
            names
                .iter()
                .zip(line.split('\t'))
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        })
        .collect())
}

fn run(
    endpoint: &Endpoint,
    login: Login<'_>,
    sql: &str,
    column_names: bool,
) -> Result<String, MariaDbError> {
    let mut cmd = Command::new(super::program("mariadb"));
    cmd.arg("--no-defaults")
        .arg("--batch")
        .arg(format!("--connect-timeout={CONNECT_TIMEOUT_SECS}"));
    if !column_names {
        cmd.arg("--skip-column-names");
    }
    match endpoint {
        Endpoint::Tcp(addr) => {
            cmd.arg("--protocol=TCP")
                .arg("-h")
                .arg(addr.ip().to_string())
                .arg("-P")
                .arg(addr.port().to_string());
        }
        Endpoint::Socket(path) => {
            cmd.arg("--protocol=SOCKET")
                .arg(format!("--socket={}", path.display()));
        }
    }
    cmd.arg("-u").arg(login.user);
    if let Some(password) = login.password {
        cmd.arg(format!("-p{password}"));
    }
    cmd.arg("-e").arg(sql);
    let out = cmd.output().map_err(|source| MariaDbError::Spawn {
        program: "mariadb".into(),
        source,
    })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(MariaDbError::Sql {
        endpoint: endpoint.to_string(),
        user: login.user.to_string(),
        sql: sql.to_string(),
        code: error_code(&stderr),
        message: stderr,
    })
}

/// The MySQL error number in a client message such as `ERROR 1129 (HY000): Host ...`.
pub fn error_code(message: &str) -> Option<u16> {
    let rest = &message[message.find("ERROR ")? + "ERROR ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A socket path short enough for `sun_path` (108 bytes): `dir/<file>` when it fits,
/// else a name in the temporary folder derived from `dir`.
pub fn socket_path(dir: &Path, file: &str) -> PathBuf {
    let wanted = dir.join(file);
    if wanted.as_os_str().len() < 100 {
        return wanted;
    }
    let hash = super::template::fnv1a(wanted.to_string_lossy().as_bytes());
    std::env::temp_dir().join(format!("sockhop-{hash:016x}.sock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_is_read_from_client_messages() {
        let m = "ERROR 1129 (HY000): Host '127.0.0.2' is blocked because of many connection errors";
        assert_eq!(error_code(m), Some(1129));
        assert_eq!(error_code("ERROR 2002 (HY000): Can't connect"), Some(2002));
        assert_eq!(error_code("mariadb: unknown option"), None);
    }

    #[test]
    fn long_socket_paths_move_to_the_temporary_folder() {
        let short = socket_path(Path::new("/s"), "m.sock");
        assert_eq!(short, PathBuf::from("/s/m.sock"));
        let long_dir = PathBuf::from(format!("/{}", "d".repeat(120)));
        let long = socket_path(&long_dir, "m.sock");
        assert!(long.starts_with(std::env::temp_dir()));
        assert!(long.as_os_str().len() < 100);
        assert_eq!(long, socket_path(&long_dir, "m.sock"), "stable name");
    }
}
