//! The MySQL check against the scripted fake server: the exact bytes it sends, every
//! outcome, and a clean close.

use super::fake::{self, Conn};
use super::{CheckLimits, check, wire};
use crate::health::testutil::unanswered_listener;
use crate::state::{CheckResult, CheckStatus};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: CheckLimits = CheckLimits {
    connect: Duration::from_secs(5),
    after_connect: None,
};
const SHORT: CheckLimits = CheckLimits {
    connect: Duration::from_millis(300),
    after_connect: None,
};
const MARIADB_VERSION: &str = "5.5.5-10.11.19-MariaDB-0+deb12u1";
const ACCESS_DENIED: &str = "Access denied for user 'haproxy'@'127.0.0.1' (using password: NO)";
const HOST_BLOCKED: &str = "Host '127.0.0.2' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts'";
const NOT_SUPPORTED: &str = "Client does not support authentication protocol requested by server; consider upgrading MySQL client";

/// The HandshakeResponse41 sockhop must send, spelled out byte by byte.
fn expected_response(user: &str, auth: &[u8], plugin: &str) -> Vec<u8> {
    let mut p = vec![
        0x00, 0x82, 0x08, 0x00, // PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH
        0x00, 0x00, 0x00, 0x01, // max packet size 16 MiB
        33,   // utf8_general_ci
    ];
    p.extend_from_slice(&[0; 23]);
    p.extend_from_slice(user.as_bytes());
    p.push(0);
    p.push(auth.len() as u8);
    p.extend_from_slice(auth);
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    let mut pkt = vec![p.len() as u8, 0, 0, 1];
    pkt.extend(p);
    pkt
}

/// Reads COM_QUIT and then a clean half-close from the check, then closes.
async fn expect_quit(mut c: Conn) {
    assert_eq!(
        c.recv_exact(5).await,
        [0x01, 0x00, 0x00, 0x00, 0x01],
        "COM_QUIT"
    );
    c.expect_clean_eof().await;
    c.close().await;
}

async fn run<F, Fut>(script: F, limits: CheckLimits) -> CheckResult
where
    F: FnOnce(Conn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    run_from(None, script, limits).await
}

async fn run_from<F, Fut>(source: Option<IpAddr>, script: F, limits: CheckLimits) -> CheckResult
where
    F: FnOnce(Conn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let (addr, server) = fake::serve(script).await;
    let r = check(addr, source, "haproxy", limits).await;
    server.await.expect("fake server script");
    r
}

#[tokio::test]
async fn native_password_login_then_quit() {
    let r = run(
        async |mut c: Conn| {
            let greeting = fake::unhex(fake::MARIADB_GREETING);
            c.send_raw(&greeting).await;
            let resp = c.recv_packet().await;
            assert_eq!(
                resp,
                expected_response("haproxy", &[], "mysql_native_password")
            );
            c.send(2, &fake::ok()).await;
            expect_quit(c).await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Ok);
    assert_eq!(r.code, Some(0));
    assert_eq!(r.info, MARIADB_VERSION);
}

#[tokio::test]
async fn nothing_is_sent_before_the_greeting() {
    let r = run(
        async |mut c: Conn| {
            let mut buf = [0u8; 1];
            let early =
                tokio::time::timeout(Duration::from_millis(200), c.stream.read(&mut buf)).await;
            assert!(early.is_err(), "the check spoke first: {early:?}");
            c.send(
                0,
                &fake::greeting("10.11.19-MariaDB", "mysql_native_password"),
            )
            .await;
            c.recv_packet().await;
            c.send(2, &fake::ok()).await;
            expect_quit(c).await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Ok);
}

#[tokio::test]
async fn checks_come_from_the_source_address() {
    let source: IpAddr = "127.0.0.2".parse().unwrap();
    let r = run_from(
        Some(source),
        async move |mut c: Conn| {
            assert_eq!(c.peer.ip(), source);
            c.send(
                0,
                &fake::greeting("10.11.19-MariaDB", "mysql_native_password"),
            )
            .await;
            c.recv_packet().await;
            c.send(2, &fake::ok()).await;
            expect_quit(c).await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Ok);
}

#[tokio::test]
async fn err_instead_of_greeting_is_l7sts_with_its_code() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::err(1129, None, HOST_BLOCKED)).await;
            c.stream.shutdown().await.unwrap();
            // The check must send nothing and close cleanly.
            c.expect_clean_eof().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Sts);
    assert_eq!(r.code, Some(1129));
    assert_eq!(r.info, HOST_BLOCKED);
}

#[tokio::test]
async fn too_many_connections_greeting_is_l7sts_1040() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::err(1040, Some("08004"), "Too many connections"))
                .await;
            c.close().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!((r.status, r.code), (CheckStatus::L7Sts, Some(1040)));
    assert_eq!(r.info, "#08004Too many connections");
}

#[tokio::test]
async fn access_denied_after_login_is_l7sts_1045() {
    let r = run(
        async |mut c: Conn| {
            c.send(
                0,
                &fake::greeting("10.11.19-MariaDB", "mysql_native_password"),
            )
            .await;
            let resp = c.recv_packet().await;
            assert_eq!(
                resp,
                expected_response("haproxy", &[], "mysql_native_password")
            );
            c.send(2, &fake::err(1045, Some("28000"), ACCESS_DENIED))
                .await;
            c.stream.shutdown().await.unwrap();
            c.expect_clean_eof().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Sts);
    assert_eq!(r.code, Some(1045));
    assert_eq!(r.info, format!("#28000{ACCESS_DENIED}"));
}

/// MySQL 8 with `default_authentication_plugin = mysql_native_password` and an account
/// using caching_sha2_password with an empty password, as its server code behaves: a client
/// without CLIENT_PLUGIN_AUTH gets error 1251; others get an auth switch, then (here) the
/// fast-auth result before the OK.
async fn mysql8_caching_sha2_account(mut c: Conn) {
    c.send(0, &fake::greeting("8.0.36", "mysql_native_password"))
        .await;
    let resp = c.recv_packet().await;
    if fake::client_caps(&resp) & wire::caps::PLUGIN_AUTH == 0 {
        c.send(2, &fake::err(1251, Some("08004"), NOT_SUPPORTED))
            .await;
        return;
    }
    assert_eq!(
        resp,
        expected_response("haproxy", &[], "mysql_native_password")
    );
    c.send(2, &fake::auth_switch("caching_sha2_password")).await;
    // MySQL 8's client answers with a single NUL for an empty password.
    assert_eq!(c.recv_packet().await, [0x01, 0x00, 0x00, 0x03, 0x00]);
    c.send(4, &[0x01, 0x03]).await; // fast authentication success
    c.send(5, &fake::ok()).await;
    expect_quit(c).await;
}

#[tokio::test]
async fn haproxys_pipelined_check_gets_1251_from_a_mysql8_caching_sha2_account() {
    // HAProxy 2.6's post-41 check bytes (option mysql-check user haproxy post-41).
    let mut haproxy = vec![0x29, 0x00, 0x00, 0x01, 0x00, 0x82, 0x00, 0x00];
    haproxy.extend_from_slice(&[0x00, 0x80, 0x00, 0x01, 0x21]);
    haproxy.extend_from_slice(&[0; 23]);
    haproxy.extend_from_slice(b"haproxy\0\0");
    haproxy.extend_from_slice(&[0x01, 0x00, 0x00, 0x00, 0x01]);
    let (addr, server) = fake::serve(mysql8_caching_sha2_account).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&haproxy).await.unwrap();
    let greeting = wire::read_packet(&mut s, wire::Stage::Greeting).await;
    assert!(greeting.is_ok());
    let (seq, reply) = wire::read_packet(&mut s, wire::Stage::LoginReply)
        .await
        .ok()
        .unwrap();
    assert_eq!(seq, 2);
    assert_eq!(wire::parse_err(&reply).unwrap().code, 1251);
    server.await.unwrap();
}

#[tokio::test]
async fn auth_switch_to_caching_sha2_with_fast_auth_passes() {
    let r = run(mysql8_caching_sha2_account, LIMITS).await;
    assert_eq!(r.status, CheckStatus::L7Ok, "{r:?}");
    assert_eq!(r.info, "8.0.36");
}

#[tokio::test]
async fn caching_sha2_greeting_gets_the_plugin_echoed_with_a_nul() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::greeting("8.0.36", "caching_sha2_password"))
                .await;
            let resp = c.recv_packet().await;
            assert_eq!(
                resp,
                expected_response("haproxy", &[0], "caching_sha2_password")
            );
            // An account with an empty password: MySQL 8 answers OK at once.
            c.send(2, &fake::ok()).await;
            expect_quit(c).await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Ok);
}

#[tokio::test]
async fn auth_switch_to_native_password_gets_an_empty_answer() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::greeting("8.0.36", "caching_sha2_password"))
                .await;
            c.recv_packet().await;
            c.send(2, &fake::auth_switch("mysql_native_password")).await;
            assert_eq!(c.recv_packet().await, [0x00, 0x00, 0x00, 0x03]);
            c.send(4, &fake::ok()).await;
            expect_quit(c).await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Ok);
}

#[tokio::test]
async fn full_authentication_request_gets_an_empty_password_and_the_servers_verdict() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::greeting("8.0.36", "caching_sha2_password"))
                .await;
            c.recv_packet().await;
            c.send(2, &[0x01, 0x04]).await; // perform full authentication
            assert_eq!(c.recv_packet().await, [0x01, 0x00, 0x00, 0x03, 0x00]);
            c.send(4, &fake::err(1045, Some("28000"), ACCESS_DENIED))
                .await;
            c.close().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!((r.status, r.code), (CheckStatus::L7Sts, Some(1045)));
}

#[tokio::test]
async fn unknown_plugin_in_greeting_falls_back_to_native_password() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::greeting("11.4.2-MariaDB", "client_ed25519"))
                .await;
            let resp = c.recv_packet().await;
            assert_eq!(
                resp,
                expected_response("haproxy", &[], "mysql_native_password")
            );
            // Switch to a plugin we cannot speak: an empty answer lets the server refuse.
            c.send(2, &fake::auth_switch("client_ed25519")).await;
            assert_eq!(c.recv_packet().await, [0x00, 0x00, 0x00, 0x03]);
            c.send(4, &fake::err(1045, Some("28000"), ACCESS_DENIED))
                .await;
            c.close().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!((r.status, r.code), (CheckStatus::L7Sts, Some(1045)));
}

async fn greeting_then(reply: Vec<u8>) -> CheckResult {
    run(
        async move |mut c: Conn| {
            c.send(
                0,
                &fake::greeting("10.11.19-MariaDB", "mysql_native_password"),
            )
            .await;
            c.recv_packet().await;
            c.send_raw(&reply).await;
            c.close().await;
        },
        LIMITS,
    )
    .await
}

#[tokio::test]
async fn malformed_login_replies_are_l7rsp() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            wire::frame(3, &fake::ok()),
            "login reply has sequence number 3, expected 2",
        ),
        (wire::frame(2, &[0x00, 0x00]), "malformed OK packet"),
        (
            wire::frame(2, &[0x07, 1, 2]),
            "unexpected login reply starting with 0x07",
        ),
        (
            wire::frame(2, &[0x01, 0x03]),
            "unexpected login reply starting with 0x01",
        ),
        (wire::frame(2, &[0xff, 0x15]), "malformed ERR packet"),
        (wire::frame(2, &[]), "malformed empty packet"),
        (
            wire::frame(2, &[0xfe, b'x']),
            "malformed auth switch request",
        ),
        (vec![7, 0, 0, 2, 0], "truncated login reply"),
        (
            vec![],
            "server closed the connection instead of sending its login reply",
        ),
    ];
    for (reply, info) in cases {
        let r = greeting_then(reply.clone()).await;
        assert_eq!(r.status, CheckStatus::L7Rsp, "{reply:02x?}: {r:?}");
        assert_eq!(r.info, info, "{reply:02x?}");
        assert_eq!(r.code, None);
    }
}

#[tokio::test]
async fn endless_auth_exchanges_are_cut_short() {
    let r = run(
        async |mut c: Conn| {
            c.send(0, &fake::greeting("8.0.36", "caching_sha2_password"))
                .await;
            c.recv_packet().await;
            for seq in 2..6 {
                c.send(seq, &[0x01, 0x03]).await;
            }
            c.close().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Rsp);
    assert_eq!(r.info, "no OK after 4 authentication exchanges");
}

#[tokio::test]
async fn garbage_is_l7rsp_at_once() {
    let r = run(
        async |mut c: Conn| {
            c.send_raw(b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
            // Keep the connection open: the check must not wait for the close.
            tokio::time::sleep(Duration::from_secs(2)).await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Rsp);
    assert_eq!(
        r.info,
        "greeting of 5526600 bytes exceeds the 16384-byte limit"
    );
    assert!(r.duration < Duration::from_secs(1), "{:?}", r.duration);
}

#[tokio::test]
async fn a_non_mysql_greeting_is_l7rsp() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            wire::frame(0, b"SSH-2.0"),
            "unsupported protocol version 83",
        ),
        (wire::frame(0, b"\x0a5.0"), "malformed greeting"),
        (
            wire::frame(1, &fake::ok()),
            "greeting has sequence number 1, expected 0",
        ),
        (wire::frame(0, &[]), "malformed greeting"),
    ];
    for (bytes, info) in cases {
        let r = run(
            async move |mut c: Conn| {
                c.send_raw(&bytes).await;
                c.close().await;
            },
            LIMITS,
        )
        .await;
        assert_eq!(r.status, CheckStatus::L7Rsp, "{r:?}");
        assert_eq!(r.info, info);
    }
}

#[tokio::test]
async fn a_pre_41_server_is_l7rsp() {
    let mut g = vec![10];
    g.extend_from_slice(b"4.0.27\0");
    g.extend_from_slice(&[1, 0, 0, 0]);
    g.extend_from_slice(b"abcdefgh\0");
    g.extend_from_slice(&[0x2c, 0x00]);
    let r = run(
        async move |mut c: Conn| {
            c.send(0, &g).await;
            c.close().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Rsp);
    assert_eq!(
        r.info,
        "server does not speak the 4.1 protocol with secure authentication"
    );
}

#[tokio::test]
async fn truncated_greeting_is_l7rsp() {
    let r = run(
        async |mut c: Conn| {
            c.send_raw(&[0x50, 0x00, 0x00, 0x00, 0x0a, b'5', b'.', b'5'])
                .await;
            c.close().await;
        },
        LIMITS,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Rsp);
    assert_eq!(r.info, "truncated greeting");
}

#[tokio::test]
async fn close_before_greeting_is_l7rsp_like_haproxy() {
    // HAProxy 2.6: L7RSP "TCPCHK got an empty response at step 3".
    let r = run(async |c: Conn| c.close().await, LIMITS).await;
    assert_eq!(r.status, CheckStatus::L7Rsp);
    assert_eq!(
        r.info,
        "server closed the connection instead of sending its greeting"
    );
}

#[tokio::test]
async fn reset_before_greeting_is_sockerr_like_haproxy() {
    // HAProxy 2.6: SOCKERR "Connection reset by peer".
    let r = run(async |c: Conn| c.reset(), LIMITS).await;
    assert_eq!(r.status, CheckStatus::SockErr);
    assert_eq!(r.info, "Connection reset by peer");
}

#[tokio::test]
async fn silence_is_l7tout() {
    let r = run(
        async |_c: Conn| tokio::time::sleep(Duration::from_secs(1)).await,
        SHORT,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Tout);
    assert_eq!(r.info, "");
    assert!(r.duration >= Duration::from_millis(300), "{:?}", r.duration);
    assert!(r.duration < Duration::from_millis(900), "{:?}", r.duration);
}

#[tokio::test]
async fn a_partial_reply_is_l7tout() {
    let r = run(
        async |mut c: Conn| {
            c.send(
                0,
                &fake::greeting("10.11.19-MariaDB", "mysql_native_password"),
            )
            .await;
            c.recv_packet().await;
            c.send_raw(&[0x07, 0x00, 0x00, 0x02, 0x00]).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        },
        SHORT,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Tout);
}

#[tokio::test]
async fn timeout_check_counts_from_the_connect() {
    let limits = CheckLimits {
        connect: Duration::from_secs(5),
        after_connect: Some(Duration::from_millis(200)),
    };
    let r = run(
        async |_c: Conn| tokio::time::sleep(Duration::from_secs(1)).await,
        limits,
    )
    .await;
    assert_eq!(r.status, CheckStatus::L7Tout);
    assert!(r.duration >= Duration::from_millis(200), "{:?}", r.duration);
    assert!(r.duration < Duration::from_millis(800), "{:?}", r.duration);
}

#[tokio::test]
async fn refused_is_l4con() {
    let addr: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let r = check(addr, None, "haproxy", LIMITS).await;
    assert_eq!(r.status, CheckStatus::L4Con);
    assert_eq!(r.info, "Connection refused");
    assert_eq!(r.code, None);
}

#[tokio::test]
async fn connect_timeout_is_l4tout() {
    let (_listener, addr, _fillers) = unanswered_listener().await;
    let r = check(addr, None, "haproxy", SHORT).await;
    assert_eq!(r.status, CheckStatus::L4Tout);
    assert_eq!(r.info, "");
    assert!(r.duration >= Duration::from_millis(300), "{:?}", r.duration);
}

#[tokio::test]
async fn an_unusable_source_address_is_sockerr() {
    let (addr, _server) = fake::serve(async |_c: Conn| {}).await;
    // An IPv6 source for an IPv4 server: the bind fails before any packet is sent.
    let r = check(addr, Some("::1".parse().unwrap()), "haproxy", LIMITS).await;
    assert_eq!(r.status, CheckStatus::SockErr);
    assert!(!r.info.is_empty() && !r.info.contains("os error"), "{r:?}");
}
