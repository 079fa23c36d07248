//! `show servers state [backend]`: HAProxy's server-state file format (version 1).

use super::Reply;
use crate::state::{ListenState, Runtime, ServerSnapshot};
use crate::stats::status::{check_result_number, check_status_number};

const HEADER: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

/// HAProxy's `CHK_ST_*` bits.
const CHK_ST_INPROGRESS: u8 = 0x01;
const CHK_ST_CONFIGURED: u8 = 0x02;
const CHK_ST_ENABLED: u8 = 0x04;
const CHK_ST_PAUSED: u8 = 0x08;

pub fn run(rt: &Runtime, backend: Option<&str>) -> Reply {
    let listens: Vec<&ListenState> = match backend {
        Some(name) => match rt.listen(name) {
            Some(l) => vec![l.as_ref()],
            None => return Reply::error("Can't find backend.\n"),
        },
        None => rt.listens.iter().map(AsRef::as_ref).collect(),
    };
    let mut out = String::from(HEADER);
    for l in listens {
        for srv in &l.servers {
            out.push_str(&line(l, &srv.snapshot()));
        }
    }
    Reply::ok(out)
}

fn line(l: &ListenState, s: &ServerSnapshot) -> String {
    // A server in maintenance is stopped for HAProxy, whatever its health, and its check
    // health is reset to 0 (HAProxy 2.6 shows `0 ... 0` there; it restarts at rise).
    let op_state = if s.maint() {
        crate::state::OpState::Stopped as u8
    } else {
        s.op_state() as u8
    };
    let mut check_state = 0;
    if s.has_check {
        check_state |= CHK_ST_CONFIGURED;
        if s.check_enabled {
            check_state |= CHK_ST_ENABLED;
        }
        if s.maint() {
            check_state |= CHK_ST_PAUSED;
        }
        if s.check_running {
            check_state |= CHK_ST_INPROGRESS;
        }
    }
    let health = match (s.has_check, s.maint()) {
        (true, true) => 0,
        (true, false) => s.health,
        (false, _) => s.rise,
    };
    format!(
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 0 0 - {} - 0 0 - - 0\n",
        l.id,
        l.name(),
        s.id,
        s.name,
        s.address.ip(),
        op_state,
        s.admin,
        s.uweight,
        s.iweight,
        s.since_change.as_secs(),
        check_status_number(s.last_check.status),
        // HAProxy resets the result to "unknown" (0) when a check starts.
        if s.check_running {
            0
        } else {
            check_result_number(s.last_check.status)
        },
        health,
        check_state,
        s.address.port(),
    )
}
