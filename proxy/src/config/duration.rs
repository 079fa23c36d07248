//! Durations as written in the file: `"500us"`, `"100ms"`, `"2s"`, `"1m"`, `"1h"`, `"1d"`.
//!
//! As in HAProxy, a number without a unit (`"1500"` or the TOML integer `1500`) means
//! milliseconds. Only whole numbers are accepted (HAProxy has no fractions either), and
//! durations are capped at HAProxy's timer limit of 2147483647 ms (about 24.8 days).

use std::fmt;
use std::time::Duration;

/// The longest duration accepted: `i32::MAX` milliseconds, HAProxy's timer limit.
pub const MAX: Duration = Duration::from_millis(i32::MAX as u64);

/// The units and their length in microseconds.
const UNITS: &[(&str, u64)] = &[
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("m", 60_000_000),
    ("h", 3_600_000_000),
    ("d", 86_400_000_000),
];

/// Why a duration was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    Empty,
    Negative,
    Fraction,
    /// The text does not start with a number.
    NoNumber,
    UnknownUnit(String),
    TooLong,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => f.write_str("the duration is empty"),
            DurationError::Negative => f.write_str("a duration cannot be negative"),
            DurationError::Fraction => f.write_str("fractions are not supported"),
            DurationError::NoNumber => f.write_str("a duration must start with a whole number"),
            DurationError::UnknownUnit(u) => write!(f, "`{u}` is not a unit"),
            DurationError::TooLong => write!(
                f,
                "it is longer than the maximum of {}ms (about 24.8 days)",
                MAX.as_millis()
            ),
        }
    }
}

/// How to write a duration, for error messages.
pub const HOWTO: &str = "Write a whole number followed by a unit (us, ms, s, m, h or d), e.g. \"2s\" or \"500ms\"; a number without a unit means milliseconds";

/// Parses `"2s"`, `"100ms"`, `"1500"` (milliseconds), ...
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.starts_with('-') {
        return Err(DurationError::Negative);
    }
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    if number.is_empty() {
        return Err(DurationError::NoNumber);
    }
    if unit.starts_with(['.', ',']) {
        return Err(DurationError::Fraction);
    }
    let micros_per_unit = if unit.is_empty() {
        1_000
    } else {
        UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, m)| *m)
            .ok_or_else(|| DurationError::UnknownUnit(unit.to_string()))?
    };
    let number: u64 = number.parse().map_err(|_| DurationError::TooLong)?;
    let micros = number
        .checked_mul(micros_per_unit)
        .ok_or(DurationError::TooLong)?;
    from_micros_capped(micros)
}

/// A TOML integer: milliseconds.
pub fn from_millis(ms: i64) -> Result<Duration, DurationError> {
    let ms = u64::try_from(ms).map_err(|_| DurationError::Negative)?;
    from_micros_capped(ms.checked_mul(1_000).ok_or(DurationError::TooLong)?)
}

fn from_micros_capped(micros: u64) -> Result<Duration, DurationError> {
    let d = Duration::from_micros(micros);
    if d > MAX {
        Err(DurationError::TooLong)
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(parse("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bare_numbers_are_milliseconds() {
        assert_eq!(parse("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(from_millis(1500), Ok(Duration::from_millis(1500)));
        assert_eq!(from_millis(0), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert_eq!(parse("-2s"), Err(DurationError::Negative));
        assert_eq!(from_millis(-1), Err(DurationError::Negative));
        assert_eq!(parse("1.5s"), Err(DurationError::Fraction));
        assert_eq!(parse("s"), Err(DurationError::NoNumber));
        assert_eq!(parse("2 s"), Err(DurationError::UnknownUnit(" s".into())));
        assert_eq!(parse("2sec"), Err(DurationError::UnknownUnit("sec".into())));
        assert_eq!(parse("2S"), Err(DurationError::UnknownUnit("S".into())));
        assert_eq!(parse("25d"), Err(DurationError::TooLong));
        assert_eq!(
            parse("99999999999999999999999"),
            Err(DurationError::TooLong)
        );
        assert_eq!(from_millis(i64::MAX), Err(DurationError::TooLong));
    }

    #[test]
    fn limit_is_inclusive() {
        assert_eq!(parse("2147483647"), Ok(MAX));
        assert_eq!(parse("2147483648"), Err(DurationError::TooLong));
        assert_eq!(parse("24d"), Ok(Duration::from_secs(24 * 86_400)));
    }
}
