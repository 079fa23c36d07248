//! A minimal MySQL/MariaDB client: enough to log in with mysql_native_password (including an
//! auth switch request) and run a query whose first row's first column is read as text.
//! Used by the failover load so each query's outcome and server is known to the microsecond.

use crate::{BenchError, wire};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const CLIENT_LONG_PASSWORD: u32 = 1;
const CLIENT_CONNECT_WITH_DB: u32 = 8;
const CLIENT_PROTOCOL_41: u32 = 512;
const CLIENT_TRANSACTIONS: u32 = 8192;
const CLIENT_SECURE_CONNECTION: u32 = 32768;
const CLIENT_PLUGIN_AUTH: u32 = 1 << 19;

/// Login credentials.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
    pub database: String,
}

/// One logged-in connection.
pub struct Conn {
    stream: TcpStream,
}

impl Conn {
    pub fn connect(addr: SocketAddr, login: &Login, timeout: Duration) -> Result<Conn, BenchError> {
        let mut s = TcpStream::connect_timeout(&addr, timeout)
            .map_err(BenchError::io(format!("connect {addr}")))?;
        s.set_nodelay(true).map_err(BenchError::io("TCP_NODELAY"))?;
        s.set_read_timeout(Some(timeout))
            .map_err(BenchError::io("timeout"))?;
        let (_, hs) = wire::read_packet(&mut s).map_err(BenchError::io("read greeting"))?;
        check_err(&hs)?;
        let salt = greeting_salt(&hs)?;
        let caps = CLIENT_LONG_PASSWORD
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION
            | CLIENT_PLUGIN_AUTH;
        let mut p = Vec::new();
        p.extend_from_slice(&caps.to_le_bytes());
        p.extend_from_slice(&(16u32 << 20).to_le_bytes());
        p.push(33);
        p.extend_from_slice(&[0u8; 23]);
        p.extend_from_slice(login.user.as_bytes());
        p.push(0);
        let auth = native_password(&login.password, &salt);
        p.push(auth.len() as u8);
        p.extend_from_slice(&auth);
        p.extend_from_slice(login.database.as_bytes());
        p.push(0);
        p.extend_from_slice(b"mysql_native_password\0");
        wire::write_packet(&mut s, 1, &p).map_err(BenchError::io("send login"))?;
        let (seq, reply) = wire::read_packet(&mut s).map_err(BenchError::io("read login reply"))?;
        check_err(&reply)?;
        if reply.first() == Some(&0xfe) {
            // Auth switch: plugin name NUL, then the new salt.
            let rest = &reply[1..];
            let nul = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let salt: Vec<u8> = rest[(nul + 1).min(rest.len())..]
                .iter()
                .copied()
                .take_while(|&b| b != 0)
                .collect();
            let auth = native_password(&login.password, &salt);
            wire::write_packet(&mut s, seq.wrapping_add(1), &auth)
                .map_err(BenchError::io("send auth switch reply"))?;
            let (_, r) = wire::read_packet(&mut s).map_err(BenchError::io("read auth result"))?;
            check_err(&r)?;
            expect_ok(&r)?;
        } else {
            expect_ok(&reply)?;
        }
        Ok(Conn { stream: s })
    }

    /// Runs `sql`; returns the first column of the first row as text (None for no rows/NULL).
    pub fn query_first(&mut self, sql: &str) -> Result<Option<String>, BenchError> {
        let mut p = vec![3u8];
        p.extend_from_slice(sql.as_bytes());
        let s = &mut self.stream;
        wire::write_packet(s, 0, &p).map_err(BenchError::io("send query"))?;
        let (_, head) = wire::read_packet(s).map_err(BenchError::io("read result"))?;
        check_err(&head)?;
        if head.first() == Some(&0) {
            return Ok(None);
        }
        // Column definitions until EOF, then rows until EOF.
        loop {
            let (_, p) = wire::read_packet(s).map_err(BenchError::io("read column"))?;
            if is_eof(&p) {
                break;
            }
        }
        let mut first = None;
        loop {
            let (_, p) = wire::read_packet(s).map_err(BenchError::io("read row"))?;
            check_err(&p)?;
            if is_eof(&p) {
                return Ok(first);
            }
            if first.is_none() && p.first() != Some(&0xfb) {
                first = Some(lenenc_str(&p)?);
            }
        }
    }

    /// Sends COM_QUIT and closes.
    pub fn quit(mut self) {
        let _ = wire::write_packet(&mut self.stream, 0, &wire::QUIT);
    }
}

fn is_eof(p: &[u8]) -> bool {
    p.first() == Some(&0xfe) && p.len() < 9
}

fn expect_ok(p: &[u8]) -> Result<(), BenchError> {
    match p.first() {
        Some(0) => Ok(()),
        _ => Err(BenchError::Protocol(format!(
            "unexpected login reply 0x{:02x}",
            p.first().copied().unwrap_or(0)
        ))),
    }
}

fn check_err(p: &[u8]) -> Result<(), BenchError> {
    if p.first() != Some(&0xff) || p.len() < 3 {
        return Ok(());
    }
    let code = u16::from_le_bytes([p[1], p[2]]);
    let msg = if p.get(3) == Some(&b'#') && p.len() >= 9 {
        &p[9..]
    } else {
        &p[3..]
    };
    Err(BenchError::Server {
        code,
        message: String::from_utf8_lossy(msg).into_owned(),
    })
}

fn lenenc_str(p: &[u8]) -> Result<String, BenchError> {
    let short = || BenchError::Protocol("short row".into());
    let (len, off) = match *p.first().ok_or_else(short)? {
        n @ 0..=0xfa => (n as usize, 1),
        0xfc => (u16::from_le_bytes([p[1], p[2]]) as usize, 3),
        _ => return Err(BenchError::Protocol("unsupported length encoding".into())),
    };
    let bytes = p.get(off..off + len).ok_or_else(short)?;
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Extracts the 20-byte scramble from a protocol-10 greeting.
fn greeting_salt(hs: &[u8]) -> Result<Vec<u8>, BenchError> {
    let bad = || BenchError::Protocol("malformed server greeting".into());
    if hs.first() != Some(&10) {
        return Err(bad());
    }
    let ver_end = hs.iter().skip(1).position(|&b| b == 0).ok_or_else(bad)? + 2;
    let part1 = hs.get(ver_end + 4..ver_end + 12).ok_or_else(bad)?;
    // filler(1) caps(2) charset(1) status(2) caps_hi(2) auth_len(1) reserved(10)
    let p2_start = ver_end + 12 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
    let part2: Vec<u8> = hs
        .get(p2_start..)
        .ok_or_else(bad)?
        .iter()
        .copied()
        .take(12)
        .collect();
    let mut salt = part1.to_vec();
    salt.extend_from_slice(&part2);
    Ok(salt)
}

/// mysql_native_password: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw))); empty for no password.
fn native_password(password: &str, salt: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let h1 = sha1_smol::Sha1::from(password.as_bytes()).digest().bytes();
    let h2 = sha1_smol::Sha1::from(h1).digest().bytes();
    let mut m = sha1_smol::Sha1::new();
    m.update(salt);
    m.update(&h2);
    let h3 = m.digest().bytes();
    h1.iter().zip(h3.iter()).map(|(a, b)| a ^ b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_is_both_parts_of_the_greeting_scramble() {
        assert_eq!(
            greeting_salt(&wire::greeting()).unwrap(),
            b"abcdefghijklmnopqrst".to_vec()
        );
    }

    #[test]
    fn native_password_is_empty_without_password_and_20_bytes_with_one() {
        assert!(native_password("", b"abcdefghijklmnopqrst").is_empty());
        let a = native_password("bench", b"abcdefghijklmnopqrst");
        let b = native_password("bench", b"tsrqponmlkjihgfedcba");
        assert_eq!(a.len(), 20);
        assert_ne!(a, b, "the scramble depends on the salt");
    }

    #[test]
    fn server_errors_carry_code_and_message() {
        let mut p = vec![0xff];
        p.extend_from_slice(&1045u16.to_le_bytes());
        p.extend_from_slice(b"#28000Access denied");
        match check_err(&p) {
            Err(BenchError::Server { code, message }) => {
                assert_eq!(code, 1045);
                assert_eq!(message, "Access denied");
            }
            other => panic!("{other:?}"),
        }
    }
}
