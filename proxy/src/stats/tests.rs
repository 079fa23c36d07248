//! End-to-end tests of the stats socket: a `Runtime` built from a hand-written `Config`
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_show_stat_rows_and_admin_cycle() {
    let f = Fixture::start("seed", true).await;
    let admin = f.path("admin.sock");
    f.check_all(CheckStatus::L7Ok);

    let stat = ask(&admin, "show stat\n").await;
    assert!(stat.ends_with("\n\n"), "reply ends with an empty line");
    assert_eq!(
        cut(&stat),
        [
            "pxname,svname,status,act,bck",
            "MySQL,FRONTEND,OPEN,,",
            "MySQL,Primary,UP,1,0",
            "MySQL,Secondary,UP,0,1",
            "MySQL,BACKEND,UP,1,1",
        ]
    );
    let header_commas = stat.lines().next().unwrap().matches(',').count();
    for line in stat.lines().filter(|l| !l.is_empty()) {
        assert_eq!(line.matches(',').count(), header_commas, "{line}");
        assert!(line.ends_with(','), "{line}");
    }
    assert_eq!(column(&stat, "Primary", "check_status"), "L7OK");
    assert_eq!(
        column(&stat, "Primary", "check_desc"),
        "Layer7 check passed"
    );
    assert_eq!(column(&stat, "Primary", "addr"), "127.0.0.1:9");
    assert_eq!(column(&stat, "BACKEND", "algo"), "roundrobin");

    // disable -> MAINT, with exactly "\n" as the reply.
    assert_eq!(ask(&admin, "disable server MySQL/Primary\n").await, "\n");
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(
        &cut(&stat)[2..],
        [
            "MySQL,Primary,MAINT,1,0",
            "MySQL,Secondary,UP,0,1",
            "MySQL,BACKEND,UP,0,1",
        ]
    );
    assert_eq!(column(&stat, "Primary", "check_status"), "");

    // enable -> UP 1/3 until the next check, then UP.
    assert_eq!(ask(&admin, "enable server MySQL/Primary\n").await, "\n");
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(cut(&stat)[2], "MySQL,Primary,UP 1/3,1,0");
    f.check_all(CheckStatus::L7Ok);
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(cut(&stat)[2], "MySQL,Primary,UP,1,0");
    assert_eq!(cut(&stat)[4], "MySQL,BACKEND,UP,1,1");

    // set server ... state drain / maint / ready.
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state drain\n").await,
        "\n"
    );
    assert_eq!(
        cut(&ask(&admin, "show stat\n").await)[2],
        "MySQL,Primary,DRAIN,1,0"
    );
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state maint\n").await,
        "\n"
    );
    assert_eq!(
        cut(&ask(&admin, "show stat\n").await)[2],
        "MySQL,Primary,MAINT,1,0"
    );
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state ready\n").await,
        "\n"
    );
    assert_eq!(
        cut(&ask(&admin, "show stat\n").await)[2],
        "MySQL,Primary,UP 1/3,1,0"
    );

    // A failing check marks it DOWN; the backend counts follow.
    f.check_all(CheckStatus::L4Con);
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(
        &cut(&stat)[2..],
        [
            "MySQL,Primary,DOWN,1,0",
            "MySQL,Secondary,UP 2/3,0,1",
            "MySQL,BACKEND,UP,0,1",
        ]
    );
    assert_eq!(column(&stat, "Primary", "check_status"), "L4CON");
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_without_checks_show_no_check() {
    let f = Fixture::start("nocheck", false).await;
    let stat = ask(&f.path("admin.sock"), "show stat\n").await;
    assert_eq!(
        cut(&stat),
        [
            "pxname,svname,status,act,bck",
            "MySQL,FRONTEND,OPEN,,",
            "MySQL,Primary,no check,1,0",
            "MySQL,Secondary,no check,0,1",
            "MySQL,BACKEND,UP,1,1",
        ]
    );
    assert_eq!(column(&stat, "Primary", "check_status"), "");
    assert_eq!(column(&stat, "Primary", "chkfail"), "");
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framing() {
    let f = Fixture::start("framing", true).await;
    let admin = f.path("admin.sock");
    // `;` separates commands; every reply ends with an empty line.
    assert_eq!(
        ask(&admin, "show cli level;show cli level\n").await,
        "admin\n\nadmin\n\n"
    );
    // A trailing \r is ignored, also before `;`.
    assert_eq!(
        ask(&admin, "show cli level\r;show cli level\r\n").await,
        "admin\n\nadmin\n\n"
    );
    // Pipelined lines sent together are all answered.
    assert_eq!(
        ask(&admin, "show cli level\nshow cli level\n").await,
        "admin\n\nadmin\n\n"
    );
    // An escaped `;` stays in the word.
    assert_eq!(
        ask(&admin, "disable server MySQL/Pri\\;mary\n").await,
        "No such server.\n\n"
    );
    // quit closes without a reply; an unterminated line is dropped at end of input.
    assert_eq!(ask(&admin, "quit\n").await, "");
    let mut s = UnixStream::connect(&admin).await.unwrap();
    s.write_all(b"show cli level").await.unwrap();
    s.shutdown().await.unwrap();
    assert_eq!(read_to_close(&mut s).await, b"");

    // Interactive mode.
    let mut s = UnixStream::connect(&admin).await.unwrap();
    s.write_all(b"prompt\n").await.unwrap();
    assert_eq!(read_until(&mut s, "> ").await, "\n> ");
    s.write_all(b"show cli level\n").await.unwrap();
    assert_eq!(read_until(&mut s, "> ").await, "admin\n\n> ");
    s.write_all(b"disable server MySQL/Secondary\n")
        .await
        .unwrap();
    assert_eq!(read_until(&mut s, "> ").await, "\n> ");
    s.write_all(b"enable server MySQL/Secondary\n")
        .await
        .unwrap();
    assert_eq!(read_until(&mut s, "> ").await, "\n> ");
    s.write_all(b"user;show cli level\n").await.unwrap();
    assert_eq!(read_until(&mut s, "user\n\n> ").await, "\n> user\n\n> ");
    s.write_all(b"set timeout cli 60\n").await.unwrap();
    assert_eq!(read_until(&mut s, "> ").await, "\n> ");
    s.write_all(b"quit\n").await.unwrap();
    assert_eq!(read_to_close(&mut s).await, b"");

    // `prompt` again leaves interactive mode: the next reply closes the connection.
    assert_eq!(
        ask(&admin, "prompt\nprompt\nshow cli level\n").await,
        "\n> \nadmin\n\n"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_texts() {
    let f = Fixture::start("errors", true).await;
    let admin = f.path("admin.sock");
    assert_eq!(
        ask(&admin, "disable server MySQL\n").await,
        "Require 'backend/server'.\n\n"
    );
    assert_eq!(
        ask(&admin, "disable server\n").await,
        "Require 'backend/server'.\n\n"
    );
    assert_eq!(
        ask(&admin, "enable server Nope/Primary\n").await,
        "No such backend.\n\n"
    );
    assert_eq!(
        ask(&admin, "enable server MySQL/Nope\n").await,
        "No such server.\n\n"
    );
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state off\n").await,
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
    );
    assert_eq!(
        ask(&admin, "get weight MySQL/Primary\n").await,
        "1 (initial 1)\n\n"
    );
    assert_eq!(ask(&admin, "set weight MySQL/Primary 50\n").await, "\n");
    assert_eq!(
        ask(&admin, "get weight MySQL/#1\n").await,
        "50 (initial 1)\n\n"
    );
    assert_eq!(
        ask(&admin, "set weight MySQL/Primary 300\n").await,
        "Absolute weight can only be between 0 and 256 inclusive.\n\n"
    );
    assert_eq!(
        ask(&admin, "show servers state Nope\n").await,
        "Can't find backend.\n\n"
    );
    let unknown = ask(&admin, "show stats\n").await;
    assert!(
        unknown.starts_with(
            "Unknown command, but maybe one of the following ones is a better match:\n"
        ),
        "{unknown}"
    );
    assert!(unknown.contains(
        "\n  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n"
    ));
    assert!(unknown.ends_with("  quit                                    : disconnect\n\n"));
    let empty = ask(&admin, "\n").await;
    assert!(
        empty.starts_with("Unknown command. Please enter one of the following commands only:\n")
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels() {
    let f = Fixture::start("levels", true).await;
    let user = f.path("user.sock");
    let oper = f.path("oper.sock");
    assert_eq!(ask(&user, "show cli level\n").await, "user\n\n");
    assert_eq!(
        ask(&user, "disable server MySQL/Primary\n").await,
        "Permission denied\n\n"
    );
    // The level check comes before argument checks.
    assert_eq!(
        ask(&user, "disable server nonsense\n").await,
        "Permission denied\n\n"
    );
    assert_eq!(
        ask(&user, "clear counters\n").await,
        "Permission denied\n\n"
    );
    assert_eq!(ask(&user, "show sess\n").await, "Permission denied\n\n");
    assert_eq!(ask(&user, "operator\n").await, "Permission denied\n\n");
    assert_eq!(ask(&oper, "clear counters\n").await, "\n");
    assert_eq!(
        ask(&oper, "clear counters all\n").await,
        "Permission denied\n\n"
    );
    assert_eq!(
        ask(&oper, "set server MySQL/Primary state maint\n").await,
        "Permission denied\n\n"
    );
    // Nothing changed.
    let admin = f.path("admin.sock");
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(cut(&stat)[2], "MySQL,Primary,UP 1/3,1,0");
    // User level sees the stats without addresses or algorithm.
    let stat = ask(&user, "show stat\n").await;
    assert_eq!(column(&stat, "Primary", "addr"), "");
    assert_eq!(column(&stat, "BACKEND", "algo"), "");
    assert_eq!(column(&stat, "Primary", "status"), "UP 1/3");
    // Lowering the level on an admin socket works, raising it back does not.
    assert_eq!(
        ask(
            &admin,
            "operator;show cli level;user;show cli level;operator\n"
        )
        .await,
        "\noperator\n\n\nuser\n\nPermission denied\n\n"
    );
    assert_eq!(
        ask(&admin, "user;disable server MySQL/Primary\n").await,
        "\nPermission denied\n\n"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_hurts() {
    let f = Fixture::start("garbage", true).await;
    let admin = f.path("admin.sock");
    // Binary with a NUL: no words at all.
    let r = String::from_utf8(exchange(&admin, b"\x00\x01\x02\xff\xfe\n").await).unwrap();
    assert!(r.starts_with("Unknown command. Please enter one of the following commands only:\n"));
    // Invalid UTF-8 after a known word.
    let r = String::from_utf8(exchange(&admin, b"show \xff\xfe level\n").await).unwrap();
    assert!(
        r.starts_with("Unknown command, but maybe one of the following ones is a better match:\n")
    );
    // A line longer than the bound: an error, then the connection closes.
    let mut s = UnixStream::connect(&admin).await.unwrap();
    let _ = s.write_all(&vec![b'A'; 20_000]).await;
    let r = read_to_close(&mut s).await;
    assert_eq!(r, format!("{}\n", super::LINE_TOO_LONG).as_bytes());
    // Garbage inside an interactive session, then a normal command on the same connection.
    let mut s = UnixStream::connect(&admin).await.unwrap();
    s.write_all(b"prompt\n\x7f\x80\xc3(\n").await.unwrap();
    let r = read_until(&mut s, "disconnect\n\n> ").await;
    assert!(r.starts_with("\n> Unknown command"));
    s.write_all(b"show cli level\nquit\n").await.unwrap();
    assert_eq!(read_until(&mut s, "admin\n\n> ").await, "admin\n\n> ");
    // And the daemon still serves new connections normally.
    assert_eq!(ask(&admin, "show cli level\n").await, "admin\n\n");
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_and_connection_bound() {
    let f = Fixture::start_with("limits", true, |c| {
        c.global.stats_timeout = Duration::from_millis(600);
    })
    .await;
    let admin = f.path("admin.sock");
    // An idle client is disconnected after stats_timeout.
    let mut idle = UnixStream::connect(&admin).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(read_to_close(&mut idle).await, b"");
    assert!(started.elapsed() >= Duration::from_millis(500));

    // Ten connections are served at once; the eleventh waits for a free slot.
    let mut held = Vec::new();
    for _ in 0..super::MAX_CONNECTIONS {
        let mut s = UnixStream::connect(&admin).await.unwrap();
        s.write_all(b"prompt\n").await.unwrap();
        read_until(&mut s, "> ").await;
        s.write_all(b"set timeout cli 30\n").await.unwrap();
        read_until(&mut s, "> ").await;
        held.push(s);
    }
    let mut waiting = UnixStream::connect(&admin).await.unwrap();
    waiting.write_all(b"show cli level\n").await.unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut buf))
            .await
            .is_err(),
        "the 11th connection is not served while 10 are open"
    );
    held.pop();
    assert_eq!(read_to_close(&mut waiting).await, b"admin\n\n");
    drop(held);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_readers() {
    let f = Fixture::start("readers", true).await;
    let admin = f.path("admin.sock");
    f.check_all(CheckStatus::L7Ok);
    let info = ask(&admin, "show info\n").await;
    let keys: Vec<&str> = info
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(k, _)| k))
        .collect();
    for k in [
        "Name",
        "Version",
        "Release_date",
        "Nbproc",
        "Process_num",
        "Pid",
        "Uptime",
        "Uptime_sec",
        "Maxconn",
        "CurrConns",
        "CumConns",
        "Maxpipes",
        "PipesUsed",
        "Tasks",
        "Run_queue",
        "node",
    ] {
        assert!(keys.contains(&k), "show info lacks {k}: {info}");
    }
    let pos = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert!(
        pos("Name") < pos("Version") && pos("Pid") < pos("Uptime") && pos("Tasks") < pos("node")
    );
    assert!(info.starts_with("Name: sockhop\nVersion: "));
    assert!(info.contains("\nNbproc: 1\nProcess_num: 1\n"));
    assert!(info.contains("\nnode: testnode\n"));
    assert!(info.contains("\nUptime: 0d 0h00m"));
    assert!(info.ends_with("\n\n"));

    let state = ask(&admin, "show servers state\n").await;
    let lines: Vec<&str> = state.lines().collect();
    assert_eq!(lines[0], "1");
    assert!(lines[1].starts_with("# be_id be_name srv_id srv_name srv_addr srv_op_state"));
    let primary: Vec<&str> = lines[2].split(' ').collect();
    assert_eq!(primary.len(), 25);
    assert_eq!(
        &primary[..9],
        [
            "1",
            "MySQL",
            "1",
            "Primary",
            "127.0.0.1",
            "2",
            "0",
            "1",
            "1"
        ]
    );
    assert_eq!(primary[10], "15"); // L7OK
    assert_eq!(primary[13], "6"); // configured | enabled
    assert_eq!(primary[18], "9");

    assert_eq!(ask(&admin, "show backend\n").await, "# name\nMySQL\n\n");
    assert_eq!(ask(&admin, "show sess\n").await, "\n");
    assert_eq!(
        ask(&admin, "shutdown session 0x99\n").await,
        "No such session (use 'show sess').\n\n"
    );
    assert_eq!(
        ask(&admin, "shutdown sessions server MySQL/Primary\n").await,
        "\n"
    );

    // Filters and formats.
    let only_servers = ask(&admin, "show stat MySQL 4 -1\n").await;
    assert_eq!(
        cut(&only_servers)[1..],
        ["MySQL,Primary,UP,1,0", "MySQL,Secondary,UP,0,1"]
    );
    let one = ask(&admin, "show stat 1 4 2\n").await;
    assert_eq!(cut(&one)[1..], ["MySQL,Secondary,UP,0,1"]);
    assert_eq!(
        ask(&admin, "show stat Nope 4 -1\n").await,
        "No such proxy.\n\n"
    );
    assert_eq!(ask(&admin, "disable server MySQL/Primary\n").await, "\n");
    let up = ask(&admin, "show stat up\n").await;
    assert_eq!(
        cut(&up)[1..],
        [
            "MySQL,FRONTEND,OPEN,,",
            "MySQL,Secondary,UP,0,1",
            "MySQL,BACKEND,UP (1/2),0,1"
        ]
    );
    let typed = ask(&admin, "show stat typed\n").await;
    assert!(typed.contains("\nS.1.1.17.status.1:SGP:str:MAINT\n"));
    assert!(typed.starts_with("F.1.0.0.pxname.1:KNS:str:MySQL\n"));
    let json = ask(&admin, "show stat json\n").await;
    assert!(json.starts_with("[[{\"objType\":\"Frontend\",\"proxyId\":1,\"id\":0,"));
    assert!(json.ends_with("}]]\n\n"));
    let info_json = ask(&admin, "show info json\n").await;
    assert!(info_json.starts_with("[{\"field\":{\"pos\":0,\"name\":\"Name\"},\"processNum\":1,\"tags\":{\"origin\":\"Product\",\"nature\":\"Output\",\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"sockhop\"}}"));
    let info_typed = ask(&admin, "show info typed\n").await;
    assert!(info_typed.starts_with("0.Name.1:POS:str:sockhop\n1.Version.1:POS:str:"));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_socket_is_replaced_and_a_live_one_refused() {
    let f = Fixture::start_with("stale", true, |c| {
        // A socket file left behind by a dead process.
        let StatsEndpoint::Unix(path) = &c.stats_sockets[0].endpoint else {
            unreachable!("the seed's sockets are unix sockets")
        };
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        drop(std::os::unix::net::UnixListener::bind(path).unwrap());
        assert!(path.exists());
    })
    .await;
    assert_eq!(
        ask(&f.path("admin.sock"), "show cli level\n").await,
        "admin\n\n"
    );
    // A second daemon on the same path must not steal it.
    let second = serve(
        Arc::clone(&f.rt),
        f.rt.config.stats_sockets[0].clone(),
        CancellationToken::new(),
    )
    .await;
    let err = second.expect_err("the path is in use").to_string();
    assert!(err.contains("in use"), "{err}");
    assert_eq!(
        ask(&f.path("admin.sock"), "show cli level\n").await,
        "admin\n\n"
    );
    f.stop().await;
}

/// The seed's pipeline, byte for byte, through the real `socat`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socat_pipeline() {
    if std::process::Command::new("socat")
        .arg("-V")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "socat is required under CI=true (apt-get install socat)"
        );
        eprintln!("SKIP socat_pipeline: socat is not installed (apt-get install socat)");
        return;
    }
    let f = Fixture::start("socat", true).await;
    f.check_all(CheckStatus::L7Ok);
    let sock = f.path("admin.sock");
    let run = |script: String| {
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        })
    };
    let s = sock.display();
    let table = run(format!(
        "echo \"show stat\" | socat stdio {s} | cut -d, -f1,2,18,20,21"
    ))
    .await
    .unwrap();
    assert_eq!(
        table,
        "# pxname,svname,status,act,bck\nMySQL,FRONTEND,OPEN,,\nMySQL,Primary,UP,1,0\nMySQL,Secondary,UP,0,1\nMySQL,BACKEND,UP,1,1\n\n"
    );
    let reply = run(format!(
        "echo \"disable server MySQL/Primary\" | socat stdio {s} | od -An -c"
    ))
    .await
    .unwrap();
    assert_eq!(reply.trim(), "\\n");
    let table = run(format!(
        "echo \"show stat\" | socat stdio {s} | cut -d, -f1,2,18,20,21"
    ))
    .await
    .unwrap();
    assert!(table.contains("\nMySQL,Primary,MAINT,1,0\n"), "{table}");
    f.stop().await;
}

/// `sockhop ctl` against the real socket: exit codes and the `--table` rendering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_exit_codes_and_table() {
    use crate::ctl;
    let f = Fixture::start("ctl", true).await;
    f.check_all(CheckStatus::L7Ok);
    let admin = f.path("admin.sock");
    let user = f.path("user.sock");
    let (codes, table, custom) = tokio::task::spawn_blocking(move || {
        let run = |sock: &Path, cmd: &str, table: bool, columns: Option<&str>| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let opts = ctl::Options {
                target: ctl::Target::Unix(sock.to_path_buf()),
                command: cmd.split(' ').map(str::to_owned).collect(),
                table,
                columns: columns.map(str::to_owned),
                json: false,
                watch: None,
                count: None,
            };
            let code = ctl::run_with(&mut out, &mut err, &opts);
            (
                code,
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
            )
        };
        let (code, out, _) = run(&admin, "show stat", false, None);
        assert!(out.starts_with("# pxname,svname,") && out.ends_with("\n\n"));
        let mut codes = vec![code];
        let (code, out, _) = run(&admin, "disable server MySQL/Primary", false, None);
        assert_eq!(out, "\n");
        codes.push(code);
        let (code, out, _) = run(&user, "disable server MySQL/Primary", false, None);
        assert_eq!(out, "Permission denied\n\n");
        codes.push(code);
        for (sock, cmd, table, columns) in [
            (&admin, "enable server MySQL/Primary", false, None),
            (&admin, "disable server MySQL/Nope", false, None),
            (&admin, "frobnicate", false, None),
            (&admin, "show stat", true, None),
            (&admin, "show info", true, None),
            (&admin, "show stat", false, Some("svname,nope")),
        ] {
            codes.push(run(sock, cmd, table, columns).0);
        }
        let (code, out, err) = run(&admin.with_extension("gone"), "show stat", false, None);
        assert!(out.is_empty() && err.contains("cannot connect to the stats socket"));
        codes.push(code);
        let csv = ctl::Target::Unix(admin.clone()).send("show stat").unwrap();
        let table = ctl::render_table(&csv, ctl::DEFAULT_COLUMNS).unwrap();
        let custom = ctl::render_table(&csv, "svname,status,addr").unwrap();
        (codes, table, custom)
    })
    .await
    .unwrap();
    assert_eq!(codes, [0, 0, 1, 0, 1, 1, 0, 64, 64, 2]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[0]
            .starts_with("pxname  svname     status  act  bck  scur  stot  check_status  lastchg")
    );
    let cells = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(cells(lines[1])[..3], ["MySQL", "FRONTEND", "OPEN"]);
    assert_eq!(cells(lines[2])[..5], ["MySQL", "Primary", "UP", "1/3", "1"]);
    assert_eq!(cells(lines[3])[..5], ["MySQL", "Secondary", "UP", "0", "1"]);
    assert_eq!(cells(lines[4])[..5], ["MySQL", "BACKEND", "UP", "1", "1"]);
    assert_eq!(
        custom,
        "svname     status  addr\nFRONTEND   OPEN\nPrimary    UP 1/3  127.0.0.1:9\nSecondary  UP      127.0.0.1:9\nBACKEND    UP\n"
    );
    f.stop().await;
}

#[tokio::test]
async fn a_tcp_socket_speaks_the_same_protocol_at_its_level() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let f = Fixture::start_with("tcp", true, |c| {
        c.stats_sockets = vec![StatsSocket {
            endpoint: StatsEndpoint::Tcp(addr),
            mode: 0o600,
            uid: None,
            gid: None,
            level: Level::Operator,
        }];
    })
    .await;
    let ask_tcp = |line: &'static str| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(line.as_bytes()).await.unwrap();
        String::from_utf8(read_to_close(&mut s).await).unwrap()
    };
    assert_eq!(ask_tcp("show cli level\n").await, "operator\n\n");
    let stat = ask_tcp("show stat\n").await;
    assert!(stat.starts_with("# pxname,svname,"), "{stat}");
    assert!(stat.contains("\nMySQL,Primary,"), "{stat}");
    assert_eq!(
        ask_tcp("disable server MySQL/Primary\n").await,
        "Permission denied\n\n"
    );
    let prompt = ask_tcp("prompt\nshow cli level\nquit\n").await;
    assert_eq!(prompt, "\n> operator\n\n> ");
    f.stop().await;
    // The address is free again once the socket stopped.
    std::net::TcpListener::bind(addr).unwrap();
}

/// `sockhop ctl status` and `--json` against the real socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_status_and_json() {
    use crate::ctl;
    let f = Fixture::start("ctlstatus", true).await;
    f.check_all(CheckStatus::L7Ok);
    let admin = f.path("admin.sock");
    let (status, json, info, stat_json) = tokio::task::spawn_blocking(move || {
        let run = |cmd: &str, json: bool| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let opts = ctl::Options {
                target: ctl::Target::Unix(admin.clone()),
                command: cmd.split(' ').map(str::to_owned).collect(),
                table: false,
                columns: None,
                json,
                watch: None,
                count: None,
            };
            let code = ctl::run_with(&mut out, &mut err, &opts);
            assert_eq!(code, 0, "{cmd}: {}", String::from_utf8_lossy(&err));
            String::from_utf8(out).unwrap()
        };
        (
            run("status", false),
            run("status MySQL", true),
            run("show info", true),
            run("show stat", true),
        )
    })
    .await
    .unwrap();
    let lines: Vec<&str> = status.lines().collect();
    assert!(
        lines[0].starts_with("MySQL  frontend OPEN  sessions 0 now, 0 total  backend UP"),
        "{status}"
    );
    let cells = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(cells(lines[1])[..4], ["SERVER", "ROLE", "STATE", "CHECK"]);
    assert_eq!(cells(lines[2])[..3], ["Primary", "active", "UP"]);
    assert!(lines[2].contains(" L7OK/0 in "), "{status}");
    assert_eq!(cells(lines[3])[..3], ["Secondary", "backup", "UP"]);
    assert_eq!(lines.len(), 4, "{status}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["listens"][0]["servers"][0]["name"], "Primary");
    assert_eq!(v["listens"][0]["servers"][0]["check_status"], "L7OK");
    assert_eq!(v["listens"][0]["servers"][1]["role"], "backup");
    let v: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert!(v.is_array(), "show info json is HAProxy's array of fields");
    let v: serde_json::Value = serde_json::from_str(&stat_json).unwrap();
    assert!(v.is_array(), "show stat json is HAProxy's array of rows");
    f.stop().await;
}
