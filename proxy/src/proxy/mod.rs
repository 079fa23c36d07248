//! The proxying control plane: listeners accept clients, sessions choose a server, connect
//! to it (with retries and redispatch) and hand both sockets to the listen's data path.
//!
//! - `listener.rs`: binding, the accept loop, global and per-listen `maxconn`.
//! - `session.rs`: one client session from accept to close, with its counters.
//! - `connect.rs`: one connect attempt to a server (source address, `timeout_connect`).

mod connect;
mod listener;
mod session;

pub use connect::connect;
pub use listener::{Bound, bind_listen};
