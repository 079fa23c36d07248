//! `first`: the first server in configuration order that has room takes the session; the
//! next one is used only once it is full (its `maxconn` is reached) or unusable.

use super::Candidate;

pub fn pick(cands: &[Candidate]) -> usize {
    cands
        .iter()
        .map(|c| c.index)
        .min()
        .expect("candidates are not empty")
}
