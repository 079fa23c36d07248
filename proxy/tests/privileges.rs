//! `sockhop run` as root drops every capability on every thread once start-up is done (and
//! switches to `[global] user`/`group`), and still proxies and answers its stats socket.

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn status_of(task: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(task.join("status"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn field<'a>(status: &'a [(String, String)], name: &str) -> &'a str {
    status
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn stats(sock: &Path, cmd: &str) -> std::io::Result<String> {
    let mut s = UnixStream::connect(sock)?;
    s.write_all(format!("{cmd}\n").as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn every_thread_runs_without_privileges() {
    if !is_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run this test as root"
        );
        eprintln!("SKIPPED: dropping privileges needs a daemon started as root");
        return;
    }
    let dir = PathBuf::from(format!("/tmp/sockhop-privileges-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("stats.sock");

    // A backend that greets every connection.
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let backend_addr = backend.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut c in backend.incoming().flatten() {
            let _ = c.write_all(b"hello");
        }
    });
    let port = free_port();
    let cfg = dir.join("sockhop.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[global]
user = "nobody"
group = "nogroup"

[[stats_socket]]
path = "{sock}"
mode = "0666"
level = "admin"

[[listen]]
name = "L"
bind = ["127.0.0.1:{port}"]
# io_uring workers are threads of their own: they must drop privileges too.
datapath = "uring"

[[listen.server]]
name = "S"
address = "{backend_addr}"
check = true
inter = "100ms"
"#,
            sock = sock.display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_sockhop"))
        .args(["run", "--config"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut daemon = Daemon(child);
    let stderr = daemon.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut log = Vec::new();
    loop {
        while let Ok(l) = rx.try_recv() {
            log.push(l);
        }
        if log.iter().any(|l| l.contains("Privileges dropped")) {
            break;
        }
        assert!(
            daemon.0.try_wait().unwrap().is_none(),
            "sockhop exited: {log:#?}"
        );
        assert!(
            Instant::now() < deadline,
            "no 'Privileges dropped' line: {log:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let pid = daemon.0.id();
    let tasks: Vec<PathBuf> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(tasks.len() > 1, "a multi-threaded daemon");
    let nobody = "65534\t65534\t65534\t65534";
    for task in &tasks {
        let st = status_of(task);
        let name = field(&st, "Name");
        assert_eq!(
            field(&st, "CapEff"),
            "0000000000000000",
            "{name} {task:?} CapEff"
        );
        assert_eq!(
            field(&st, "CapPrm"),
            "0000000000000000",
            "{name} {task:?} CapPrm"
        );
        assert_eq!(
            field(&st, "CapBnd"),
            "0000000000000000",
            "{name} {task:?} CapBnd"
        );
        assert_eq!(field(&st, "NoNewPrivs"), "1", "{name} {task:?}");
        assert_eq!(
            field(&st, "Uid").replace(' ', "\t"),
            nobody,
            "{name} {task:?} Uid"
        );
        assert_eq!(
            field(&st, "Gid").replace(' ', "\t"),
            nobody,
            "{name} {task:?} Gid"
        );
    }

    // Still fully working: proxying, checks and the stats socket (admin command included).
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 5];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert_eq!(stats(&sock, "disable server L/S").unwrap(), "\n");
    let csv = stats(&sock, "show stat").unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("L,S,") && l.contains(",MAINT,")),
        "{csv}"
    );
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
}
