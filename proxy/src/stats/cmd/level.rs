//! `show cli level`, `operator` and `user`: a session can lower its level, never raise it.

use super::{CliState, PERMISSION_DENIED, Reply};
use crate::config::Level;

pub fn show(cli: &CliState) -> Reply {
    Reply::ok(format!("{}\n", cli.level.as_str()))
}

/// `operator` / `user`. The level check (`operator` needs operator) happened already.
pub fn lower(cli: &mut CliState, to: Level, no_lf: bool) -> Reply {
    if cli.level < to {
        return Reply::error(PERMISSION_DENIED);
    }
    cli.level = to;
    Reply {
        no_lf,
        ..Reply::done()
    }
}
