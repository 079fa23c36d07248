//! A minimal stats-socket client, for the demo and the integration tests: one command per
//! connection (HAProxy's framing), and `show stat` read the way the seed's
//! `cut -d, -f1,2,18,20,21` reads it.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// The fields the seed's walkthrough cuts out of `show stat`: pxname, svname, status, act,
/// bck (1-based, as `cut -f` counts).
pub const SEED_FIELDS: [usize; 5] = [1, 2, 18, 20, 21];

/// Sends one command (a newline is added) and returns everything the server sends back
/// until it closes the connection.
pub fn send(socket: &Path, command: &str) -> std::io::Result<String> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(command.as_bytes())?;
    stream.write_all(b"\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

/// `cut -d, -f<fields>` on every line of `text`: each line split on commas, the chosen
/// 1-based fields joined by commas again; a missing field is left out, as cut does.
pub fn cut(text: &str, fields: &[usize]) -> Vec<String> {
    text.lines()
        .map(|line| {
            let parts: Vec<&str> = line.split(',').collect();
            if parts.len() == 1 {
                // cut prints lines without a delimiter unchanged.
                return line.to_string();
            }
            fields
                .iter()
                .filter_map(|f| parts.get(f - 1).copied())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_picks_the_seed_fields_and_keeps_lines_without_commas() {
        let header = (1..=25)
            .map(|i| format!("f{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("{header},\n\n");
        assert_eq!(
            cut(&text, &SEED_FIELDS),
            vec!["f1,f2,f18,f20,f21".to_string(), String::new()]
        );
        assert_eq!(cut("a,b", &SEED_FIELDS), vec!["a,b".to_string()]);
    }
}
