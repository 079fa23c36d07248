//! `show stat [domain proxy] [{<iid>|<proxy>} <type> <sid>] [typed|json] [desc] [up]
//! [no-maint]`: per listen a FRONTEND row, its servers in configuration order and a
//! BACKEND row, as CSV (with the header line), `typed` lines or JSON.

use super::Reply;
use crate::config::Level;
use crate::state::{ListenState, Runtime, ServerSnapshot};
use crate::stats::command::{Format, ShowStat, StatFilter};
use crate::stats::csv::{self, Row};
use crate::stats::rows;
use tokio::time::Instant;

/// `type` mask bits of the filter.
const FE: i32 = 1;
const BE: i32 = 2;
const SV: i32 = 4;

pub fn run(rt: &Runtime, level: Level, req: Result<ShowStat, &'static str>) -> Reply {
    let req = match req {
        Ok(r) => r,
        Err(e) => return Reply::error(e),
    };
    if req.resolvers {
        // No resolvers section exists in sockhop.
        return Reply::ok("");
    }
    let scope = match &req.filter {
        Some(f) => match Scope::resolve(rt, f) {
            Some(s) => s,
            None => return Reply::error("No such proxy.\n"),
        },
        None => Scope::ALL,
    };
    let rows = collect(rt, level >= Level::Operator, &req, &scope);
    Reply::ok(render(&rows, &req))
}

/// What a `{iid|name} type sid` filter selects.
struct Scope {
    /// -1: every listen.
    iid: i64,
    types: i32,
    sid: i64,
}

impl Scope {
    const ALL: Scope = Scope {
        iid: -1,
        types: -1,
        sid: -1,
    };

    fn resolve(rt: &Runtime, f: &StatFilter) -> Option<Scope> {
        let iid = match rt.listens.iter().find(|l| l.name() == f.proxy) {
            Some(l) => i64::from(l.id),
            None => {
                let n = leading_int(&f.proxy);
                if n == 0 {
                    return None;
                }
                n
            }
        };
        Some(Scope {
            iid,
            types: f.types,
            sid: i64::from(f.sid),
        })
    }
}

fn leading_int(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let n: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let v = n.parse::<i64>().unwrap_or(0);
    if neg { -v } else { v }
}

/// Whether `show stat up` / `no-maint` hides this server.
fn hidden(s: &ServerSnapshot, req: &ShowStat) -> bool {
    if req.no_maint && s.maint() {
        return true;
    }
    req.up && (s.maint() || (!s.up && (!s.check_enabled || s.health == 0)))
}

fn collect(rt: &Runtime, legends: bool, req: &ShowStat, scope: &Scope) -> Vec<Row> {
    let now = Instant::now();
    let mut out = Vec::new();
    let wants = |bit: i32| scope.types & bit != 0;
    for l in &rt.listens {
        if scope.iid != -1 && i64::from(l.id) != scope.iid {
            continue;
        }
        if wants(FE) {
            out.push(rows::frontend(l, now));
        }
        if wants(SV) {
            out.extend(server_rows(l, legends, req, scope, now));
        }
        if wants(BE) {
            out.push(rows::backend(l, legends, req.up || req.no_maint, now));
        }
    }
    out
}

fn server_rows(
    l: &ListenState,
    legends: bool,
    req: &ShowStat,
    scope: &Scope,
    now: Instant,
) -> Vec<Row> {
    l.servers
        .iter()
        .filter(|s| scope.sid == -1 || i64::from(s.id) == scope.sid)
        .filter(|s| !hidden(&s.snapshot(), req))
        .map(|s| rows::server(l, s, legends, now))
        .collect()
}

fn render(rows: &[Row], req: &ShowStat) -> String {
    match req.format {
        Format::Plain => {
            let mut out = csv::header();
            for r in rows {
                out.push_str(&csv::csv_line(r));
            }
            out
        }
        Format::Typed => rows.iter().map(|r| csv::typed_lines(r, req.desc)).collect(),
        Format::Json => {
            let body: Vec<String> = rows.iter().map(csv::json_row).collect();
            format!("[{}]\n", body.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::leading_int;

    #[test]
    fn proxy_ids_parse_like_atoi() {
        assert_eq!(leading_int("2"), 2);
        assert_eq!(leading_int("-1"), -1);
        assert_eq!(leading_int("nope"), 0);
        assert_eq!(leading_int("3x"), 3);
    }
}
