//! `cargo xtask demo`: the seed's setup on one machine.
//!
//! Installs what is missing, starts the MariaDB pair (Primary 127.0.0.10:3306, server_id 10;
//! Secondary 127.0.0.20:3306, server_id 20), builds and starts `sockhop run --config
//! config/demo.toml` (127.0.0.1:3306, stats socket /run/sockhop/stats.sock), prints how to
//! use it, obeys `stop primary` / `start primary` typed on its standard input (failover by
//! hand), and on Ctrl-C (or SIGTERM) stops everything it started, by PID. A second run
//! first stops and removes whatever an earlier, killed run left behind.

use crate::mariadb::{self, MariaDbPair, PairOptions, Role};
use crate::{install, process, stats, workspace};
use anyhow::{Context, Result, bail};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What config/demo.toml must say (checked at start so the printed commands are right).
const BIND: &str = "127.0.0.1:3306";
const STATS_SOCKET: &str = "/run/sockhop/stats.sock";
/// Time allowed for sockhop to bind and answer on its stats socket.
const SOCKHOP_START_TIMEOUT: Duration = Duration::from_secs(30);

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

pub fn run() -> Result<()> {
    install::ensure()?;
    let root = workspace::root();
    let config = root.join("config/demo.toml");
    let text = std::fs::read_to_string(&config)
        .with_context(|| format!("cannot read {}", config.display()))?;
    if !text.contains(BIND) || !text.contains(STATS_SOCKET) {
        bail!(
            "{} must bind {BIND} and have its stats socket at {STATS_SOCKET} \
             (the commands this demo prints assume both)",
            config.display()
        );
    }
    let opts = PairOptions::new("demo");
    let sockhop_pid = opts.dir().join("sockhop.pid");
    if let Some(pid) = process::stop_stale(&sockhop_pid, "sockhop", Duration::from_secs(10)) {
        println!("demo: stopped a sockhop left by an earlier run (pid {pid})");
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let handler = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }

    println!(
        "demo: starting MariaDB Primary on {}:{} (server_id 10) and Secondary on {}:{} \
         (server_id 20), master-master, data in {}",
        opts.primary_ip,
        opts.port,
        opts.secondary_ip,
        opts.port,
        opts.dir().display()
    );
    let started = Instant::now();
    let mut pair = MariaDbPair::start(opts)?;
    println!(
        "demo: both MariaDB servers replicate from each other ({:.1}s)",
        started.elapsed().as_secs_f64()
    );

    println!("demo: building sockhop");
    let bin = workspace::build_sockhop()?;
    std::fs::create_dir_all("/run/sockhop")
        .context("cannot create /run/sockhop for the stats socket (run the demo as root)")?;
    let mut cmd = Command::new(&bin);
    cmd.arg("run")
        .arg("--config")
        .arg(&config)
        .current_dir(&root)
        .stdin(Stdio::null());
    process::guard(&mut cmd);
    println!(
        "demo: starting {} run --config {}",
        bin.display(),
        config.display()
    );
    let mut sockhop = cmd.spawn().context("cannot start sockhop")?;
    std::fs::write(&sockhop_pid, sockhop.id().to_string())
        .with_context(|| format!("cannot write {}", sockhop_pid.display()))?;

    let outcome = wait_for_sockhop(&mut sockhop).and_then(|()| {
        print_usage(&pair, &bin);
        wait_for_stop(&mut sockhop, &mut pair)
    });

    println!("demo: stopping sockhop (pid {})", sockhop.id());
    process::terminate(&mut sockhop, Duration::from_secs(10))?;
    let _ = std::fs::remove_file(&sockhop_pid);
    for role in Role::BOTH {
        if let Some(pid) = pair.instance(role).pid() {
            println!("demo: stopping the {role} mariadbd (pid {pid})");
        }
    }
    pair.stop_all()?;
    println!("demo: stopped everything it started");
    outcome
}

/// Waits until sockhop answers on its stats socket (it binds its listeners first) and its
/// first checks have settled both servers (status exactly `UP`, not `UP 1/3`), so the
/// table printed next is the seed's. An unsettled table after the deadline is shown as is.
fn wait_for_sockhop(sockhop: &mut Child) -> Result<()> {
    let deadline = Instant::now() + SOCKHOP_START_TIMEOUT;
    loop {
        if let Some(status) = sockhop.try_wait()? {
            bail!("sockhop exited during start-up ({status}); its messages are above");
        }
        if let Ok(csv) = stats::send(Path::new(STATS_SOCKET), "show stat") {
            let rows = stats::cut(&csv, &[2, 18]);
            let settled = ["Primary,UP", "Secondary,UP"]
                .iter()
                .all(|want| rows.iter().any(|r| r == want));
            if settled || Instant::now() >= deadline {
                return Ok(());
            }
        }
        if STOP.load(Ordering::SeqCst) {
            bail!("interrupted while sockhop was starting");
        }
        if Instant::now() >= deadline {
            bail!("sockhop did not answer on {STATS_SOCKET} within {SOCKHOP_START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs until Ctrl-C / SIGTERM, or until sockhop exits by itself (an error). Meanwhile
/// obeys `stop primary`, `start primary` (and the same for `secondary`) typed on stdin.
fn wait_for_stop(sockhop: &mut Child, pair: &mut MariaDbPair) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    // Reads stdin until EOF; the thread is left blocked on read when we are done.
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while !STOP.load(Ordering::SeqCst) {
        if let Some(status) = sockhop.try_wait()? {
            bail!("sockhop exited by itself ({status}); its messages are above");
        }
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => obey(line.trim(), pair),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
    }
    println!();
    Ok(())
}

/// One line typed at the demo: `stop|start primary|secondary`.
fn obey(line: &str, pair: &mut MariaDbPair) {
    let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let role = match words.get(1) {
        Some(&"primary") => Role::Primary,
        Some(&"secondary") => Role::Secondary,
        _ if line.is_empty() => return,
        _ => {
            println!(
                "demo: type `stop primary`, `start primary`, `stop secondary` or `start secondary`"
            );
            return;
        }
    };
    let result = match words[0] {
        "stop" => {
            println!(
                "demo: stopping the {role} mariadbd (SIGTERM to pid {})",
                pid_text(pair, role)
            );
            pair.stop(role)
                .map(|()| println!("demo: the {role} mariadbd has exited"))
        }
        "start" => {
            println!("demo: starting the {role} mariadbd");
            pair.start_again(role).map(|()| {
                println!(
                    "demo: the {role} mariadbd is up (pid {}) and replicating",
                    pid_text(pair, role)
                )
            })
        }
        other => {
            println!("demo: unknown action `{other}`: stop or start");
            Ok(())
        }
    };
    if let Err(e) = result {
        println!("demo: {e}");
    }
}

fn pid_text(pair: &MariaDbPair, role: Role) -> String {
    pair.instance(role)
        .pid()
        .map_or_else(|| "none".to_string(), |p| p.to_string())
}

fn print_usage(pair: &MariaDbPair, bin: &Path) {
    let user = mariadb::APPLICATION_USER;
    let password = mariadb::APPLICATION_PASSWORD;
    let (host, port) = BIND.split_once(':').expect("BIND is host:port");
    let table = stats::send(Path::new(STATS_SOCKET), "show stat")
        .map(|csv| stats::cut(&csv, &stats::SEED_FIELDS).join("\n"))
        .unwrap_or_else(|e| format!("(show stat failed: {e})"));
    println!(
        "
sockhop is running: {BIND} -> Primary {primary} (server_id 10), Secondary {secondary} \
(server_id 20, backup).

Connect through it (every connection goes to the Primary while it is UP):
    mariadb -h {host} -P {port} -u {user} -p{password} {db} -e 'SELECT @@server_id'
    mariadb -h {host} -P {port} -u {user} -p{password} -e \"INSERT INTO {table_name} (details) VALUES ('hello')\"

Administer it through the stats socket:
    echo \"show stat\" | socat stdio {STATS_SOCKET} | cut -d, -f1,2,18,20,21
{table}
    echo \"disable server MySQL/Primary\" | socat stdio {STATS_SOCKET}
    echo \"enable server MySQL/Primary\" | socat stdio {STATS_SOCKET}
    {bin} ctl --table show stat
    {bin} ctl disable server MySQL/Primary

Watch it in a browser: http://127.0.0.1:8404/ (admin / demo; Prometheus metrics at /metrics).

Fail over: type `stop primary` here (SIGTERM to its mariadbd, pid {primary_pid}); the
Secondary takes the traffic. Type `start primary` to bring it back (the same works for
`secondary`).

Press Ctrl-C to stop sockhop and both MariaDB servers.",
        primary = pair.primary().addr(),
        secondary = pair.secondary().addr(),
        db = mariadb::DATABASE,
        table_name = mariadb::TABLE,
        bin = bin.display(),
        primary_pid = pair
            .primary()
            .pid()
            .map_or_else(|| "?".to_string(), |p| p.to_string()),
    );
}
