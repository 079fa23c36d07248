//! `help [words]` and the reply to an unknown command.

use super::Reply;
use crate::stats::usage;

pub fn help(words: &[Vec<u8>]) -> Reply {
    Reply::ok(usage::help(words))
}

pub fn unknown(words: &[Vec<u8>]) -> Reply {
    Reply::error(usage::unknown(words))
}
