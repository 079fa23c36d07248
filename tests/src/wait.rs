//! Bounded polling: look often, give up after a deadline with a message saying what was
//! awaited and what was last seen.

use std::time::{Duration, Instant};

/// How often conditions are looked at.
pub const POLL: Duration = Duration::from_millis(20);

/// Calls `probe` every [`POLL`] until it returns `Ok`, and returns that value with the time
/// it took. `Err` carries what was seen instead; after `timeout` the test fails with it.
pub fn until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Result<T, String>,
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        match probe() {
            Ok(value) => return (value, start.elapsed()),
            Err(seen) => {
                if start.elapsed() >= timeout {
                    panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}");
                }
            }
        }
        std::thread::sleep(POLL);
    }
}
