//! sockhop's MySQL check against a real MariaDB started for this test (a throwaway
//! `mariadbd` in a temporary directory on 127.0.0.3, killed by PID when the test ends, even
//! on failure).
//!
//! It shows that the check logs in as a password-less user (L7OK with the server version),
//! reports a refused login as L7STS 1045, and that 50 checks from 127.0.0.2 leave the
//! server's `Aborted_connects` unchanged and the host unblocked with
//! `max_connect_errors = 5` (MariaDB exempts only 127.0.0.1 from host blocking). The negative
//! control: 10 bare TCP connect/close from the same source do get the host blocked, and the
//! check then reports L7STS 1129.
//!
//! Needs `mariadbd`, `mariadb-install-db` and `mariadb`. Without them the test is skipped
//! with a message, except under `CI=true` where that is a failure.

use sockhop::health::{CheckLimits, mysql};
use sockhop::state::{CheckResult, CheckStatus};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SERVER_IP: &str = "127.0.0.3";
const SOURCE_IP: &str = "127.0.0.2";
const LIMITS: CheckLimits = CheckLimits {
    connect: Duration::from_secs(5),
    after_connect: None,
};

/// Finds a program on PATH or in the sbin directories Debian puts MariaDB in.
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A mariadbd of our own; stopped (by PID) and its directory removed on drop.
struct Mariadb {
    child: Child,
    dir: PathBuf,
    client: PathBuf,
    addr: SocketAddr,
}

impl Mariadb {
    fn start(server: &Path, install: &Path, client: &Path) -> Mariadb {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "sockhop-mysql-check-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let root = unsafe { libc::geteuid() } == 0;
        let mut cmd = Command::new(install);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("install.log")).unwrap());
        if root {
            cmd.arg("--user=root");
        }
        let status = cmd.status().expect("run mariadb-install-db");
        if !status.success() {
            let log = std::fs::read_to_string(dir.join("install.log")).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&dir);
            panic!("mariadb-install-db failed ({status}):\n{log}");
        }
        let port = {
            let l = TcpListener::bind((SERVER_IP, 0)).unwrap();
            l.local_addr().unwrap().port()
        };
        let mut cmd = Command::new(server);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("sock").display()))
            .arg(format!("--pid-file={}", dir.join("pid").display()))
            .arg(format!("--log-error={}", dir.join("err.log").display()))
            .arg(format!("--bind-address={SERVER_IP}"))
            .arg(format!("--port={port}"))
            .arg("--max-connect-errors=5")
            .arg("--innodb-buffer-pool-size=32M")
            .arg("--skip-log-bin")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if root {
            cmd.arg("--user=root");
        }
        let child = cmd.spawn().expect("start mariadbd");
        let mut db = Mariadb {
            child,
            dir,
            client: client.to_path_buf(),
            addr: SocketAddr::new(SERVER_IP.parse().unwrap(), port),
        };
        db.wait_ready();
        db
    }

    fn wait_ready(&mut self) {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("mariadbd exited ({status}):\n{}", self.error_log());
            }
            if self.try_sql("SELECT 1").is_some() {
                return;
            }
            assert!(
                Instant::now() < until,
                "mariadbd not ready:\n{}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("err.log")).unwrap_or_default()
    }

    fn try_sql(&self, query: &str) -> Option<String> {
        let out = Command::new(&self.client)
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.dir.join("sock").display()))
            .args(["-uroot", "-N", "-B", "-e", query])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn sql(&self, query: &str) -> String {
        self.try_sql(query)
            .unwrap_or_else(|| panic!("query failed: {query}"))
    }

    fn status(&self, name: &str) -> u64 {
        let row = self.sql(&format!("SHOW GLOBAL STATUS LIKE '{name}'"));
        row.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Connections that failed before the login completed.
    fn aborted_connects(&self) -> u64 {
        self.status("Aborted_connects")
    }

    /// Logged-in connections that ended without a proper logout.
    fn aborted_clients(&self) -> u64 {
        self.status("Aborted_clients")
    }

    /// "Aborted connection" warnings about `ip` in the error log.
    fn aborted_in_log(&self, ip: &str) -> Vec<String> {
        self.error_log()
            .lines()
            .filter(|l| l.contains("Aborted connection") && l.contains(ip))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > until {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check(rt: &tokio::runtime::Runtime, db: &Mariadb, user: &str) -> CheckResult {
    let source: IpAddr = SOURCE_IP.parse().unwrap();
    rt.block_on(mysql::check(db.addr, Some(source), user, LIMITS))
}

/// One connect and close from `SOURCE_IP` without a word: an aborted handshake.
fn bare_connect_close(addr: SocketAddr) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let src: SocketAddr = format!("{SOURCE_IP}:0").parse().unwrap();
    s.bind(&src.into()).unwrap();
    s.connect(&addr.into()).unwrap();
    drop(s);
}

#[test]
fn mysql_check_against_real_mariadb() {
    let tools = (
        find("mariadbd"),
        find("mariadb-install-db"),
        find("mariadb"),
    );
    let (Some(server), Some(install), Some(client)) = tools else {
        let msg = "mariadbd, mariadb-install-db or mariadb not found (apt install mariadb-server mariadb-client)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED mysql_check_against_real_mariadb: {msg}");
        return;
    };
    let db = Mariadb::start(&server, &install, &client);
    db.sql("CREATE USER haproxy@'%'");
    let version = db.sql("SELECT VERSION()");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // A password-less user logs in: L7OK, code 0, the greeting's version as info.
    let r = check(&rt, &db, "haproxy");
    assert_eq!(r.status, CheckStatus::L7Ok, "{r:?}");
    assert_eq!(r.code, Some(0));
    assert!(r.info.ends_with(&version), "{:?} vs {version}", r.info);

    // A user that does not exist: the server's ERR, with its number.
    let r = check(&rt, &db, "nosuchuser");
    assert_eq!(r.status, CheckStatus::L7Sts, "{r:?}");
    assert!(matches!(r.code, Some(1045 | 1698)), "{r:?}");
    assert!(
        r.info.contains("Access denied for user 'nosuchuser'"),
        "{r:?}"
    );

    // 50 checks from a source MariaDB may block: nothing counted as aborted.
    let aborted = db.aborted_connects();
    let aborted_clients = db.aborted_clients();
    let logged = db.aborted_in_log(SOURCE_IP);
    for i in 0..50 {
        let r = check(&rt, &db, "haproxy");
        assert_eq!(r.status, CheckStatus::L7Ok, "check {i}: {r:?}");
    }
    // The server finishes each logout after our close: give it a moment to count.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(db.aborted_connects(), aborted, "Aborted_connects grew");
    assert_eq!(
        db.aborted_clients(),
        aborted_clients,
        "Aborted_clients grew"
    );
    assert_eq!(db.aborted_in_log(SOURCE_IP), logged);
    let r = check(&rt, &db, "haproxy");
    assert_eq!(
        r.status,
        CheckStatus::L7Ok,
        "host blocked after the checks: {r:?}"
    );

    // Negative control: bare connect/close from the same source gets the host blocked.
    // Wait until the server has counted all of them before checking again (a successful
    // login would clear the host's error count).
    let before = db.aborted_connects();
    for _ in 0..10 {
        bare_connect_close(db.addr);
    }
    let until = Instant::now() + Duration::from_secs(10);
    while db.aborted_connects() < before + 10 {
        assert!(
            Instant::now() < until,
            "the bare connects were not counted as aborted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let blocked = check(&rt, &db, "haproxy");
    assert_eq!(blocked.status, CheckStatus::L7Sts, "{blocked:?}");
    assert_eq!(blocked.code, Some(1129), "{blocked:?}");
    assert!(
        blocked
            .info
            .starts_with(&format!("Host '{SOURCE_IP}' is blocked")),
        "{blocked:?}"
    );
}
