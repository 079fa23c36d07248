//! prometheus-haproxy-exporter (Debian) scraping sockhop's stats socket: it parses every
//! `show stat` row (no CSV parse failure), reports HAProxy as up, the servers' up/down as
//! sockhop sees them, and the traffic counters.

use sockhop_tests::background::Background;
use sockhop_tests::http::{get, sample};
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::require_prerequisites;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::wait;
use sockhop_tests::world::World;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

const EXPORTER: &str = "prometheus-haproxy-exporter";

/// The exporter's label set of one server.
fn server(name: &str) -> String {
    format!("backend=\"MySQL\",server=\"{name}\"")
}

/// Scrapes until `check` accepts the metrics; returns them.
fn scrape_until(
    addr: SocketAddr,
    what: &str,
    timeout: Duration,
    check: impl Fn(&str) -> Result<(), String>,
) -> String {
    wait::until(timeout, what, || {
        let m = get(addr, "/metrics")?;
        check(&m).map(|()| m)
    })
    .0
}

fn value(m: &str, name: &str, labels: &str) -> Result<f64, String> {
    sample(m, name, labels).ok_or_else(|| {
        let names: Vec<&str> = m
            .lines()
            .filter(|l| l.starts_with("haproxy_"))
            .filter_map(|l| l.split(['{', ' ']).next())
            .collect();
        format!("no {name}{{{labels}}} in the metrics; names: {names:?}")
    })
}

#[test]
fn exporter_reads_sockhop_as_it_reads_haproxy() {
    require_prerequisites!("exporter_reads_sockhop_as_it_reads_haproxy", [EXPORTER]);
    let net = TestNet::new(111);
    let mut w = World::start("compat-exporter", net, Setup::default());
    let listen: SocketAddr = format!("127.0.{}.5:9101", net.block).parse().unwrap();
    let mut cmd = Command::new(sockhop_tests::mariadb::program(EXPORTER));
    cmd.arg(format!(
        "--haproxy.scrape-uri=unix:{}",
        w.sockhop.stats_socket().display()
    ))
    .arg(format!("--web.listen-address={listen}"));
    let dir = w.pair.dir().join("exporter");
    let mut exporter = Background::start(EXPORTER, &dir, EXPORTER, cmd);

    // Some traffic through sockhop, to the Primary.
    w.traffic_goes_to(Role::Primary, 3);
    let m = scrape_until(
        listen,
        "the exporter to count 3+ sessions",
        Duration::from_secs(10),
        |m| {
            exporter_ok(m)?;
            let n = value(m, "haproxy_server_sessions_total", &server("Primary"))?;
            if n >= 3.0 {
                Ok(())
            } else {
                Err(format!("{n} sessions"))
            }
        },
    );
    exporter.assert_running();
    assert_eq!(value(&m, "haproxy_server_up", &server("Primary")), Ok(1.0));
    assert_eq!(
        value(&m, "haproxy_server_up", &server("Secondary")),
        Ok(1.0)
    );
    assert_eq!(
        value(&m, "haproxy_backend_up", "backend=\"MySQL\""),
        Ok(1.0)
    );
    assert!(value(&m, "haproxy_server_bytes_out_total", &server("Primary")).unwrap() > 0.0);
    assert!(value(&m, "haproxy_server_bytes_in_total", &server("Primary")).unwrap() > 0.0);
    assert!(
        value(
            &m,
            "haproxy_frontend_connections_total",
            "frontend=\"MySQL\""
        )
        .unwrap()
            >= 3.0
    );
    assert_eq!(
        value(&m, "haproxy_server_sessions_total", &server("Secondary")),
        Ok(0.0)
    );

    // The Primary's mariadbd stops: the exporter sees it DOWN as sockhop does.
    w.pair.stop(Role::Primary).unwrap_or_else(|e| panic!("{e}"));
    w.wait_status(Role::Primary, "DOWN", w.transition_bound(w.setup.fall));
    let m = scrape_until(
        listen,
        "haproxy_server_up of the Primary to be 0",
        Duration::from_secs(10),
        |m| {
            exporter_ok(m)?;
            match value(m, "haproxy_server_up", &server("Primary"))? {
                0.0 => Ok(()),
                v => Err(format!("haproxy_server_up {v}")),
            }
        },
    );
    assert_eq!(
        value(&m, "haproxy_server_up", &server("Secondary")),
        Ok(1.0)
    );
    assert_eq!(
        value(&m, "haproxy_backend_up", "backend=\"MySQL\""),
        Ok(1.0)
    );
    assert!(
        value(
            &m,
            "haproxy_server_check_failures_total",
            &server("Primary")
        )
        .unwrap()
            >= 1.0
    );
    assert!(
        value(
            &m,
            "haproxy_server_downtime_seconds_total",
            &server("Primary")
        )
        .is_ok()
    );
    exporter.assert_running();
}

/// The exporter reached sockhop and parsed every row of every scrape so far.
fn exporter_ok(m: &str) -> Result<(), String> {
    let up = value(m, "haproxy_up", "")?;
    let failures = value(m, "haproxy_exporter_csv_parse_failures_total", "")?;
    let scrapes = value(m, "haproxy_exporter_scrapes_total", "")?;
    assert_eq!(failures, 0.0, "CSV parse failures in:\n{m}");
    if up == 1.0 && scrapes >= 1.0 {
        Ok(())
    } else {
        Err(format!("haproxy_up {up}, scrapes {scrapes}"))
    }
}
