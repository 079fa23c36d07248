//! sockhop's MySQL check (the library function, not the daemon) against a real MariaDB:
//! the Primary of the shared local pair (`xtask::mariadb`, started for this test on block
//! 114 with `max_connect_errors = 5` and name resolution on, so MariaDB keeps its host
//! cache), stopped by PID when the test ends, even on failure.
//!
//! It shows that the check logs in as a password-less user (L7OK with the server version),
//! reports a refused login as L7STS 1045, and that 50 checks from 127.0.114.2 leave the
//! server's `Aborted_connects` unchanged and the host unblocked (MariaDB exempts only
//! 127.0.0.1 from host blocking). The negative control: 10 bare TCP connect/close from the
//! same source do get the host blocked, and the check then reports L7STS 1129.
//!
//! Needs root, `mariadbd`, `mariadb-install-db` and `mariadb`: without them the test is
//! skipped with a message, except under `CI=true` where that is a failure.

use sockhop::health::{CheckLimits, mysql};
use sockhop::state::{CheckResult, CheckStatus};
use sockhop_tests::bare;
use sockhop_tests::mariadb::{CHECK_USER, Instance, Role};
use sockhop_tests::net::TestNet;
use sockhop_tests::require_prerequisites;
use sockhop_tests::world;
use std::net::IpAddr;
use std::time::{Duration, Instant};

const NET: TestNet = TestNet::new(114);
const MAX_CONNECT_ERRORS: u32 = 5;
const LIMITS: CheckLimits = CheckLimits {
    connect: Duration::from_secs(5),
    after_connect: None,
};

fn sql(db: &Instance, query: &str) -> String {
    db.sql(query)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .trim()
        .to_owned()
}

fn status(db: &Instance, name: &str) -> u64 {
    db.global_status(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// "Aborted connection" warnings about `ip` in the error log.
fn aborted_in_log(db: &Instance, ip: IpAddr) -> Vec<String> {
    std::fs::read_to_string(db.error_log())
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Aborted connection") && l.contains(&ip.to_string()))
        .map(str::to_string)
        .collect()
}

fn check(rt: &tokio::runtime::Runtime, db: &Instance, user: &str) -> CheckResult {
    let source = IpAddr::V4(NET.source());
    rt.block_on(mysql::check(db.addr(), Some(source), user, LIMITS))
}

#[test]
fn mysql_check_against_real_mariadb() {
    require_prerequisites!("mysql_check_against_real_mariadb");
    let pair = world::pair("mysql-check-real", NET, |o| {
        o.max_connect_errors(MAX_CONNECT_ERRORS)
            .skip_name_resolve(false)
    });
    let db = pair.instance(Role::Primary);
    let source = IpAddr::V4(NET.source());
    let version = sql(db, "SELECT VERSION()");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // A password-less user logs in: L7OK, code 0, the greeting's version as info.
    let r = check(&rt, db, CHECK_USER);
    assert_eq!(r.status, CheckStatus::L7Ok, "{r:?}");
    assert_eq!(r.code, Some(0));
    assert!(r.info.ends_with(&version), "{:?} vs {version}", r.info);

    // A user that does not exist: the server's ERR, with its number.
    let r = check(&rt, db, "nosuchuser");
    assert_eq!(r.status, CheckStatus::L7Sts, "{r:?}");
    assert!(matches!(r.code, Some(1045 | 1698)), "{r:?}");
    assert!(
        r.info.contains("Access denied for user 'nosuchuser'"),
        "{r:?}"
    );

    // 50 checks from a source MariaDB may block: nothing counted as aborted.
    let aborted = status(db, "Aborted_connects");
    let aborted_clients = status(db, "Aborted_clients");
    let logged = aborted_in_log(db, source);
    for i in 0..50 {
        let r = check(&rt, db, CHECK_USER);
        assert_eq!(r.status, CheckStatus::L7Ok, "check {i}: {r:?}");
    }
    // The server finishes each logout after our close: give it a moment to count.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        status(db, "Aborted_connects"),
        aborted,
        "Aborted_connects grew"
    );
    assert_eq!(
        status(db, "Aborted_clients"),
        aborted_clients,
        "Aborted_clients grew"
    );
    assert_eq!(aborted_in_log(db, source), logged);
    let r = check(&rt, db, CHECK_USER);
    assert_eq!(
        r.status,
        CheckStatus::L7Ok,
        "host blocked after the checks: {r:?}"
    );

    // Negative control: bare connect/close from the same source gets the host blocked.
    // Wait until the server has counted all of them before checking again (a successful
    // login would clear the host's error count).
    let before = status(db, "Aborted_connects");
    for _ in 0..10 {
        // Once blocked, the server answers with ERR 1129 instead of a greeting: fine here.
        bare::connect_and_close(NET.source(), db.addr())
            .unwrap_or_else(|e| panic!("bare connect: {e}"));
    }
    let until = Instant::now() + Duration::from_secs(10);
    while status(db, "Aborted_connects") < before + 10 {
        assert!(
            Instant::now() < until,
            "the bare connects were not counted as aborted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let blocked = check(&rt, db, CHECK_USER);
    assert_eq!(blocked.status, CheckStatus::L7Sts, "{blocked:?}");
    assert_eq!(blocked.code, Some(1129), "{blocked:?}");
    assert!(
        blocked
            .info
            .starts_with(&format!("Host '{source}' is blocked")),
        "{blocked:?}"
    );
}
