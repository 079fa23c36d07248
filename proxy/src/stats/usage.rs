//! The command list behind `help` and HAProxy's "Unknown command" replies.
//!
//! The texts and the choice of suggested commands follow HAProxy 2.6's `cli_gen_usage_msg`:
//! the words of the line that exactly match a command's leading keywords select a group;
//! the next word is compared with the remaining keywords by a character-transition
//! fingerprint distance, and the closest few commands are proposed. An empty line gets the
//! whole list. `help`, `prompt` and `quit` always end the list.

/// One command as listed by `help`: its keywords and its usage line.
struct Keyword {
    words: &'static [&'static str],
    usage: &'static str,
}

const fn kw(words: &'static [&'static str], usage: &'static str) -> Keyword {
    Keyword { words, usage }
}

/// Every command with a usage line (`help`, `prompt` and `quit` are appended separately).
static KEYWORDS: &[Keyword] = &[
    kw(
        &["clear", "counters"],
        "clear counters [all]                    : clear max statistics counters (or all counters)",
    ),
    kw(
        &["disable", "health"],
        "disable health                          : disable health checks",
    ),
    kw(
        &["disable", "server"],
        "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)",
    ),
    kw(
        &["enable", "health"],
        "enable health                           : enable health checks",
    ),
    kw(
        &["enable", "server"],
        "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
    ),
    kw(
        &["get", "weight"],
        "get weight <bk>/<srv>                   : report a server's current weight",
    ),
    kw(
        &["operator"],
        "operator                                : lower the level of the current CLI session to operator",
    ),
    kw(
        &["set", "server"],
        "set server <bk>/<srv> [opts]            : change a server's state, weight or health",
    ),
    kw(
        &["set", "timeout"],
        "set timeout [cli] <delay>               : change a timeout setting",
    ),
    kw(
        &["set", "weight"],
        "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)",
    ),
    kw(
        &["show", "backend"],
        "show backend                            : list backends in the current running config",
    ),
    kw(
        &["show", "cli", "level"],
        "show cli level                          : display the level of the current CLI session",
    ),
    kw(
        &["show", "info"],
        "show info [desc|json|typed|float]*      : report information about the running process",
    ),
    kw(
        &["show", "servers", "state"],
        "show servers state [<backend>]          : dump volatile server information (all or for a single backend)",
    ),
    kw(
        &["show", "sess"],
        "show sess [id]                          : report the list of current sessions or dump this exact session",
    ),
    kw(
        &["show", "stat"],
        "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server",
    ),
    kw(
        &["show", "version"],
        "show version                            : show version of the current process",
    ),
    kw(
        &["shutdown", "session"],
        "shutdown session [id]                   : kill a specific session",
    ),
    kw(
        &["shutdown", "sessions", "server"],
        "shutdown sessions server <bk>/<srv>     : kill sessions on a server",
    ),
    kw(
        &["user"],
        "user                                    : lower the level of the current CLI session to user",
    ),
];

/// Words beyond this many are not compared (HAProxy's `CLI_PREFIX_KW_NB`).
const PREFIX_WORDS: usize = 5;
/// At most this many fuzzy suggestions (HAProxy's `CLI_MAX_MATCHES`).
const MAX_MATCHES: usize = 5;

const ALWAYS: &str = "  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n";

/// The reply to `help [words...]`.
pub fn help(words: &[Vec<u8>]) -> String {
    generate(words, true)
}

/// The reply to a command sockhop does not know.
pub fn unknown(words: &[Vec<u8>]) -> String {
    generate(words, false)
}

fn generate(args: &[Vec<u8>], is_help: bool) -> String {
    let arg = |i: usize| args.get(i).map(Vec::as_slice).unwrap_or(b"");
    // How many leading words exactly match some command's keywords.
    let mut length = 0;
    for k in KEYWORDS {
        for (i, w) in k.words.iter().enumerate().take(PREFIX_WORDS) {
            if arg(i).is_empty() || arg(i) != w.as_bytes() {
                break;
            }
            length = length.max(i + 1);
        }
    }
    let prefix_matches =
        |k: &Keyword| (0..length).all(|i| k.words.get(i).is_some_and(|w| arg(i) == w.as_bytes()));

    let mut out = String::from(if is_help {
        "The following commands are valid at this level:\n"
    } else if length == 0 && arg(0).is_empty() {
        "Unknown command. Please enter one of the following commands only:\n"
    } else {
        "Unknown command, but maybe one of the following ones is a better match:\n"
    });

    // Fuzzy-match what follows the exactly matching words.
    let mut matches: Vec<(usize, &Keyword)> = Vec::new();
    if !arg(length).is_empty() {
        for k in KEYWORDS.iter().filter(|k| prefix_matches(k)) {
            let mut typed = Fingerprint::new();
            let mut listed = Fingerprint::new();
            let mut total_len = 0;
            for i in length..PREFIX_WORDS {
                if arg(i).is_empty() {
                    break;
                }
                typed.add_word(arg(i));
                total_len += arg(i).len();
            }
            for w in k.words.iter().take(PREFIX_WORDS).skip(length) {
                listed.add_word(w.as_bytes());
                total_len += w.len();
            }
            let dist = typed.distance(&listed);
            let worst = matches.get(MAX_MATCHES - 1).map_or(usize::MAX, |m| m.0);
            if dist < 5 * total_len / 2 && dist < worst {
                // Stable insertion: equal distances keep list order.
                let at = matches.partition_point(|m| m.0 <= dist);
                matches.insert(at, (dist, k));
                matches.truncate(MAX_MATCHES);
            }
        }
    }

    let mut entries: Vec<&str> = if let Some(&(best, _)) = matches.first() {
        matches
            .iter()
            .take_while(|(d, _)| *d <= 5 * best / 2)
            .map(|(_, k)| k.usage)
            .collect()
    } else {
        KEYWORDS
            .iter()
            .filter(|k| prefix_matches(k))
            .map(|k| k.usage)
            .collect()
    };
    entries.sort_unstable();
    for e in entries {
        out.push_str("  ");
        out.push_str(e);
        out.push('\n');
    }
    out.push_str(ALWAYS);
    out
}

/// HAProxy's word fingerprint: counts of transitions between character classes
/// (1..=26 letters, 27 digits, 28 anything else / word boundary), indexed `32*from+to`;
/// row 0 marks which classes occur.
struct Fingerprint([u8; 1024]);

impl Fingerprint {
    fn new() -> Self {
        Fingerprint([0; 1024])
    }
    fn add_word(&mut self, word: &[u8]) {
        let class = |c: u8| -> usize {
            match c.to_ascii_lowercase() {
                c @ b'a'..=b'z' => usize::from(c - b'a') + 1,
                b'0'..=b'9' => 27,
                _ => 28,
            }
        };
        let mut from = 28;
        for &c in word {
            let to = class(c);
            self.0[to] = 1;
            self.0[32 * from + to] = self.0[32 * from + to].wrapping_add(1);
            from = to;
        }
        self.0[32 * from + 28] = self.0[32 * from + 28].wrapping_add(1);
    }
    fn distance(&self, other: &Fingerprint) -> usize {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| a.abs_diff(*b) as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect()
    }

    #[test]
    fn empty_line_lists_everything() {
        let m = unknown(&[]);
        assert!(m.starts_with("Unknown command. Please enter one of the following commands only:\n  clear counters [all]"));
        assert_eq!(m.lines().count(), 1 + KEYWORDS.len() + 3);
        assert!(m.ends_with("  quit                                    : disconnect\n"));
    }

    #[test]
    fn a_known_first_word_lists_its_group() {
        let m = unknown(&words("show"));
        assert!(m.starts_with(
            "Unknown command, but maybe one of the following ones is a better match:\n"
        ));
        let listed: Vec<&str> = m.lines().skip(1).collect();
        assert!(listed.iter().take(7).all(|l| l.starts_with("  show ")));
        assert_eq!(listed.len(), 7 + 3);
    }

    #[test]
    fn a_typo_suggests_close_commands() {
        let m = unknown(&words("show stats"));
        assert!(m.contains("  show stat [desc|json|no-maint|typed|up]*"));
        assert!(!m.contains("disable server"));
        let m = unknown(&words("disable srever MySQL/Primary"));
        assert!(m.contains("  disable server (DEPRECATED)"));
    }

    #[test]
    fn help_filters_by_prefix() {
        let all = help(&[]);
        assert!(all.starts_with("The following commands are valid at this level:\n"));
        let show_cli = help(&words("show cli"));
        assert_eq!(
            show_cli,
            "The following commands are valid at this level:\n  show cli level                          : display the level of the current CLI session\n".to_owned() + ALWAYS
        );
    }

    #[test]
    fn usage_lines_are_sorted_and_aligned() {
        let all = help(&[]);
        let lines: Vec<&str> = all.lines().skip(1).take(KEYWORDS.len()).collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines, sorted);
        for l in lines {
            assert_eq!(l.find(':'), Some(42), "{l}");
        }
    }

    #[test]
    fn fingerprint_distance() {
        let mut a = Fingerprint::new();
        a.add_word(b"stat");
        let mut b = Fingerprint::new();
        b.add_word(b"stat");
        assert_eq!(a.distance(&b), 0);
        let mut c = Fingerprint::new();
        c.add_word(b"stats");
        assert!(a.distance(&c) > 0);
    }
}
