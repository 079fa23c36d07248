//! The status page in a real headless Chromium (Debian `chromium`), driven over the DevTools
//! protocol: the page loads and shows the servers' states, follows state changes through
//! its auto-refresh, and a click on "Disable" puts the server in MAINT. A screenshot is
//! kept in target/test-artifacts/web-status.png.
//!
//! Without Chromium the test is skipped with a reason, except under `CI=true` where it fails.

#[path = "web_browser/cdp.rs"]
mod cdp;
mod common;

use cdp::Chromium;
use serde_json::{Value, json};
use sockhop::config::{CheckKind, Web, WebLevel, WebUser};
use sockhop::datapath::DataPathKind;
use sockhop::state::{AdminChange, CheckResult, CheckStatus, Runtime, ServerMode};
use sockhop::web;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const ADMIN: &str = "Basic YWRtaW46czNjcmV0"; // admin:s3cret

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOCKHOP_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("test-artifacts")
}

fn runtime() -> Arc<Runtime> {
    let mut primary = common::server("Primary", ([127, 0, 0, 1], 1).into(), false);
    primary.check = Some(CheckKind::Tcp);
    let mut secondary = common::server("Secondary", ([127, 0, 0, 1], 2).into(), true);
    secondary.check = Some(CheckKind::Tcp);
    let mut l = common::listen(([127, 0, 0, 1], 3306).into(), vec![primary, secondary]);
    l.name = "MySQL".into();
    let rt = Arc::new(Runtime::new(common::config(vec![l])));
    rt.listens[0].set_datapath(DataPathKind::Copy);
    rt
}

fn check(rt: &Runtime, server: &str, status: CheckStatus, info: &str, ms: u64) {
    let l = &rt.listens[0];
    l.apply_check(
        l.server(server).unwrap(),
        CheckResult::new(status, info, Duration::from_millis(ms)),
    );
}

/// `[["MySQL/Primary","UP"], ...]` as the page shows it now.
fn states(b: &mut Chromium, session: &str) -> Result<Vec<(String, String)>, String> {
    let v = b.eval(
        session,
        "JSON.stringify([...document.querySelectorAll('tr[data-server]')].map(r => [r.dataset.server, r.dataset.state]))",
    )?;
    let text = v.as_str().unwrap_or("[]");
    let rows: Vec<(String, String)> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(rows)
}

fn wait_for_state(b: &mut Chromium, session: &str, server: &str, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = Vec::new();
    while Instant::now() < deadline {
        // Evaluations fail while a refresh replaces the document; try again.
        if let Ok(rows) = states(b, session) {
            if rows.iter().any(|(s, st)| s == server && st == state) {
                return;
            }
            last = rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the page never showed {server} {state}; last seen {last:?}");
}

#[test]
fn page_in_headless_chromium_shows_states_and_disables_on_click() {
    let Some(exe) = chromium() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("chromium is not installed (apt-get install chromium); CI must run this test");
        }
        eprintln!("SKIPPED: chromium not found (apt-get install chromium to run this test)");
        return;
    };
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rt = runtime();
    // Primary failed its checks; Secondary (backup) passes them.
    check(&rt, "Primary", CheckStatus::L4Con, "Connection refused", 1);
    check(&rt, "Secondary", CheckStatus::L4Ok, "", 2);
    let srv = rt.listens[0].server("Secondary").unwrap();
    srv.counters.session_start();
    srv.counters.add_in(48_213);
    srv.counters.add_out(1_327_104);
    let stop = CancellationToken::new();
    let web_cfg = Web {
        bind: ([127, 0, 0, 65], 0).into(),
        refresh: Duration::from_secs(2),
        users: vec![WebUser {
            name: "admin".into(),
            password: "s3cret".into(),
            level: WebLevel::Admin,
        }],
    };
    let server = tokio_rt
        .block_on(web::serve(Arc::clone(&rt), web_cfg, stop.clone()))
        .unwrap();
    let url = format!("http://{}/", server.local_addr);

    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    let profile = std::env::temp_dir().join(format!("sockhop-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut b =
        Chromium::launch(&exe, &profile, &artifacts.join("chromium.log")).expect("chromium starts");

    let target = b
        .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
        .unwrap();
    let attached = b
        .call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        )
        .unwrap();
    let session = attached["sessionId"].as_str().unwrap().to_string();
    let s = Some(session.as_str());
    b.call(s, "Page.enable", json!({})).unwrap();
    b.call(s, "Network.enable", json!({})).unwrap();
    b.call(
        s,
        "Network.setExtraHTTPHeaders",
        json!({ "headers": { "Authorization": ADMIN } }),
    )
    .unwrap();
    b.call(
        s,
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 820, "deviceScaleFactor": 1, "mobile": false }),
    )
    .unwrap();
    b.clear_events();
    b.call(s, "Page.navigate", json!({ "url": url })).unwrap();
    b.wait_event(&session, "Page.loadEventFired", Duration::from_secs(15))
        .unwrap();

    // 1. The page shows the states.
    let rows = states(&mut b, &session).unwrap();
    assert_eq!(
        rows,
        vec![
            ("MySQL/Primary".to_string(), "DOWN".to_string()),
            ("MySQL/Secondary".to_string(), "UP".to_string()),
        ]
    );
    let text = b.eval(&session, "document.body.innerText").unwrap();
    let text = text.as_str().unwrap();
    assert!(
        text.contains("Layer4 connection problem: Connection refused"),
        "{text}"
    );
    assert!(text.contains("data path copy"), "{text}");

    // 2. State changes appear through the auto-refresh: Primary comes back, is drained.
    check(&rt, "Primary", CheckStatus::L4Ok, "", 1);
    check(&rt, "Primary", CheckStatus::L4Ok, "", 1);
    assert_eq!(
        rt.listens[0].server("Primary").unwrap().snapshot().mode(),
        ServerMode::Up
    );
    wait_for_state(&mut b, &session, "MySQL/Primary", "UP");
    let l = &rt.listens[0];
    l.set_admin(l.server("Primary").unwrap(), AdminChange::Drain);
    wait_for_state(&mut b, &session, "MySQL/Primary", "DRAIN");
    l.set_admin(l.server("Primary").unwrap(), AdminChange::Ready);
    wait_for_state(&mut b, &session, "MySQL/Primary", "UP");

    // 3. A real click on "Disable" (mouse events at the button) puts Primary in MAINT.
    b.clear_events();
    b.wait_event(&session, "Page.loadEventFired", Duration::from_secs(10))
        .unwrap();
    let rect = b
        .eval(
            &session,
            "(() => { const r = document.querySelector('tr[data-server=\"MySQL/Primary\"] button[data-action=\"disable\"]').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()",
        )
        .unwrap();
    let (x, y) = (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap());
    for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
        let mut params = json!({ "type": kind, "x": x, "y": y });
        if kind != "mouseMoved" {
            params["button"] = Value::from("left");
            params["clickCount"] = Value::from(1);
        }
        b.call(s, "Input.dispatchMouseEvent", params).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while l.server("Primary").unwrap().snapshot().mode() != ServerMode::Maint {
        assert!(
            Instant::now() < deadline,
            "the click did not put Primary in MAINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_for_state(&mut b, &session, "MySQL/Primary", "MAINT");
    let text = b.eval(&session, "document.body.innerText").unwrap();
    let text = text.as_str().unwrap().to_string();
    assert!(text.contains("MySQL/Primary disabled (MAINT)."), "{text}");
    assert!(text.contains("put in maintenance by an operator"), "{text}");

    // 4. The screenshot.
    let shot = b
        .call(s, "Page.captureScreenshot", json!({ "format": "png" }))
        .unwrap();
    let png = sockhop::web::auth::decode_base64(shot["data"].as_str().unwrap()).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG image");
    let path = artifacts.join("web-status.png");
    std::fs::write(&path, &png).unwrap();
    eprintln!("screenshot: {}", path.display());

    drop(b);
    stop.cancel();
    let _ = tokio_rt.block_on(server.task);
    let _ = std::fs::remove_dir_all(&profile);
}
