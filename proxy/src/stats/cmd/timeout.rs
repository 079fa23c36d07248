//! `set timeout cli <delay>`: the idle timeout of this session (any level may set it).

use super::{CliState, Reply};
use std::time::Duration;

pub fn set(cli: &mut CliState, t: Result<Duration, &'static str>) -> Reply {
    match t {
        Ok(d) => {
            cli.timeout = d;
            Reply::done()
        }
        Err(e) => Reply::error(e),
    }
}
