//! End-to-end tests of the stats socket (helpers here; `commands.rs`, `protocol.rs`,
//! `clients.rs` hold the tests): a `Runtime` built from a hand-written `Config`
//! (servers on unused loopback ports, never connected to), the real [`super::serve`], and
//! real unix-socket clients (tokio, and `socat` like the seed's pipeline).

use super::serve;
use crate::config::{
    CheckKind, Config, DataPathChoice, Level, MysqlCheck, Server, StatsEndpoint, StatsSocket,
    testing,
};
use crate::state::{CheckResult, CheckStatus, Runtime};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn mysql_check() -> MysqlCheck {
    MysqlCheck {
        user: "haproxy".into(),
    }
}

fn server(name: &str, port: u16, backup: bool, checked: bool) -> Server {
    let addr = ([127, 0, 0, 1], port).into();
    testing::server(
        name,
        addr,
        backup,
        checked.then(|| CheckKind::Mysql(mysql_check())),
    )
}

/// The seed's configuration: listen MySQL, Primary active, Secondary backup.
fn seed_config(dir: &Path, checked: bool) -> Config {
    let sock = |name: &str, level| StatsSocket {
        endpoint: StatsEndpoint::Unix(dir.join(name)),
        mode: 0o660,
        uid: None,
        gid: None,
        level,
    };
    let mut listen = testing::listen(
        "MySQL",
        vec![
            server("Primary", 9, false, checked),
            server("Secondary", 9, true, checked),
        ],
    );
    listen.binds = vec!["127.0.0.1:1".parse().unwrap()];
    listen.mysql_check = checked.then(mysql_check);
    listen.maxconn = 4000;
    listen.timeouts.connect = Duration::from_secs(10);
    let mut config = testing::config(vec![listen]);
    config.path = dir.join("sockhop.toml");
    config.global.maxconn = 4000;
    config.global.datapath = DataPathChoice::Auto;
    config.global.node = "testnode".into();
    config.stats_sockets = vec![
        sock("admin.sock", Level::Admin),
        sock("user.sock", Level::User),
        sock("oper.sock", Level::Operator),
    ];
    config
}

/// A running stats socket set; dropping it stops them and removes the directory.
struct Fixture {
    dir: PathBuf,
    rt: Arc<Runtime>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Fixture {
    async fn start(tag: &str, checked: bool) -> Fixture {
        Self::start_with(tag, checked, |_| {}).await
    }

    async fn start_with(tag: &str, checked: bool, tweak: impl FnOnce(&mut Config)) -> Fixture {
        let dir = std::env::temp_dir().join(format!("sockhop-stats-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = seed_config(&dir, checked);
        tweak(&mut config);
        let rt = Arc::new(Runtime::new(config));
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        for s in &rt.config.stats_sockets {
            tasks.push(
                serve(Arc::clone(&rt), s.clone(), shutdown.clone())
                    .await
                    .unwrap(),
            );
        }
        Fixture {
            dir,
            rt,
            shutdown,
            tasks,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Simulates one finished health check on every server.
    fn check_all(&self, status: CheckStatus) {
        let l = &self.rt.listens[0];
        for s in &l.servers {
            l.check_started(s);
            l.apply_check(s, CheckResult::new(status, "", Duration::from_millis(2)));
        }
    }

    async fn stop(mut self) {
        self.shutdown.cancel();
        for t in self.tasks.drain(..) {
            t.await.unwrap();
        }
        for s in &self.rt.config.stats_sockets {
            if let StatsEndpoint::Unix(p) = &s.endpoint {
                assert!(!p.exists(), "{} left behind", p.display());
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends `data` on a new connection and reads until the server closes it.
async fn exchange(path: &Path, data: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(path).await.unwrap();
    s.write_all(data).await.unwrap();
    read_to_close(&mut s).await
}

async fn read_to_close(s: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .unwrap();
    out
}

async fn ask(path: &Path, line: &str) -> String {
    String::from_utf8(exchange(path, line.as_bytes()).await).unwrap()
}

/// Reads until the buffer ends with `suffix`.
async fn read_until(s: &mut UnixStream, suffix: &str) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !out.ends_with(suffix.as_bytes()) {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("reply in time")
            .unwrap();
        assert!(
            n > 0,
            "closed early; got {:?}",
            String::from_utf8_lossy(&out)
        );
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(out).unwrap()
}

/// What `cut -d, -f1,2,18,20,21` prints for a CSV reply.
fn cut(csv: &str) -> Vec<String> {
    csv.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = l.strip_prefix("# ").unwrap_or(l);
            let f: Vec<&str> = l.split(',').collect();
            [0, 1, 17, 19, 20].map(|i| f[i]).join(",")
        })
        .collect()
}

fn column<'a>(csv: &'a str, row: &str, name: &str) -> &'a str {
    let header: Vec<&str> = csv
        .lines()
        .next()
        .unwrap()
        .strip_prefix("# ")
        .unwrap()
        .split(',')
        .collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    let line = csv
        .lines()
        .find(|l| l.split(',').nth(1) == Some(row))
        .unwrap();
    line.split(',').nth(i).unwrap()
}

mod clients;
mod commands;
mod protocol;
