//! `--table`: a `show stat` CSV reply as an aligned table of chosen columns, and the CSV
//! reading shared with `status`.

use super::CtlError;

/// Columns of `--table` without `--columns`.
pub const DEFAULT_COLUMNS: &str = "pxname,svname,status,act,bck,scur,stot,check_status,lastchg";

pub fn is_show_stat_csv(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() >= 2
        && words[0] == "show"
        && words[1] == "stat"
        && !words.iter().any(|w| *w == "typed" || *w == "json")
        && !line.contains(';')
}

/// Splits one CSV line the way HAProxy quotes it (`"` around values containing `,` or `"`,
/// doubled `"` inside).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// One `show stat` row, by column name.
pub type Row = std::collections::HashMap<String, String>;

/// Reads a `show stat` CSV reply into rows keyed by column name.
pub fn parse_rows(csv: &str) -> Result<Vec<Row>, CtlError> {
    let mut lines = csv.lines().filter(|l| !l.is_empty());
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or(CtlError::NoHeader)?;
    let names = split_csv(header);
    Ok(lines
        .map(|l| {
            names
                .iter()
                .cloned()
                .zip(split_csv(l))
                .filter(|(n, _)| !n.is_empty())
                .collect()
        })
        .collect())
}

/// Renders a `show stat` CSV reply as an aligned table of `columns` (comma-separated).
pub fn render_table(csv: &str, columns: &str) -> Result<String, CtlError> {
    let mut lines = csv.lines().filter(|l| !l.is_empty());
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or(CtlError::NoHeader)?;
    let names = split_csv(header);
    let wanted: Vec<&str> = columns
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let mut idx = Vec::new();
    for w in &wanted {
        match names.iter().position(|n| n == w) {
            Some(i) => idx.push(i),
            None => {
                return Err(CtlError::UnknownColumn {
                    name: (*w).to_owned(),
                    valid: names
                        .iter()
                        .filter(|n| !n.is_empty() && n.as_str() != "-")
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(","),
                });
            }
        }
    }
    let mut grid: Vec<Vec<String>> = vec![wanted.iter().map(|w| (*w).to_owned()).collect()];
    for l in lines {
        let cells = split_csv(l);
        grid.push(
            idx.iter()
                .map(|&i| cells.get(i).cloned().unwrap_or_default())
                .collect(),
        );
    }
    Ok(align(&grid))
}

/// Lays out rows of cells in columns two spaces apart (no trailing blanks).
pub fn align(grid: &[Vec<String>]) -> String {
    let cols = grid.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            grid.iter()
                .map(|r| r.get(c).map_or(0, |x| x.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in grid {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', widths[c] - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "# pxname,svname,status,act,bck,last_chk,\nMySQL,FRONTEND,OPEN,,,,\nMySQL,Primary,UP,1,0,\"Access denied, \"\"x\"\"\",\nMySQL,BACKEND,UP,1,1,,\n\n";

    #[test]
    fn csv_splitting_undoes_haproxy_quoting() {
        assert_eq!(split_csv("a,,b,"), ["a", "", "b", ""]);
        assert_eq!(
            split_csv("x,\"Access denied, \"\"x\"\"\",y"),
            ["x", "Access denied, \"x\"", "y"]
        );
    }

    #[test]
    fn rows_are_keyed_by_column() {
        let rows = parse_rows(CSV).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1]["svname"], "Primary");
        assert_eq!(rows[1]["last_chk"], "Access denied, \"x\"");
        assert!(parse_rows("Unknown command\n\n").is_err());
    }

    #[test]
    fn table_aligns_chosen_columns() {
        let t = render_table(CSV, "svname,status,act,last_chk").unwrap();
        assert_eq!(
            t,
            "svname    status  act  last_chk\n\
             FRONTEND  OPEN\n\
             Primary   UP      1    Access denied, \"x\"\n\
             BACKEND   UP      1\n"
        );
    }

    #[test]
    fn table_rejects_unknown_columns_and_other_commands() {
        let e = render_table(CSV, "svname,nope").unwrap_err();
        assert!(e.to_string().contains("unknown column 'nope'"), "{e}");
        assert!(is_show_stat_csv("show stat"));
        assert!(is_show_stat_csv("show stat MySQL 4 -1"));
        assert!(!is_show_stat_csv("show stat json"));
        assert!(!is_show_stat_csv("show info"));
    }
}
