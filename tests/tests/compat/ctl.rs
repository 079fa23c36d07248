//! `sockhop ctl` (the real binary) and socat against a running sockhop's unix and TCP stats
//! sockets: `status`, `--json`, `--watch`, `--address`, admin commands, and the completion
//! scripts of `sockhop completions`.

use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::require_prerequisites;
use sockhop_tests::sockhop::{Setup, binary};
use sockhop_tests::stats::seed_cut;
use sockhop_tests::world::World;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn sockhop(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run sockhop: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `echo COMMAND | socat stdio tcp4:ADDR`.
fn socat_tcp(addr: SocketAddr, command: &str) -> String {
    let mut child = Command::new("socat")
        .arg("stdio")
        .arg(format!("tcp4:{addr}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run socat: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{command}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "socat: {out:?}");
    stdout(&out)
}

#[test]
fn ctl_and_socat_over_unix_and_tcp_sockets() {
    require_prerequisites!("ctl_and_socat_over_unix_and_tcp_sockets");
    let net = TestNet::new(113);
    let tcp: SocketAddr = format!("127.0.{}.1:9999", net.block).parse().unwrap();
    let w = World::start(
        "compat-ctl",
        net,
        Setup {
            tcp_stats: Some(tcp),
            ..Setup::default()
        },
    );
    let unix = w.sockhop.stats_socket().display().to_string();
    let address = format!("ipv4@{tcp}");

    // The TCP socket answers as the unix one does (the seed's columns).
    let over_tcp = seed_cut(&socat_tcp(tcp, "show stat"));
    assert_eq!(over_tcp, seed_cut(&w.sockhop.command("show stat")));
    assert_eq!(over_tcp[2], "MySQL,Primary,UP,1,0");

    // status: one table, readable.
    let o = sockhop(&["ctl", "--address", &address, "status"]);
    assert!(o.status.success(), "{o:?}");
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("MySQL  frontend OPEN"), "{text}");
    let cells = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(cells(lines[2])[..3], ["Primary", "active", "UP"], "{text}");
    assert!(lines[2].contains("L7OK/0 in "), "{text}");
    assert_eq!(
        cells(lines[3])[..3],
        ["Secondary", "backup", "UP"],
        "{text}"
    );

    // --json: typed values.
    let o = sockhop(&["ctl", "--socket", &unix, "--json", "status"]);
    assert!(o.status.success(), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["listens"][0]["servers"][0]["state"], "UP");
    assert_eq!(v["listens"][0]["servers"][0]["check_code"], 0);
    let o = sockhop(&["ctl", "--address", &address, "--json", "show", "info"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{v}");

    // Raw passthrough of an admin command over TCP, seen on the unix socket.
    let o = sockhop(&[
        "ctl",
        "--address",
        &address,
        "disable",
        "server",
        "MySQL/Primary",
    ]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "\n"));
    w.wait_status(Role::Primary, "MAINT", Duration::from_secs(2));
    let o = sockhop(&[
        "ctl",
        "--address",
        &address,
        "disable",
        "server",
        "MySQL/Nope",
    ]);
    assert_eq!(o.status.code(), Some(1), "an error reply exits 1: {o:?}");
    let o = sockhop(&[
        "ctl",
        "--socket",
        &unix,
        "enable",
        "server",
        "MySQL/Primary",
    ]);
    assert_eq!(o.status.code(), Some(0));
    w.wait_status(Role::Primary, "UP", w.transition_bound(w.setup.rise));

    // --watch refreshes (bounded by --count here).
    let o = sockhop(&[
        "ctl",
        "--socket",
        &unix,
        "--watch=0.2",
        "--count",
        "2",
        "status",
    ]);
    assert!(o.status.success(), "{o:?}");
    let text = stdout(&o);
    assert_eq!(
        text.matches("Every 200ms: sockhop ctl status").count(),
        2,
        "{text}"
    );
    assert_eq!(text.matches("\n  Primary ").count(), 2, "{text}");

    // Nothing listens: exit 2.
    let o = sockhop(&["ctl", "--address", "ipv4@127.0.113.1:1", "status"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn completion_scripts() {
    let bash = sockhop(&["completions", "bash"]);
    assert!(bash.status.success());
    let script = stdout(&bash);
    assert!(script.contains("complete -F _sockhop"), "{script}");
    for word in ["ctl", "--address", "--watch", "--json", "completions"] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    // The script is valid bash.
    let check = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(check.success(), "bash -n rejects the completion script");
    for shell in ["zsh", "fish"] {
        let o = sockhop(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        assert!(stdout(&o).contains("address"), "{shell}");
    }
    assert_eq!(sockhop(&["completions", "tcsh"]).status.code(), Some(2));
}
