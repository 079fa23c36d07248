//! Byte accounting for one session: every byte a data path moves is added, as it moves, to
//! the counters of the process, the frontend, the backend and the server.

use crate::state::{ListenState, Runtime, ServerState};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Meter {
    pub runtime: Arc<Runtime>,
    pub listen: Arc<ListenState>,
    pub server: Arc<ServerState>,
}

impl Meter {
    /// `n` bytes went from the client to the server.
    pub fn client_to_server(&self, n: u64) {
        self.runtime.global.add_in(n);
        self.listen.frontend.add_in(n);
        self.listen.backend.add_in(n);
        self.server.counters.add_in(n);
    }

    /// `n` bytes went from the server to the client.
    pub fn server_to_client(&self, n: u64) {
        self.runtime.global.add_out(n);
        self.listen.frontend.add_out(n);
        self.listen.backend.add_out(n);
        self.server.counters.add_out(n);
    }
}
