//! Smooth weighted round-robin (as in nginx): every pick adds each candidate's weight to its
//! running score, takes the highest score, and subtracts the total weight from the winner.
//! Weights 5/1/1 give a a b a c a a rather than a a a a a b c.

use super::Candidate;

#[derive(Debug)]
pub struct SmoothWrr {
    score: Vec<i64>,
}

impl SmoothWrr {
    pub fn new(servers: usize) -> Self {
        SmoothWrr {
            score: vec![0; servers],
        }
    }

    pub fn pick(&mut self, cands: &[Candidate]) -> usize {
        if let Some(max) = cands.iter().map(|c| c.index).max()
            && max >= self.score.len()
        {
            self.score.resize(max + 1, 0);
        }
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for c in cands {
            let w = i64::from(c.weight);
            self.score[c.index] += w;
            total += w;
            if best.is_none_or(|b| self.score[c.index] > self.score[b]) {
                best = Some(c.index);
            }
        }
        let best = best.expect("candidates are not empty");
        self.score[best] -= total;
        best
    }
}
