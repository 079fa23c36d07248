//! Reaching a stats socket: a unix socket path or a TCP address (`ipv4@127.0.0.1:9999`),
//! and one exchange on it (the command line out, everything until the server closes in).

use super::CtlError;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// How long to wait for the daemon's reply (and for a TCP connect).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the stats socket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "{}", p.display()),
            Target::Tcp(a) if a.is_ipv4() => write!(f, "ipv4@{a}"),
            Target::Tcp(a) => write!(f, "ipv6@{a}"),
        }
    }
}

impl Target {
    /// Parses `--address`: `ipv4@IP:port`, `ipv6@[IP]:port`, `IP:port`, or `unix@/path`
    /// (HAProxy's notation, as in the `address` of a `[[stats_socket]]`).
    pub fn parse_address(text: &str) -> Result<Target, String> {
        let (family, rest) = match text.split_once('@') {
            Some(("unix", path)) => return Ok(Target::Unix(PathBuf::from(path))),
            Some(("ipv4", rest)) => (Some(true), rest),
            Some(("ipv6", rest)) => (Some(false), rest),
            Some((other, _)) => {
                return Err(format!(
                    "unknown address family '{other}@': use ipv4@, ipv6@ or unix@"
                ));
            }
            None => (None, text),
        };
        let addr: SocketAddr = rest.parse().map_err(|_| {
            format!("'{text}' is not an address such as ipv4@127.0.0.1:9999 or ipv6@[::1]:9999")
        })?;
        match family {
            Some(v4) if v4 != addr.is_ipv4() => Err(format!(
                "'{text}': the family prefix does not match the address"
            )),
            _ => Ok(Target::Tcp(addr)),
        }
    }

    /// One exchange: `line` and "\n" out, everything until the server closes in.
    pub fn send(&self, line: &str) -> Result<String, CtlError> {
        let shown = self.to_string();
        let connect_err = |source| CtlError::Connect {
            target: shown.clone(),
            source,
        };
        let reply = match self {
            Target::Unix(p) => exchange(UnixStream::connect(p).map_err(connect_err)?, line, |s| {
                s.set_read_timeout(Some(REPLY_TIMEOUT))?;
                s.set_write_timeout(Some(REPLY_TIMEOUT))
            }),
            Target::Tcp(a) => exchange(
                TcpStream::connect_timeout(a, REPLY_TIMEOUT).map_err(connect_err)?,
                line,
                |s| {
                    s.set_read_timeout(Some(REPLY_TIMEOUT))?;
                    s.set_write_timeout(Some(REPLY_TIMEOUT))
                },
            ),
        };
        reply.map_err(|source| CtlError::Io {
            target: shown,
            source,
        })
    }
}

fn exchange<S: Read + Write>(
    mut s: S,
    line: &str,
    timeouts: impl FnOnce(&S) -> std::io::Result<()>,
) -> std::io::Result<String> {
    timeouts(&s)?;
    s.write_all(format!("{line}\n").as_bytes())?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_haproxy_notation() {
        let tcp = |t: &str| Target::Tcp(t.parse().unwrap());
        assert_eq!(
            Target::parse_address("ipv4@127.0.0.1:9999"),
            Ok(tcp("127.0.0.1:9999"))
        );
        assert_eq!(
            Target::parse_address("ipv6@[::1]:9999"),
            Ok(tcp("[::1]:9999"))
        );
        assert_eq!(
            Target::parse_address("127.0.0.1:9999"),
            Ok(tcp("127.0.0.1:9999"))
        );
        assert_eq!(
            Target::parse_address("unix@/run/sockhop/stats.sock"),
            Ok(Target::Unix("/run/sockhop/stats.sock".into()))
        );
        assert!(Target::parse_address("ipv4@[::1]:9999").is_err());
        assert!(Target::parse_address("ipv4@localhost:9999").is_err());
        assert!(Target::parse_address("abns@x").is_err());
        assert_eq!(tcp("[::1]:1").to_string(), "ipv6@[::1]:1");
    }

    #[test]
    fn a_tcp_exchange_sends_one_line_and_reads_to_close() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut line = [0u8; 11];
            s.read_exact(&mut line).unwrap();
            s.write_all(b"operator\n\n").unwrap();
            line
        });
        let reply = Target::Tcp(addr).send("show level").unwrap();
        assert_eq!(reply, "operator\n\n");
        assert_eq!(&server.join().unwrap(), b"show level\n");
    }
}
