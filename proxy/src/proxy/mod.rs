//! The proxying control plane: listeners accept clients, sessions choose a server, connect
//! to it (with retries and redispatch) and hand both sockets to the listen's data path.
//!
//! - `listener.rs`: binding, the accept loop, global and per-listen `maxconn`.
//! - `session.rs`: one client session from accept to close, with its counters.
//! - `connect.rs`: one connect attempt to a server (source address, `timeout_connect`).
//! - `threads.rs`: the session threads (`nbthread`), one event loop each.

mod connect;
mod listener;
mod session;
mod threads;

pub use connect::connect;
pub use listener::{Bound, bind_listen};
pub use threads::SessionThreads;
