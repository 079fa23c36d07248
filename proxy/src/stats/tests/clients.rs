//! Real clients: the seed's `socat | cut` pipeline and `sockhop ctl`.

use super::*;

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
