//! A small, strict HTTP/1.1 server side: reading one request with bounded sizes and writing
//! one response (`Connection: close`: one request per connection keeps it simple and safe).
//!
//! Anything that is not a well-formed HTTP/1.0 or 1.1 request gets a 4xx/5xx answer, never a
//! panic: the parser works on bytes and checks every piece it uses.

use std::fmt::Write as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest accepted request line plus headers.
pub const MAX_HEAD: usize = 8 * 1024;
/// Most headers in one request.
pub const MAX_HEADERS: usize = 64;
/// Longest accepted request body (the action form is a few dozen bytes).
pub const MAX_BODY: usize = 4 * 1024;

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without its query string.
    pub path: String,
    pub query: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read; each maps to the status it is answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("malformed request: {0}")]
    BadRequest(&'static str),
    #[error("request head larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    #[error("request body larger than {MAX_BODY} bytes")]
    BodyTooLarge,
    #[error("HTTP version not supported")]
    Version,
    #[error("transfer codings are not supported")]
    TransferEncoding,
    #[error("the client closed the connection")]
    Closed,
}

impl HttpError {
    /// The response for this error, or `None` when there is nobody to answer.
    pub fn response(&self) -> Option<Response> {
        let (status, text) = match self {
            HttpError::BadRequest(_) => (400, "Bad Request"),
            HttpError::HeadTooLarge => (431, "Request Header Fields Too Large"),
            HttpError::BodyTooLarge => (413, "Content Too Large"),
            HttpError::Version => (505, "HTTP Version Not Supported"),
            HttpError::TransferEncoding => (501, "Not Implemented"),
            HttpError::Closed => return None,
        };
        Some(Response::text(status, format!("{text}: {self}\n")))
    }
}

/// Reads one request from `io`.
pub async fn read_request<R: AsyncRead + Unpin>(io: &mut R) -> Result<Request, HttpError> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end;
        }
        if buf.len() >= MAX_HEAD {
            return Err(HttpError::HeadTooLarge);
        }
        let mut chunk = [0u8; 2048];
        let want = chunk.len().min(MAX_HEAD + 4 - buf.len());
        let n = io
            .read(&mut chunk[..want])
            .await
            .map_err(|_| HttpError::Closed)?;
        if n == 0 {
            return Err(if buf.is_empty() {
                HttpError::Closed
            } else {
                HttpError::BadRequest("the request ended inside its head")
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_end > MAX_HEAD {
        return Err(HttpError::HeadTooLarge);
    }
    let mut req = parse_head(&buf[..head_end])?;
    let mut body = buf[head_end + 4..].to_vec();
    let length = content_length(&req)?;
    if length > MAX_BODY {
        return Err(HttpError::BodyTooLarge);
    }
    if body.len() > length {
        // Pipelined requests are not served: one request per connection.
        body.truncate(length);
    }
    while body.len() < length {
        let mut chunk = [0u8; 1024];
        let want = chunk.len().min(length - body.len());
        let n = io
            .read(&mut chunk[..want])
            .await
            .map_err(|_| HttpError::Closed)?;
        if n == 0 {
            return Err(HttpError::BadRequest(
                "the body is shorter than Content-Length",
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    req.body = body;
    Ok(req)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses the request line and headers (without the final empty line).
pub fn parse_head(head: &[u8]) -> Result<Request, HttpError> {
    let text = std::str::from_utf8(head).map_err(|_| HttpError::BadRequest("not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::BadRequest(
            "the request line is not METHOD TARGET VERSION",
        ));
    };
    if method.is_empty() || !method.bytes().all(is_token) {
        return Err(HttpError::BadRequest("invalid method"));
    }
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(HttpError::BadRequest(
            "the target is not an origin-form path",
        ));
    }
    match version {
        "HTTP/1.1" | "HTTP/1.0" => {}
        v if v.starts_with("HTTP/") => return Err(HttpError::Version),
        _ => return Err(HttpError::BadRequest("invalid HTTP version")),
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let mut headers = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err(HttpError::BadRequest("folded header lines are not allowed"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HttpError::BadRequest("a header line has no colon"));
        };
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err(HttpError::BadRequest("invalid header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(HttpError::BadRequest("control character in a header value"));
        }
        headers.push((name.to_ascii_lowercase(), value.to_string()));
        if headers.len() > MAX_HEADERS {
            return Err(HttpError::HeadTooLarge);
        }
    }
    if version == "HTTP/1.1" && !headers.iter().any(|(n, _)| n == "host") {
        return Err(HttpError::BadRequest("HTTP/1.1 request without Host"));
    }
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
    })
}

fn content_length(req: &Request) -> Result<usize, HttpError> {
    if req.header("transfer-encoding").is_some() {
        return Err(HttpError::TransferEncoding);
    }
    let mut length = None;
    for (_, v) in req.headers.iter().filter(|(n, _)| n == "content-length") {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HttpError::BadRequest("invalid Content-Length"));
        }
        let n: usize = v.parse().map_err(|_| HttpError::BodyTooLarge)?;
        if length.is_some_and(|l| l != n) {
            return Err(HttpError::BadRequest("conflicting Content-Length headers"));
        }
        length = Some(n);
    }
    Ok(length.unwrap_or(0))
}

/// One response; always sent with `Connection: close`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: body.into(),
        }
    }
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body.into())
    }
    pub fn html(body: String) -> Response {
        Response::new(200, "text/html; charset=utf-8", body)
    }
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
    /// `303 See Other` to `location` (after a POST).
    pub fn see_other(location: &str) -> Response {
        Response::text(303, "See Other\n").with("Location", location)
    }

    /// The bytes on the wire; `head_only` drops the body (HEAD requests).
    pub fn encode(&self, head_only: bool) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (n, v) in &self.headers {
            let _ = write!(head, "{n}: {v}\r\n");
        }
        let _ = write!(
            head,
            "Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
            self.body.len()
        );
        let mut out = head.into_bytes();
        if !head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }

    pub async fn write<W: AsyncWrite + Unpin>(
        &self,
        io: &mut W,
        head_only: bool,
    ) -> std::io::Result<()> {
        io.write_all(&self.encode(head_only)).await?;
        io.flush().await
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Decodes `application/x-www-form-urlencoded` into `(name, value)` pairs; `None` if a
/// percent escape is broken or the result is not UTF-8.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(n)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8]) -> Result<Request, HttpError> {
        let mut io = bytes;
        read_request(&mut io).await
    }

    #[tokio::test]
    async fn reads_a_post_with_its_body() {
        let r = read(
            b"POST /action?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello",
        )
        .await
        .unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/action"));
        assert_eq!(r.query, "x=1");
        assert_eq!(r.header("x-a"), Some("b"));
        assert_eq!(r.body, b"hello");
    }

    #[tokio::test]
    async fn rejects_garbage_with_the_right_status() {
        let cases: &[(&[u8], u16)] = &[
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
            (b"GET\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n\r\n", 400),
            (b"GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            (b"GET / FOO\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
                400,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                400,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\n",
                413,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                501,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc",
                400,
            ),
            (b"GET / HTTP/1.1\r\nHost: a", 400),
        ];
        for (bytes, status) in cases {
            let e = read(bytes).await.unwrap_err();
            assert_eq!(
                e.response().unwrap().status,
                *status,
                "{:?}: {e}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(read(b"").await.unwrap_err(), HttpError::Closed);
    }

    #[tokio::test]
    async fn bounds_the_head() {
        let mut big = b"GET / HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(read(&big).await.unwrap_err(), HttpError::HeadTooLarge);
        let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(read(&many).await.unwrap_err(), HttpError::HeadTooLarge);
    }

    #[test]
    fn forms_decode_and_reject_broken_escapes() {
        assert_eq!(
            parse_form(b"a=1&b=x+y%2Fz&c").unwrap(),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y/z".into()),
                ("c".into(), String::new())
            ]
        );
        assert!(parse_form(b"a=%zz").is_none());
        assert!(parse_form(b"a=%4").is_none());
        assert!(parse_form(b"a=%ff").is_none());
    }

    #[test]
    fn responses_carry_length_and_close() {
        let wire = String::from_utf8(Response::text(404, "no\n").encode(false)).unwrap();
        assert!(wire.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(wire.contains("Content-Length: 3\r\n"));
        assert!(wire.contains("Connection: close\r\n"));
        assert!(wire.ends_with("\r\n\r\nno\n"));
        let head = String::from_utf8(Response::text(200, "abc").encode(true)).unwrap();
        assert!(head.ends_with("\r\n\r\n") && head.contains("Content-Length: 3"));
    }
}
