//! Time as the page shows it: UTC timestamps, and the recent state changes
//! of a listen's servers merged newest first (the data itself lives in `state::History`).

use crate::state::{ListenState, StateChange};
use std::time::{SystemTime, UNIX_EPOCH};

/// Most changes the page lists per listen.
pub const PAGE_CHANGES: usize = 12;

/// `2026-11-30 11:48:19Z`.
pub fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rem) = (secs / 86400, secs % 86400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The listen's most recent state changes, newest first, with the server they concern.
pub fn recent_changes(listen: &ListenState) -> Vec<(String, StateChange)> {
    let mut all: Vec<(String, StateChange)> = listen
        .servers
        .iter()
        .flat_map(|s| {
            let name = s.name().to_string();
            s.history().into_iter().map(move |c| (name.clone(), c))
        })
        .collect();
    all.sort_by_key(|(_, c)| std::cmp::Reverse(c.at));
    all.truncate(PAGE_CHANGES);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_039_305);
        assert_eq!(utc(t), "2026-11-30 11:48:25Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(utc(leap), "2000-02-29 00:00:00Z");
    }
}
