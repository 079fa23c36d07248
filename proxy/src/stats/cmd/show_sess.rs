//! `show sess [id|all]`: the live proxied sessions, one line each, in a subset of HAProxy's
//! format (`0x<id>: proto=tcpv4 src=... fe=... be=... srv=... age=...`). The id printed is
//! the one `shutdown session` takes.

use super::Reply;
use crate::state::{Runtime, SessionInfo};
use crate::stats::command::SessTarget;
use tokio::time::Instant;

pub fn run(rt: &Runtime, target: Option<SessTarget>) -> Reply {
    let now = Instant::now();
    match target {
        None | Some(SessTarget::All) => {
            let mut out = String::new();
            for s in rt.sessions() {
                out.push_str(&line(rt, &s, now));
            }
            Reply::ok(out)
        }
        Some(SessTarget::Id(id)) => match rt.session(id) {
            Some(s) => Reply::ok(line(rt, &s, now)),
            None => Reply::error("Session not found.\n"),
        },
    }
}

fn line(rt: &Runtime, s: &SessionInfo, now: Instant) -> String {
    let listen = rt.listens.iter().find(|l| l.id == s.listen);
    let fe = listen.map_or("<NONE>", |l| l.name());
    let srv = s
        .server
        .and_then(|sid| listen.and_then(|l| l.servers.iter().find(|x| x.id == sid)))
        .map_or("<none>", |x| x.name());
    let proto = if s.client.is_ipv4() { "tcpv4" } else { "tcpv6" };
    format!(
        "0x{:x}: proto={proto} src={} fe={fe} be={fe} srv={srv} age={}\n",
        s.id,
        s.client,
        human_time(now.saturating_duration_since(s.started).as_secs())
    )
}

/// HAProxy's `human_time`: the two most significant units, e.g. `1d2h`, `3m4s`, `0s`.
pub fn human_time(t: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;
    let mut out = String::new();
    let mut left = 2;
    if t >= DAY {
        out.push_str(&format!("{}d", t / DAY));
        left -= 1;
    }
    if left > 0 && t % DAY / HOUR > 0 {
        out.push_str(&format!("{}h", t % DAY / HOUR));
        left -= 1;
    }
    if left > 0 && t % HOUR / MINUTE > 0 {
        out.push_str(&format!("{}m", t % HOUR / MINUTE));
        left -= 1;
    }
    if (left > 0 && !t.is_multiple_of(MINUTE)) || t == 0 {
        out.push_str(&format!("{}s", t % MINUTE));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::human_time;

    #[test]
    fn human_times() {
        assert_eq!(human_time(0), "0s");
        assert_eq!(human_time(59), "59s");
        assert_eq!(human_time(61), "1m1s");
        assert_eq!(human_time(3600), "1h");
        assert_eq!(human_time(3661), "1h1m");
        assert_eq!(human_time(90_061), "1d1h");
    }
}
