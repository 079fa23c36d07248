//! The web server on a loopback address with a hand-built runtime (no MariaDB): Basic
//! authentication, the disable button's POST putting a server in MAINT, CSRF refusals,
//! `/metrics`, garbage requests and the connection bound.

mod common;

use sockhop::config::{CheckKind, Web, WebLevel, WebUser};
use sockhop::state::{CheckResult, CheckStatus, Runtime, ServerMode};
use sockhop::web::{self, MAX_CONNECTIONS};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const ADMIN: &str = "Basic YWRtaW46czNjcmV0"; // admin:s3cret
const VIEWER: &str = "Basic dmlld2VyOnZpZXc="; // viewer:view
const WRONG: &str = "Basic YWRtaW46bm9wZQ=="; // admin:nope

pub fn users() -> Vec<WebUser> {
    vec![
        WebUser {
            name: "admin".into(),
            password: "s3cret".into(),
            level: WebLevel::Admin,
        },
        WebUser {
            name: "viewer".into(),
            password: "view".into(),
            level: WebLevel::User,
        },
    ]
}

/// Listen "MySQL" with Primary (checked, on a closed port) and backup Secondary (no check).
fn runtime() -> Arc<Runtime> {
    let mut primary = common::server("Primary", ([127, 0, 0, 1], 1).into(), false);
    primary.check = Some(CheckKind::Tcp);
    let secondary = common::server("Secondary", ([127, 0, 0, 1], 2).into(), true);
    let mut l = common::listen(([127, 0, 0, 1], 3306).into(), vec![primary, secondary]);
    l.name = "MySQL".into();
    Arc::new(Runtime::new(common::config(vec![l])))
}

async fn start(rt: &Arc<Runtime>, ip: [u8; 4]) -> (SocketAddr, CancellationToken) {
    let stop = CancellationToken::new();
    let w = Web {
        bind: (ip, 0).into(),
        refresh: Duration::from_secs(5),
        users: users(),
    };
    let server = web::serve(Arc::clone(rt), w, stop.clone()).await.unwrap();
    (server.local_addr, stop)
}

/// Sends raw bytes, returns (status, head, body). Status 0 if the server closed silently.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

async fn get(addr: SocketAddr, path: &str, auth: Option<&str>) -> (u16, String, String) {
    let auth = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\n").as_bytes(),
    )
    .await
}

async fn post_action(
    addr: SocketAddr,
    auth: &str,
    origin: Option<&str>,
    body: &str,
) -> (u16, String, String) {
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    let req = format!(
        "POST /action HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n{origin}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw(addr, req.as_bytes()).await
}

fn token_of(page: &str) -> String {
    let marker = "name=\"token\" value=\"";
    let start = page.find(marker).expect("the admin page has a token") + marker.len();
    page[start..start + 32].to_string()
}

fn mode(rt: &Runtime, server: &str) -> ServerMode {
    rt.listens[0].server(server).unwrap().snapshot().mode()
}

#[tokio::test]
async fn basic_auth_guards_page_and_metrics() {
    let rt = runtime();
    let (addr, stop) = start(&rt, [127, 0, 0, 61]).await;
    for path in ["/", "/metrics"] {
        let (status, head, _) = get(addr, path, None).await;
        assert_eq!(status, 401, "{path} without credentials");
        assert!(head.contains("WWW-Authenticate: Basic realm=\"sockhop\""));
        assert_eq!(
            get(addr, path, Some(WRONG)).await.0,
            401,
            "{path} wrong password"
        );
    }
    let (status, head, page) = get(addr, "/", Some(ADMIN)).await;
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: text/html; charset=utf-8"));
    assert!(head.contains("Content-Security-Policy: default-src 'none'"));
    assert!(page.contains("data-server=\"MySQL/Primary\" data-state=\"UP\""));
    assert!(page.contains("data-action=\"disable\""));
    let (status, _, page) = get(addr, "/", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert!(page.contains("data-server=\"MySQL/Secondary\""));
    assert!(
        !page.contains("<form"),
        "a user-level account sees no buttons"
    );
    let (status, head, metrics) = get(addr, "/metrics", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert!(head.contains("Content-Type: text/plain; version=0.0.4"));
    assert!(
        metrics
            .contains("haproxy_server_status{proxy=\"MySQL\",server=\"Primary\",state=\"UP\"} 1\n")
    );
    // HEAD: the headers of GET, no body.
    let (status, head, body) = raw(
        addr,
        format!("HEAD / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {ADMIN}\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(head.contains("Content-Length: ") && body.is_empty());
    stop.cancel();
}

#[tokio::test]
async fn post_disable_puts_the_server_in_maint_and_forgeries_are_refused() {
    let rt = runtime();
    let l = &rt.listens[0];
    l.apply_check(
        l.server("Primary").unwrap(),
        CheckResult::new(CheckStatus::L4Con, "Connection refused", Duration::ZERO),
    );
    let (addr, stop) = start(&rt, [127, 0, 0, 62]).await;
    let (_, _, page) = get(addr, "/", Some(ADMIN)).await;
    assert!(page.contains("data-server=\"MySQL/Primary\" data-state=\"DOWN\""));
    let token = token_of(&page);
    let origin = format!("http://{addr}");
    let form = |action: &str, token: &str| {
        format!("token={token}&listen=MySQL&server=Primary&action={action}")
    };

    // Refused: a user-level account, another origin, no origin, a wrong token.
    let refusals = [
        (VIEWER, Some(origin.as_str()), form("disable", &token), 403),
        (
            ADMIN,
            Some("http://evil.example"),
            form("disable", &token),
            403,
        ),
        (ADMIN, None, form("disable", &token), 403),
        (ADMIN, Some(origin.as_str()), form("disable", "0123"), 403),
        (ADMIN, Some(origin.as_str()), form("explode", &token), 400),
    ];
    for (auth, origin, body, want) in &refusals {
        let (status, _, text) = post_action(addr, auth, *origin, body).await;
        assert_eq!(status, *want, "{auth} {origin:?} {body}: {text}");
        assert_eq!(mode(&rt, "Primary"), ServerMode::Down, "nothing applied");
    }
    let (status, head, _) = post_action(addr, WRONG, Some(&origin), &form("disable", &token)).await;
    assert_eq!(status, 401);
    assert!(head.contains("WWW-Authenticate"));

    let (status, head, _) = post_action(addr, ADMIN, Some(&origin), &form("disable", &token)).await;
    assert_eq!(status, 303);
    assert!(head.contains("Location: /\r\n") || head.ends_with("Location: /"));
    assert_eq!(mode(&rt, "Primary"), ServerMode::Maint);
    let (_, _, page) = get(addr, "/", Some(ADMIN)).await;
    assert!(
        page.contains("MySQL/Primary disabled (MAINT)."),
        "the notice"
    );
    assert!(page.contains("data-server=\"MySQL/Primary\" data-state=\"MAINT\""));
    assert!(
        page.contains("put in maintenance by an operator"),
        "the history"
    );
    let (_, _, metrics) = get(addr, "/metrics", Some(ADMIN)).await;
    assert!(
        metrics.contains(
            "haproxy_server_status{proxy=\"MySQL\",server=\"Primary\",state=\"MAINT\"} 1\n"
        )
    );

    let (status, _, _) = post_action(addr, ADMIN, Some(&origin), &form("drain", &token)).await;
    assert_eq!(status, 303);
    // Leaving MAINT restarts checks at rise: the server counts as UP, draining.
    assert_eq!(mode(&rt, "Primary"), ServerMode::Drain);
    let (status, _, _) = post_action(addr, ADMIN, Some(&origin), &form("enable", &token)).await;
    assert_eq!(status, 303);
    assert_eq!(mode(&rt, "Primary"), ServerMode::Up);
    stop.cancel();
}

#[tokio::test]
async fn garbage_gets_4xx_and_the_server_keeps_serving() {
    let rt = runtime();
    let (addr, stop) = start(&rt, [127, 0, 0, 63]).await;
    let mut huge = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Big: ").into_bytes();
    huge.extend(std::iter::repeat_n(b'x', 20_000));
    huge.extend_from_slice(b"\r\n\r\n");
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n".to_vec(), 400),
        (b"\x00\x01\x02\xff\xfe\r\n\r\n".to_vec(), 400),
        (b"hello\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/3\r\nHost: x\r\n\r\n".to_vec(), 505),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), 400),
        (huge, 431),
        (
            format!("POST /action HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100000000\r\n\r\n")
                .into_bytes(),
            413,
        ),
        (
            format!("POST /action HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .into_bytes(),
            501,
        ),
        (format!("GET /nope HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes(), 404),
        (format!("DELETE / HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes(), 405),
        (format!("GET /action HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes(), 405),
    ];
    for (bytes, want) in &cases {
        let (status, _, _) = raw(addr, bytes).await;
        assert_eq!(
            status,
            *want,
            "{:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        );
    }
    // A client that connects and leaves, and one that stops halfway.
    drop(TcpStream::connect(addr).await.unwrap());
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET / HT").await.unwrap();
    half.shutdown().await.unwrap();
    assert_eq!(get(addr, "/", Some(ADMIN)).await.0, 200, "still serving");
    stop.cancel();
}

#[tokio::test]
async fn connections_beyond_the_bound_get_503() {
    let rt = runtime();
    let (addr, stop) = start(&rt, [127, 0, 0, 64]).await;
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        idle.push(s);
    }
    // Let the server accept them all before the extra one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _, _) = get(addr, "/", Some(ADMIN)).await;
    assert_eq!(status, 503);
    drop(idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(addr, "/", Some(ADMIN)).await.0, 200);
    stop.cancel();
}
