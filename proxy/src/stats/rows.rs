//! Builds the `show stat` rows of one listen (FRONTEND, its servers in configuration order,
//! BACKEND) from the runtime state, filling every column that has a meaning for a TCP
//! proxy. Which columns stay empty follows HAProxy 2.8's `stats_fill_{fe,sv,be}_stats` in
//! TCP mode (HTTP, cache, compression-of-responses, agent and queue-limit columns).
//!
//! Timings (BACKEND and server rows): `qtime` is 0 (sockhop never queues), `ctime` and
//! `ttime` are HAProxy-style sliding averages over the last 1024 sessions, `rtime` is 0 as
//! for any TCP proxy (it measures HTTP responses).

use super::csv::{Col, Field, Row, RowKind};
use super::status;
use crate::state::{Counters, ListenState, ServerSnapshot, ServerState};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use tokio::time::Instant;

/// Session and byte columns shared by the three row kinds.
fn traffic(row: &mut Row, c: &Counters, now: Instant) {
    row.set(Col::Scur, Field::u32_sat(c.cur.load(Relaxed)));
    row.set(Col::Smax, Field::u32_sat(c.max.load(Relaxed)));
    row.set(Col::Stot, Field::U64(c.total.load(Relaxed)));
    row.set(Col::Bin, Field::U64(c.bytes_in.load(Relaxed)));
    row.set(Col::Bout, Field::U64(c.bytes_out.load(Relaxed)));
    row.set(Col::Rate, Field::u32_sat(c.rate.rate(now)));
    row.set(Col::RateMax, Field::u32_sat(c.rate.max()));
}

/// Server-side error and connect columns shared by BACKEND and server rows.
fn server_side(row: &mut Row, c: &Counters, now: Instant) {
    row.set(Col::Qcur, Field::U32(0));
    row.set(Col::Qmax, Field::U32(0));
    row.set(Col::Dresp, Field::U64(0));
    row.set(Col::Econ, Field::U64(c.conn_errors.load(Relaxed)));
    row.set(Col::Eresp, Field::U64(c.resp_errors.load(Relaxed)));
    row.set(Col::Wretr, Field::U64(c.retries.load(Relaxed)));
    row.set(Col::Wredis, Field::U64(c.redispatches.load(Relaxed)));
    row.set(Col::Wrew, Field::U64(0));
    row.set(Col::Eint, Field::U64(0));
    row.set(Col::Connect, Field::U64(c.connects.load(Relaxed)));
    row.set(Col::Reuse, Field::U64(0));
    row.set(Col::Lbtot, Field::U64(c.lb_total.load(Relaxed)));
    row.set(Col::CliAbrt, Field::U64(c.cli_aborts.load(Relaxed)));
    row.set(Col::SrvAbrt, Field::U64(c.srv_aborts.load(Relaxed)));
    row.set(Col::Lastsess, Field::S32(last_session(c, now)));
    // sockhop never queues a connection.
    row.set(Col::Qtime, Field::U32(0));
    row.set(Col::QtimeMax, Field::U32(0));
    row.set(Col::Ctime, Field::u32_sat(c.connect_ms.avg()));
    row.set(Col::CtimeMax, Field::u32_sat(c.connect_ms.max()));
    row.set(Col::Rtime, Field::U32(0));
    row.set(Col::RtimeMax, Field::U32(0));
    row.set(Col::Ttime, Field::u32_sat(c.session_ms.avg()));
    row.set(Col::TtimeMax, Field::u32_sat(c.session_ms.max()));
}

/// Seconds since the last session started here, -1 if none ever did.
fn last_session(c: &Counters, now: Instant) -> i32 {
    match *c.last_session.lock().unwrap() {
        Some(t) => secs_i32(now.saturating_duration_since(t).as_secs()),
        None => -1,
    }
}

fn secs_i32(s: u64) -> i32 {
    i32::try_from(s).unwrap_or(i32::MAX)
}

fn names(row: &mut Row, listen: &ListenState, svname: &str) {
    row.set(Col::Pxname, Field::str(listen.name()));
    row.set(Col::Svname, Field::str(svname));
    row.set(Col::Mode, Field::str("tcp"));
}

/// The FRONTEND row.
pub fn frontend(listen: &ListenState, now: Instant) -> Row {
    let c = &listen.frontend;
    let mut row = Row::new(RowKind::Frontend, listen.id, 0);
    names(&mut row, listen, "FRONTEND");
    traffic(&mut row, c, now);
    row.set(Col::Slim, Field::U32(listen.config.maxconn));
    for col in [
        Col::Dreq,
        Col::Dresp,
        Col::Ereq,
        Col::Dcon,
        Col::Dses,
        Col::Wrew,
    ] {
        row.set(col, Field::U64(0));
    }
    row.set(Col::Eint, Field::U64(0));
    row.set(Col::Status, Field::str(status::FRONTEND_STATUS));
    row.set(Col::RateLim, Field::U32(0));
    // One session per connection: connection and session figures are the same.
    row.set(Col::ConnRate, row.get(Col::Rate).clone());
    row.set(Col::ConnRateMax, row.get(Col::RateMax).clone());
    row.set(Col::ConnTot, row.get(Col::Stot).clone());
    row.set(Col::SessOther, row.get(Col::Stot).clone());
    // Not HTTP: no requests, no compressed responses.
    row.set(Col::ReqRate, Field::U32(0));
    row.set(Col::ReqRateMax, Field::U32(0));
    for col in [
        Col::ReqTot,
        Col::CompIn,
        Col::CompOut,
        Col::CompByp,
        Col::CompRsp,
        Col::H1sess,
        Col::H2sess,
        Col::H3sess,
        Col::ReqOther,
        Col::H1req,
        Col::H2req,
        Col::H3req,
    ] {
        row.set(col, Field::U64(0));
    }
    row
}

/// A server row. `legends`: show `addr` (operator and admin levels).
pub fn server(listen: &ListenState, srv: &ServerState, legends: bool, now: Instant) -> Row {
    let s = srv.snapshot();
    let c = &srv.counters;
    let mut row = Row::new(RowKind::Server, listen.id, srv.id);
    names(&mut row, listen, &s.name);
    traffic(&mut row, c, now);
    server_side(&mut row, c, now);
    if let Some(m) = s.maxconn {
        row.set(Col::Slim, Field::U32(m));
    }
    row.set(Col::Status, Field::str(status::server_status(&s)));
    row.set(Col::Weight, Field::U32(s.uweight));
    row.set(Col::Uweight, Field::U32(s.uweight));
    row.set(Col::Act, Field::U32(u32::from(!s.backup)));
    row.set(Col::Bck, Field::U32(u32::from(s.backup)));
    row.set(Col::Lastchg, Field::U32(secs_u32(s.since_change.as_secs())));
    row.set(Col::Srid, Field::U32(0));
    row.set(Col::SrvIcur, Field::U32(0));
    row.set(Col::IdleConnCur, Field::U32(0));
    row.set(Col::SafeConnCur, Field::U32(0));
    row.set(Col::UsedConnCur, Field::u32_sat(c.cur.load(Relaxed)));
    row.set(Col::NeedConnEst, Field::U32(0));
    if s.check_enabled {
        row.set(Col::Chkfail, Field::U64(s.chkfail));
        row.set(Col::Chkdown, Field::U64(s.chkdown));
        row.set(Col::Downtime, Field::U32(secs_u32(s.downtime.as_secs())));
    }
    check_columns(&mut row, &s);
    if legends {
        row.set(Col::Addr, Field::str(addr(s.address)));
    }
    row
}

fn check_columns(row: &mut Row, s: &ServerSnapshot) {
    let Some(check_status) = status::check_status(s) else {
        return;
    };
    let last = &s.last_check;
    row.set(Col::CheckStatus, Field::Str(check_status));
    if status::has_layer7_data(last.status) {
        row.set(Col::CheckCode, Field::U32(last.code.unwrap_or(0)));
    }
    if last.status != crate::state::CheckStatus::Ini {
        row.set(
            Col::CheckDuration,
            Field::U64(u64::try_from(last.duration.as_millis()).unwrap_or(u64::MAX)),
        );
    }
    row.set(Col::CheckDesc, Field::str(last.status.description()));
    row.set(Col::LastChk, Field::str(last.info.as_str()));
    row.set(Col::CheckRise, Field::U32(s.rise));
    row.set(Col::CheckFall, Field::U32(s.fall));
    row.set(Col::CheckHealth, Field::U32(s.health));
}

/// `ip:port`, or `[ip6]:port` as HAProxy prints it.
pub fn addr(a: SocketAddr) -> String {
    a.to_string()
}

fn secs_u32(s: u64) -> u32 {
    u32::try_from(s).unwrap_or(u32::MAX)
}

/// HAProxy's default `fullconn` (the BACKEND `slim`): 10% of the frontend's maxconn,
/// rounded up, at least 1.
fn fullconn(maxconn: u32) -> u32 {
    maxconn.div_ceil(10).max(1)
}

/// The BACKEND row. `counts`: append "(up/total)" to the status (`show stat up|no-maint`).
pub fn backend(listen: &ListenState, legends: bool, counts: bool, now: Instant) -> Row {
    let b = listen.backend_snapshot();
    let c = &listen.backend;
    let mut row = Row::new(RowKind::Backend, listen.id, 0);
    names(&mut row, listen, "BACKEND");
    traffic(&mut row, c, now);
    server_side(&mut row, c, now);
    row.set(Col::Slim, Field::U32(fullconn(listen.config.maxconn)));
    row.set(Col::Dreq, Field::U64(0));
    let counts = counts.then(|| {
        let snaps: Vec<ServerSnapshot> = listen.servers.iter().map(|s| s.snapshot()).collect();
        let up = snaps.iter().filter(|s| s.up && !s.maint()).count() as u32;
        (up, snaps.len() as u32)
    });
    row.set(Col::Status, Field::str(status::backend_status(&b, counts)));
    row.set(Col::Weight, Field::U32(b.weight));
    row.set(Col::Uweight, Field::U32(b.weight));
    row.set(Col::Act, Field::U32(b.act));
    row.set(Col::Bck, Field::U32(b.bck));
    row.set(Col::Chkdown, Field::U64(b.chkdown));
    row.set(Col::Lastchg, Field::U32(secs_u32(b.since_change.as_secs())));
    if !listen.servers.is_empty() {
        row.set(Col::Downtime, Field::U32(secs_u32(b.downtime.as_secs())));
    }
    for col in [Col::CompIn, Col::CompOut, Col::CompByp, Col::CompRsp] {
        row.set(col, Field::U64(0));
    }
    for col in [
        Col::AggServerStatus,
        Col::AggServerCheckStatus,
        Col::AggCheckStatus,
    ] {
        row.set(col, Field::U32(0));
    }
    if legends {
        row.set(Col::Algo, Field::str(listen.config.balance.as_str()));
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_like_haproxy() {
        assert_eq!(addr("127.0.0.1:3306".parse().unwrap()), "127.0.0.1:3306");
        assert_eq!(addr("[::1]:3306".parse().unwrap()), "[::1]:3306");
    }

    #[test]
    fn default_fullconn() {
        assert_eq!(fullconn(4000), 400);
        assert_eq!(fullconn(1), 1);
        assert_eq!(fullconn(0), 1);
    }
}
