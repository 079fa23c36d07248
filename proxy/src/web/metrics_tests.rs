//! Tests of `metrics.rs`.
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
