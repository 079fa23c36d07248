//! Stage 1 errors (TOML syntax, unknown keys, wrong types) turned into [`ConfigError`]s
//! with a key path and a fix.

use super::error::ConfigError;
use super::keypath::key_path_at;
use super::keys;
use super::raw::DURATION_EXPECTED;
use super::source::Source;
use super::suggest;

/// Translates an error of `toml::from_str::<RawConfig>`.
pub fn translate(src: &Source<'_>, err: &toml::de::Error) -> ConfigError {
    let span = err.span().unwrap_or(0..0);
    let message = err.message().trim();
    let key = key_path_at(src.text, span.clone()).unwrap_or_default();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (problem, fix) = unknown_key(rest, &key);
        return src.error(span, key, problem, fix);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (problem, fix) = wrong_type(rest, &key);
        return src.error(span, key, problem, fix);
    }
    // Everything else is TOML syntax, reported by the parser (which knows no key path).
    let problem = message.lines().collect::<Vec<_>>().join(": ");
    let fix = if problem.contains("duplicate key") {
        "Each key may appear once per table and each [section] once; remove or merge the repeated one (use [[double brackets]] for listen, listen.server and stats_socket, which repeat)"
    } else {
        "Fix the TOML syntax at this position (see https://toml.io); strings need double quotes"
    };
    src.error(span, "", format!("invalid TOML: {problem}"), fix)
}

/// Backtick-quoted words of a serde message, in order.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// serde: "unknown field `wieght`, expected `name` or `weight`" (the part after "unknown
/// field "); `key` is the path of the unknown key itself.
fn unknown_key(rest: &str, key: &str) -> (String, String) {
    let words = quoted(rest);
    let Some((name, valid)) = words.split_first() else {
        return (format!("unknown key {rest}"), "Remove it".to_string());
    };
    let problem = match keys::normalize(key).rsplit_once('.') {
        Some((section, _)) => format!("unknown key `{name}` in {}", keys::section_header(section)),
        None => format!("unknown section `{name}`"),
    };
    let fix = if let Some(near) = suggest::nearest(name, valid.iter().copied()) {
        format!("Did you mean `{near}`?")
    } else {
        let elsewhere = keys::sections_with(name);
        if elsewhere.is_empty() {
            format!("Valid keys here are: {}", valid.join(", "))
        } else {
            format!(
                "`{name}` belongs in {}; valid keys here are: {}",
                elsewhere.join(" or "),
                valid.join(", ")
            )
        }
    };
    (problem, fix)
}

/// serde: "string \"3\", expected i64" (the part after "invalid type: ").
fn wrong_type(rest: &str, key: &str) -> (String, String) {
    let (found, expected) = rest
        .rsplit_once(", expected ")
        .unwrap_or((rest, "another type"));
    let expected = match expected {
        "i64" | "u64" | "i32" | "u32" | "an integer" => "a whole number",
        "a boolean" => "true or false",
        "a string" => "a string in double quotes",
        "a sequence" => "an array",
        e if e.starts_with("struct ") || e == "a map" => "a table",
        e => e,
    };
    let found = match found {
        "map" => "a table",
        "sequence" => "an array",
        f => f,
    };
    let problem = format!("expected {expected}, found {found}");
    let name = key.rsplit('.').next().unwrap_or(key);
    let normalized = keys::normalize(key);
    let fix = if keys::TABLE_ARRAYS.contains(&normalized.as_str()) {
        format!(
            "Write each entry as its own [[{normalized}]] section (double brackets); there can be several"
        )
    } else if expected == DURATION_EXPECTED {
        format!("{}, e.g. `{name} = \"2s\"`", super::duration::HOWTO)
    } else if let Some(example) = keys::example(key) {
        format!("Write it as `{name} = {example}`")
    } else {
        format!("Write {expected} here")
    };
    (problem, fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words() {
        assert_eq!(
            quoted("`wieght`, expected `name` or `weight`"),
            vec!["wieght", "name", "weight"]
        );
        assert_eq!(quoted("`x`, there are no fields"), vec!["x"]);
    }

    #[test]
    fn unknown_key_suggests_or_lists() {
        let (p, f) = unknown_key(
            "`timeout_clinet`, expected one of `timeout_connect`, `timeout_client`",
            "defaults.timeout_clinet",
        );
        assert_eq!(p, "unknown key `timeout_clinet` in [defaults]");
        assert_eq!(f, "Did you mean `timeout_client`?");
        let (_, f) = unknown_key(
            "`weight`, expected `timeout_connect` or `retries`",
            "defaults.weight",
        );
        assert!(
            f.starts_with("`weight` belongs in [[listen.server]]"),
            "{f}"
        );
        let (_, f) = unknown_key("`zzz`, expected `user`", "listen[0].mysql_check.zzz");
        assert_eq!(f, "Valid keys here are: user");
    }

    #[test]
    fn wrong_type_names_the_fix() {
        let (p, f) = wrong_type("string \"10\", expected i64", "listen[0].server[1].weight");
        assert_eq!(p, "expected a whole number, found string \"10\"");
        assert_eq!(f, "Write it as `weight = 10`");
        let (p, f) = wrong_type("map, expected a sequence", "listen");
        assert_eq!(p, "expected an array, found a table");
        assert!(f.contains("[[listen]]"), "{f}");
    }
}
