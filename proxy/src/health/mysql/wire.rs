//! The pieces of the MySQL client/server protocol the login check needs: packet framing
//! with a length cap, the server greeting (HandshakeV10), ERR packets, AuthSwitchRequest,
//! the client's HandshakeResponse41, and each auth plugin's answer for an empty password.
//!
//! Everything here is bounded and total: garbage gives a [`ProtocolError`], never a panic.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest packet payload accepted. Greetings, OK/ERR packets and auth requests are a few
/// hundred bytes at most; anything larger is not a MySQL server talking to a new client.
pub const MAX_PAYLOAD: usize = 16 * 1024;
// The limit is spelled out in `ProtocolError::TooLong`'s message.
const _: () = assert!(MAX_PAYLOAD == 16384);

/// Longest text kept from the server (version, error message): HAProxy's check
/// description buffer holds 127 characters.
pub const MAX_TEXT: usize = 127;

/// Capability flags (`CLIENT_*`).
pub mod caps {
    pub const PROTOCOL_41: u32 = 0x0000_0200;
    pub const SECURE_CONNECTION: u32 = 0x0000_8000;
    pub const PLUGIN_AUTH: u32 = 0x0008_0000;
}

/// `utf8_general_ci`, the character set HAProxy's check announces.
pub const CHARSET: u8 = 33;
/// Max packet size announced in the handshake response (16 MiB).
pub const MAX_PACKET_SIZE: u32 = 1 << 24;
/// `COM_QUIT` as a whole packet: length 1, sequence 0, command 0x01.
pub const COM_QUIT: [u8; 5] = [0x01, 0x00, 0x00, 0x00, 0x01];

pub const NATIVE_PASSWORD: &str = "mysql_native_password";
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";

/// Which server packet is being read, for error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Greeting,
    LoginReply,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Greeting => "greeting",
            Stage::LoginReply => "login reply",
        })
    }
}

/// Why a server's bytes are not an acceptable reply. The `Display` text is the check's info.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("server closed the connection instead of sending its {0}")]
    Closed(Stage),
    #[error("truncated {0}")]
    Truncated(Stage),
    #[error("{1} of {0} bytes exceeds the 16384-byte limit")]
    TooLong(usize, Stage),
    #[error("{stage} has sequence number {got}, expected {expected}")]
    Sequence { got: u8, expected: u8, stage: Stage },
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("unsupported protocol version {0}")]
    ProtocolVersion(u8),
    #[error("server does not speak the 4.1 protocol with secure authentication")]
    No41,
    #[error("unexpected login reply starting with 0x{0:02x}")]
    Unexpected(u8),
    #[error("unexpected caching_sha2_password request of {0} bytes")]
    UnexpectedAuthData(usize),
    #[error("no OK after {0} authentication exchanges")]
    TooManyRounds(usize),
}

/// Why reading one packet failed.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    Protocol(ProtocolError),
}

/// Reads one packet: (sequence id, payload). A close before its first byte is
/// [`ProtocolError::Closed`], inside it [`ProtocolError::Truncated`]; a payload over
/// [`MAX_PAYLOAD`] is refused before it is read.
pub async fn read_packet<R: AsyncRead + Unpin>(
    r: &mut R,
    stage: Stage,
) -> Result<(u8, Vec<u8>), ReadError> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < header.len() {
        match r.read(&mut header[got..]).await.map_err(ReadError::Io)? {
            0 if got == 0 => return Err(ReadError::Protocol(ProtocolError::Closed(stage))),
            0 => return Err(ReadError::Protocol(ProtocolError::Truncated(stage))),
            n => got += n,
        }
    }
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    if len > MAX_PAYLOAD {
        return Err(ReadError::Protocol(ProtocolError::TooLong(len, stage)));
    }
    let mut payload = vec![0u8; len];
    let mut got = 0;
    while got < len {
        match r.read(&mut payload[got..]).await.map_err(ReadError::Io)? {
            0 => return Err(ReadError::Protocol(ProtocolError::Truncated(stage))),
            n => got += n,
        }
    }
    Ok((header[3], payload))
}

/// A whole packet: 3-byte little-endian length, sequence id, payload.
pub fn frame(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = Vec::with_capacity(4 + payload.len());
    v.extend_from_slice(&len.to_le_bytes()[..3]);
    v.push(seq);
    v.extend_from_slice(payload);
    v
}

/// What the check needs from the server greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// Server version ("5.5.5-10.11.19-MariaDB-0+deb12u1"), cleaned up for display.
    pub version: String,
    pub capabilities: u32,
    /// The auth plugin the server offers (with `CLIENT_PLUGIN_AUTH`).
    pub auth_plugin: Option<String>,
}

/// Parses a HandshakeV10 payload (the caller has already handled an ERR packet).
pub fn parse_greeting(p: &[u8]) -> Result<Greeting, ProtocolError> {
    let mut r = Reader(p);
    let proto = r.byte().ok_or(ProtocolError::Malformed("greeting"))?;
    if proto != 10 {
        return Err(ProtocolError::ProtocolVersion(proto));
    }
    let version = r.cstr().ok_or(ProtocolError::Malformed("greeting"))?;
    // thread id (4), auth-plugin-data part 1 (8), filler (1)
    r.skip(13).ok_or(ProtocolError::Malformed("greeting"))?;
    let mut capabilities = u32::from(r.u16().ok_or(ProtocolError::Malformed("greeting"))?);
    let mut auth_plugin = None;
    if !r.0.is_empty() {
        // charset (1), status (2)
        r.skip(3).ok_or(ProtocolError::Malformed("greeting"))?;
        capabilities |= u32::from(r.u16().ok_or(ProtocolError::Malformed("greeting"))?) << 16;
        let auth_len = r.byte().ok_or(ProtocolError::Malformed("greeting"))?;
        // reserved (10; MariaDB keeps its extended capabilities in the last 4)
        r.skip(10).ok_or(ProtocolError::Malformed("greeting"))?;
        if capabilities & caps::SECURE_CONNECTION != 0 {
            let part2 = usize::from(auth_len).saturating_sub(8).max(13);
            r.skip(part2).ok_or(ProtocolError::Malformed("greeting"))?;
        }
        if capabilities & caps::PLUGIN_AUTH != 0 {
            // Some servers leave out the final NUL: the name then runs to the end.
            let name = r.cstr().unwrap_or_else(|| r.rest());
            if !name.is_empty() {
                auth_plugin = Some(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    Ok(Greeting {
        version: display_text(version),
        capabilities,
        auth_plugin,
    })
}

/// An ERR packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrPacket {
    pub code: u16,
    /// Everything after the error code, as HAProxy shows it: with the 4.1 protocol this
    /// starts with `#` and the SQL state ("#28000Access denied ..."); an error sent instead
    /// of a greeting has none ("Host '127.0.0.2' is blocked ...").
    pub message: String,
}

/// Parses an ERR packet (first payload byte 0xff).
pub fn parse_err(p: &[u8]) -> Result<ErrPacket, ProtocolError> {
    match p {
        [0xff, lo, hi, rest @ ..] => Ok(ErrPacket {
            code: u16::from_le_bytes([*lo, *hi]),
            message: display_text(rest),
        }),
        _ => Err(ProtocolError::Malformed("ERR packet")),
    }
}

/// Whether an OK packet (0x00) is long enough to be one: header, two length-encoded
/// integers, status flags and warnings.
pub fn is_ok_packet(p: &[u8]) -> bool {
    p.first() == Some(&0x00) && p.len() >= 7
}

/// Parses an AuthSwitchRequest (0xfe): the plugin to switch to. The one-byte form is the
/// pre-4.1 request to use `mysql_old_password`.
pub fn parse_auth_switch(p: &[u8]) -> Result<String, ProtocolError> {
    match p {
        [0xfe] => Ok("mysql_old_password".to_string()),
        [0xfe, rest @ ..] => {
            let mut r = Reader(rest);
            let name = r
                .cstr()
                .ok_or(ProtocolError::Malformed("auth switch request"))?;
            if name.is_empty() {
                return Err(ProtocolError::Malformed("auth switch request"));
            }
            Ok(String::from_utf8_lossy(name).into_owned())
        }
        _ => Err(ProtocolError::Malformed("auth switch request")),
    }
}

/// What a client logging in without a password sends for `plugin`, as the MySQL and
/// MariaDB clients do: nothing for the native (and old) password plugins, a single NUL for
/// the SHA-256 plugins (libmysqlclient's `caching_sha2_password_auth_client` writes one
/// zero byte when the password is empty) and for the clear-text plugin (an empty C string).
/// `None` for plugins a password-less check cannot speak.
pub fn empty_password_answer(plugin: &str) -> Option<&'static [u8]> {
    match plugin {
        "mysql_native_password" | "mysql_old_password" => Some(&[]),
        "caching_sha2_password" | "sha256_password" | "mysql_clear_password" => Some(&[0]),
        _ => None,
    }
}

/// The HandshakeResponse41 payload: 4.1 protocol and secure connection (as HAProxy's
/// post-41 check), plus plugin auth when the server offers it, so that a server can switch
/// plugins instead of failing with 1251; then `user`, the auth response, and the plugin.
pub fn handshake_response(user: &str, plugin: Option<&str>, auth: &[u8]) -> Vec<u8> {
    let mut flags = caps::PROTOCOL_41 | caps::SECURE_CONNECTION;
    if plugin.is_some() {
        flags |= caps::PLUGIN_AUTH;
    }
    let mut v = Vec::with_capacity(64 + user.len());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&MAX_PACKET_SIZE.to_le_bytes());
    v.push(CHARSET);
    v.extend_from_slice(&[0u8; 23]);
    v.extend_from_slice(user.as_bytes());
    v.push(0);
    // Auth responses here are 0 or 1 bytes: the length always fits the one-byte form.
    v.push(auth.len() as u8);
    v.extend_from_slice(auth);
    if let Some(p) = plugin {
        v.extend_from_slice(p.as_bytes());
        v.push(0);
    }
    v
}

/// Server text made safe to show: up to the first NUL, control characters as spaces, at
/// most [`MAX_TEXT`] bytes (cut at a character boundary).
pub fn display_text(raw: &[u8]) -> String {
    let raw = raw.split(|b| *b == 0).next().unwrap_or_default();
    let mut s: String = String::from_utf8_lossy(raw)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// A cursor over a payload; every read is checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn u16(&mut self) -> Option<u16> {
        let lo = self.byte()?;
        let hi = self.byte()?;
        Some(u16::from_le_bytes([lo, hi]))
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.0 = self.0.get(n..)?;
        Some(())
    }
    /// A NUL-terminated string (without its NUL); `None` if there is no NUL.
    fn cstr(&mut self) -> Option<&'a [u8]> {
        let end = self.0.iter().position(|b| *b == 0)?;
        let s = &self.0[..end];
        self.0 = &self.0[end + 1..];
        Some(s)
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::mysql::fake::{MARIADB_GREETING, unhex};

    #[test]
    fn parses_a_real_mariadb_greeting() {
        let pkt = unhex(MARIADB_GREETING);
        let g = parse_greeting(&pkt[4..]).unwrap();
        assert_eq!(g.version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
        assert_eq!(g.auth_plugin.as_deref(), Some(NATIVE_PASSWORD));
        assert_ne!(g.capabilities & caps::PROTOCOL_41, 0);
        assert_ne!(g.capabilities & caps::SECURE_CONNECTION, 0);
        assert_ne!(g.capabilities & caps::PLUGIN_AUTH, 0);
    }

    #[test]
    fn every_truncation_of_a_greeting_is_an_error_not_a_panic() {
        let pkt = unhex(MARIADB_GREETING);
        let payload = &pkt[4..];
        // Cut inside the fixed part: errors. The plugin name may legally lack its NUL.
        let name_start = payload.len() - NATIVE_PASSWORD.len() - 1;
        for cut in 0..payload.len() {
            let r = parse_greeting(&payload[..cut]);
            if cut < name_start && cut != 1 + 33 + 15 {
                assert!(r.is_err(), "cut at {cut} parsed: {r:?}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u32 = 0x1234_5678;
        for len in 0..200 {
            let v: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = parse_greeting(&v);
            let _ = parse_err(&v);
            let _ = parse_auth_switch(&v);
            let _ = display_text(&v);
        }
    }

    #[test]
    fn a_pre_41_greeting_without_the_extended_part_parses() {
        let mut p = vec![10];
        p.extend_from_slice(b"4.0.27\0");
        p.extend_from_slice(&[1, 0, 0, 0]);
        p.extend_from_slice(b"abcdefgh\0");
        p.extend_from_slice(&[0x2c, 0x00]);
        let g = parse_greeting(&p).unwrap();
        assert_eq!(g.version, "4.0.27");
        assert_eq!(g.capabilities & caps::PROTOCOL_41, 0);
        assert_eq!(g.auth_plugin, None);
    }

    #[test]
    fn protocol_9_is_refused() {
        assert_eq!(
            parse_greeting(b"\x093.22\0"),
            Err(ProtocolError::ProtocolVersion(9))
        );
    }

    #[test]
    fn err_packets_keep_the_sql_state_like_haproxy() {
        let mut p = vec![0xff, 0x15, 0x04];
        p.extend_from_slice(b"#28000Access denied for user 'x'@'127.0.0.2' (using password: NO)");
        let e = parse_err(&p).unwrap();
        assert_eq!(e.code, 1045);
        assert_eq!(
            e.message,
            "#28000Access denied for user 'x'@'127.0.0.2' (using password: NO)"
        );
        assert!(parse_err(&[0xff, 0x15]).is_err());
    }

    #[test]
    fn display_text_is_bounded_and_clean() {
        assert_eq!(display_text(b"a\nb\0ignored"), "a b");
        let long = "é".repeat(100);
        let t = display_text(long.as_bytes());
        assert!(t.len() <= MAX_TEXT);
        assert!(t.chars().all(|c| c == 'é'));
    }

    #[test]
    fn handshake_response_bytes() {
        let p = handshake_response("haproxy", Some(NATIVE_PASSWORD), &[]);
        let mut want = vec![0x00, 0x82, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 33];
        want.extend_from_slice(&[0; 23]);
        want.extend_from_slice(b"haproxy\0\0mysql_native_password\0");
        assert_eq!(p, want);
        let p = handshake_response("u", None, &[]);
        assert_eq!(&p[..4], &[0x00, 0x82, 0x00, 0x00]);
        assert_eq!(&p[32..], b"u\0\0");
    }

    #[test]
    fn frame_writes_length_and_sequence() {
        assert_eq!(frame(3, &[]), vec![0, 0, 0, 3]);
        assert_eq!(frame(1, &[7; 300]).len(), 304);
        assert_eq!(&frame(1, &[7; 300])[..4], &[0x2c, 0x01, 0x00, 0x01]);
    }

    #[test]
    fn auth_switch_requests() {
        let mut p = vec![0xfe];
        p.extend_from_slice(b"caching_sha2_password\0");
        p.extend_from_slice(&[b'x'; 20]);
        p.push(0);
        assert_eq!(parse_auth_switch(&p).unwrap(), CACHING_SHA2_PASSWORD);
        assert_eq!(parse_auth_switch(&[0xfe]).unwrap(), "mysql_old_password");
        assert!(parse_auth_switch(&[0xfe, b'a']).is_err());
        assert!(parse_auth_switch(&[0xfe, 0]).is_err());
    }

    #[tokio::test]
    async fn read_packet_bounds_and_truncation() {
        let mut r: &[u8] = &[];
        assert!(matches!(
            read_packet(&mut r, Stage::Greeting).await,
            Err(ReadError::Protocol(ProtocolError::Closed(Stage::Greeting)))
        ));
        let mut r: &[u8] = &[5, 0];
        assert!(matches!(
            read_packet(&mut r, Stage::Greeting).await,
            Err(ReadError::Protocol(ProtocolError::Truncated(
                Stage::Greeting
            )))
        ));
        let mut r: &[u8] = &[5, 0, 0, 0, 1, 2];
        assert!(matches!(
            read_packet(&mut r, Stage::Greeting).await,
            Err(ReadError::Protocol(ProtocolError::Truncated(
                Stage::Greeting
            )))
        ));
        let mut r: &[u8] = b"HTTP/1.0 400 Bad Request\r\n";
        assert!(matches!(
            read_packet(&mut r, Stage::Greeting).await,
            Err(ReadError::Protocol(ProtocolError::TooLong(
                0x545448,
                Stage::Greeting
            )))
        ));
        let mut r: &[u8] = &[2, 0, 0, 7, 0xaa, 0xbb, 0xcc];
        assert_eq!(
            read_packet(&mut r, Stage::Greeting).await.unwrap(),
            (7, vec![0xaa, 0xbb])
        );
    }
}
