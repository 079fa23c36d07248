//! The rise/fall state machine of one server's health, as HAProxy documents it.
//!
//! Pure: no clock, no I/O. The health counter runs from 0 to `rise + fall - 1`:
//! a success adds one, and reaching `rise` marks the server UP and jumps to the top; a
//! failure above `rise` takes one away, and a failure at or below `rise` drops to 0 (an UP
//! server goes DOWN, a rising one starts counting its consecutive successes again).
//! So an UP server needs `fall` consecutive failures to go DOWN and a DOWN server `rise`
//! consecutive successes to come UP. A server starts UP with health = `rise`: its first
//! failure marks it DOWN, its first success makes it fully UP (HAProxy's start-up rule).
//!
//! HAProxy's mysql-check counts a success twice towards `rise` (a quirk of its tcp-check
//! rule set); sockhop implements the documented semantics instead.

use crate::config::CheckParams;
use std::time::Duration;

/// What a check outcome did to the server's UP/DOWN state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    None,
    WentUp,
    WentDown,
}

/// Health of one server as seen by its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthFsm {
    rise: u32,
    fall: u32,
    health: u32,
    up: bool,
}

impl HealthFsm {
    /// A server at start-up (and after `enable server`): UP, health = rise.
    pub fn new(rise: u32, fall: u32) -> Self {
        let rise = rise.max(1);
        let fall = fall.max(1);
        HealthFsm {
            rise,
            fall,
            health: rise,
            up: true,
        }
    }

    pub fn rise(&self) -> u32 {
        self.rise
    }
    pub fn fall(&self) -> u32 {
        self.fall
    }
    /// The raw health counter (HAProxy's `check_health` column).
    pub fn health(&self) -> u32 {
        self.health
    }
    pub fn is_up(&self) -> bool {
        self.up
    }
    fn top(&self) -> u32 {
        self.rise + self.fall - 1
    }
    /// UP and not yet failing at all.
    pub fn is_fully_up(&self) -> bool {
        self.up && self.health >= self.top()
    }
    /// DOWN with no success since.
    pub fn is_fully_down(&self) -> bool {
        !self.up && self.health == 0
    }

    /// Applies one check outcome.
    pub fn record(&mut self, success: bool) -> Transition {
        if success {
            if self.health < self.top() {
                self.health += 1;
            }
            if self.health >= self.rise {
                self.health = self.top();
                if !self.up {
                    self.up = true;
                    return Transition::WentUp;
                }
            }
        } else if self.health > self.rise {
            self.health -= 1;
        } else {
            // At or below `rise`: UP servers go DOWN, rising ones start counting again.
            self.health = 0;
            if self.up {
                self.up = false;
                return Transition::WentDown;
            }
        }
        Transition::None
    }

    /// Forces the state, as `set server B/S health up|down` does.
    pub fn force(&mut self, up: bool) -> Transition {
        let was = self.up;
        self.up = up;
        self.health = if up { self.top() } else { 0 };
        match (was, up) {
            (false, true) => Transition::WentUp,
            (true, false) => Transition::WentDown,
            _ => Transition::None,
        }
    }

    /// `set server B/S health stopping`-like "UP but going": health = rise, still UP.
    pub fn reset_to_rise(&mut self) {
        self.up = true;
        self.health = self.rise;
    }

    /// The interval until the next check: `downinter` when fully down, `fastinter` while
    /// transitioning, `inter` when fully up.
    pub fn next_interval(&self, p: &CheckParams) -> Duration {
        if self.is_fully_down() {
            p.downinter
        } else if self.is_fully_up() {
            p.inter
        } else {
            p.fastinter
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> CheckParams {
        CheckParams {
            inter: Duration::from_secs(2),
            fastinter: Duration::from_millis(500),
            downinter: Duration::from_secs(5),
            rise: 2,
            fall: 3,
        }
    }

    #[test]
    fn starts_up_at_rise_and_one_failure_marks_down() {
        let mut f = HealthFsm::new(2, 3);
        assert!(f.is_up());
        assert_eq!(f.health(), 2);
        assert!(!f.is_fully_up());
        assert_eq!(f.record(false), Transition::WentDown);
        assert!(f.is_fully_down());
    }

    #[test]
    fn first_success_makes_fully_up() {
        let mut f = HealthFsm::new(2, 3);
        assert_eq!(f.record(true), Transition::None);
        assert!(f.is_fully_up());
        assert_eq!(f.health(), 4);
    }

    #[test]
    fn fall_consecutive_failures_mark_down() {
        let mut f = HealthFsm::new(2, 3);
        f.record(true);
        assert_eq!(f.record(false), Transition::None);
        assert_eq!(f.record(false), Transition::None);
        assert!(f.is_up());
        assert_eq!(f.record(false), Transition::WentDown);
        assert!(!f.is_up());
    }

    #[test]
    fn a_success_in_between_restores_full_health() {
        let mut f = HealthFsm::new(2, 3);
        f.record(true);
        f.record(false);
        f.record(false);
        f.record(true);
        assert!(f.is_fully_up());
        assert_eq!(f.record(false), Transition::None);
        assert_eq!(f.record(false), Transition::None);
        assert_eq!(f.record(false), Transition::WentDown);
    }

    #[test]
    fn rise_consecutive_successes_mark_up() {
        let mut f = HealthFsm::new(2, 3);
        f.record(false);
        assert_eq!(f.record(true), Transition::None);
        assert_eq!(f.health(), 1);
        assert_eq!(f.record(true), Transition::WentUp);
        assert!(f.is_fully_up());
    }

    #[test]
    fn failure_while_rising_restarts_counting() {
        let mut f = HealthFsm::new(3, 2);
        assert_eq!(f.record(false), Transition::WentDown);
        f.record(true);
        f.record(true);
        assert_eq!(f.record(false), Transition::None);
        assert_eq!(f.health(), 0);
        assert!(!f.is_up());
        f.record(true);
        f.record(true);
        assert_eq!(f.record(true), Transition::WentUp);
    }

    #[test]
    fn rise_one_fall_one() {
        let mut f = HealthFsm::new(1, 1);
        assert!(f.is_fully_up());
        assert_eq!(f.record(false), Transition::WentDown);
        assert_eq!(f.record(true), Transition::WentUp);
    }

    #[test]
    fn intervals_follow_state() {
        let p = params();
        let mut f = HealthFsm::new(2, 3);
        assert_eq!(f.next_interval(&p), p.fastinter);
        f.record(true);
        assert_eq!(f.next_interval(&p), p.inter);
        f.record(false);
        assert_eq!(f.next_interval(&p), p.fastinter);
        f.record(false);
        f.record(false);
        assert_eq!(f.next_interval(&p), p.downinter);
        f.record(true);
        assert_eq!(f.next_interval(&p), p.fastinter);
    }

    #[test]
    fn force_jumps_to_the_ends() {
        let mut f = HealthFsm::new(2, 3);
        assert_eq!(f.force(false), Transition::WentDown);
        assert_eq!(f.health(), 0);
        assert_eq!(f.force(true), Transition::WentUp);
        assert!(f.is_fully_up());
    }
}
