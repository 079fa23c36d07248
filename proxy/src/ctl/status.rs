//! `sockhop ctl status`: the `show stat` reply as one readable table per listen (servers,
//! role, state, check, weight, sessions, bytes, last change), or as JSON with `--json`.

use super::CtlError;
use super::table::{Row, align, parse_rows};
use crate::human::{age, bytes};
use serde_json::{Value, json};
use std::time::Duration;

/// Column names of the per-listen server table.
const HEADER: [&str; 9] = [
    "SERVER", "ROLE", "STATE", "CHECK", "WEIGHT", "SESSIONS", "TOTAL", "IN/OUT", "CHANGED",
];

fn get<'a>(r: &'a Row, col: &str) -> &'a str {
    r.get(col).map_or("", String::as_str)
}

fn num(r: &Row, col: &str) -> Option<u64> {
    get(r, col).parse().ok()
}

/// `L7OK/0 in 2ms`, `L4CON`, `no check`.
fn check(r: &Row) -> String {
    let status = get(r, "check_status");
    if status.is_empty() {
        return "no check".into();
    }
    let mut out = status.to_owned();
    let code = get(r, "check_code");
    if !code.is_empty() {
        out.push('/');
        out.push_str(code);
    }
    let dur = get(r, "check_duration");
    if !dur.is_empty() {
        out.push_str(&format!(" in {dur}ms"));
    }
    out
}

fn role(r: &Row) -> &'static str {
    if get(r, "bck") == "1" {
        "backup"
    } else {
        "active"
    }
}

fn is_server(r: &Row) -> bool {
    !matches!(get(r, "svname"), "FRONTEND" | "BACKEND")
}

/// Listen names in the order of the reply, each with its rows.
fn by_listen(rows: &[Row]) -> Vec<(String, Vec<&Row>)> {
    let mut out: Vec<(String, Vec<&Row>)> = Vec::new();
    for r in rows {
        let px = get(r, "pxname");
        match out.iter_mut().find(|(n, _)| n == px) {
            Some((_, v)) => v.push(r),
            None => out.push((px.to_owned(), vec![r])),
        }
    }
    out
}

/// The readable tables, one per listen, from a `show stat` CSV reply.
pub fn render(csv: &str) -> Result<String, CtlError> {
    let rows = parse_rows(csv)?;
    let mut out = String::new();
    for (name, rows) in by_listen(&rows) {
        if !out.is_empty() {
            out.push('\n');
        }
        let summary = |svname: &str| rows.iter().find(|r| get(r, "svname") == svname);
        let mut title = name.clone();
        if let Some(fe) = summary("FRONTEND") {
            title.push_str(&format!(
                "  frontend {}  sessions {} now, {} total",
                get(fe, "status"),
                get(fe, "scur"),
                get(fe, "stot"),
            ));
        }
        if let Some(be) = summary("BACKEND") {
            title.push_str(&format!(
                "  backend {} ({} active, {} backup usable)",
                get(be, "status"),
                get(be, "act"),
                get(be, "bck"),
            ));
        }
        out.push_str(&title);
        out.push('\n');
        let mut header: Vec<String> = HEADER.iter().map(|h| (*h).to_owned()).collect();
        header[0] = format!("  {}", header[0]);
        let mut grid = vec![header];
        for r in rows.iter().filter(|r| is_server(r)) {
            grid.push(vec![
                format!("  {}", get(r, "svname")),
                role(r).into(),
                get(r, "status").into(),
                check(r),
                get(r, "weight").into(),
                get(r, "scur").into(),
                get(r, "stot").into(),
                format!(
                    "{} / {}",
                    bytes(num(r, "bin").unwrap_or(0)),
                    bytes(num(r, "bout").unwrap_or(0))
                ),
                num(r, "lastchg").map_or_else(String::new, |s| {
                    format!("{} ago", age(Duration::from_secs(s)))
                }),
            ]);
        }
        out.push_str(&align(&grid));
    }
    Ok(out)
}

fn int_or_null(r: &Row, col: &str) -> Value {
    num(r, col).map_or(Value::Null, Value::from)
}

/// The same facts as JSON: `{"listens": [{"name", "frontend", "backend", "servers": [...]}]}`.
pub fn json(csv: &str) -> Result<String, CtlError> {
    let rows = parse_rows(csv)?;
    let listens: Vec<Value> = by_listen(&rows)
        .into_iter()
        .map(|(name, rows)| {
            let summary = |svname: &str| {
                rows.iter().find(|r| get(r, "svname") == svname).map(|r| {
                    json!({
                        "status": get(r, "status"),
                        "sessions": int_or_null(r, "scur"),
                        "sessions_total": int_or_null(r, "stot"),
                        "bytes_in": int_or_null(r, "bin"),
                        "bytes_out": int_or_null(r, "bout"),
                    })
                })
            };
            let servers: Vec<Value> = rows
                .iter()
                .filter(|r| is_server(r))
                .map(|r| {
                    let text_or_null = |col: &str| match get(r, col) {
                        "" => Value::Null,
                        v => Value::from(v),
                    };
                    json!({
                        "name": get(r, "svname"),
                        "role": role(r),
                        "state": get(r, "status"),
                        "check_status": text_or_null("check_status"),
                        "check_code": int_or_null(r, "check_code"),
                        "check_duration_ms": int_or_null(r, "check_duration"),
                        "check_desc": text_or_null("check_desc"),
                        "weight": int_or_null(r, "weight"),
                        "sessions": int_or_null(r, "scur"),
                        "sessions_total": int_or_null(r, "stot"),
                        "bytes_in": int_or_null(r, "bin"),
                        "bytes_out": int_or_null(r, "bout"),
                        "last_change_s": int_or_null(r, "lastchg"),
                    })
                })
                .collect();
            json!({
                "name": name,
                "frontend": summary("FRONTEND"),
                "backend": summary("BACKEND"),
                "servers": servers,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({ "listens": listens }))
        .expect("a JSON value always serializes");
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "# pxname,svname,scur,stot,bin,bout,status,weight,act,bck,lastchg,check_status,check_code,check_duration,check_desc,\n\
        MySQL,FRONTEND,1,7,300,4000,OPEN,,,,,,,,,\n\
        MySQL,Primary,1,5,200,3000,UP,1,1,0,65,L7OK,0,2,Layer7 check passed,\n\
        MySQL,Secondary,0,2,100,1000,DOWN,1,0,1,3700,L4CON,,0,\"Connection refused, at step 1\",\n\
        MySQL,BACKEND,1,7,300,4000,UP,1,1,0,65,,,,,\n\
        Other,FRONTEND,0,0,0,0,OPEN,,,,,,,,,\n\
        Other,Solo,0,0,0,0,no check,1,1,0,,,,,,\n\
        Other,BACKEND,0,0,0,0,UP,1,1,0,5,,,,,\n\n";

    #[test]
    fn status_is_one_table_per_listen() {
        let t = render(CSV).unwrap();
        assert_eq!(
            t,
            "MySQL  frontend OPEN  sessions 1 now, 7 total  backend UP (1 active, 0 backup usable)\n\
             \x20 SERVER     ROLE    STATE  CHECK          WEIGHT  SESSIONS  TOTAL  IN/OUT           CHANGED\n\
             \x20 Primary    active  UP     L7OK/0 in 2ms  1       1         5      200 B / 2.9 KiB  1m05s ago\n\
             \x20 Secondary  backup  DOWN   L4CON in 0ms   1       0         2      100 B / 1000 B   1h01m ago\n\
             \n\
             Other  frontend OPEN  sessions 0 now, 0 total  backend UP (1 active, 0 backup usable)\n\
             \x20 SERVER  ROLE    STATE     CHECK     WEIGHT  SESSIONS  TOTAL  IN/OUT     CHANGED\n\
             \x20 Solo    active  no check  no check  1       0         0      0 B / 0 B\n"
        );
    }

    #[test]
    fn status_json_has_typed_values() {
        let v: Value = serde_json::from_str(&json(CSV).unwrap()).unwrap();
        let mysql = &v["listens"][0];
        assert_eq!(mysql["name"], "MySQL");
        assert_eq!(mysql["frontend"]["sessions_total"], 7);
        assert_eq!(mysql["backend"]["status"], "UP");
        let p = &mysql["servers"][0];
        assert_eq!(p["name"], "Primary");
        assert_eq!(p["role"], "active");
        assert_eq!(p["check_code"], 0);
        assert_eq!(p["bytes_out"], 3000);
        let s = &mysql["servers"][1];
        assert_eq!(s["role"], "backup");
        assert_eq!(s["check_code"], Value::Null);
        assert_eq!(s["check_desc"], "Connection refused, at step 1");
        assert_eq!(v["listens"][1]["servers"][0]["check_status"], Value::Null);
    }
}
