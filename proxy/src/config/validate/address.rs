//! `host:port` addresses: bind addresses (IP literals, `*` for all) and server addresses
//! (resolved now, once, at load time).

use super::super::error::ConfigError;
use super::super::source::Source;
use super::super::system;
use super::fields::Located;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use toml::Spanned;

/// Splits `host:port` / `[v6]:port`; the error is `(problem, fix)`.
fn split(text: &str, example: &str) -> Result<(String, u16), (String, String)> {
    let missing_port = || {
        (
            format!("\"{text}\" has no port"),
            format!("Add the port after a colon, e.g. \"{example}\""),
        )
    };
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| {
            (
                format!("\"{text}\" has an unclosed `[`"),
                "Write IPv6 addresses as \"[::1]:3306\"".to_string(),
            )
        })?;
        (host, after.strip_prefix(':').ok_or_else(missing_port)?)
    } else {
        if let Ok(IpAddr::V6(_)) = text.parse::<IpAddr>() {
            let (head, tail) = text.rsplit_once(':').unwrap_or((text, ""));
            return Err((
                format!(
                    "\"{text}\" has no port: an IPv6 address needs brackets around it when a port follows"
                ),
                format!("Write \"[{head}]:{tail}\" if {tail} is the port, or \"[{text}]:3306\""),
            ));
        }
        if text.parse::<IpAddr>().is_ok() {
            return Err(missing_port());
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(missing_port)?;
        if host.contains(':') {
            return Err((
                format!("\"{text}\" is ambiguous: an IPv6 address needs brackets"),
                format!("Write it as \"[{host}]:{port}\""),
            ));
        }
        (host, port)
    };
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok((host.to_string(), p)),
        _ => Err((
            format!("\"{port}\" in \"{text}\" is not a port"),
            "Use a port number from 1 to 65535, e.g. 3306".to_string(),
        )),
    }
}

/// A bind address: `ip:port`, `[v6]:port`, or `*:port` / `:port` for every IPv4 address.
pub fn bind(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<SocketAddr, ConfigError> {
    let text = v.get_ref();
    let (host, port) =
        split(text, "0.0.0.0:3306").map_err(|(p, f)| src.error(v.span(), key, p, f))?;
    let ip = if host.is_empty() || host == "*" {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        host.parse().map_err(|_| {
            src.error(
                v.span(),
                key,
                format!("\"{host}\" is not an IP address; bind addresses are not resolved"),
                format!(
                    "Use \"0.0.0.0:{port}\" (or \"*:{port}\") for every address, or the IP of one interface such as \"127.0.0.1:{port}\""
                ),
            )
        })?
    };
    Ok(SocketAddr::new(ip, port))
}

/// A server address, resolved now. With a `source` address, the first resolved address of
/// the same family is used (a connection cannot go from IPv4 to IPv6); otherwise the first.
pub fn server(
    src: &Source<'_>,
    v: &Spanned<String>,
    key: &str,
    source: Option<&Located<IpAddr>>,
) -> Result<SocketAddr, ConfigError> {
    let text = v.get_ref();
    let (host, port) =
        split(text, "127.0.0.10:3306").map_err(|(p, f)| src.error(v.span(), key, p, f))?;
    let resolved = system::resolve(&host, port).map_err(|e| {
        src.error(
            v.span(),
            key,
            format!("cannot resolve \"{host}\": {e}"),
            "Check the spelling, or write the server's IP address instead of its name",
        )
    })?;
    let Some(source) = source else {
        return Ok(resolved[0]);
    };
    resolved
        .iter()
        .find(|a| a.is_ipv4() == source.value.is_ipv4())
        .copied()
        .ok_or_else(|| {
            let family = |v4: bool| if v4 { "IPv4" } else { "IPv6" };
            src.error(
                v.span(),
                key,
                format!(
                    "\"{text}\" has no {} address, but `{}` = \"{}\" is {}",
                    family(source.value.is_ipv4()),
                    source.key,
                    source.value,
                    family(source.value.is_ipv4()),
                ),
                "Use a source address of the same family as the server's address",
            )
        })
}

/// Whether two bind addresses cannot both be bound (same port, same IP or a wildcard of the
/// same family).
pub fn binds_clash(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port()
        && a.is_ipv4() == b.is_ipv4()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        let ok = |t: &str| split(t, "x").unwrap();
        assert_eq!(ok("127.0.0.1:3306"), ("127.0.0.1".into(), 3306));
        assert_eq!(ok("[::1]:3306"), ("::1".into(), 3306));
        assert_eq!(ok("db.example.com:3307"), ("db.example.com".into(), 3307));
        assert_eq!(ok("*:3306"), ("*".into(), 3306));
        let err = |t: &str| split(t, "x").unwrap_err().0;
        assert!(err("127.0.0.1").contains("no port"));
        assert!(err("::1").contains("no port"));
        assert!(err("::1").contains("brackets"));
        assert!(err("db.example.com").contains("no port"));
        assert!(err("[::1]").contains("no port"));
        assert!(err("::1:3306").contains("brackets"));
        assert!(err("127.0.0.1:0").contains("not a port"));
        assert!(err("127.0.0.1:99999").contains("not a port"));
        assert!(err("127.0.0.1:").contains("not a port"));
    }

    #[test]
    fn clashes() {
        let a = |t: &str| t.parse::<SocketAddr>().unwrap();
        assert!(binds_clash(a("127.0.0.1:3306"), a("127.0.0.1:3306")));
        assert!(binds_clash(a("0.0.0.0:3306"), a("127.0.0.1:3306")));
        assert!(!binds_clash(a("127.0.0.1:3306"), a("127.0.0.2:3306")));
        assert!(!binds_clash(a("127.0.0.1:3306"), a("127.0.0.1:3307")));
        assert!(!binds_clash(a("[::]:3306"), a("127.0.0.1:3306")));
    }
}
