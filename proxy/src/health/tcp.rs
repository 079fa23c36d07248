//! The plain TCP check (`check = true` without `mysql_check`): the server is healthy when
//! a TCP connect succeeds (L4OK); L4TOUT when it times out, L4CON when it fails.
//!
//! The connection is then closed cleanly in the background: half-close, wait (bounded) for
//! the server's close while discarding what it sent, close. That avoids the reset a close
//! with unread data (a MySQL greeting) would cause. A MySQL server still counts such a
//! connect as aborted: use `mysql_check` for MySQL servers.

use super::conn::{Attempt, CheckLimits, close_after_peer};
use crate::state::{CheckResult, CheckStatus};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// Time given to the server to close its side after our half-close.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Connects to `addr` (from `source` when set) and reports whether that worked.
pub async fn check(addr: SocketAddr, source: Option<IpAddr>, limits: CheckLimits) -> CheckResult {
    let mut attempt = Attempt::start(limits);
    match attempt.connect(addr, source).await {
        Err(result) => result,
        Ok(mut stream) => {
            let result = attempt.result(CheckStatus::L4Ok, "");
            tokio::spawn(async move {
                let deadline = Instant::now() + CLOSE_GRACE;
                if tokio::time::timeout_at(deadline, stream.shutdown())
                    .await
                    .is_ok_and(|r| r.is_ok())
                {
                    close_after_peer(stream, deadline).await;
                }
            });
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    const LIMITS: CheckLimits = CheckLimits {
        connect: Duration::from_secs(2),
        after_connect: None,
    };

    #[tokio::test]
    async fn connect_is_l4ok_and_the_close_is_clean() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            // Like a MySQL server: talk first, then see how the client leaves.
            s.write_all(b"greeting").await.unwrap();
            let mut buf = [0u8; 16];
            let n = s.read(&mut buf).await.expect("a FIN, not a reset");
            assert_eq!(n, 0, "the check sends nothing");
        });
        let r = check(addr, None, LIMITS).await;
        assert_eq!(r.status, CheckStatus::L4Ok);
        assert_eq!(r.code, None);
        assert_eq!(r.info, "");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn refused_is_l4con_with_the_os_text() {
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let r = check(addr, None, LIMITS).await;
        assert_eq!(r.status, CheckStatus::L4Con);
        assert_eq!(r.info, "Connection refused");
    }

    #[tokio::test]
    async fn a_full_accept_queue_is_l4tout() {
        let (_listener, addr, _fillers) = crate::health::testutil::unanswered_listener().await;
        let r = check(addr, None, CheckLimits::total(Duration::from_millis(300))).await;
        assert_eq!(r.status, CheckStatus::L4Tout);
        assert_eq!(r.info, "");
        assert!(r.duration >= Duration::from_millis(300), "{:?}", r.duration);
    }
}
