//! `/metrics`: Prometheus text exposition format 0.0.4.
//!
//! Names, labels (`proxy`, `server`, `state`) and conventions follow HAProxy's built-in
//! exporter (`prometheus-exporter` service, HAProxy 2.6) for the facts sockhop has, so
//! dashboards and alerts written for HAProxy keep working; `sockhop_*` metrics add what
//! HAProxy does not have (the data path of each listen, a histogram of check durations).
//! Servers without a check get no check metrics (HAProxy prints `NaN` there).

use crate::state::{CheckStatus, ListenState, Runtime, ServerMode, ServerSnapshot, ServerState};
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::time::UNIX_EPOCH;

/// The `Content-Type` of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `state` label values of `haproxy_*_status`, in HAProxy's order.
const SERVER_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];

/// `state` label values of `haproxy_server_check_status`, in HAProxy's order.
const CHECK_STATES: [&str; 16] = [
    "HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP",
    "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK",
];

type Labels = Vec<(&'static str, String)>;

/// One metric family being written: HELP and TYPE once, then its samples.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
    started: bool,
    help: &'static str,
    kind: &'static str,
}

impl Family<'_> {
    fn sample(&mut self, suffix: &str, labels: &[(&str, String)], value: impl std::fmt::Display) {
        if !self.started {
            let _ = writeln!(self.out, "# HELP {} {}", self.name, escape_help(self.help));
            let _ = writeln!(self.out, "# TYPE {} {}", self.name, self.kind);
            self.started = true;
        }
        self.out.push_str(self.name);
        self.out.push_str(suffix);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

fn family<'a>(
    out: &'a mut String,
    name: &'static str,
    kind: &'static str,
    help: &'static str,
) -> Family<'a> {
    Family {
        out,
        name,
        started: false,
        help,
        kind,
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Escapes HELP text: backslash and line feed.
pub fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn proxy(l: &ListenState) -> Labels {
    vec![("proxy", l.name().to_string())]
}

fn server_labels(l: &ListenState, s: &ServerState) -> Labels {
    vec![
        ("proxy", l.name().to_string()),
        ("server", s.name().to_string()),
    ]
}

/// A per-listen metric from a closure.
fn per_listen(
    out: &mut String,
    rt: &Runtime,
    (name, kind, help): (&'static str, &'static str, &'static str),
    value: impl Fn(&ListenState) -> u64,
) {
    let mut f = family(out, name, kind, help);
    for l in &rt.listens {
        f.sample("", &proxy(l), value(l));
    }
}

/// A per-server metric from a closure over the server and its snapshot; `None` skips it.
fn per_server(
    out: &mut String,
    servers: &[(&ListenState, &ServerState, ServerSnapshot)],
    (name, kind, help): (&'static str, &'static str, &'static str),
    value: impl Fn(&ServerState, &ServerSnapshot) -> Option<String>,
) {
    let mut f = family(out, name, kind, help);
    for (l, s, snap) in servers {
        if let Some(v) = value(s, snap) {
            f.sample("", &server_labels(l, s), v);
        }
    }
}

const CUR: &str = "Number of current sessions on the frontend, backend or server";
const MAX: &str = "Highest value of current sessions encountered since process started";
const TOT: &str = "Total number of sessions since process started";
const BIN: &str = "Total number of request bytes since process started";
const BOUT: &str = "Total number of response bytes since process started";
const STATUS: &str = "Current status of the service, per state label value.";
const WEIGHT: &str =
    "Server's effective weight, or sum of active servers' effective weights for a backend";
const UPDOWN: &str = "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started";
const LASTCHG: &str = "How long ago the last server state changed, in seconds";
const DOWNTIME: &str = "Total time spent in DOWN state, for server or backend";
const LBTOT: &str = "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)";
const ECON: &str = "Total number of failed connections to server since the worker process started";

/// Renders every metric.
pub fn render(rt: &Runtime) -> String {
    let mut out = String::with_capacity(16 * 1024);
    process(&mut out, rt);
    frontend(&mut out, rt);
    backend(&mut out, rt);
    let servers: Vec<(&ListenState, &ServerState, ServerSnapshot)> = rt
        .listens
        .iter()
        .flat_map(|l| l.servers.iter().map(move |s| (&**l, &**s, s.snapshot())))
        .collect();
    server(&mut out, &servers);
    sockhop(&mut out, rt, &servers);
    out
}

fn process(out: &mut String, rt: &Runtime) {
    let uptime = rt.started.elapsed().as_secs();
    let start = rt
        .started_wall
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let rows: [(&'static str, &'static str, &'static str, u64); 5] = [
        (
            "haproxy_process_uptime_seconds",
            "gauge",
            "How long ago this worker process was started (seconds)",
            uptime,
        ),
        (
            "haproxy_process_start_time_seconds",
            "gauge",
            "Start time in seconds",
            start,
        ),
        (
            "haproxy_process_max_connections",
            "gauge",
            "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)",
            u64::from(rt.config.global.maxconn),
        ),
        (
            "haproxy_process_current_connections",
            "gauge",
            "Current number of connections on this worker process",
            rt.global.cur.load(Relaxed),
        ),
        (
            "haproxy_process_connections_total",
            "counter",
            "Total number of connections on this worker process since started",
            rt.global.total.load(Relaxed),
        ),
    ];
    for (name, kind, help, v) in rows {
        family(out, name, kind, help).sample("", &[], v);
    }
}

fn frontend(out: &mut String, rt: &Runtime) {
    let mut f = family(out, "haproxy_frontend_status", "gauge", STATUS);
    for l in &rt.listens {
        // A started listen always accepts.
        for (state, v) in [("DOWN", 0), ("UP", 1)] {
            let mut labels = proxy(l);
            labels.push(("state", state.into()));
            f.sample("", &labels, v);
        }
    }
    let c = |name, kind, help| (name, kind, help);
    per_listen(
        out,
        rt,
        c("haproxy_frontend_current_sessions", "gauge", CUR),
        |l| l.frontend.cur.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_frontend_max_sessions", "gauge", MAX),
        |l| l.frontend.max.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c(
            "haproxy_frontend_limit_sessions",
            "gauge",
            "Frontend/listener/server's maxconn, backend's fullconn",
        ),
        |l| u64::from(l.config.maxconn),
    );
    per_listen(
        out,
        rt,
        c("haproxy_frontend_sessions_total", "counter", TOT),
        |l| l.frontend.total.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_frontend_bytes_in_total", "counter", BIN),
        |l| l.frontend.bytes_in.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_frontend_bytes_out_total", "counter", BOUT),
        |l| l.frontend.bytes_out.load(Relaxed),
    );
}

fn backend(out: &mut String, rt: &Runtime) {
    let snaps: Vec<_> = rt
        .listens
        .iter()
        .map(|l| (l, l.backend_snapshot()))
        .collect();
    let mut f = family(out, "haproxy_backend_status", "gauge", STATUS);
    for (l, b) in &snaps {
        for (state, v) in [("DOWN", !b.up), ("UP", b.up)] {
            let mut labels = proxy(l);
            labels.push(("state", state.into()));
            f.sample("", &labels, u8::from(v));
        }
    }
    type Get = fn(&crate::state::BackendSnapshot) -> u64;
    let from_snapshot: [(&'static str, &'static str, &'static str, Get); 6] = [
        (
            "haproxy_backend_active_servers",
            "gauge",
            "Total number of active UP servers with a non-zero weight",
            |b| u64::from(b.act),
        ),
        (
            "haproxy_backend_backup_servers",
            "gauge",
            "Total number of backup UP servers with a non-zero weight",
            |b| u64::from(b.bck),
        ),
        ("haproxy_backend_weight", "gauge", WEIGHT, |b| {
            u64::from(b.weight)
        }),
        (
            "haproxy_backend_check_up_down_total",
            "counter",
            UPDOWN,
            |b| b.chkdown,
        ),
        (
            "haproxy_backend_check_last_change_seconds",
            "gauge",
            LASTCHG,
            |b| b.since_change.as_secs(),
        ),
        (
            "haproxy_backend_downtime_seconds_total",
            "counter",
            DOWNTIME,
            |b| b.downtime.as_secs(),
        ),
    ];
    for (name, kind, help, get) in from_snapshot {
        let mut f = family(out, name, kind, help);
        for (l, b) in &snaps {
            f.sample("", &proxy(l), get(b));
        }
    }
    let c = |name, kind, help| (name, kind, help);
    per_listen(
        out,
        rt,
        c("haproxy_backend_current_sessions", "gauge", CUR),
        |l| l.backend.cur.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_backend_max_sessions", "gauge", MAX),
        |l| l.backend.max.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_backend_sessions_total", "counter", TOT),
        |l| l.backend.total.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_backend_bytes_in_total", "counter", BIN),
        |l| l.backend.bytes_in.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_backend_bytes_out_total", "counter", BOUT),
        |l| l.backend.bytes_out.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_backend_connection_errors_total", "counter", ECON),
        |l| l.backend.conn_errors.load(Relaxed),
    );
    per_listen(
        out,
        rt,
        c("haproxy_backend_loadbalanced_total", "counter", LBTOT),
        |l| l.backend.lb_total.load(Relaxed),
    );
}

fn check_state_label(status: CheckStatus) -> Option<&'static str> {
    Some(match status {
        CheckStatus::Ini => return None,
        CheckStatus::SockErr => "SOCKERR",
        CheckStatus::L4Ok => "L4OK",
        CheckStatus::L4Tout => "L4TOUT",
        CheckStatus::L4Con => "L4CON",
        CheckStatus::L7Ok => "L7OK",
        CheckStatus::L7Tout => "L7TOUT",
        CheckStatus::L7Rsp => "L7RSP",
        CheckStatus::L7Sts => "L7STS",
    })
}

fn server(out: &mut String, servers: &[(&ListenState, &ServerState, ServerSnapshot)]) {
    let mut f = family(out, "haproxy_server_status", "gauge", STATUS);
    for (l, s, snap) in servers {
        let current = match snap.mode() {
            ServerMode::Up => "UP",
            ServerMode::Down => "DOWN",
            ServerMode::Maint => "MAINT",
            ServerMode::Drain => "DRAIN",
            ServerMode::Nolb => "NOLB",
        };
        for state in SERVER_STATES {
            let mut labels = server_labels(l, s);
            labels.push(("state", state.into()));
            f.sample("", &labels, u8::from(state == current));
        }
    }
    let n = |v: u64| Some(v.to_string());
    let c = |name, kind, help| (name, kind, help);
    per_server(
        out,
        servers,
        c("haproxy_server_current_sessions", "gauge", CUR),
        |s, _| n(s.counters.cur.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_max_sessions", "gauge", MAX),
        |s, _| n(s.counters.max.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c(
            "haproxy_server_limit_sessions",
            "gauge",
            "Frontend/listener/server's maxconn, backend's fullconn",
        ),
        |_, snap| snap.maxconn.map(|m| m.to_string()),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_sessions_total", "counter", TOT),
        |s, _| n(s.counters.total.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_bytes_in_total", "counter", BIN),
        |s, _| n(s.counters.bytes_in.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_bytes_out_total", "counter", BOUT),
        |s, _| n(s.counters.bytes_out.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_connection_errors_total", "counter", ECON),
        |s, _| n(s.counters.conn_errors.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c(
            "haproxy_server_retry_warnings_total",
            "counter",
            "Total number of server connection retries since the worker process started",
        ),
        |s, _| n(s.counters.retries.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c(
            "haproxy_server_redispatch_warnings_total",
            "counter",
            "Total number of server redispatches due to connection failures since the worker process started",
        ),
        |s, _| n(s.counters.redispatches.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c(
            "haproxy_server_client_aborts_total",
            "counter",
            "Total number of requests or connections aborted by the client since the worker process started",
        ),
        |s, _| n(s.counters.cli_aborts.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c(
            "haproxy_server_server_aborts_total",
            "counter",
            "Total number of requests or connections aborted by the server since the worker process started",
        ),
        |s, _| n(s.counters.srv_aborts.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_loadbalanced_total", "counter", LBTOT),
        |s, _| n(s.counters.lb_total.load(Relaxed)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_weight", "gauge", WEIGHT),
        |_, snap| n(u64::from(snap.uweight)),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_check_last_change_seconds", "gauge", LASTCHG),
        |_, snap| n(snap.since_change.as_secs()),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_downtime_seconds_total", "counter", DOWNTIME),
        |_, snap| n(snap.downtime.as_secs()),
    );
    let checked = |snap: &ServerSnapshot| snap.has_check;
    per_server(
        out,
        servers,
        c(
            "haproxy_server_check_failures_total",
            "counter",
            "Total number of failed individual health checks per server/backend, since the worker process started",
        ),
        |_, snap| checked(snap).then(|| snap.chkfail.to_string()),
    );
    per_server(
        out,
        servers,
        c("haproxy_server_check_up_down_total", "counter", UPDOWN),
        |_, snap| checked(snap).then(|| snap.chkdown.to_string()),
    );
    let mut f = family(
        out,
        "haproxy_server_check_status",
        "gauge",
        "Status of last health check, per state label value.",
    );
    for (l, s, snap) in servers.iter().filter(|(_, _, snap)| checked(snap)) {
        let current = check_state_label(snap.last_check.status);
        for state in CHECK_STATES {
            let mut labels = server_labels(l, s);
            labels.push(("state", state.into()));
            f.sample("", &labels, u8::from(Some(state) == current));
        }
    }
    per_server(
        out,
        servers,
        c(
            "haproxy_server_check_code",
            "gauge",
            "layer5-7 code, if available of the last health check.",
        ),
        |_, snap| {
            checked(snap).then_some(())?;
            snap.last_check.code.map(|c| c.to_string())
        },
    );
    per_server(
        out,
        servers,
        c(
            "haproxy_server_check_duration_seconds",
            "gauge",
            "Total duration of the latest server health check, in seconds.",
        ),
        |_, snap| {
            (checked(snap) && snap.last_check_age.is_some())
                .then(|| seconds(snap.last_check.duration.as_secs_f64()))
        },
    );
}

/// Seconds as Prometheus expects a float (no exponent, at most microsecond precision).
fn seconds(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

fn sockhop(
    out: &mut String,
    rt: &Runtime,
    servers: &[(&ListenState, &ServerState, ServerSnapshot)],
) {
    let mut f = family(
        out,
        "sockhop_listen_datapath",
        "gauge",
        "The data path moving this listen's bytes (1 for the one in use).",
    );
    for l in &rt.listens {
        if let Some(kind) = l.datapath() {
            f.sample(
                "",
                &[
                    ("listen", l.name().to_string()),
                    ("path", kind.as_str().to_string()),
                ],
                1,
            );
        }
    }
    let mut f = family(
        out,
        "sockhop_check_duration_seconds",
        "histogram",
        "Duration of the health checks of a server, from start to outcome.",
    );
    for (l, s, _) in servers.iter().filter(|(_, _, snap)| snap.has_check) {
        let lat = s.check_latency();
        let base = server_labels(l, s);
        for (le, count) in lat.cumulative() {
            let mut labels = base.clone();
            let le = if le.is_infinite() {
                "+Inf".to_string()
            } else {
                seconds(le)
            };
            labels.push(("le", le));
            f.sample("_bucket", &labels, count);
        }
        f.sample("_sum", &base, seconds(lat.sum.as_secs_f64()));
        f.sample("_count", &base, lat.count);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{runtime, runtime_named};
    use super::*;
    use crate::datapath::DataPathKind;
    use crate::state::{AdminChange, CheckResult};
    use std::collections::{HashMap, HashSet};
    use std::time::Duration;

    #[derive(Debug)]
    struct Sample {
        name: String,
        labels: Vec<(String, String)>,
        value: f64,
    }

    fn valid_name(n: &str) -> bool {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    /// Parses `{a="x",b="y\"z"}` (after the name); returns the labels and the rest.
    type ParsedLabels<'a> = (Vec<(String, String)>, &'a str);

    fn parse_labels(s: &str) -> Result<ParsedLabels<'_>, String> {
        let Some(mut rest) = s.strip_prefix('{') else {
            return Ok((vec![], s));
        };
        let mut labels = Vec::new();
        loop {
            if let Some(r) = rest.strip_prefix('}') {
                return Ok((labels, r));
            }
            let eq = rest.find('=').ok_or("label without =")?;
            let name = &rest[..eq];
            if !valid_name(name) || name.contains(':') {
                return Err(format!("bad label name {name:?}"));
            }
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value not quoted")?;
            let mut value = String::new();
            let mut chars = rest.char_indices();
            let end = loop {
                match chars.next().ok_or("unterminated label value")? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    (_, '\n') => return Err("raw newline in label".into()),
                    (_, c) => value.push(c),
                }
            };
            labels.push((name.to_string(), value));
            rest = &rest[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }

    /// Parses exposition text strictly; every sample must follow its family's HELP and
    /// TYPE, and each family must be contiguous.
    fn parse(text: &str) -> Result<Vec<Sample>, String> {
        let mut help = HashSet::new();
        let mut types: HashMap<String, String> = HashMap::new();
        let mut done: HashSet<String> = HashSet::new();
        let mut current = String::new();
        let mut samples = Vec::new();
        assert!(text.ends_with('\n'), "ends with a line feed");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, _) = rest.split_once(' ').ok_or("HELP without text")?;
                if !help.insert(name.to_string()) {
                    return Err(format!("HELP {name} twice"));
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').ok_or("TYPE without type")?;
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    return Err(format!("bad type {kind}"));
                }
                if !help.contains(name) || types.insert(name.into(), kind.into()).is_some() {
                    return Err(format!("TYPE {name} without HELP or twice"));
                }
                if !current.is_empty() {
                    done.insert(std::mem::take(&mut current));
                }
                current = name.to_string();
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                return Err(format!("unexpected line {line:?}"));
            }
            let name_end = line.find(['{', ' ']).ok_or("sample without value")?;
            let name = &line[..name_end];
            if !valid_name(name) {
                return Err(format!("bad metric name {name:?}"));
            }
            let (labels, rest) = parse_labels(&line[name_end..])?;
            let value = rest.strip_prefix(' ').ok_or("no space before value")?;
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                v => v
                    .parse()
                    .map_err(|_| format!("bad value {v:?} in {line:?}"))?,
            };
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    name.strip_suffix(s)
                        .filter(|b| types.get(*b).is_some_and(|t| t == "histogram"))
                })
                .unwrap_or(name);
            if base != current || done.contains(base) {
                return Err(format!("{name} outside its family block"));
            }
            samples.push(Sample {
                name: name.to_string(),
                labels,
                value,
            });
        }
        Ok(samples)
    }

    fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
        samples.iter().find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
        })
    }

    #[tokio::test]
    async fn exposition_is_well_formed_and_carries_the_facts() {
        let rt = runtime();
        let l = &rt.listens[0];
        l.set_datapath(DataPathKind::Copy);
        let p = l.server("Primary").unwrap();
        l.apply_check(
            p,
            CheckResult::new(CheckStatus::L4Con, "refused", Duration::from_millis(3)),
        );
        l.set_admin(l.server("Secondary").unwrap(), AdminChange::Maint);
        p.counters.add_in(1234);
        let text = render(&rt);
        let samples = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let px = ("proxy", "My<SQL>");
        let primary = [px, ("server", "Primary")];
        let value = |name: &str, labels: &[(&str, &str)]| {
            find(&samples, name, labels)
                .unwrap_or_else(|| panic!("{name} {labels:?}\n{text}"))
                .value
        };
        assert_eq!(
            value(
                "haproxy_server_status",
                &[px, ("server", "Primary"), ("state", "DOWN")]
            ),
            1.0
        );
        assert_eq!(
            value(
                "haproxy_server_status",
                &[px, ("server", "Primary"), ("state", "UP")]
            ),
            0.0
        );
        assert_eq!(
            value(
                "haproxy_server_status",
                &[px, ("server", "Secondary"), ("state", "MAINT")]
            ),
            1.0
        );
        assert_eq!(value("haproxy_server_bytes_in_total", &primary), 1234.0);
        assert_eq!(value("haproxy_server_check_failures_total", &primary), 1.0);
        assert_eq!(
            value(
                "haproxy_server_check_status",
                &[px, ("server", "Primary"), ("state", "L4CON")]
            ),
            1.0
        );
        assert_eq!(
            value("haproxy_server_check_duration_seconds", &primary),
            0.003
        );
        assert_eq!(value("haproxy_server_weight", &primary), 1.0);
        assert_eq!(value("haproxy_backend_active_servers", &[px]), 0.0);
        assert_eq!(value("haproxy_backend_backup_servers", &[px]), 0.0);
        assert_eq!(
            value("haproxy_backend_status", &[px, ("state", "DOWN")]),
            1.0
        );
        assert_eq!(value("haproxy_frontend_current_sessions", &[px]), 0.0);
        assert!(value("haproxy_process_uptime_seconds", &[]) >= 0.0);
        assert_eq!(
            value(
                "sockhop_listen_datapath",
                &[("listen", "My<SQL>"), ("path", "copy")]
            ),
            1.0
        );
        assert_eq!(
            value(
                "sockhop_check_duration_seconds_bucket",
                &[px, ("server", "Primary"), ("le", "0.0025")]
            ),
            0.0
        );
        assert_eq!(
            value(
                "sockhop_check_duration_seconds_bucket",
                &[px, ("server", "Primary"), ("le", "0.005")]
            ),
            1.0
        );
        assert_eq!(
            value(
                "sockhop_check_duration_seconds_bucket",
                &[px, ("server", "Primary"), ("le", "+Inf")]
            ),
            1.0
        );
        assert_eq!(value("sockhop_check_duration_seconds_count", &primary), 1.0);
        assert_eq!(value("sockhop_check_duration_seconds_sum", &primary), 0.003);
        assert!(text.contains("# TYPE haproxy_server_sessions_total counter\n"));
        assert!(text.contains("# TYPE sockhop_check_duration_seconds histogram\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
        let rt = runtime_named("we\"ird\\na\nme");
        let text = render(&rt);
        let samples = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(
            find(
                &samples,
                "haproxy_server_weight",
                &[("proxy", "we\"ird\\na\nme")]
            )
            .is_some()
        );
        assert!(text.contains("proxy=\"we\\\"ird\\\\na\\nme\""));
    }

    #[test]
    fn the_parser_catches_malformed_text() {
        for bad in [
            "x 1\n",
            "# HELP x h\n# TYPE x gauge\nx{a=\"b} 1\n",
            "# HELP x h\n# TYPE x gauge\nx{a=b} 1\n",
            "# HELP x h\n# TYPE x gauge\nx one\n",
            "# HELP x h\n# TYPE x gauge\nx{a=\"\\q\"} 1\n",
            "# HELP x h\n# TYPE x gauge\n# HELP y h\n# TYPE y gauge\nx 1\n",
            "# HELP 1x h\n# TYPE 1x gauge\n1x 1\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seconds_are_plain_decimals() {
        assert_eq!(seconds(0.003), "0.003");
        assert_eq!(seconds(2.0), "2");
        assert_eq!(seconds(0.0000001), "0");
    }
}
