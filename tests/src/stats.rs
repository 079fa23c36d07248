//! Talking to sockhop's stats socket three ways, and reading `show stat`.
//!
//! - [`raw`]: one command over a `UnixStream` (HAProxy's one-command-per-connection framing);
//! - [`socat`]: `echo CMD | socat stdio SOCKET`, as the seed does;
//! - [`seed_pipeline`]: the seed's whole `... | socat stdio SOCKET | cut -d, -f1,2,18,20,21`
//!   through `sh`, with the real `cut`;
//! - [`StatTable`]: `show stat` CSV parsed by its header, and [`seed_cut`], the same cut in
//!   Rust.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

pub use xtask::stats::{SEED_FIELDS, cut};

/// Sends one command over a raw unix stream; returns the whole reply.
pub fn raw(socket: &Path, command: &str) -> Result<String, String> {
    xtask::stats::send(socket, command).map_err(|e| format!("{}: {e}", socket.display()))
}

/// `echo "<command>" | socat stdio <socket>`.
pub fn socat(socket: &Path, command: &str) -> Result<String, String> {
    let mut child = Command::new("socat")
        .arg("stdio")
        .arg(socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run socat: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{command}\n").as_bytes())
        .map_err(|e| format!("writing to socat: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("socat: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "socat failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The seed's administration command, run by `sh` exactly as an operator types it.
pub fn seed_pipeline(socket: &Path) -> Result<String, String> {
    let script = format!(
        "echo \"show stat\" | socat stdio '{}' | cut -d, -f1,2,18,20,21",
        socket.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{script}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `show stat` cut to the seed's columns, trailing empty lines dropped.
pub fn seed_cut(csv: &str) -> Vec<String> {
    let mut lines = cut(csv, &SEED_FIELDS);
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// One `show stat` reply, with every row's fields named by the header.
#[derive(Debug, Clone)]
pub struct StatTable {
    pub csv: String,
    rows: Vec<HashMap<String, String>>,
}

impl StatTable {
    /// Parses a reply: first line `# pxname,svname,...`, then one line per row, then an
    /// empty line.
    pub fn parse(csv: &str) -> Result<Self, String> {
        let mut lines = csv.lines();
        let header = lines
            .next()
            .and_then(|h| h.strip_prefix("# "))
            .ok_or_else(|| format!("no `# pxname,...` header in {csv:?}"))?;
        let names: Vec<&str> = header.split(',').collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|line| {
                names
                    .iter()
                    .zip(line.split(','))
                    .filter(|(n, _)| !n.is_empty())
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        Ok(StatTable {
            csv: csv.to_string(),
            rows,
        })
    }

    /// A field of the row `proxy/server` (server may be FRONTEND or BACKEND).
    pub fn field(&self, proxy: &str, server: &str, name: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|r| {
                r.get("pxname").map(String::as_str) == Some(proxy)
                    && r.get("svname").map(String::as_str) == Some(server)
            })
            .and_then(|r| r.get(name))
            .map(String::as_str)
    }

    /// The `status` column of `proxy/server`.
    pub fn status(&self, proxy: &str, server: &str) -> Option<&str> {
        self.field(proxy, server, "status")
    }

    /// The seed's columns of the row `proxy/server`, e.g. `MySQL,BACKEND,UP,1,1`.
    pub fn seed_row(&self, proxy: &str, server: &str) -> Option<String> {
        seed_cut(&self.csv)
            .into_iter()
            .find(|l| l.starts_with(&format!("{proxy},{server},")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv() -> String {
        let mut header = vec!["pxname".to_string(), "svname".to_string()];
        header.extend((3..=17).map(|i| format!("c{i}")));
        header.push("status".into());
        header.push("weight".into());
        header.push("act".into());
        header.push("bck".into());
        let row = |sv: &str, st: &str, act: &str, bck: &str| {
            let mut f = vec!["MySQL".to_string(), sv.to_string()];
            f.extend((3..=17).map(|_| String::new()));
            f.extend([st.into(), "1".into(), act.into(), bck.into()]);
            f.join(",") + ","
        };
        format!(
            "# {},\n{}\n{}\n\n",
            header.join(","),
            row("FRONTEND", "OPEN", "", ""),
            row("Primary", "UP", "1", "0")
        )
    }

    #[test]
    fn parses_rows_by_header_name() {
        let t = StatTable::parse(&csv()).unwrap();
        assert_eq!(t.status("MySQL", "Primary"), Some("UP"));
        assert_eq!(t.field("MySQL", "Primary", "act"), Some("1"));
        assert_eq!(t.status("MySQL", "FRONTEND"), Some("OPEN"));
        assert_eq!(t.status("MySQL", "Nope"), None);
        assert_eq!(
            t.seed_row("MySQL", "Primary").as_deref(),
            Some("MySQL,Primary,UP,1,0")
        );
    }

    #[test]
    fn seed_cut_is_the_shell_cut() {
        assert_eq!(
            seed_cut(&csv()),
            vec![
                "# pxname,svname,status,act,bck",
                "MySQL,FRONTEND,OPEN,,",
                "MySQL,Primary,UP,1,0"
            ]
        );
        assert!(StatTable::parse("Unknown command.\n\n").is_err());
    }
}
