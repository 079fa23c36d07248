//! Health checks: which servers are healthy, found the way HAProxy finds out.
//!
//! Where things live:
//! - `checker.rs`: one task per checked server: start-up spread, the check loop, the
//!   intervals (`inter`/`fastinter`/`downinter`), admin pauses, shutdown.
//! - `conn.rs`: what every check shares: the time budget (`timeout check` if set, else
//!   `inter`), the connect from `source`, socket errors as HAProxy reports them.
//! - `tcp.rs`: the plain TCP connect check (L4OK / L4TOUT / L4CON).
//! - `mysql/`: the MySQL/MariaDB login check (`mysql_check`); `mysql/wire.rs` the packets.
//! - `fsm.rs`: the pure rise/fall state machine the outcomes feed (through
//!   [`crate::state::ListenState::apply_check`], which also logs state changes).
//!
//! How sockhop's checks differ from HAProxy 2.6's:
//! - The MySQL check reads the server greeting before it sends anything; HAProxy sends its
//!   login and `COM_QUIT` at once, before the greeting. It also announces
//!   `CLIENT_PLUGIN_AUTH` and follows auth switches and caching_sha2_password's exchange,
//!   so MySQL 8 accounts with an empty password pass where HAProxy gets error 1251.
//! - After the OK it sends `COM_QUIT` and waits for the server to close before closing,
//!   so the server counts a normal logout, never an aborted connect.
//! - Rise/fall follow HAProxy's documentation: `rise` consecutive successes mark a server
//!   UP. HAProxy 2.6's mysql-check reports each success twice (once with the version as
//!   info, once without), so a DOWN server with `rise 4` comes back after 2 checks there
//!   (its plain TCP check takes 4, as documented).
//! - With `timeout check` set, the reply gets exactly `timeout check` after the connect
//!   (HAProxy 2.6 was seen giving up later, after 1.5 to 1.75 s for a 1 s `timeout check`).
//! - For L7OK the info (log line, `last_chk`) is the server version, as in HAProxy's
//!   health-check log; HAProxy 2.6's `show stat` shows an empty `last_chk` for L7OK because
//!   its second report of the success clears it.
//! - Garbage and oversized packets are refused at once (at most [`mysql::wire::MAX_PAYLOAD`]
//!   bytes are read), with a reason in the info; HAProxy waits for the close or the timeout
//!   and gives no reason.

pub mod fsm;
pub mod mysql;
pub mod tcp;

mod checker;
mod conn;
#[cfg(test)]
mod testutil;

pub use conn::CheckLimits;

use crate::state::Runtime;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Starts one checker task per checked server; they stop when `shutdown` is cancelled.
pub fn spawn_checkers(rt: &Arc<Runtime>, shutdown: CancellationToken) {
    for listen in &rt.listens {
        for srv in &listen.servers {
            checker::spawn(Arc::clone(listen), Arc::clone(srv), shutdown.clone());
        }
    }
}
