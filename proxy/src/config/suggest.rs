//! "Did you mean ...?": the nearest valid name to a misspelt one (Levenshtein distance).

/// Edit distance between `a` and `b` (insertions, deletions, substitutions; case-insensitive).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    // One row of the dynamic-programming table at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo: at most a
/// third of the word's length (at least 1, at most 4) edits away. Ties go to the first.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = word.chars().count().div_ceil(3).clamp(1, 4);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("weight", "wieght"), 2);
        assert_eq!(distance("timeout-connect", "timeout_connect"), 1);
        assert_eq!(distance("Weight", "weight"), 0);
    }

    #[test]
    fn nearest_picks_close_names_only() {
        let keys = [
            "timeout_connect",
            "timeout_client",
            "timeout_server",
            "retries",
        ];
        assert_eq!(nearest("timeout_clinet", keys), Some("timeout_client"));
        assert_eq!(nearest("timeout-server", keys), Some("timeout_server"));
        assert_eq!(nearest("retires", keys), Some("retries"));
        assert_eq!(nearest("balance", keys), None);
        assert_eq!(nearest("usr", ["user"]), Some("user"));
        assert_eq!(nearest("x", ["user"]), None);
    }
}
