//! HAProxy 2.6 as the oracle: the same configuration, the same MariaDB pair, the same steps;
//! every `show stat` column both have, every `show servers state` field and the replies to
//! bad commands must agree, except the differences listed in [`STAT_ALLOWED`],
//! [`STATE_ALLOWED`] and [`ERRORS_ALLOWED`], each documented in docs/stats-socket.md.

use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::require_prerequisites;
use sockhop_tests::sockhop::{Proxy, Setup, Sockhop};
use sockhop_tests::stats::StatTable;
use sockhop_tests::wait;
use sockhop_tests::world::{self, LISTEN};
use std::collections::BTreeMap;
use std::time::Duration;

/// How a `show stat` column may differ between HAProxy and sockhop.
#[derive(Debug, Clone, Copy)]
enum Allowed {
    /// Seconds or milliseconds measured by each process on its own: equal within this much.
    Within(u64),
    /// A latency each process measures on its own: both numbers, or both empty.
    Measured,
    /// A deliberate difference, documented in docs/stats-socket.md (the reason is shown).
    Deliberate(&'static str),
    /// Equal once both values are normalized: the processes check on their own schedules,
    /// so one may be in the middle of a check when the other is not.
    CheckRace(fn(&str) -> String),
}

/// `* L7OK` (a check is running) is `L7OK`.
fn running_prefix(v: &str) -> String {
    v.trim_start_matches("* ").to_owned()
}

/// `srv_check_state` without the CHK_ST_INPROGRESS bit.
fn without_in_progress(v: &str) -> String {
    v.parse::<u32>()
        .map_or_else(|_| v.to_owned(), |n| (n & !1).to_string())
}

/// `srv_check_result`: 0 (unknown) while a check runs, so 0 matches anything.
fn unknown_while_running(v: &str) -> String {
    if v == "0" {
        String::new()
    } else {
        v.to_owned()
    }
}

/// The `show stat` columns that may differ, and why.
const STAT_ALLOWED: &[(&str, Allowed)] = &[
    // Each process keeps its own clock and check timing.
    ("lastchg", Allowed::Within(2)),
    ("downtime", Allowed::Within(2)),
    ("check_duration", Allowed::Measured),
    ("check_status", Allowed::CheckRace(running_prefix)),
    (
        "iid",
        Allowed::Deliberate("listens are numbered from 1; HAProxy counts its internal proxies"),
    ),
    (
        "last_chk",
        Allowed::Deliberate("sockhop keeps the server version of a passed MySQL check"),
    ),
    (
        "need_conn_est",
        Allowed::Deliberate("HAProxy's estimate for its idle-connection pool; sockhop has none"),
    ),
];

/// The `show servers state` fields that may differ, and why.
const STATE_ALLOWED: &[(&str, Allowed)] = &[
    ("srv_time_since_last_change", Allowed::Within(2)),
    ("srv_check_state", Allowed::CheckRace(without_in_progress)),
    (
        "srv_check_result",
        Allowed::CheckRace(unknown_while_running),
    ),
    (
        "be_id",
        Allowed::Deliberate("the listen's `iid`, numbered from 1 (see iid)"),
    ),
];

/// Bad commands whose replies may differ, and why.
/// `(command, text the docs mention it by, reason)`.
const ERRORS_ALLOWED: &[(&str, &str, &str)] = &[(
    "set weight MySQL/Primary abc",
    "Empty weight string",
    "HAProxy ends this reply without the empty line every other reply has; sockhop adds it",
)];

/// Bad commands: both must answer the same (except [`ERRORS_ALLOWED`]).
const BAD_COMMANDS: &[&str] = &[
    "disable server MySQL/Nope",
    "disable server Nope/Primary",
    "disable server MySQL",
    "enable server",
    "set server MySQL/Primary state bogus",
    "set server MySQL/Nope state drain",
    "set weight MySQL/Primary",
    "set weight MySQL/Primary abc",
    "set weight MySQL/Primary 300",
    "set weight MySQL/Primary -1",
    "get weight MySQL/Nope",
    "get weight MySQL",
    "set server MySQL/Primary health bogus",
    "show servers state Nope",
    "show stat Nope 4 -1",
    "shutdown sessions server MySQL/Nope",
    "set timeout cli 0",
    "set timeout cli abc",
    "clear counters bogus",
];

/// HAProxy and sockhop, each with its own stats socket, both in front of one pair.
struct Both {
    haproxy: Sockhop,
    sockhop: Sockhop,
}

impl Both {
    fn each(&self) -> [(&'static str, &Sockhop); 2] {
        [("haproxy", &self.haproxy), ("sockhop", &self.sockhop)]
    }

    /// Sends `command` to both; both must answer exactly `want`.
    fn admin(&self, command: &str, want: &str) {
        for (name, p) in self.each() {
            assert_eq!(p.command(command), want, "{name}: {command}");
        }
    }

    /// Waits until both show `status` for `role`.
    fn wait_status(&self, role: Role, status: &str, timeout: Duration) {
        for (name, p) in self.each() {
            wait::until(timeout, &format!("{name}: {role} {status}"), || {
                let t = p.show_stat();
                match t.status(LISTEN, role.name()) {
                    Some(s) if s == status => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            });
        }
    }
}

/// Splits `show stat` into rows keyed by `(pxname, svname)`, each a map of column values;
/// only the columns both headers have are kept.
fn rows(t: &StatTable, columns: &[String]) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for line in t.csv.lines().skip(1).filter(|l| !l.is_empty()) {
        let cells = sockhop::ctl::split_csv(line);
        let px = cells.first().cloned().unwrap_or_default();
        let sv = cells.get(1).cloned().unwrap_or_default();
        let header = header(&t.csv);
        let row: BTreeMap<String, String> = header
            .iter()
            .zip(cells)
            .filter(|(n, _)| columns.contains(n))
            .map(|(n, v)| (n.clone(), v))
            .collect();
        out.insert((px, sv), row);
    }
    out
}

fn header(csv: &str) -> Vec<String> {
    csv.lines()
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .map(sockhop::ctl::split_csv)
        .unwrap_or_default()
}

/// Whether `a` and `b` are acceptable for a column with `allowed`.
fn acceptable(a: &str, b: &str, allowed: Option<Allowed>) -> bool {
    match allowed {
        None => a == b,
        Some(Allowed::Deliberate(_)) => true,
        Some(Allowed::Measured) => {
            (a.is_empty() && b.is_empty()) || (a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok())
        }
        Some(Allowed::CheckRace(norm)) => {
            // An empty normal form of a non-empty value matches anything ("unknown").
            let (x, y) = (norm(a), norm(b));
            x == y || (x.is_empty() && !a.is_empty()) || (y.is_empty() && !b.is_empty())
        }
        Some(Allowed::Within(n)) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.abs_diff(y) <= n,
            _ => a == b,
        },
    }
}

fn allowance(list: &[(&str, Allowed)], column: &str) -> Option<Allowed> {
    list.iter().find(|(c, _)| *c == column).map(|(_, a)| *a)
}

/// Compares `show stat` of both, column by column; returns the differences.
fn compare_stat(step: &str, both: &Both) -> Vec<String> {
    let h = both.haproxy.show_stat();
    let s = both.sockhop.show_stat();
    let (hh, sh) = (header(&h.csv), header(&s.csv));
    let common: Vec<String> = hh
        .iter()
        .filter(|c| !c.is_empty() && sh.contains(c))
        .cloned()
        .collect();
    assert!(common.len() >= 90, "only {} common columns", common.len());
    let (hr, sr) = (rows(&h, &common), rows(&s, &common));
    let mut diffs = Vec::new();
    let keys: Vec<_> = hr.keys().chain(sr.keys()).cloned().collect();
    for key in keys {
        let (Some(a), Some(b)) = (hr.get(&key), sr.get(&key)) else {
            diffs.push(format!("{step}: row {key:?} only in one of them"));
            continue;
        };
        for c in &common {
            let (x, y) = (
                a.get(c).map_or("", String::as_str),
                b.get(c).map_or("", String::as_str),
            );
            if !acceptable(x, y, allowance(STAT_ALLOWED, c)) {
                diffs.push(format!(
                    "{step}: {}/{} {c}: haproxy {x:?}, sockhop {y:?}",
                    key.0, key.1
                ));
            }
        }
    }
    diffs.sort();
    diffs.dedup();
    diffs
}

/// `show servers state` field names (from its `#` header) and each server's values.
fn servers_state(reply: &str) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut lines = reply.lines();
    let version = lines.next().unwrap_or_default();
    assert_eq!(version, "1", "servers state format version: {reply}");
    let names: Vec<String> = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .unwrap_or_else(|| panic!("no field header in {reply:?}"))
        .split(' ')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<String> = l.split(' ').map(str::to_owned).collect();
            (f.get(3).cloned().unwrap_or_default(), f)
        })
        .collect();
    (names, rows)
}

fn compare_servers_state(step: &str, both: &Both) -> Vec<String> {
    let (hn, hr) = servers_state(&both.haproxy.command("show servers state"));
    let (sn, sr) = servers_state(&both.sockhop.command("show servers state"));
    let mut diffs = Vec::new();
    if hn != sn {
        diffs.push(format!("{step}: header: haproxy {hn:?}, sockhop {sn:?}"));
        return diffs;
    }
    for (server, a) in &hr {
        let Some(b) = sr.get(server) else {
            diffs.push(format!("{step}: server {server} missing in sockhop"));
            continue;
        };
        for (i, name) in hn.iter().enumerate() {
            let (x, y) = (
                a.get(i).map_or("", String::as_str),
                b.get(i).map_or("", String::as_str),
            );
            if !acceptable(x, y, allowance(STATE_ALLOWED, name)) {
                diffs.push(format!(
                    "{step}: {server} {name}: haproxy {x:?}, sockhop {y:?}"
                ));
            }
        }
    }
    diffs
}

fn compare(step: &str, both: &Both, diffs: &mut Vec<String>) {
    diffs.extend(compare_stat(step, both));
    diffs.extend(compare_servers_state(step, both));
}

#[test]
fn sockhop_answers_as_haproxy_does() {
    require_prerequisites!("sockhop_answers_as_haproxy_does", ["haproxy"]);
    let net = TestNet::new(110);
    // Built before either proxy starts, so both start within the `lastchg` tolerance.
    sockhop_tests::sockhop::binary();
    let mut pair = world::pair("compat-oracle", net, |o| o);
    let setup = Setup::default();
    let hdir = pair.dir().join("haproxy");
    Sockhop::clean(&hdir);
    let haproxy = Sockhop::start_as(&hdir, net, &setup, Proxy::Haproxy);
    let sockhop_setup = Setup {
        bind: Some(format!("127.0.{}.3:3306", net.block).parse().unwrap()),
        ..setup.clone()
    };
    let sockhop = Sockhop::start_as(
        &Sockhop::dir_for(pair.dir()),
        net,
        &sockhop_setup,
        Proxy::Sockhop,
    );
    let both = Both { haproxy, sockhop };
    let rise = setup.inter * setup.rise + Duration::from_millis(1500);
    let fall = setup.inter * setup.fall + Duration::from_millis(1500);
    let mut diffs = Vec::new();

    // Start, settled.
    for role in Role::BOTH {
        both.wait_status(role, "UP", rise);
    }
    compare("settled", &both, &mut diffs);

    // The Primary's mariadbd stops, then returns.
    pair.stop(Role::Primary).unwrap_or_else(|e| panic!("{e}"));
    both.wait_status(Role::Primary, "DOWN", fall);
    // Let a few more failed checks pass in both.
    std::thread::sleep(setup.inter * 3);
    compare("primary down", &both, &mut diffs);
    pair.start_again(Role::Primary)
        .unwrap_or_else(|e| panic!("{e}"));
    both.wait_status(Role::Primary, "UP", rise);
    compare("primary back", &both, &mut diffs);

    // Admin steps.
    both.admin("disable server MySQL/Primary", "\n");
    both.wait_status(Role::Primary, "MAINT", Duration::from_secs(2));
    compare("maint", &both, &mut diffs);
    both.admin("enable server MySQL/Primary", "\n");
    both.wait_status(Role::Primary, "UP", rise);
    both.admin("set server MySQL/Primary state drain", "\n");
    both.wait_status(Role::Primary, "DRAIN", Duration::from_secs(2));
    compare("drain", &both, &mut diffs);
    both.admin("set server MySQL/Primary state ready", "\n");
    both.wait_status(Role::Primary, "UP", rise);
    both.admin("set weight MySQL/Primary 50", "\n");
    both.admin("set server MySQL/Secondary weight 20%", "\n");
    compare("weights", &both, &mut diffs);
    let gw: Vec<String> = both
        .each()
        .iter()
        .map(|(_, p)| p.command("get weight MySQL/Primary"))
        .collect();
    if gw[0] != gw[1] {
        diffs.push(format!(
            "get weight: haproxy {:?}, sockhop {:?}",
            gw[0], gw[1]
        ));
    }

    // Bad commands.
    for cmd in BAD_COMMANDS {
        let h = both.haproxy.command(cmd);
        let s = both.sockhop.command(cmd);
        if h != s && !ERRORS_ALLOWED.iter().any(|(c, _, _)| c == cmd) {
            diffs.push(format!("`{cmd}`: haproxy {h:?}, sockhop {s:?}"));
        }
    }

    assert!(
        diffs.is_empty(),
        "{} differences from HAProxy not in the allow-lists:\n{}\n\nallowed:\n{}",
        diffs.len(),
        diffs.join("\n"),
        allowed_summary()
    );
}

fn allowed_summary() -> String {
    let mut out = Vec::new();
    for (c, a) in STAT_ALLOWED.iter().chain(STATE_ALLOWED) {
        out.push(match a {
            Allowed::Within(n) => format!("  {c}: within {n}"),
            Allowed::Measured => format!("  {c}: measured by each, both numbers"),
            Allowed::Deliberate(why) => format!("  {c}: {why}"),
            Allowed::CheckRace(_) => format!("  {c}: equal unless a check is running in one"),
        });
    }
    for (cmd, _, why) in ERRORS_ALLOWED {
        out.push(format!("  `{cmd}`: {why}"));
    }
    out.join("\n")
}

/// Every deliberate difference is written down in docs/stats-socket.md.
#[test]
fn every_allowed_difference_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/stats-socket.md"),
    )
    .unwrap();
    let section = doc
        .split("## Deliberate differences from HAProxy")
        .nth(1)
        .expect("docs/stats-socket.md has a 'Deliberate differences' section");
    let mut undocumented = Vec::new();
    for (c, a) in STAT_ALLOWED.iter().chain(STATE_ALLOWED) {
        if matches!(a, Allowed::Deliberate(_)) && !section.contains(&format!("`{c}`")) {
            undocumented.push(c.to_string());
        }
    }
    for (cmd, needle, _) in ERRORS_ALLOWED {
        if !section.contains(needle) {
            undocumented.push(cmd.to_string());
        }
    }
    assert!(
        undocumented.is_empty(),
        "allowed differences missing from the 'Deliberate differences' section of \
         docs/stats-socket.md: {undocumented:?}"
    );
}
