//! `show backend`: `# name` then one listen name per line.

use super::Reply;
use crate::state::Runtime;

pub fn run(rt: &Runtime) -> Reply {
    let mut out = String::from("# name\n");
    for l in &rt.listens {
        out.push_str(l.name());
        out.push('\n');
    }
    Reply::ok(out)
}
