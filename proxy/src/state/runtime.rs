//! Process-wide runtime state: the loaded configuration, every listen, global counters and
//! the table of live sessions. Shared as `Arc<Runtime>` by listeners, checkers and the stats
//! socket.

use super::counters::Counters;
use super::listen::ListenState;
use crate::config::Config;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// One live proxied session, for `show sess` and `shutdown session`.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: u64,
    pub listen: u32,
    pub server: Option<u32>,
    pub client: SocketAddr,
    pub started: Instant,
}

#[derive(Debug)]
pub struct Runtime {
    pub config: Config,
    pub listens: Vec<Arc<ListenState>>,
    /// Process-wide session counters (`CurrConns`, `CumConns`, `MaxConnRate`, ...).
    pub global: Counters,
    /// Process-wide connection slots (`[global] maxconn`).
    pub conn_slots: Arc<Semaphore>,
    /// Bytes written to sockets from a kernel pipe (splice), either direction
    /// (`TotalSplicdedBytesOut`).
    spliced_out: AtomicU64,
    pub started: Instant,
    pub started_wall: SystemTime,
    next_session: AtomicU64,
    sessions: Mutex<BTreeMap<u64, SessionInfo>>,
    /// The event loops serving sessions (for `show info` task counts).
    session_loops: Mutex<Vec<tokio::runtime::Handle>>,
}

impl Runtime {
    pub fn new(config: Config) -> Self {
        let listens = config
            .listens
            .iter()
            .enumerate()
            .map(|(i, l)| Arc::new(ListenState::new(i as u32 + 1, l.clone())))
            .collect();
        let conn_slots = Arc::new(Semaphore::new(config.global.maxconn as usize));
        Runtime {
            config,
            listens,
            global: Counters::default(),
            conn_slots,
            spliced_out: AtomicU64::new(0),
            started: Instant::now(),
            started_wall: SystemTime::now(),
            next_session: AtomicU64::new(1),
            sessions: Mutex::new(BTreeMap::new()),
            session_loops: Mutex::new(Vec::new()),
        }
    }

    /// `n` bytes went from a kernel pipe to a socket.
    pub fn spliced(&self, n: u64) {
        self.spliced_out.fetch_add(n, Relaxed);
    }

    /// Bytes written from kernel pipes since start.
    pub fn spliced_out(&self) -> u64 {
        self.spliced_out.load(Relaxed)
    }

    /// Finds a listen by name or `#<id>`.
    pub fn listen(&self, key: &str) -> Option<&Arc<ListenState>> {
        match key.strip_prefix('#') {
            Some(id) => {
                let id: u32 = id.parse().ok()?;
                self.listens.iter().find(|l| l.id == id)
            }
            None => self.listens.iter().find(|l| l.name() == key),
        }
    }

    /// Records an event loop that serves sessions.
    pub fn add_session_loop(&self, handle: tokio::runtime::Handle) {
        self.session_loops.lock().unwrap().push(handle);
    }

    /// The event loops serving sessions, as recorded by [`Runtime::add_session_loop`].
    pub fn session_loops(&self) -> Vec<tokio::runtime::Handle> {
        self.session_loops.lock().unwrap().clone()
    }

    /// Registers a new session and returns its id.
    pub fn open_session(&self, listen: u32, client: SocketAddr) -> u64 {
        let id = self.next_session.fetch_add(1, Relaxed);
        self.sessions.lock().unwrap().insert(
            id,
            SessionInfo {
                id,
                listen,
                server: None,
                client,
                started: Instant::now(),
            },
        );
        id
    }
    pub fn session_assigned(&self, id: u64, server: u32) {
        if let Some(s) = self.sessions.lock().unwrap().get_mut(&id) {
            s.server = Some(server);
        }
    }
    pub fn close_session(&self, id: u64) {
        self.sessions.lock().unwrap().remove(&id);
    }
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.sessions.lock().unwrap().values().cloned().collect()
    }
    pub fn session(&self, id: u64) -> Option<SessionInfo> {
        self.sessions.lock().unwrap().get(&id).cloned()
    }

    /// `clear counters [all]` over every listen and the process.
    pub fn clear_counters(&self, all: bool) {
        self.global.clear(all);
        for l in &self.listens {
            l.clear_counters(all);
        }
    }
}
