//! Selection, failover and admin-state tests over hand-built configurations (no sockets).

use super::*;
use crate::config::{self, CheckKind, Failback, OnMarkedDown, OnMarkedUp};
use std::time::Duration;

fn server(name: &str, port: u16, backup: bool) -> config::Server {
    let addr = ([127, 0, 0, 1], port).into();
    config::testing::server(name, addr, backup, Some(CheckKind::Tcp))
}

pub(crate) fn listen(servers: Vec<config::Server>) -> config::Listen {
    config::testing::listen("MySQL", servers)
}

fn fail(l: &ListenState, name: &str, times: usize) {
    let s = l.server(name).unwrap();
    for _ in 0..times {
        l.apply_check(
            s,
            CheckResult::new(CheckStatus::L4Con, "Connection refused", Duration::ZERO),
        );
    }
}

fn succeed(l: &ListenState, name: &str, times: usize) {
    let s = l.server(name).unwrap();
    for _ in 0..times {
        l.apply_check(s, CheckResult::new(CheckStatus::L4Ok, "", Duration::ZERO));
    }
}

fn picks(l: &ListenState, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| l.pick(&[]).map_or("-".into(), |s| s.name().to_string()))
        .collect()
}

#[tokio::test]
async fn actives_alternate_and_backup_waits() {
    let l = ListenState::new(
        1,
        listen(vec![
            server("A", 1, false),
            server("B", 2, false),
            server("C", 3, true),
        ]),
    );
    assert_eq!(picks(&l, 4), ["A", "B", "A", "B"]);
    assert_eq!(l.usable_counts(), (2, 1));
}

#[tokio::test]
async fn backup_takes_over_when_no_active_is_usable_and_fails_back() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false), server("S", 2, true)]));
    assert_eq!(picks(&l, 2), ["P", "P"]);
    fail(&l, "P", 1); // starts at health = rise: one failure marks it DOWN
    assert_eq!(l.usable_counts(), (0, 1));
    assert_eq!(picks(&l, 2), ["S", "S"]);
    succeed(&l, "P", 2);
    assert_eq!(picks(&l, 2), ["P", "P"]);
}

#[tokio::test]
async fn only_first_backup_unless_allbackups() {
    let mut cfg = listen(vec![
        server("P", 1, false),
        server("S1", 2, true),
        server("S2", 3, true),
    ]);
    let l = ListenState::new(1, cfg.clone());
    fail(&l, "P", 1);
    assert_eq!(picks(&l, 3), ["S1", "S1", "S1"]);
    cfg.allbackups = true;
    let l = ListenState::new(1, cfg);
    fail(&l, "P", 1);
    assert_eq!(picks(&l, 4), ["S1", "S2", "S1", "S2"]);
}

#[tokio::test]
async fn exclusion_redispatches_to_backup() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false), server("S", 2, true)]));
    let p = l.server("P").unwrap().id;
    assert_eq!(l.pick(&[p]).unwrap().name(), "S");
    let s = l.server("S").unwrap().id;
    assert!(l.pick(&[p, s]).is_none());
}

#[tokio::test]
async fn maint_is_admin_not_health() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false), server("S", 2, true)]));
    let p = l.server("P").unwrap();
    l.set_admin(p, AdminChange::Maint);
    let snap = p.snapshot();
    assert!(snap.maint());
    assert!(snap.up, "health is untouched by maintenance");
    assert!(!p.checks_active());
    assert_eq!(picks(&l, 2), ["S", "S"]);
    l.set_admin(p, AdminChange::Ready);
    let snap = p.snapshot();
    assert!(!snap.maint());
    assert_eq!(snap.health, 2, "leaving MAINT restarts at health = rise");
    assert_eq!(picks(&l, 1), ["P"]);
}

/// As HAProxy 2.6: MAINT from a running server is a DOWN transition (chkdown), and failed
/// checks are counted only while health > 0 (not those of a server already fully DOWN).
#[tokio::test]
async fn check_counters_as_haproxy_counts_them() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false), server("S", 2, true)]));
    let p = l.server("P").unwrap();
    l.set_admin(p, AdminChange::Maint);
    assert_eq!(p.snapshot().chkdown, 1);
    l.set_admin(p, AdminChange::Maint);
    assert_eq!(p.snapshot().chkdown, 1, "already in MAINT");
    l.set_admin(p, AdminChange::Ready);
    fail(&l, "P", 1);
    let snap = p.snapshot();
    assert_eq!((snap.chkfail, snap.chkdown), (1, 2));
    fail(&l, "P", 5);
    assert_eq!(
        p.snapshot().chkfail,
        1,
        "failures while fully DOWN are not counted"
    );
    l.set_admin(p, AdminChange::Maint);
    assert_eq!(
        p.snapshot().chkdown,
        2,
        "a DOWN server entering MAINT is no transition"
    );
}

#[tokio::test]
async fn drain_and_weight_zero_take_no_new_sessions() {
    let l = ListenState::new(
        1,
        listen(vec![server("A", 1, false), server("B", 2, false)]),
    );
    l.set_admin(l.server("A").unwrap(), AdminChange::Drain);
    assert_eq!(picks(&l, 2), ["B", "B"]);
    l.set_admin(l.server("A").unwrap(), AdminChange::Ready);
    l.set_weight(l.server("B").unwrap(), 0);
    assert_eq!(picks(&l, 2), ["A", "A"]);
}

#[tokio::test]
async fn manual_failback_holds_traffic_on_backup_until_ready() {
    let mut cfg = listen(vec![server("P", 1, false), server("S", 2, true)]);
    cfg.failback = Failback::Manual;
    let l = ListenState::new(1, cfg);
    fail(&l, "P", 1);
    assert_eq!(picks(&l, 1), ["S"]);
    assert!(l.failed_over());
    succeed(&l, "P", 2);
    assert!(l.server("P").unwrap().is_usable());
    assert_eq!(picks(&l, 3), ["S", "S", "S"]);
    l.set_admin(l.server("P").unwrap(), AdminChange::Ready);
    assert!(!l.failed_over());
    assert_eq!(picks(&l, 2), ["P", "P"]);
}

#[tokio::test]
async fn manual_failback_falls_back_to_actives_when_backups_die() {
    let mut cfg = listen(vec![server("P", 1, false), server("S", 2, true)]);
    cfg.failback = Failback::Manual;
    let l = ListenState::new(1, cfg);
    fail(&l, "P", 1);
    succeed(&l, "P", 2);
    fail(&l, "S", 1);
    assert_eq!(picks(&l, 1), ["P"], "a held failover never refuses clients");
}

#[tokio::test]
async fn marked_down_shuts_sessions_when_configured() {
    let mut cfg = listen(vec![server("P", 1, false), server("S", 2, true)]);
    cfg.on_marked_down = OnMarkedDown::ShutdownSessions;
    cfg.on_marked_up = OnMarkedUp::ShutdownBackupSessions;
    let l = ListenState::new(1, cfg);
    let p_token = tokio_util::sync::CancellationToken::new();
    l.server("P").unwrap().register_session(1, p_token.clone());
    fail(&l, "P", 1);
    assert!(p_token.is_cancelled());
    let s_token = tokio_util::sync::CancellationToken::new();
    l.server("S").unwrap().register_session(2, s_token.clone());
    succeed(&l, "P", 2);
    assert!(
        s_token.is_cancelled(),
        "an active server back UP closes backup sessions"
    );
}

#[tokio::test]
async fn backend_health_and_downtime() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false)]));
    assert!(l.backend_snapshot().up);
    fail(&l, "P", 1);
    let b = l.backend_snapshot();
    assert!(!b.up);
    assert_eq!((b.act, b.bck, b.chkdown), (0, 0, 1));
    let p = l.server("P").unwrap().snapshot();
    assert_eq!((p.chkfail, p.chkdown), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn downtime_accumulates_on_the_injected_clock() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false)]));
    fail(&l, "P", 1);
    tokio::time::advance(Duration::from_secs(7)).await;
    succeed(&l, "P", 2);
    tokio::time::advance(Duration::from_secs(3)).await;
    let p = l.server("P").unwrap().snapshot();
    assert_eq!(p.downtime.as_secs(), 7);
    assert_eq!(p.since_change.as_secs(), 3);
    assert_eq!(l.backend_snapshot().downtime.as_secs(), 7);
}

#[tokio::test]
async fn history_records_check_admin_and_forced_changes() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false)]));
    let p = l.server("P").unwrap();
    assert!(p.history().is_empty());
    fail(&l, "P", 1);
    l.set_admin(p, AdminChange::Maint);
    l.set_admin(p, AdminChange::Maint);
    l.set_admin(p, AdminChange::Ready);
    l.set_admin(p, AdminChange::Drain);
    l.force_health(p, ForcedHealth::Down);
    let h: Vec<(ServerMode, ServerMode)> = p.history().iter().map(|c| (c.from, c.to)).collect();
    assert_eq!(
        h,
        vec![
            (ServerMode::Up, ServerMode::Down),
            (ServerMode::Down, ServerMode::Maint),
            (ServerMode::Maint, ServerMode::Up),
            (ServerMode::Up, ServerMode::Drain),
            (ServerMode::Drain, ServerMode::Down),
        ]
    );
    assert_eq!(
        p.history()[0].reason,
        "Layer4 connection problem: Connection refused"
    );
    assert_eq!(p.history()[1].reason, "put in maintenance by an operator");
    assert_eq!(p.check_latency().count, 1);
}

#[tokio::test]
async fn mode_is_maint_then_down_then_drain() {
    let l = ListenState::new(1, listen(vec![server("P", 1, false)]));
    let p = l.server("P").unwrap();
    assert_eq!(p.snapshot().mode(), ServerMode::Up);
    l.set_admin(p, AdminChange::Drain);
    assert_eq!(p.snapshot().mode(), ServerMode::Drain);
    fail(&l, "P", 3);
    assert_eq!(
        p.snapshot().mode(),
        ServerMode::Down,
        "DOWN wins over DRAIN"
    );
    l.set_admin(p, AdminChange::Maint);
    assert_eq!(
        p.snapshot().mode(),
        ServerMode::Maint,
        "MAINT wins over all"
    );
    assert_eq!(ServerMode::Maint.as_str(), "MAINT");
}

#[tokio::test]
async fn forced_stopping_is_nolb_until_the_next_passed_check() {
    let l = ListenState::new(
        1,
        listen(vec![server("A", 1, false), server("B", 2, false)]),
    );
    let a = l.server("A").unwrap();
    succeed(&l, "A", 1);
    l.force_health(a, ForcedHealth::Stopping);
    let snap = a.snapshot();
    assert_eq!(snap.mode(), ServerMode::Nolb);
    assert_eq!(snap.op_state(), OpState::Stopping);
    assert!(snap.up && !snap.usable);
    assert_eq!(
        picks(&l, 3),
        ["B", "B", "B"],
        "no new sessions while stopping"
    );
    succeed(&l, "A", 1);
    assert_eq!(
        a.snapshot().mode(),
        ServerMode::Up,
        "a passed check ends NOLB"
    );
    assert!(a.is_usable());
    l.force_health(a, ForcedHealth::Stopping);
    fail(&l, "A", 3);
    assert_eq!(a.snapshot().mode(), ServerMode::Down);
    succeed(&l, "A", 2);
    assert_eq!(
        a.snapshot().mode(),
        ServerMode::Up,
        "going DOWN ended NOLB for good"
    );
}
