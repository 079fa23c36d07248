//! Least connections: the candidate with the fewest current sessions per unit of weight.
//! Ties are broken by rotating through the tied candidates, so idle servers share new
//! sessions instead of the first one taking them all.

use super::Candidate;

#[derive(Debug, Default)]
pub struct LeastConn {
    turn: usize,
}

impl LeastConn {
    pub fn pick(&mut self, cands: &[Candidate]) -> usize {
        // cur_a / w_a < cur_b / w_b  <=>  cur_a * w_b < cur_b * w_a (weights are > 0).
        let lighter = |a: &Candidate, b: &Candidate| {
            u128::from(a.cur) * u128::from(b.weight) < u128::from(b.cur) * u128::from(a.weight)
        };
        let mut best = cands[0];
        for c in &cands[1..] {
            if lighter(c, &best) {
                best = *c;
            }
        }
        let tied: Vec<&Candidate> = cands
            .iter()
            .filter(|c| !lighter(&best, c) && !lighter(c, &best))
            .collect();
        let pick = tied[self.turn % tied.len()].index;
        self.turn = self.turn.wrapping_add(1);
        pick
    }
}
