//! What every check shares: its time budget (HAProxy's rules for `inter`, `timeout connect`
//! and `timeout check`), the TCP connect from the server's `source` address, the mapping of
//! socket errors to HAProxy's statuses and texts, and a bounded clean close.

use crate::config::Timeouts;
use crate::state::{CheckResult, CheckStatus};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout_at};

/// At most this many bytes are read and thrown away while waiting for the server's close.
const DRAIN_LIMIT: usize = 64 * 1024;

/// How long one check may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckLimits {
    /// Time allowed for the TCP connect, counted from the start of the check.
    pub connect: Duration,
    /// Time allowed for the rest of the check, counted from the end of the connect.
    /// `None`: the whole check, connect included, must fit in `connect`.
    pub after_connect: Option<Duration>,
}

impl CheckLimits {
    /// HAProxy's rule (configuration.txt, `timeout check`): with `timeout check` set, the
    /// connect gets min(`timeout connect`, `inter`) and the reply `timeout check` after it;
    /// without it, the whole check must fit in `inter`.
    pub fn new(inter: Duration, timeouts: &Timeouts) -> Self {
        match timeouts.check {
            Some(check) => CheckLimits {
                connect: timeouts.connect.min(inter),
                after_connect: Some(check),
            },
            None => CheckLimits::total(inter),
        }
    }

    /// One budget for the whole check.
    pub fn total(budget: Duration) -> Self {
        CheckLimits {
            connect: budget,
            after_connect: None,
        }
    }
}

/// One check in progress: when it started and by when it must be over.
#[derive(Debug)]
pub(crate) struct Attempt {
    start: Instant,
    limits: CheckLimits,
    deadline: Instant,
}

impl Attempt {
    pub(crate) fn start(limits: CheckLimits) -> Self {
        let start = Instant::now();
        Attempt {
            start,
            limits,
            deadline: start + limits.connect,
        }
    }

    /// When the reply phase must be over (set by a successful [`Attempt::connect`]).
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The outcome of this check, with its duration up to now.
    pub(crate) fn result(&self, status: CheckStatus, info: impl Into<String>) -> CheckResult {
        CheckResult::new(status, info, self.start.elapsed())
    }

    /// Connects to `addr`, from `source` when set. On failure returns the check's outcome:
    /// L4TOUT on timeout, L4CON with the OS error text ("Connection refused") when the
    /// connect fails, SOCKERR when no socket could be set up.
    pub(crate) async fn connect(
        &mut self,
        addr: SocketAddr,
        source: Option<IpAddr>,
    ) -> Result<TcpStream, CheckResult> {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| self.result(CheckStatus::SockErr, os_text(&e)))?;
        if let Some(ip) = source {
            socket
                .bind(SocketAddr::new(ip, 0))
                .map_err(|e| self.result(CheckStatus::SockErr, os_text(&e)))?;
        }
        match timeout_at(self.start + self.limits.connect, socket.connect(addr)).await {
            Err(_) => Err(self.result(CheckStatus::L4Tout, "")),
            Ok(Err(e)) => Err(self.result(CheckStatus::L4Con, os_text(&e))),
            Ok(Ok(stream)) => {
                if let Some(after) = self.limits.after_connect {
                    self.deadline = Instant::now() + after;
                }
                Ok(stream)
            }
        }
    }
}

/// The OS error text as HAProxy prints it ("Connection refused"), without Rust's
/// " (os error N)" suffix.
pub(crate) fn os_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// Reads and discards until the peer closes (at most [`DRAIN_LIMIT`] bytes), so that our
/// own close never finds unread data and turns into a reset.
pub(crate) async fn drain_to_eof<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<()> {
    let mut buf = [0u8; 512];
    let mut total = 0;
    while total < DRAIN_LIMIT {
        match r.read(&mut buf).await? {
            0 => return Ok(()),
            n => total += n,
        }
    }
    Ok(())
}

/// Waits, until `deadline`, for the peer to close after we are done, then drops the socket.
pub(crate) async fn close_after_peer(mut stream: TcpStream, deadline: Instant) {
    let _ = timeout_at(deadline, drain_to_eof(&mut stream)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts(check: Option<Duration>) -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(2),
            client: Duration::from_secs(60),
            server: Duration::from_secs(60),
            check,
        }
    }

    #[test]
    fn without_timeout_check_the_whole_check_fits_in_inter() {
        let l = CheckLimits::new(Duration::from_secs(3), &timeouts(None));
        assert_eq!(l, CheckLimits::total(Duration::from_secs(3)));
    }

    #[test]
    fn with_timeout_check_connect_gets_the_smaller_of_connect_and_inter() {
        let t = timeouts(Some(Duration::from_secs(1)));
        let l = CheckLimits::new(Duration::from_secs(3), &t);
        assert_eq!(l.connect, Duration::from_secs(2));
        assert_eq!(l.after_connect, Some(Duration::from_secs(1)));
        let l = CheckLimits::new(Duration::from_millis(500), &t);
        assert_eq!(l.connect, Duration::from_millis(500));
    }

    #[test]
    fn os_text_drops_the_rust_suffix() {
        let e = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(os_text(&e), "Connection refused");
        let e = io::Error::from_raw_os_error(libc::ECONNRESET);
        assert_eq!(os_text(&e), "Connection reset by peer");
        let e = io::Error::other("plain text");
        assert_eq!(os_text(&e), "plain text");
    }
}
