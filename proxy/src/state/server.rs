//! Runtime state of one server: admin state, health (kept apart), weight, check results,
//! counters and the sessions it carries.
//!
//! Health (UP/DOWN, from checks) and admin state (READY/MAINT/DRAIN, from the operator or the
//! config) are separate fields; a server is usable only when both allow it.

use super::check::{CheckResult, CheckStatus};
use super::counters::Counters;
use super::history::{CheckLatency, History, StateChange};
use super::status::ServerMode;
use crate::config::{self, CheckKind};
use crate::health::fsm::{HealthFsm, Transition};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// HAProxy's `srv_admin_state` bits (as in `show servers state`).
pub mod admin {
    /// Forced maintenance (`disable server`, `set server state maint`).
    pub const FMAINT: u8 = 0x01;
    /// Maintenance from the configuration (`disabled = true`).
    pub const CMAINT: u8 = 0x04;
    /// Forced drain (`set server state drain`).
    pub const FDRAIN: u8 = 0x08;
    pub const MAINT: u8 = FMAINT | CMAINT;
    pub const DRAIN: u8 = FDRAIN;
}

/// HAProxy's `srv_op_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpState {
    Stopped = 0,
    Starting = 1,
    Running = 2,
    Stopping = 3,
}

/// Everything the stats socket shows about a server, read under one lock.
#[derive(Debug, Clone)]
pub struct ServerSnapshot {
    pub id: u32,
    pub name: String,
    pub address_text: String,
    pub address: std::net::SocketAddr,
    pub backup: bool,
    /// `admin::*` bits.
    pub admin: u8,
    /// Health from checks (true when there is no check).
    pub up: bool,
    /// The server has a configured check.
    pub has_check: bool,
    /// Checks are configured and not disabled with `disable health`.
    pub check_enabled: bool,
    pub check_running: bool,
    pub health: u32,
    pub rise: u32,
    pub fall: u32,
    pub uweight: u32,
    pub iweight: u32,
    pub last_check: CheckResult,
    /// Time since the last check finished.
    pub last_check_age: Option<Duration>,
    /// Time since the last UP/DOWN/MAINT change.
    pub since_change: Duration,
    /// Total time spent DOWN (or in MAINT), including the current stretch.
    pub downtime: Duration,
    pub chkfail: u64,
    pub chkdown: u64,
    pub maxconn: Option<u32>,
    pub usable: bool,
    /// Forced "stopping" (`set server B/S health stopping`, HAProxy's NOLB).
    pub stopping: bool,
}

impl ServerSnapshot {
    pub fn maint(&self) -> bool {
        self.admin & admin::MAINT != 0
    }
    pub fn drain(&self) -> bool {
        self.admin & admin::DRAIN != 0
    }
    /// HAProxy's operational state: maintenance stops a server whatever its health, and a
    /// forced "stopping" server is stopping.
    pub fn op_state(&self) -> OpState {
        match (self.up && !self.maint(), self.stopping) {
            (false, _) => OpState::Stopped,
            (true, true) => OpState::Stopping,
            (true, false) => OpState::Running,
        }
    }
}

#[derive(Debug)]
struct Inner {
    admin: u8,
    fsm: Option<HealthFsm>,
    checks_enabled: bool,
    uweight: u32,
    last_check: CheckResult,
    last_check_at: Option<Instant>,
    check_running: bool,
    last_change: Instant,
    down_since: Option<Instant>,
    downtime: Duration,
    chkfail: u64,
    chkdown: u64,
    history: History,
    latency: CheckLatency,
    /// Forced "stopping" (HAProxy NOLB): up, but no new sessions until the next passed
    /// check or forced health.
    stopping: bool,
}

impl Inner {
    fn mode(&self) -> ServerMode {
        ServerMode::of(self.admin, self.up(), self.stopping)
    }
    fn up(&self) -> bool {
        self.fsm.is_none_or(|f| f.is_up())
    }
    fn usable(&self) -> bool {
        self.admin & (admin::MAINT | admin::DRAIN) == 0
            && self.uweight > 0
            && self.up()
            && !self.stopping
    }
    fn counts_as_down(&self) -> bool {
        self.admin & admin::MAINT != 0 || !self.up()
    }
    /// Keeps `last_change` and the downtime accounting in step with a state change.
    fn mark_changed(&mut self, now: Instant) {
        self.last_change = now;
        match (self.counts_as_down(), self.down_since) {
            (true, None) => self.down_since = Some(now),
            (false, Some(since)) => {
                self.downtime += now.saturating_duration_since(since);
                self.down_since = None;
            }
            _ => {}
        }
    }
}

/// `set server B/S health up|stopping|down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedHealth {
    Up,
    /// UP but taking no new sessions (HAProxy NOLB) until the next passed check.
    Stopping,
    Down,
}

/// An admin request on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    Ready,
    Drain,
    Maint,
}

/// What an admin or health change did, for logs and follow-up actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub was_usable: bool,
    pub is_usable: bool,
    pub health: Transition,
}

/// One configured server of a listen.
#[derive(Debug)]
pub struct ServerState {
    /// `sid`: 1-based position in the configuration.
    pub id: u32,
    pub config: config::Server,
    pub counters: Counters,
    /// Woken when the admin state changes so the checker re-evaluates at once.
    pub checker_wake: Notify,
    inner: Mutex<Inner>,
    sessions: Mutex<HashMap<u64, CancellationToken>>,
}

impl ServerState {
    pub fn new(id: u32, config: config::Server) -> Self {
        let now = Instant::now();
        let fsm = config
            .check
            .as_ref()
            .map(|_| HealthFsm::new(config.check_params.rise, config.check_params.fall));
        let admin = if config.disabled { admin::CMAINT } else { 0 };
        let mut inner = Inner {
            admin,
            fsm,
            checks_enabled: true,
            uweight: config.weight,
            last_check: CheckResult::new(CheckStatus::Ini, "", Duration::ZERO),
            last_check_at: None,
            check_running: false,
            last_change: now,
            down_since: None,
            downtime: Duration::ZERO,
            chkfail: 0,
            chkdown: 0,
            history: History::default(),
            stopping: false,
            latency: CheckLatency::default(),
        };
        inner.mark_changed(now);
        ServerState {
            id,
            config,
            counters: Counters::default(),
            checker_wake: Notify::new(),
            inner: Mutex::new(inner),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }
    pub fn is_backup(&self) -> bool {
        self.config.backup
    }
    pub fn check_kind(&self) -> Option<&CheckKind> {
        self.config.check.as_ref()
    }

    /// Health and admin state both allow new sessions, and the weight is not 0.
    pub fn is_usable(&self) -> bool {
        self.inner.lock().unwrap().usable()
    }
    /// Below its own `maxconn` (always true without one).
    pub fn has_room(&self) -> bool {
        self.config
            .maxconn
            .is_none_or(|m| self.counters.cur.load(Relaxed) < u64::from(m))
    }
    pub fn uweight(&self) -> u32 {
        self.inner.lock().unwrap().uweight
    }
    /// Whether the checker should run checks now (configured, enabled, not in MAINT).
    pub fn checks_active(&self) -> bool {
        let i = self.inner.lock().unwrap();
        i.fsm.is_some() && i.checks_enabled && i.admin & admin::MAINT == 0
    }
    /// The delay until this server's next check, from its health state.
    pub fn next_check_interval(&self) -> Duration {
        let i = self.inner.lock().unwrap();
        let p = &self.config.check_params;
        i.fsm.map_or(p.inter, |f| f.next_interval(p))
    }

    pub fn snapshot(&self) -> ServerSnapshot {
        let now = Instant::now();
        let i = self.inner.lock().unwrap();
        let downtime = i.downtime
            + i.down_since
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        ServerSnapshot {
            id: self.id,
            name: self.config.name.clone(),
            address_text: self.config.address_text.clone(),
            address: self.config.address,
            backup: self.config.backup,
            admin: i.admin,
            up: i.up(),
            has_check: i.fsm.is_some(),
            check_enabled: i.fsm.is_some() && i.checks_enabled,
            check_running: i.check_running,
            health: i.fsm.map_or(0, |f| f.health()),
            rise: self.config.check_params.rise,
            fall: self.config.check_params.fall,
            uweight: i.uweight,
            iweight: self.config.weight,
            last_check: i.last_check.clone(),
            last_check_age: i.last_check_at.map(|t| now.saturating_duration_since(t)),
            since_change: now.saturating_duration_since(i.last_change),
            downtime,
            chkfail: i.chkfail,
            chkdown: i.chkdown,
            maxconn: self.config.maxconn,
            usable: i.usable(),
            stopping: i.stopping && i.up(),
        }
    }

    /// The last state changes, oldest first.
    pub fn history(&self) -> Vec<StateChange> {
        self.inner.lock().unwrap().history.changes()
    }

    /// Durations of the checks recorded so far.
    pub fn check_latency(&self) -> CheckLatency {
        self.inner.lock().unwrap().latency.clone()
    }

    pub(crate) fn set_check_running(&self, running: bool) {
        self.inner.lock().unwrap().check_running = running;
    }

    /// Records a finished check. Results that arrive while checks are off are dropped.
    pub(crate) fn record_check(&self, result: CheckResult) -> Change {
        let now = Instant::now();
        let mut i = self.inner.lock().unwrap();
        let was_usable = i.usable();
        i.check_running = false;
        if !i.checks_enabled || i.admin & admin::MAINT != 0 {
            return Change {
                was_usable,
                is_usable: was_usable,
                health: Transition::None,
            };
        }
        let success = result.status.is_success();
        // HAProxy counts a failed check only while health > 0 (the server is UP or rising),
        // not the repeated failures of a server already fully DOWN.
        if !success && i.fsm.is_some_and(|f| f.health() > 0) {
            i.chkfail += 1;
        }
        if result.status != CheckStatus::Ini {
            i.latency.observe(result.duration);
        }
        let before = i.mode();
        let reason = if result.info.is_empty() {
            result.status.description().to_string()
        } else {
            format!("{}: {}", result.status.description(), result.info)
        };
        i.last_check = result;
        i.last_check_at = Some(now);
        let health = match i.fsm.as_mut() {
            Some(f) => f.record(success),
            None => Transition::None,
        };
        if health == Transition::WentDown {
            i.chkdown += 1;
        }
        // A passed check brings a forced "stopping" server back to running, as in HAProxy;
        // going DOWN ends it too.
        if success || health == Transition::WentDown {
            i.stopping = false;
        }
        if health != Transition::None {
            i.mark_changed(now);
        }
        let after = i.mode();
        i.history.record(before, after, reason);
        Change {
            was_usable,
            is_usable: i.usable(),
            health,
        }
    }

    /// Forces the health state (`set server B/S health up|stopping|down`).
    pub(crate) fn force_health(&self, forced: ForcedHealth) -> Change {
        let now = Instant::now();
        let mut i = self.inner.lock().unwrap();
        let was_usable = i.usable();
        let before = i.mode();
        let up = forced != ForcedHealth::Down;
        let health = match i.fsm.as_mut() {
            Some(f) => f.force(up),
            None => Transition::None,
        };
        i.stopping = forced == ForcedHealth::Stopping;
        if health == Transition::WentDown {
            i.chkdown += 1;
        }
        if health != Transition::None || before != i.mode() {
            i.mark_changed(now);
        }
        let after = i.mode();
        let reason = match forced {
            ForcedHealth::Up => "health forced up",
            ForcedHealth::Stopping => "health forced stopping",
            ForcedHealth::Down => "health forced down",
        };
        i.history.record(before, after, reason);
        Change {
            was_usable,
            is_usable: i.usable(),
            health,
        }
    }

    /// `enable health` / `disable health`.
    pub(crate) fn set_checks_enabled(&self, on: bool) {
        self.inner.lock().unwrap().checks_enabled = on;
        self.checker_wake.notify_one();
    }

    /// Applies an admin change. Leaving MAINT restarts checks with health = rise (UP, one
    /// failure from DOWN), as HAProxy does.
    pub(crate) fn set_admin(&self, change: AdminChange) -> Change {
        let now = Instant::now();
        let mut i = self.inner.lock().unwrap();
        let was_usable = i.usable();
        let was_maint = i.admin & admin::MAINT != 0;
        let was_down = i.counts_as_down();
        let before = i.mode();
        match change {
            AdminChange::Ready => i.admin &= !(admin::MAINT | admin::DRAIN),
            AdminChange::Drain => {
                i.admin &= !admin::MAINT;
                i.admin |= admin::FDRAIN;
            }
            AdminChange::Maint => {
                i.admin |= admin::FMAINT;
                i.admin &= !admin::DRAIN;
            }
        }
        let is_maint = i.admin & admin::MAINT != 0;
        if !was_down && is_maint {
            // HAProxy counts going DOWN for maintenance as an UP->DOWN transition.
            i.chkdown += 1;
        }
        if was_maint && !is_maint {
            // The last check result stays visible until the next check, as in HAProxy.
            if let Some(f) = i.fsm.as_mut() {
                f.reset_to_rise();
            }
        }
        if was_down != i.counts_as_down() || was_maint != is_maint {
            i.mark_changed(now);
        }
        let after = i.mode();
        let reason = match change {
            AdminChange::Ready => "set ready by an operator",
            AdminChange::Drain => "set to drain by an operator",
            AdminChange::Maint => "put in maintenance by an operator",
        };
        i.history.record(before, after, reason);
        drop(i);
        self.checker_wake.notify_one();
        let i = self.inner.lock().unwrap();
        Change {
            was_usable,
            is_usable: i.usable(),
            health: Transition::None,
        }
    }

    /// `set server B/S weight N`; returns the previous weight.
    pub(crate) fn set_weight(&self, w: u32) -> (u32, Change) {
        let mut i = self.inner.lock().unwrap();
        let was_usable = i.usable();
        let old = i.uweight;
        i.uweight = w;
        (
            old,
            Change {
                was_usable,
                is_usable: i.usable(),
                health: Transition::None,
            },
        )
    }

    /// `clear counters [all]` for this server's check counters.
    pub(crate) fn clear_check_counters(&self) {
        let mut i = self.inner.lock().unwrap();
        i.chkfail = 0;
        i.chkdown = 0;
    }

    /// Registers a live session so it can be shut down by id or with its server.
    pub fn register_session(&self, id: u64, token: CancellationToken) {
        self.sessions.lock().unwrap().insert(id, token);
    }
    pub fn unregister_session(&self, id: u64) {
        self.sessions.lock().unwrap().remove(&id);
    }
    /// Cancels every session on this server; returns how many.
    pub fn shutdown_sessions(&self) -> usize {
        let sessions = self.sessions.lock().unwrap();
        for t in sessions.values() {
            t.cancel();
        }
        sessions.len()
    }
    /// Cancels one session by id; false if it is not on this server.
    pub fn shutdown_session(&self, id: u64) -> bool {
        match self.sessions.lock().unwrap().get(&id) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }
    pub fn session_ids(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.sessions.lock().unwrap().keys().copied().collect();
        v.sort_unstable();
        v
    }
}
