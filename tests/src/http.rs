//! A minimal HTTP/1.0 GET over a TCP stream (enough to read an exporter's /metrics).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// GETs `path` from `addr`; returns the body of a 200 reply.
pub fn get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)
        .map_err(|e| format!("reading from {addr}: {e}"))?;
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header end in {reply:?}"))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        return Err(format!("{status}: {body}"));
    }
    Ok(body.to_owned())
}

/// The value of the Prometheus sample `name{labels}` (labels written exactly as the
/// exporter prints them, e.g. `backend="MySQL",server="Primary"`; empty for none).
pub fn sample(metrics: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{labels}}}")
    };
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            (k == key).then(|| v.parse().ok())?
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_by_name_and_labels() {
        let m = "# HELP haproxy_up x\nhaproxy_up 1\nhaproxy_server_up{backend=\"MySQL\",server=\"Primary\"} 0\nhaproxy_server_up{backend=\"MySQL\",server=\"Secondary\"} 1\n";
        assert_eq!(sample(m, "haproxy_up", ""), Some(1.0));
        assert_eq!(
            sample(
                m,
                "haproxy_server_up",
                "backend=\"MySQL\",server=\"Primary\""
            ),
            Some(0.0)
        );
        assert_eq!(sample(m, "haproxy_down", ""), None);
    }
}
