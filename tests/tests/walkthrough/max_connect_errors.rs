//! `max_connect_errors`: sockhop's MySQL checks log in and quit cleanly, so hundreds of them
//! never get the proxy's host blocked; bare TCP connect/close (what a TCP check does) from
//! the same source does (the negative control: it proves this test can fail).
//!
//! MariaDB never blocks 127.0.0.1, and keeps its host cache only when it resolves names, so
//! sockhop connects from the test's 127.0.n.2 (`source`) and the servers run without
//! `skip-name-resolve`.
//!
//! Runs once, on the copy path: it is about health checks, which never touch a data path,
//! and four copies of it (several hundred checks a second each, every one a connect that
//! must finish within `inter`) load the machine enough to time checks out (seen: 2 aborted
//! connects, in 2 of 14 runs). The application's login from `source` runs on every path in
//! `source.rs`.

use sockhop_tests::bare;
use sockhop_tests::datapath::DataPath;
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::require_prerequisites;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::wait;
use sockhop_tests::world::{LISTEN, World};
use std::time::Duration;

const MAX_CONNECT_ERRORS: u32 = 5;
/// Checks each server must have seen from sockhop.
const CHECKS: u64 = 300;

const NET: TestNet = TestNet::per_path(7, DataPath::Copy);

#[test]
fn hundreds_of_mysql_checks_never_block_the_proxy_host() {
    require_prerequisites!("hundreds_of_mysql_checks_never_block_the_proxy_host");
    let setup = Setup {
        inter: Duration::from_millis(20),
        use_source: true,
        ..Setup::on(DataPath::Copy)
    };
    let w = World::start_with("max_connect_errors", NET, setup, |o| {
        o.max_connect_errors(MAX_CONNECT_ERRORS)
            .skip_name_resolve(false)
    });
    let status = |role: Role, name: &str| {
        w.pair
            .instance(role)
            .global_status(name)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Count the check user's logins exactly (MariaDB's user statistics).
    for role in Role::BOTH {
        w.pair
            .instance(role)
            .sql("SET GLOBAL userstat = 1")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let aborted_before = Role::BOTH.map(|r| status(r, "Aborted_connects"));
    let check_logins = |role: Role| -> u64 {
        w.pair
            .instance(role)
            .sql(
                "SELECT COALESCE(SUM(TOTAL_CONNECTIONS), 0) FROM information_schema.USER_STATISTICS \
                 WHERE USER = 'haproxy'",
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .trim()
            .parse()
            .expect("a count")
    };

    // Several hundred checks on each server, inter 20ms. (A check's connect gets
    // min(timeout_connect, inter), as in HAProxy: a much shorter inter risks a connect timing
    // out on a loaded machine, which MySQL would rightly count as an aborted connect.)
    wait::until(
        w.setup.inter * CHECKS as u32 * 3 + Duration::from_secs(5),
        &format!("{CHECKS} check logins on each server"),
        || {
            let counts = Role::BOTH.map(check_logins);
            if counts.iter().all(|&c| c >= CHECKS) {
                Ok(())
            } else {
                Err(format!("check logins so far: {counts:?}"))
            }
        },
    );
    for (i, role) in Role::BOTH.into_iter().enumerate() {
        assert_eq!(
            status(role, "Aborted_connects"),
            aborted_before[i],
            "sockhop's checks must not count as aborted connects on the {role}"
        );
    }
    // The application still gets in, through sockhop, from the proxy's source address.
    let user = w
        .via_proxy("SELECT USER()")
        .unwrap_or_else(|e| panic!("the application cannot connect through sockhop: {e}"));
    assert_eq!(user.trim(), format!("application@{}", NET.source()));
    assert_eq!(w.sockhop.show_stat().status(LISTEN, "Primary"), Some("UP"));

    // Negative control: bare connect/close from the same source gets the host blocked.
    // Bursts of back-to-back attempts, so no successful check login (which resets the
    // host's error count) falls between them.
    let primary = w.pair.primary().addr();
    let mut attempts = 0u32;
    wait::until(
        Duration::from_secs(10),
        "bare TCP connects from the proxy's source to get error 1129",
        || {
            let mut seen = String::new();
            for _ in 0..4 * MAX_CONNECT_ERRORS {
                attempts += 1;
                match bare::connect_and_close(NET.source(), primary) {
                    Ok(Some(1129)) => return Ok(()),
                    Ok(code) => seen = format!("attempt {attempts}: ERR code {code:?}"),
                    Err(e) => seen = format!("attempt {attempts}: {e}"),
                }
            }
            Err(seen)
        },
    );
    assert!(
        attempts > MAX_CONNECT_ERRORS,
        "blocked after {attempts} bare connects, max_connect_errors is {MAX_CONNECT_ERRORS}"
    );
    assert!(
        status(Role::Primary, "Aborted_connects")
            >= aborted_before[0] + u64::from(MAX_CONNECT_ERRORS)
    );
    // sockhop's checks come from that same source: they now fail with error 1129.
    w.wait_status(Role::Primary, "DOWN", w.transition_bound(w.setup.fall));
    let (table, _) = wait::until(
        Duration::from_secs(5),
        "the Primary's check to report code 1129",
        || {
            let table = w.sockhop.show_stat();
            let field = |name| {
                table
                    .field(LISTEN, "Primary", name)
                    .unwrap_or("")
                    .to_string()
            };
            if field("check_code") == "1129" {
                Ok(table)
            } else {
                Err(format!(
                    "status {}, check_status {}, check_code {}",
                    field("status"),
                    field("check_status"),
                    field("check_code")
                ))
            }
        },
    );
    assert_eq!(
        table.status(LISTEN, "Secondary"),
        Some("UP"),
        "{}",
        table.csv
    );
    w.assert_sessions_carried();
}
