//! `sockhop ctl`.
//!
//! PLACEHOLDER SKELETON — replaced by the stats-socket work.

use std::path::PathBuf;

/// Sends `command` to the stats socket at `socket`, prints the reply; returns the exit code.
pub fn run(socket: PathBuf, command: Vec<String>, table: bool, columns: Option<String>) -> i32 {
    let _ = (socket, command, table, columns);
    1
}
