//! One checker task per checked server: when to check, and what to do with the outcome.
//!
//! The first check comes at a random point within the first `inter` (HAProxy spreads its
//! start-up checks too, so that servers are not all checked at once). Then, until shutdown:
//! while checks are off (admin MAINT, `disable health`) wait for a wake-up from the admin
//! side (re-evaluated every `inter` as well); else mark the check running, run it within
//! [`CheckLimits`] (HAProxy's `timeout check` / `inter` rule), record it with
//! [`ListenState::apply_check`], and sleep for the server's next interval (`inter` fully
//! UP, `fastinter` while changing, `downinter` fully DOWN), counted from the end of the
//! check. An admin change wakes the sleeping task at once.

use super::conn::CheckLimits;
use super::{mysql, tcp};
use crate::config::CheckKind;
use crate::state::{CheckResult, ListenState, ServerState};
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

/// Starts the checker of `srv`; `None` if the server has no check.
pub(crate) fn spawn(
    listen: Arc<ListenState>,
    srv: Arc<ServerState>,
    shutdown: CancellationToken,
) -> Option<JoinHandle<()>> {
    let kind = srv.check_kind()?.clone();
    let addr = srv.config.address;
    let source = srv.config.source;
    let first = random_below(srv.config.check_params.inter);
    let probe = move |limits: CheckLimits| {
        let kind = kind.clone();
        async move {
            match kind {
                CheckKind::Tcp => tcp::check(addr, source, limits).await,
                CheckKind::Mysql(m) => mysql::check(addr, source, &m.user, limits).await,
            }
        }
    };
    Some(tokio::spawn(run(listen, srv, first, shutdown, probe)))
}

/// A uniformly random duration in `[0, max)` (zero when `max` is zero).
fn random_below(max: Duration) -> Duration {
    let nanos = max.as_nanos();
    if nanos == 0 {
        return Duration::ZERO;
    }
    // RandomState is seeded randomly per process and differs on every call.
    let r = RandomState::new().hash_one(std::time::SystemTime::now());
    Duration::from_nanos((u128::from(r) % nanos) as u64)
}

/// The check loop of one server; `probe` runs one check.
pub(crate) async fn run<P, F>(
    listen: Arc<ListenState>,
    srv: Arc<ServerState>,
    first: Duration,
    shutdown: CancellationToken,
    mut probe: P,
) where
    P: FnMut(CheckLimits) -> F,
    F: Future<Output = CheckResult>,
{
    let inter = srv.config.check_params.inter;
    let limits = CheckLimits::new(inter, &listen.config.timeouts);
    tokio::select! {
        _ = shutdown.cancelled() => return,
        _ = sleep(first) => {}
        _ = srv.checker_wake.notified() => {}
    }
    loop {
        if !srv.checks_active() {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = srv.checker_wake.notified() => {}
                _ = sleep(inter) => {}
            }
            continue;
        }
        listen.check_started(&srv);
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = probe(limits) => r,
        };
        listen.apply_check(&srv, result);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = sleep(srv.next_check_interval()) => {}
            _ = srv.checker_wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CheckParams, testing};
    use crate::state::{AdminChange, CheckStatus};
    use std::sync::Mutex;
    use tokio::time::Instant;

    const MS: Duration = Duration::from_millis(1);

    fn params() -> CheckParams {
        CheckParams {
            inter: 2000 * MS,
            fastinter: 500 * MS,
            downinter: 5000 * MS,
            rise: 2,
            fall: 3,
        }
    }

    fn listen(addr: std::net::SocketAddr, check: CheckKind, p: CheckParams) -> Arc<ListenState> {
        let mut server = testing::server("Primary", addr, false, Some(check));
        server.check_params = p;
        let mut l = testing::listen("MySQL", vec![server]);
        l.binds = vec![];
        Arc::new(ListenState::new(1, l))
    }

    /// One check as the scripted probe saw it: virtual time since the test started, the
    /// server's state before the check, and the limits it was given.
    #[derive(Debug, Clone, PartialEq)]
    struct Seen {
        at: Duration,
        up_before: bool,
        limits: CheckLimits,
    }

    /// A probe that answers from `script` (true = success, then the default once empty)
    /// after `takes` of virtual time, and logs every call.
    fn scripted(
        epoch: Instant,
        srv: Arc<ServerState>,
        script: Vec<bool>,
        default: bool,
        takes: Duration,
        log: Arc<Mutex<Vec<Seen>>>,
    ) -> impl FnMut(CheckLimits) -> std::pin::Pin<Box<dyn Future<Output = CheckResult> + Send>>
    {
        let mut script = script.into_iter();
        move |limits| {
            log.lock().unwrap().push(Seen {
                at: epoch.elapsed(),
                up_before: srv.snapshot().up,
                limits,
            });
            assert!(
                srv.snapshot().check_running,
                "check_started before the probe"
            );
            let ok = script.next().unwrap_or(default);
            Box::pin(async move {
                sleep(takes).await;
                let status = if ok {
                    CheckStatus::L7Ok
                } else {
                    CheckStatus::L4Con
                };
                CheckResult::new(status, "", takes)
            })
        }
    }

    fn times(log: &Mutex<Vec<Seen>>) -> Vec<u128> {
        log.lock()
            .unwrap()
            .iter()
            .map(|s| s.at.as_millis())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn fall_failures_mark_down_and_rise_successes_mark_up_on_schedule() {
        let l = listen("127.0.0.1:9".parse().unwrap(), CheckKind::Tcp, params());
        let srv = Arc::clone(&l.servers[0]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let epoch = Instant::now();
        // success (fully UP), 3 failures (DOWN on the 3rd), 2 successes (UP on the 2nd).
        let script = vec![true, false, false, false, true, true];
        let probe = scripted(
            epoch,
            Arc::clone(&srv),
            script,
            true,
            10 * MS,
            Arc::clone(&log),
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            Arc::clone(&l),
            Arc::clone(&srv),
            300 * MS,
            stop.clone(),
            probe,
        ));

        // Each check takes 10ms; the next one starts an interval after its end.
        // 300: first check (spread), success -> fully UP -> inter 2000
        // 2310: fail (health 3, UP) -> fastinter; 2820: fail (UP); 3330: fail -> DOWN
        // -> downinter 5000; 8340: success (DOWN 1/2) -> fastinter; 8850: success -> UP
        // -> inter; 10860: next.
        sleep(Duration::from_millis(3335)).await;
        assert!(
            srv.snapshot().up,
            "still UP while the 3rd failing check runs"
        );
        sleep(Duration::from_millis(10)).await;
        assert!(!srv.snapshot().up, "DOWN once the 3rd failure is in");
        assert_eq!(srv.snapshot().last_check.status, CheckStatus::L4Con);
        sleep(Duration::from_millis(8855 - 3345)).await;
        assert!(!srv.snapshot().up, "still DOWN while the 2nd success runs");
        sleep(Duration::from_millis(10)).await;
        assert!(srv.snapshot().up, "UP once the 2nd success is in");
        sleep(Duration::from_millis(10_900 - 8865)).await;
        stop.cancel();
        task.await.unwrap();

        assert_eq!(times(&log), vec![300, 2310, 2820, 3330, 8340, 8850, 10_860]);
        let ups: Vec<bool> = log.lock().unwrap().iter().map(|s| s.up_before).collect();
        assert_eq!(ups, vec![true, true, true, true, false, false, true]);
        assert_eq!(srv.snapshot().chkfail, 3);
        assert_eq!(srv.snapshot().chkdown, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_up_server_goes_down_only_after_fall_failures() {
        let mut p = params();
        p.fall = 5;
        p.fastinter = 100 * MS;
        let l = listen("127.0.0.1:9".parse().unwrap(), CheckKind::Tcp, p);
        let srv = Arc::clone(&l.servers[0]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let probe = scripted(
            Instant::now(),
            Arc::clone(&srv),
            vec![true],
            false,
            Duration::ZERO,
            Arc::clone(&log),
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            Arc::clone(&l),
            Arc::clone(&srv),
            Duration::ZERO,
            stop.clone(),
            probe,
        ));
        // 0 success; 2000, 2100, 2200, 2300 failures (still UP); 2400 the 5th: DOWN.
        sleep(Duration::from_millis(2350)).await;
        assert!(srv.snapshot().up);
        assert_eq!(srv.snapshot().health, 2);
        sleep(Duration::from_millis(100)).await;
        assert!(!srv.snapshot().up);
        stop.cancel();
        task.await.unwrap();
        assert_eq!(times(&log), vec![0, 2000, 2100, 2200, 2300, 2400]);
    }

    #[tokio::test(start_paused = true)]
    async fn maint_stops_checks_and_ready_resumes_them_at_once() {
        let l = listen("127.0.0.1:9".parse().unwrap(), CheckKind::Tcp, params());
        let srv = Arc::clone(&l.servers[0]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let epoch = Instant::now();
        let probe = scripted(
            epoch,
            Arc::clone(&srv),
            vec![],
            true,
            Duration::ZERO,
            Arc::clone(&log),
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            Arc::clone(&l),
            Arc::clone(&srv),
            Duration::ZERO,
            stop.clone(),
            probe,
        ));
        sleep(1000 * MS).await;
        l.set_admin(&srv, AdminChange::Maint);
        // (Times stay off the checker's 2s re-evaluation grid so that no wake-up ties.)
        sleep(60_500 * MS).await;
        assert_eq!(times(&log), vec![0], "no check while in MAINT");
        assert!(srv.snapshot().maint());
        l.set_admin(&srv, AdminChange::Ready);
        sleep(MS).await;
        assert_eq!(times(&log), vec![0, 61_500], "leaving MAINT checks at once");
        // `disable health` stops them too, `enable health` resumes.
        l.set_checks_enabled(&srv, false);
        sleep(30_500 * MS).await;
        assert_eq!(times(&log), vec![0, 61_500]);
        l.set_checks_enabled(&srv, true);
        sleep(MS).await;
        stop.cancel();
        task.await.unwrap();
        assert_eq!(times(&log), vec![0, 61_500, 92_001]);
    }

    #[tokio::test(start_paused = true)]
    async fn limits_follow_timeout_check_and_inter() {
        let l = listen("127.0.0.1:9".parse().unwrap(), CheckKind::Tcp, params());
        let srv = Arc::clone(&l.servers[0]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let probe = scripted(
            Instant::now(),
            Arc::clone(&srv),
            vec![],
            true,
            Duration::ZERO,
            Arc::clone(&log),
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            Arc::clone(&l),
            Arc::clone(&srv),
            Duration::ZERO,
            stop.clone(),
            probe,
        ));
        sleep(MS).await;
        stop.cancel();
        task.await.unwrap();
        assert_eq!(log.lock().unwrap()[0].limits, CheckLimits::total(2000 * MS));
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_the_checker_even_mid_check() {
        let l = listen("127.0.0.1:9".parse().unwrap(), CheckKind::Tcp, params());
        let srv = Arc::clone(&l.servers[0]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let probe = scripted(
            Instant::now(),
            Arc::clone(&srv),
            vec![],
            true,
            3_600_000 * MS,
            Arc::clone(&log),
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            Arc::clone(&l),
            Arc::clone(&srv),
            Duration::ZERO,
            stop.clone(),
            probe,
        ));
        sleep(1000 * MS).await;
        stop.cancel();
        task.await.unwrap();
        assert_eq!(times(&log), vec![0]);
    }

    /// The real TCP check against a closed loopback port, under paused time: the checker
    /// marks the server DOWN at its first check (a server starts UP with health = rise) and
    /// then checks every `downinter`.
    #[tokio::test(start_paused = true)]
    async fn real_checks_against_a_closed_port() {
        let addr = {
            let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap()
        };
        let l = listen(addr, CheckKind::Tcp, params());
        let srv = Arc::clone(&l.servers[0]);
        let stop = CancellationToken::new();
        let task = spawn(Arc::clone(&l), Arc::clone(&srv), stop.clone()).unwrap();
        assert!(srv.snapshot().up);
        sleep(2000 * MS).await; // the first check happens within inter
        let s = srv.snapshot();
        assert!(!s.up);
        assert_eq!(s.last_check.status, CheckStatus::L4Con);
        assert_eq!(s.last_check.info, "Connection refused");
        assert_eq!(s.chkfail, 1);
        sleep(15_000 * MS).await; // downinter 5s: three more checks
        let s = srv.snapshot();
        assert_eq!(s.last_check_age.map(|a| a < 5000 * MS), Some(true));
        // As in HAProxy, failures of a server already fully DOWN are not counted.
        assert_eq!(s.chkfail, 1);
        stop.cancel();
        task.await.unwrap();
    }

    #[test]
    fn random_below_stays_below() {
        for _ in 0..1000 {
            assert!(random_below(2000 * MS) < 2000 * MS);
        }
        assert_eq!(random_below(Duration::ZERO), Duration::ZERO);
        let a: Vec<Duration> = (0..8).map(|_| random_below(2000 * MS)).collect();
        assert!(a.iter().any(|d| *d != a[0]), "not constant: {a:?}");
    }
}
