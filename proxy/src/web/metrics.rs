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

/// The `state` label of `haproxy_server_check_status`: HAProxy's code, none before a check.
fn check_state_label(status: CheckStatus) -> Option<&'static str> {
    (status != CheckStatus::Ini).then(|| status.code())
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
#[path = "metrics_tests.rs"]
mod tests;
