//! The MySQL/MariaDB login check (`mysql_check = { user = "..." }`): what HAProxy's
//! `option mysql-check user <u> post-41` achieves, done the way a real client logs in.
//!
//! 1. Connect (from the server's `source` when set) and read the server greeting before
//!    sending anything (HAProxy pipelines its login before the greeting).
//! 2. Send a HandshakeResponse41 as the check user with no password, echoing the auth
//!    plugin the greeting offers (with `CLIENT_PLUGIN_AUTH`, which HAProxy does not send:
//!    that is why MySQL 8 answers HAProxy's check with error 1251).
//! 3. Answer an AuthSwitchRequest, or caching_sha2_password's follow-up requests, with the
//!    empty-password answer of that plugin ([`wire::empty_password_answer`]).
//! 4. On OK: send `COM_QUIT`, half-close, wait (bounded) for the server to close, then
//!    close. The server sees a normal logout: no aborted connect, nothing towards
//!    `max_connect_errors`.
//!
//! Outcomes, with the statuses and texts HAProxy 2.6 gives for the same server behaviour:
//! - OK: L7OK, `check_code` 0, info = the server version from the greeting.
//! - ERR, instead of the greeting (1129 host blocked, 1040 too many connections) or after
//!   the login (1045 access denied): L7STS, `check_code` = the error number, info = the text
//!   after it ("#28000Access denied ..." keeps the SQL state, as HAProxy shows it).
//! - garbage, an oversized or truncated packet, a close before the reply: L7RSP.
//! - no reply, or a partial one, within the time allowed: L7TOUT.
//! - connect refused or unreachable: L4CON with the OS text; connect timeout: L4TOUT;
//!   a reset after the connect: SOCKERR "Connection reset by peer".
//!
//! `wire.rs` holds the packet formats; `fake.rs` (tests only) a scripted fake server.

pub mod wire;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use super::conn::{Attempt, CheckLimits, close_after_peer, os_text};
use crate::state::{CheckResult, CheckStatus};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use wire::{ErrPacket, ProtocolError, ReadError, Stage, caps};

/// Server packets accepted during the login before giving up (an auth switch and
/// caching_sha2_password's fast-auth result take two).
const MAX_AUTH_ROUNDS: usize = 4;

/// Time given to the server to close its side once the check is decided.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How a login failed.
#[derive(Debug)]
enum Failure {
    /// The server said no (ERR packet).
    Server(ErrPacket),
    Protocol(ProtocolError),
    Io(io::Error),
}

impl From<ProtocolError> for Failure {
    fn from(e: ProtocolError) -> Self {
        Failure::Protocol(e)
    }
}
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}
impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => Failure::Io(e),
            ReadError::Protocol(e) => Failure::Protocol(e),
        }
    }
}

/// Logs in to the MySQL server at `addr` as `user` without a password, then logs out.
pub async fn check(
    addr: SocketAddr,
    source: Option<IpAddr>,
    user: &str,
    limits: CheckLimits,
) -> CheckResult {
    let mut attempt = Attempt::start(limits);
    let mut stream = match attempt.connect(addr, source).await {
        Ok(s) => s,
        Err(result) => return result,
    };
    match timeout_at(attempt.deadline(), login(&mut stream, user)).await {
        Err(_) => attempt.result(CheckStatus::L7Tout, ""),
        Ok(Ok(version)) => {
            let result = attempt.result(CheckStatus::L7Ok, version).with_code(0);
            quit(stream).await;
            result
        }
        Ok(Err(Failure::Server(err))) => {
            let result = attempt
                .result(CheckStatus::L7Sts, err.message)
                .with_code(u32::from(err.code));
            // The server closes after an ERR; wait for it so our close is clean too.
            close_after_peer(stream, Instant::now() + CLOSE_GRACE).await;
            result
        }
        Ok(Err(Failure::Protocol(e))) => attempt.result(CheckStatus::L7Rsp, e.to_string()),
        Ok(Err(Failure::Io(e))) => attempt.result(CheckStatus::SockErr, os_text(&e)),
    }
}

/// Reads the greeting and logs in; returns the server version on OK.
async fn login(s: &mut TcpStream, user: &str) -> Result<String, Failure> {
    let (seq, payload) = wire::read_packet(s, Stage::Greeting).await?;
    expect_seq(seq, 0, Stage::Greeting)?;
    if payload.first() == Some(&0xff) {
        return Err(Failure::Server(wire::parse_err(&payload)?));
    }
    let greeting = wire::parse_greeting(&payload)?;
    let needed = caps::PROTOCOL_41 | caps::SECURE_CONNECTION;
    if greeting.capabilities & needed != needed {
        return Err(ProtocolError::No41.into());
    }
    // Echo the offered plugin when we know its empty-password answer; otherwise start with
    // mysql_native_password, as MySQL clients do, and let the server switch.
    let mut plugin = match greeting.auth_plugin {
        Some(p) if wire::empty_password_answer(&p).is_some() => p,
        _ => wire::NATIVE_PASSWORD.to_string(),
    };
    let plugin_auth = greeting.capabilities & caps::PLUGIN_AUTH != 0;
    let auth = if plugin_auth {
        wire::empty_password_answer(&plugin).unwrap_or_default()
    } else {
        &[]
    };
    let response = wire::handshake_response(user, plugin_auth.then_some(plugin.as_str()), auth);
    s.write_all(&wire::frame(1, &response)).await?;

    let mut expected: u8 = 2;
    for _ in 0..MAX_AUTH_ROUNDS {
        let (seq, p) = wire::read_packet(s, Stage::LoginReply).await?;
        expect_seq(seq, expected, Stage::LoginReply)?;
        match p.first().copied() {
            Some(0x00) if wire::is_ok_packet(&p) => return Ok(greeting.version),
            Some(0x00) => return Err(ProtocolError::Malformed("OK packet").into()),
            Some(0xff) => return Err(Failure::Server(wire::parse_err(&p)?)),
            Some(0xfe) => {
                plugin = wire::parse_auth_switch(&p)?;
                // Unknown plugins get an empty answer: the server then refuses the login
                // with an ERR (a clean end) rather than seeing us hang up mid-handshake.
                let answer = wire::empty_password_answer(&plugin).unwrap_or_default();
                s.write_all(&wire::frame(expected.wrapping_add(1), answer))
                    .await?;
                expected = expected.wrapping_add(2);
            }
            Some(0x01) if plugin == wire::CACHING_SHA2_PASSWORD => match &p[1..] {
                // Fast authentication succeeded: the OK packet follows.
                [3] => expected = expected.wrapping_add(1),
                // Full authentication: the client sends its password, here an empty C
                // string. Without TLS a MySQL server wants it RSA-encrypted and answers ERR,
                // which ends the check cleanly as L7STS.
                [4] => {
                    s.write_all(&wire::frame(expected.wrapping_add(1), &[0]))
                        .await?;
                    expected = expected.wrapping_add(2);
                }
                other => return Err(ProtocolError::UnexpectedAuthData(other.len()).into()),
            },
            Some(b) => return Err(ProtocolError::Unexpected(b).into()),
            None => return Err(ProtocolError::Malformed("empty packet").into()),
        }
    }
    Err(ProtocolError::TooManyRounds(MAX_AUTH_ROUNDS).into())
}

fn expect_seq(got: u8, expected: u8, stage: Stage) -> Result<(), ProtocolError> {
    if got == expected {
        Ok(())
    } else {
        Err(ProtocolError::Sequence {
            got,
            expected,
            stage,
        })
    }
}

/// Logs out: `COM_QUIT`, half-close, wait for the server's close (bounded), close.
async fn quit(mut stream: TcpStream) {
    let deadline = Instant::now() + CLOSE_GRACE;
    let sent = timeout_at(deadline, async {
        stream.write_all(&wire::COM_QUIT).await?;
        stream.shutdown().await
    })
    .await;
    if matches!(sent, Ok(Ok(()))) {
        close_after_peer(stream, deadline).await;
    }
}
