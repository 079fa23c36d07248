//! Runtime state of one listen: its servers, frontend/backend counters, server selection
//! with backup tiers and manual failback, and the reactions to server state changes
//! (HAProxy-style logs, `on_marked_down`/`on_marked_up`).

use super::check::CheckResult;
use super::counters::Counters;
use super::server::{AdminChange, Change, ForcedHealth, ServerState};
use crate::balance::{Balancer, Candidate};
use crate::config::{self, Failback, OnMarkedDown, OnMarkedUp};
use crate::datapath::DataPathKind;
use crate::health::fsm::Transition;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// UP/DOWN history of the backend as a whole (BACKEND row: status, lastchg, downtime, chkdown).
#[derive(Debug)]
struct BackendHealth {
    up: bool,
    last_change: Instant,
    down_since: Option<Instant>,
    downtime: Duration,
    chkdown: u64,
}

/// Backend-level figures for the BACKEND row of `show stat`.
#[derive(Debug, Clone, Copy)]
pub struct BackendSnapshot {
    pub up: bool,
    /// Usable active servers.
    pub act: u32,
    /// Usable backup servers.
    pub bck: u32,
    /// Total current weight of the servers that would take traffic.
    pub weight: u32,
    pub since_change: Duration,
    pub downtime: Duration,
    pub chkdown: u64,
    /// Manual failback holds traffic on the backups.
    pub failed_over: bool,
}

/// One `[[listen]]` at run time.
#[derive(Debug)]
pub struct ListenState {
    /// `iid`: 1-based position in the configuration.
    pub id: u32,
    pub config: config::Listen,
    pub servers: Vec<Arc<ServerState>>,
    /// Client-side counters (FRONTEND row).
    pub frontend: Counters,
    /// Server-side counters summed over servers (BACKEND row).
    pub backend: Counters,
    balancer: Mutex<Balancer>,
    failed_over: AtomicBool,
    datapath: OnceLock<DataPathKind>,
    /// Sessions the listen's data path could not take and handed to the copy path.
    datapath_fallbacks: AtomicU64,
    /// Sessions that started on copy and moved to the kernel path (splice, once bulk).
    datapath_moved: AtomicU64,
    datapath_settled: AtomicU64,
    health: Mutex<BackendHealth>,
}

impl ListenState {
    pub fn new(id: u32, config: config::Listen) -> Self {
        let servers = config
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| Arc::new(ServerState::new(i as u32 + 1, s.clone())))
            .collect::<Vec<_>>();
        let balancer = Balancer::new(config.balance, servers.len());
        let now = Instant::now();
        let l = ListenState {
            id,
            config,
            servers,
            frontend: Counters::default(),
            backend: Counters::default(),
            balancer: Mutex::new(balancer),
            failed_over: AtomicBool::new(false),
            datapath: OnceLock::new(),
            datapath_fallbacks: AtomicU64::new(0),
            datapath_moved: AtomicU64::new(0),
            datapath_settled: AtomicU64::new(0),
            health: Mutex::new(BackendHealth {
                up: true,
                last_change: now,
                down_since: None,
                downtime: Duration::ZERO,
                chkdown: 0,
            }),
        };
        l.refresh_backend_health();
        l
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Finds a server by name or `#<id>`.
    pub fn server(&self, key: &str) -> Option<&Arc<ServerState>> {
        match key.strip_prefix('#') {
            Some(id) => {
                let id: u32 = id.parse().ok()?;
                self.servers.iter().find(|s| s.id == id)
            }
            None => self.servers.iter().find(|s| s.name() == key),
        }
    }

    /// Records the data path chosen for this listen at start-up (first call wins).
    pub fn set_datapath(&self, kind: DataPathKind) {
        let _ = self.datapath.set(kind);
    }

    /// The data path in use (`None` until the listen is started).
    pub fn datapath(&self) -> Option<DataPathKind> {
        self.datapath.get().copied()
    }

    /// Counts a session its data path handed to the copy path.
    pub fn datapath_fell_back(&self) {
        self.datapath_fallbacks.fetch_add(1, Relaxed);
    }

    /// Sessions handed to the copy path since start.
    pub fn datapath_fallbacks(&self) -> u64 {
        self.datapath_fallbacks.load(Relaxed)
    }

    /// A session moved from the copy path to the listen's kernel path (splice, once bulk).
    pub fn datapath_moved(&self) {
        self.datapath_moved.fetch_add(1, Relaxed);
    }

    /// Sessions moved from copy to the kernel path since start.
    pub fn datapath_moves(&self) -> u64 {
        self.datapath_moved.load(Relaxed)
    }

    /// A request/response session moved from the copy path to sockmap (splice chosen by
    /// `auto`, after a few small messages).
    pub fn datapath_settled(&self) {
        self.datapath_settled.fetch_add(1, Relaxed);
    }

    /// Sessions moved from copy to sockmap since start.
    pub fn datapath_settles(&self) -> u64 {
        self.datapath_settled.load(Relaxed)
    }

    /// Usable active and backup servers.
    pub fn usable_counts(&self) -> (u32, u32) {
        let mut act = 0;
        let mut bck = 0;
        for s in &self.servers {
            if s.is_usable() {
                if s.is_backup() { bck += 1 } else { act += 1 }
            }
        }
        (act, bck)
    }

    pub fn failed_over(&self) -> bool {
        self.failed_over.load(Relaxed)
    }

    pub fn backend_snapshot(&self) -> BackendSnapshot {
        let (act, bck) = self.usable_counts();
        let weight = self.serving_weight();
        let now = Instant::now();
        let h = self.health.lock().unwrap();
        BackendSnapshot {
            up: h.up,
            act,
            bck,
            weight,
            since_change: now.saturating_duration_since(h.last_change),
            downtime: h.downtime
                + h.down_since
                    .map_or(Duration::ZERO, |s| now.saturating_duration_since(s)),
            chkdown: h.chkdown,
            failed_over: self.failed_over(),
        }
    }

    /// Total weight of the tier that takes traffic now (HAProxy's backend `weight`).
    fn serving_weight(&self) -> u32 {
        let sum = |backup: bool| -> u32 {
            self.servers
                .iter()
                .filter(|s| s.is_backup() == backup && s.is_usable())
                .map(|s| s.uweight())
                .sum()
        };
        let act = sum(false);
        if act > 0 && !self.failed_over() {
            return act;
        }
        if self.config.allbackups {
            return sum(true).max(act);
        }
        self.servers
            .iter()
            .find(|s| s.is_backup() && s.is_usable())
            .map_or(act, |s| s.uweight())
    }

    /// Chooses the server for a new session, skipping servers in `exclude` (already tried).
    /// Active servers first; backups only when no active server is usable (or manual
    /// failback holds traffic on them); the first usable backup unless `allbackups`.
    pub fn pick(&self, exclude: &[u32]) -> Option<Arc<ServerState>> {
        let eligible =
            |s: &&Arc<ServerState>| !exclude.contains(&s.id) && s.is_usable() && s.has_room();
        let cand = |i: usize, s: &Arc<ServerState>| Candidate {
            index: i,
            weight: s.uweight(),
            cur: s.counters.cur.load(Relaxed),
        };
        let actives: Vec<Candidate> = self
            .servers
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_backup())
            .filter(|(_, s)| eligible(s))
            .map(|(i, s)| cand(i, s))
            .collect();
        let backups: Vec<Candidate> = self
            .servers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_backup())
            .filter(|(_, s)| eligible(s))
            .map(|(i, s)| cand(i, s))
            .collect();
        let held = self.config.failback == Failback::Manual && self.failed_over();
        let tier = if !actives.is_empty() && (!held || backups.is_empty()) {
            actives
        } else if backups.is_empty() {
            return None;
        } else {
            if self.config.failback == Failback::Manual && !self.failed_over.swap(true, Relaxed) {
                tracing::warn!(
                    "Proxy {}: traffic moved to backup servers; failback is manual, it stays there until 'set server {}/<active> state ready'.",
                    self.name(),
                    self.name()
                );
            }
            if self.config.allbackups {
                backups
            } else {
                backups[..1].to_vec()
            }
        };
        let index = self.balancer.lock().unwrap().pick(&tier)?;
        let s = &self.servers[index];
        s.counters.lb_total.fetch_add(1, Relaxed);
        self.backend.lb_total.fetch_add(1, Relaxed);
        Some(Arc::clone(s))
    }

    /// Marks the start of a check on `srv` (the `* ` prefix of `check_status`).
    pub fn check_started(&self, srv: &ServerState) {
        srv.set_check_running(true);
    }

    /// Records a finished health check and reacts to what it changed.
    pub fn apply_check(&self, srv: &ServerState, result: CheckResult) {
        let logged = result.clone();
        let change = srv.record_check(result);
        match change.health {
            Transition::WentDown => {
                let (act, bck) = self.usable_counts();
                let active_sessions = srv.counters.cur.load(Relaxed);
                tracing::warn!(
                    "Server {}/{} is DOWN, reason: {}, {}check duration: {}ms. {} active and {} backup servers left. {} sessions active, 0 requeued, 0 remaining in queue.",
                    self.name(),
                    srv.name(),
                    logged.status.description(),
                    code_and_info(&logged),
                    logged.duration.as_millis(),
                    act,
                    bck,
                    active_sessions
                );
                if self.config.on_marked_down == OnMarkedDown::ShutdownSessions {
                    let n = srv.shutdown_sessions();
                    if n > 0 {
                        tracing::info!(
                            "Server {}/{}: on-marked-down shutdown-sessions closed {} sessions.",
                            self.name(),
                            srv.name(),
                            n
                        );
                    }
                }
            }
            Transition::WentUp => {
                let (act, bck) = self.usable_counts();
                tracing::warn!(
                    "Server {}/{} is UP, reason: {}, {}check duration: {}ms. {} active and {} backup servers online. 0 sessions requeued, 0 total in queue.",
                    self.name(),
                    srv.name(),
                    logged.status.description(),
                    code_and_info(&logged),
                    logged.duration.as_millis(),
                    act,
                    bck
                );
                if !srv.is_backup() && self.failed_over() {
                    tracing::warn!(
                        "Server {}/{} is UP but failback is manual: traffic stays on the backup servers until 'set server {}/{} state ready'.",
                        self.name(),
                        srv.name(),
                        self.name(),
                        srv.name()
                    );
                }
                self.after_up(srv);
            }
            Transition::None => {}
        }
        self.after_change(change);
    }

    /// `disable server`, `enable server`, `set server B/S state ...`.
    pub fn set_admin(&self, srv: &ServerState, change: AdminChange) {
        let before = srv.snapshot();
        let c = srv.set_admin(change);
        let after = srv.snapshot();
        let (act, bck) = self.usable_counts();
        match change {
            AdminChange::Maint if !before.maint() => tracing::warn!(
                "Server {}/{} is going DOWN for maintenance. {} active and {} backup servers left. {} sessions active, 0 requeued, 0 remaining in queue.",
                self.name(),
                srv.name(),
                act,
                bck,
                srv.counters.cur.load(Relaxed)
            ),
            AdminChange::Drain if !before.drain() => tracing::warn!(
                "Server {}/{} enters drain state. {} active and {} backup servers online.",
                self.name(),
                srv.name(),
                act,
                bck
            ),
            AdminChange::Ready if before.maint() => tracing::warn!(
                "Server {}/{} is {} (leaving forced maintenance).",
                self.name(),
                srv.name(),
                // HAProxy 2.6's words, as its log shows them.
                if after.up { "UP/READY" } else { "DOWN" }
            ),
            AdminChange::Ready if before.drain() => tracing::warn!(
                "Server {}/{} is UP (leaving forced drain).",
                self.name(),
                srv.name()
            ),
            _ => {}
        }
        if change == AdminChange::Ready && !srv.is_backup() && self.failed_over.swap(false, Relaxed)
        {
            tracing::warn!(
                "Proxy {}: operator set {}/{} ready: traffic returns to the active servers.",
                self.name(),
                self.name(),
                srv.name()
            );
        }
        if !c.was_usable && c.is_usable {
            self.after_up(srv);
        }
        self.after_change(c);
    }

    /// `set server B/S health up|stopping|down`.
    pub fn force_health(&self, srv: &ServerState, forced: ForcedHealth) {
        let c = srv.force_health(forced);
        if c.health == Transition::WentUp {
            self.after_up(srv);
        }
        if c.health == Transition::WentDown
            && self.config.on_marked_down == OnMarkedDown::ShutdownSessions
        {
            srv.shutdown_sessions();
        }
        self.after_change(c);
    }

    /// `set server B/S weight N`.
    pub fn set_weight(&self, srv: &ServerState, weight: u32) -> u32 {
        let (old, c) = srv.set_weight(weight);
        self.after_change(c);
        old
    }

    /// `enable health` / `disable health`.
    pub fn set_checks_enabled(&self, srv: &ServerState, on: bool) {
        srv.set_checks_enabled(on);
    }

    /// An active server became usable: `on_marked_up shutdown-backup-sessions`.
    fn after_up(&self, srv: &ServerState) {
        if srv.is_backup()
            || self.config.on_marked_up != OnMarkedUp::ShutdownBackupSessions
            || self.failed_over()
        {
            return;
        }
        let n: usize = self
            .servers
            .iter()
            .filter(|s| s.is_backup())
            .map(|s| s.shutdown_sessions())
            .sum();
        if n > 0 {
            tracing::info!(
                "Server {}/{}: on-marked-up shutdown-backup-sessions closed {} sessions.",
                self.name(),
                srv.name(),
                n
            );
        }
    }

    fn after_change(&self, c: Change) {
        if c.was_usable != c.is_usable {
            if self.config.failback == Failback::Manual {
                let (act, bck) = self.usable_counts();
                if act == 0 && bck > 0 && !self.failed_over.swap(true, Relaxed) {
                    tracing::warn!(
                        "Proxy {}: no active server left, traffic moves to backup servers; failback is manual.",
                        self.name()
                    );
                }
            }
            self.refresh_backend_health();
        }
    }

    /// Recomputes whether the backend can serve and logs the change like HAProxy.
    fn refresh_backend_health(&self) {
        let (act, bck) = self.usable_counts();
        let up = act + bck > 0 || self.servers.is_empty();
        let now = Instant::now();
        let mut h = self.health.lock().unwrap();
        if h.up == up {
            return;
        }
        h.up = up;
        h.last_change = now;
        if up {
            if let Some(since) = h.down_since.take() {
                h.downtime += now.saturating_duration_since(since);
            }
        } else {
            h.down_since = Some(now);
            h.chkdown += 1;
            tracing::error!("backend '{}' has no server available!", self.name());
        }
    }

    /// `clear counters [all]`.
    pub fn clear_counters(&self, all: bool) {
        self.frontend.clear(all);
        self.backend.clear(all);
        for s in &self.servers {
            s.counters.clear(all);
            if all {
                s.clear_check_counters();
            }
        }
    }
}

/// The "code: N, info: "..." " part of HAProxy's state-change log lines.
fn code_and_info(r: &CheckResult) -> String {
    let mut s = String::new();
    if let Some(code) = r.code {
        s.push_str(&format!("code: {code}, "));
    }
    if !r.info.is_empty() {
        s.push_str(&format!("info: \"{}\", ", r.info));
    }
    s
}
