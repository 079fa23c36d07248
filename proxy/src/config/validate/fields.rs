//! Checks for single values: numbers in range, durations, enum strings, names, IPs, and
//! required keys. Each returns the typed value or an error pointing at the value.

use super::super::duration;
use super::super::error::ConfigError;
use super::super::keys;
use super::super::raw::DurationValue;
use super::super::source::Source;
use super::super::suggest;
use std::net::IpAddr;
use std::ops::{Range, RangeInclusive};
use std::time::Duration;
use toml::Spanned;

/// A validated value with where it was written (for errors that involve several keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
    pub key: String,
}

/// An integer in `range`; `hint` (may be empty) is appended to the fix.
pub fn int(
    src: &Source<'_>,
    v: &Spanned<i64>,
    key: &str,
    range: RangeInclusive<i64>,
    hint: &str,
) -> Result<u32, ConfigError> {
    let n = *v.get_ref();
    match u32::try_from(n) {
        Ok(value) if range.contains(&n) => Ok(value),
        _ => {
            let (lo, hi) = (range.start(), range.end());
            let mut fix = format!("Use a whole number from {lo} to {hi}");
            if !hint.is_empty() {
                fix = format!("{fix}; {hint}");
            }
            Err(src.error(
                v.span(),
                key,
                format!("{n} is out of range ({lo} to {hi})"),
                fix,
            ))
        }
    }
}

/// A duration; `positive` rejects zero.
pub fn duration(
    src: &Source<'_>,
    v: &Spanned<DurationValue>,
    key: &str,
    positive: bool,
) -> Result<Duration, ConfigError> {
    let parsed = match v.get_ref() {
        DurationValue::Text(text) => duration::parse(text),
        DurationValue::Millis(ms) => duration::from_millis(*ms),
    };
    let shown = match v.get_ref() {
        DurationValue::Text(text) => format!("\"{text}\""),
        DurationValue::Millis(ms) => ms.to_string(),
    };
    match parsed {
        Ok(d) if positive && d.is_zero() => Err(src.error(
            v.span(),
            key,
            format!("{shown} is zero, but this duration must be longer than 0"),
            "Remove the key to use the default, or give a duration such as \"2s\"",
        )),
        Ok(d) => Ok(d),
        Err(why) => Err(src.error(
            v.span(),
            key,
            format!("{shown} is not a valid duration: {why}"),
            duration::HOWTO,
        )),
    }
}

/// One of `options` (`(text, value)`), with a "did you mean" for near misses.
pub fn choice<T: Copy>(
    src: &Source<'_>,
    v: &Spanned<String>,
    key: &str,
    options: &[(&str, T)],
) -> Result<T, ConfigError> {
    let text = v.get_ref().as_str();
    if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
        return Ok(*value);
    }
    let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
    let valid = format!("Valid values are: {}", names.join(", "));
    let fix = match suggest::nearest(text, names.iter().copied()) {
        Some(near) => format!("Did you mean \"{near}\"? {valid}"),
        None => valid,
    };
    let name = key.rsplit('.').next().unwrap_or(key);
    Err(src.error(
        v.span(),
        key,
        format!("\"{text}\" is not a valid {name}"),
        fix,
    ))
}

/// Characters HAProxy accepts in proxy and server names.
fn name_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

/// A listen or server name: not empty, only `[A-Za-z0-9_.:-]` (HAProxy's rule).
pub fn name(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
    let text = v.get_ref();
    if text.is_empty() {
        return Err(src.error(
            v.span(),
            key,
            "the name is empty",
            "Give it a name made of letters, digits and _ . : -, e.g. \"MySQL\"",
        ));
    }
    if let Some(bad) = text.chars().find(|c| !name_char_ok(*c)) {
        let suggestion: String = text
            .chars()
            .map(|c| if name_char_ok(c) { c } else { '_' })
            .collect();
        return Err(src.error(
            v.span(),
            key,
            format!("\"{text}\" contains {bad:?}, which HAProxy does not allow in names"),
            format!("Use only letters, digits and _ . : -, e.g. \"{suggestion}\""),
        ));
    }
    Ok(text.clone())
}

/// An IP address (no port, no host name).
pub fn ip(src: &Source<'_>, v: &Spanned<String>, key: &str) -> Result<IpAddr, ConfigError> {
    v.get_ref().parse().map_err(|_| {
        src.error(
            v.span(),
            key,
            format!("\"{}\" is not an IP address", v.get_ref()),
            "Write a local IPv4 or IPv6 address without a port, e.g. \"127.0.0.2\"",
        )
    })
}

/// A key that must be present in the table spanning `table`.
pub fn required<'a, T>(
    src: &Source<'_>,
    v: Option<&'a Spanned<T>>,
    table: Range<usize>,
    key: &str,
) -> Result<&'a Spanned<T>, ConfigError> {
    v.ok_or_else(|| {
        let normalized = keys::normalize(key);
        let (section, name) = normalized.rsplit_once('.').unwrap_or(("", &normalized));
        let example = keys::example(key).unwrap_or("...");
        src.error(
            table,
            key,
            format!("missing `{name}`"),
            format!(
                "Add `{name} = {example}` to this {} section",
                keys::section_header(section)
            ),
        )
    })
}

/// `Located` from a spanned raw value and its validated form.
pub fn located<T, R>(v: &Spanned<R>, key: &str, value: T) -> Located<T> {
    Located {
        value,
        span: v.span(),
        key: key.to_string(),
    }
}
