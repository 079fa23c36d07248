//! Framing, error texts, levels, garbage, limits and socket handling of the CLI protocol.

use super::*;

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
    assert_eq!(r, format!("{}\n", crate::stats::LINE_TOO_LONG).as_bytes());
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
    for _ in 0..crate::stats::MAX_CONNECTIONS {
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
