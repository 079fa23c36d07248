//! Who is asking and may they: HTTP Basic authentication against `[[web.users]]`, and the
//! CSRF defences of the action form (a per-process token in the form, and a same-origin
//! check of `Origin`/`Referer`).

use super::http::{Request, Response};
use crate::config::{WebLevel, WebUser};
use std::io::Read;

/// The realm browsers show in their login prompt.
pub const REALM: &str = "sockhop";

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub name: String,
    pub level: WebLevel,
}

/// The `401` that makes a browser ask for a name and password.
pub fn challenge() -> Response {
    Response::text(401, "Unauthorized: log in with a [[web.users]] account.\n").with(
        "WWW-Authenticate",
        format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""),
    )
}

/// Checks the `Authorization: Basic` header against `users`.
pub fn authenticate(req: &Request, users: &[WebUser]) -> Option<Login> {
    let value = req.header("authorization")?;
    let (scheme, creds) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = decode_base64(creds.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, password) = text.split_once(':')?;
    // Compare against every account so the time taken does not tell which name exists.
    let mut found = None;
    for u in users {
        let ok = constant_time_eq(u.name.as_bytes(), name.as_bytes())
            & constant_time_eq(u.password.as_bytes(), password.as_bytes());
        if ok && found.is_none() {
            found = Some(Login {
                name: u.name.clone(),
                level: u.level,
            });
        }
    }
    found
}

/// Equality whose time depends on the lengths only, not on where the bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Standard base64 (RFC 4648, with padding); `None` on any invalid input.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    Some(out)
}

/// The anti-CSRF token of this process: random, embedded in every action form, required in
/// every action POST. Another site can neither read it nor guess it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// 128 random bits from the kernel, as hex.
    pub fn generate() -> std::io::Result<CsrfToken> {
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(CsrfToken(
            bytes.iter().map(|b| format!("{b:02x}")).collect(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

/// Whether a POST comes from this server's own page: its `Origin` (or, without one, its
/// `Referer`) must name the `Host` it was sent to. A request with neither is refused too.
pub fn same_origin(req: &Request) -> bool {
    let Some(host) = req.header("host") else {
        return false;
    };
    let expected = format!("http://{host}");
    match (req.header("origin"), req.header("referer")) {
        (Some(origin), _) => origin == expected,
        (None, Some(referer)) => {
            referer == expected
                || referer
                    .strip_prefix(&expected)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
        (None, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: vec![],
        }
    }

    fn users() -> Vec<WebUser> {
        vec![
            WebUser {
                name: "admin".into(),
                password: "pa:ss".into(),
                level: WebLevel::Admin,
            },
            WebUser {
                name: "viewer".into(),
                password: "v".into(),
                level: WebLevel::User,
            },
        ]
    }

    #[test]
    fn base64_round_trips_known_vectors() {
        for (enc, dec) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("YWRtaW46cGE6c3M=", "admin:pa:ss"),
        ] {
            assert_eq!(decode_base64(enc).unwrap(), dec.as_bytes(), "{enc}");
        }
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!", "===="] {
            assert!(decode_base64(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn basic_auth_finds_the_account_and_its_level() {
        let u = users();
        let login = authenticate(&req(&[("authorization", "Basic YWRtaW46cGE6c3M=")]), &u);
        assert_eq!(login.unwrap().level, WebLevel::Admin);
        // viewer:v
        let login = authenticate(&req(&[("authorization", "basic dmlld2VyOnY=")]), &u);
        assert_eq!(login.unwrap().level, WebLevel::User);
        // admin:wrong, a bearer token, garbage, nothing.
        for h in [
            "Basic YWRtaW46d3Jvbmc=",
            "Bearer abc",
            "Basic !!!!",
            "Basic",
        ] {
            assert!(
                authenticate(&req(&[("authorization", h)]), &u).is_none(),
                "{h}"
            );
        }
        assert!(authenticate(&req(&[]), &u).is_none());
    }

    #[test]
    fn same_origin_needs_origin_or_referer_matching_host() {
        let host = ("host", "127.0.0.1:8404");
        assert!(same_origin(&req(&[
            host,
            ("origin", "http://127.0.0.1:8404")
        ])));
        assert!(same_origin(&req(&[
            host,
            ("referer", "http://127.0.0.1:8404/")
        ])));
        assert!(!same_origin(&req(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&req(&[host, ("origin", "null")])));
        assert!(!same_origin(&req(&[
            host,
            ("referer", "http://127.0.0.1:8404.evil/")
        ])));
        assert!(!same_origin(&req(&[host])));
    }

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let a = CsrfToken::generate().unwrap();
        let b = CsrfToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(a.matches(a.as_str()));
        assert!(!a.matches(b.as_str()));
        assert!(!a.matches(""));
    }
}
