//! `clear counters` (maxima and rates; operator) and `clear counters all` (admin).

use super::Reply;
use crate::state::Runtime;

pub fn run(rt: &Runtime, all: bool) -> Reply {
    rt.clear_counters(all);
    Reply::done()
}
