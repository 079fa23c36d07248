//! Status texts of `show stat`, computed from state snapshots the way HAProxy does
//! (`stats_fill_sv_stats_computestate` and the BACKEND/FRONTEND status rules).

use crate::state::{BackendSnapshot, CheckStatus, ServerSnapshot};

/// The FRONTEND row's status. sockhop listens as long as it runs.
pub const FRONTEND_STATUS: &str = "OPEN";

/// A server's `status` column: `MAINT`, `UP`, `UP 2/3` (failing: (health-rise+1)/fall),
/// `DRAIN`, `DRAIN 2/3`, `DOWN`, `DOWN 1/2` (rising: health/rise) or `no check`.
pub fn server_status(s: &ServerSnapshot) -> String {
    if s.maint() {
        return "MAINT".into();
    }
    if s.up {
        let top = s.rise + s.fall.saturating_sub(1);
        let failing = s.check_enabled && s.health < top;
        let going = || format!("{}/{}", (s.health + 1).saturating_sub(s.rise), s.fall);
        if s.stopping {
            return if failing {
                format!("NOLB {}", going())
            } else {
                "NOLB".into()
            };
        }
        if s.drain() {
            return if failing {
                format!("DRAIN {}", going())
            } else {
                "DRAIN".into()
            };
        }
        if failing {
            return format!("UP {}", going());
        }
        if !s.check_enabled {
            return "no check".into();
        }
        "UP".into()
    } else if s.check_enabled && s.health > 0 {
        format!("DOWN {}/{}", s.health, s.rise)
    } else {
        "DOWN".into()
    }
}

/// Whether the check columns (check_status, check_desc, rise/fall/health, ...) are shown:
/// checks configured and enabled, and not paused by maintenance.
pub fn check_columns_shown(s: &ServerSnapshot) -> bool {
    s.check_enabled && !s.maint()
}

/// `check_status`: the last check's code, prefixed with `* ` while a check is running.
pub fn check_status(s: &ServerSnapshot) -> Option<String> {
    if !check_columns_shown(s) {
        return None;
    }
    let code = s.last_check.status.code();
    Some(if s.check_running {
        format!("* {code}")
    } else {
        code.to_owned()
    })
}

/// Whether a check status carries layer-7 data (HAProxy shows `check_code` only then).
pub fn has_layer7_data(status: CheckStatus) -> bool {
    matches!(status, CheckStatus::L7Ok | CheckStatus::L7Sts)
}

/// The BACKEND row's status: `UP` while at least one server can take traffic (or the
/// backend has no servers), else `DOWN`. With `show stat up|no-maint` HAProxy appends
/// ` (servers not stopped/servers)`.
pub fn backend_status(b: &BackendSnapshot, counts: Option<(u32, u32)>) -> String {
    let mut s = String::from(if b.up { "UP" } else { "DOWN" });
    if let Some((nbup, nbsrv)) = counts {
        s.push_str(&format!(" ({nbup}/{nbsrv})"));
    }
    s
}

/// HAProxy's numeric `check.status` (`enum healthcheck_status`), for `show servers state`.
pub fn check_status_number(status: CheckStatus) -> u8 {
    match status {
        CheckStatus::Ini => 1,
        CheckStatus::SockErr => 5,
        CheckStatus::L4Ok => 6,
        CheckStatus::L4Tout => 7,
        CheckStatus::L4Con => 8,
        CheckStatus::L7Tout => 12,
        CheckStatus::L7Rsp => 13,
        CheckStatus::L7Ok => 15,
        CheckStatus::L7Sts => 17,
    }
}

/// HAProxy's `check.result` (`enum chk_result`): 0 unknown, 2 failed, 3 passed.
pub fn check_result_number(status: CheckStatus) -> u8 {
    match status {
        CheckStatus::Ini => 0,
        s if s.is_success() => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{CheckResult, admin};
    use std::time::Duration;

    fn snap(up: bool, health: u32) -> ServerSnapshot {
        ServerSnapshot {
            id: 1,
            name: "Primary".into(),
            address_text: "127.0.0.1:3306".into(),
            address: "127.0.0.1:3306".parse().unwrap(),
            backup: false,
            admin: 0,
            up,
            has_check: true,
            check_enabled: true,
            check_running: false,
            health,
            rise: 2,
            fall: 3,
            uweight: 1,
            iweight: 1,
            last_check: CheckResult::new(CheckStatus::L7Ok, "", Duration::from_millis(3)),
            last_check_age: None,
            since_change: Duration::ZERO,
            downtime: Duration::ZERO,
            chkfail: 0,
            chkdown: 0,
            maxconn: None,
            usable: up,
            stopping: false,
        }
    }

    #[test]
    fn stopping_is_nolb() {
        let mut s = snap(true, 4);
        s.stopping = true;
        assert_eq!(server_status(&s), "NOLB");
        s.health = 3;
        assert_eq!(server_status(&s), "NOLB 2/3");
        s.admin = admin::FMAINT;
        assert_eq!(server_status(&s), "MAINT");
    }

    #[test]
    fn up_states() {
        assert_eq!(server_status(&snap(true, 4)), "UP");
        // Fresh start / after enable: health = rise.
        assert_eq!(server_status(&snap(true, 2)), "UP 1/3");
        assert_eq!(server_status(&snap(true, 3)), "UP 2/3");
    }

    #[test]
    fn down_states() {
        assert_eq!(server_status(&snap(false, 0)), "DOWN");
        assert_eq!(server_status(&snap(false, 1)), "DOWN 1/2");
    }

    #[test]
    fn admin_states_win() {
        let mut s = snap(true, 4);
        s.admin = admin::FMAINT;
        assert_eq!(server_status(&s), "MAINT");
        s.admin = admin::CMAINT;
        assert_eq!(server_status(&s), "MAINT");
        s.admin = admin::FDRAIN;
        assert_eq!(server_status(&s), "DRAIN");
        s.health = 2;
        assert_eq!(server_status(&s), "DRAIN 1/3");
        s.up = false;
        s.health = 0;
        assert_eq!(server_status(&s), "DOWN");
    }

    #[test]
    fn no_check() {
        let mut s = snap(true, 0);
        s.has_check = false;
        s.check_enabled = false;
        assert_eq!(server_status(&s), "no check");
        assert_eq!(check_status(&s), None);
        // `disable health` on a checked server.
        let mut s = snap(true, 4);
        s.check_enabled = false;
        assert_eq!(server_status(&s), "no check");
    }

    #[test]
    fn check_status_prefix_while_running() {
        let mut s = snap(true, 4);
        assert_eq!(check_status(&s).as_deref(), Some("L7OK"));
        s.check_running = true;
        assert_eq!(check_status(&s).as_deref(), Some("* L7OK"));
        s.admin = admin::FMAINT;
        assert_eq!(check_status(&s), None);
    }

    #[test]
    fn backend() {
        let b = BackendSnapshot {
            up: true,
            act: 1,
            bck: 1,
            weight: 1,
            since_change: Duration::ZERO,
            downtime: Duration::ZERO,
            chkdown: 0,
            failed_over: false,
        };
        assert_eq!(backend_status(&b, None), "UP");
        assert_eq!(backend_status(&b, Some((2, 2))), "UP (2/2)");
        let down = BackendSnapshot { up: false, ..b };
        assert_eq!(backend_status(&down, None), "DOWN");
        assert_eq!(FRONTEND_STATUS, "OPEN");
    }

    #[test]
    fn numeric_check_codes() {
        assert_eq!(check_status_number(CheckStatus::L4Con), 8);
        assert_eq!(check_status_number(CheckStatus::L7Ok), 15);
        assert_eq!(check_result_number(CheckStatus::L4Con), 2);
        assert_eq!(check_result_number(CheckStatus::Ini), 0);
        assert_eq!(check_result_number(CheckStatus::L4Ok), 3);
    }
}
