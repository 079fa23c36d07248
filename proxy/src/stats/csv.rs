//! The three renderings of `show stat` rows: CSV (the default), `typed` and `json`.
//!
//! The column set is HAProxy 2.8's 113 static proxy columns, in HAProxy's order, followed in
//! CSV by the literal `-` column that ends the static part (sockhop has no extra stats
//! modules, so nothing follows it). Every row carries all 113 cells; a cell is either empty
//! or a typed value, so numeric columns can never hold text.

use super::columns::INFO;
pub use super::columns::{COLUMNS, Col, column_name};
use std::fmt::Write as _;

/// A typed cell. `Empty` renders as nothing; numbers can only hold numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Empty,
    U32(u32),
    U64(u64),
    S32(i32),
    Str(String),
}

impl Field {
    pub fn str(s: impl Into<String>) -> Field {
        Field::Str(s.into())
    }
    /// A `u32` cell from a wider counter, saturating instead of wrapping.
    pub fn u32_sat(v: u64) -> Field {
        Field::U32(u32::try_from(v).unwrap_or(u32::MAX))
    }
    fn type_name(&self) -> &'static str {
        match self {
            Field::Empty => "",
            Field::U32(_) => "u32",
            Field::U64(_) => "u64",
            Field::S32(_) => "s32",
            Field::Str(_) => "str",
        }
    }
    fn raw(&self) -> String {
        match self {
            Field::Empty => String::new(),
            Field::U32(v) => v.to_string(),
            Field::U64(v) => v.to_string(),
            Field::S32(v) => v.to_string(),
            Field::Str(s) => s.clone(),
        }
    }
}

/// What a row describes (HAProxy's `type` column and the `typed` object letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Frontend,
    Backend,
    Server,
}

impl RowKind {
    /// Value of the `type` column.
    pub fn type_code(self) -> u32 {
        match self {
            RowKind::Frontend => 0,
            RowKind::Backend => 1,
            RowKind::Server => 2,
        }
    }
    fn letter(self) -> char {
        match self {
            RowKind::Frontend => 'F',
            RowKind::Backend => 'B',
            RowKind::Server => 'S',
        }
    }
    fn json_name(self) -> &'static str {
        match self {
            RowKind::Frontend => "Frontend",
            RowKind::Backend => "Backend",
            RowKind::Server => "Server",
        }
    }
}

/// One row of `show stat`: always exactly [`COLUMNS`] cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    pub iid: u32,
    pub sid: u32,
    cells: Vec<Field>,
}

impl Row {
    pub fn new(kind: RowKind, iid: u32, sid: u32) -> Self {
        let mut r = Row {
            kind,
            iid,
            sid,
            cells: vec![Field::Empty; COLUMNS],
        };
        r.set(Col::Pid, Field::U32(1));
        r.set(Col::Iid, Field::U32(iid));
        r.set(Col::Sid, Field::U32(sid));
        r.set(Col::Type, Field::U32(kind.type_code()));
        r
    }
    pub fn set(&mut self, col: Col, f: Field) {
        self.cells[col as usize] = f;
    }
    pub fn get(&self, col: Col) -> &Field {
        &self.cells[col as usize]
    }
    pub fn cells(&self) -> &[Field] {
        &self.cells
    }

    /// `typed`/`json` tags, with HAProxy's per-object exceptions.
    fn tags(&self, pos: usize) -> &'static str {
        let col = INFO[pos].name;
        match (self.kind, col) {
            (RowKind::Backend, "act" | "bck" | "rate" | "rate_max") => "MGP",
            (RowKind::Server, "slim") => "CLP",
            _ => INFO[pos].tags,
        }
    }
}

/// HAProxy's CSV quoting (`csv_enc_append` with automatic quoting): a value is quoted only
/// when it contains a comma, a double quote or a line break, and a `"` inside is doubled.
pub fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// `# pxname,svname,...,proto,-,` and a newline.
pub fn header() -> String {
    let mut out = String::from("# ");
    for info in &INFO {
        out.push_str(info.name);
        out.push(',');
    }
    out.push_str("-,\n");
    out
}

/// One CSV line: every cell followed by a comma, then `-,` and a newline.
pub fn csv_line(row: &Row) -> String {
    let mut out = String::new();
    for f in &row.cells {
        match f {
            Field::Str(s) => out.push_str(&csv_quote(s)),
            other => out.push_str(&other.raw()),
        }
        out.push(',');
    }
    out.push_str("-,\n");
    out
}

/// `typed` lines (`S.2.1.17.status.1:SGP:str:UP`), one per non-empty cell.
pub fn typed_lines(row: &Row, with_desc: bool) -> String {
    let mut out = String::new();
    for (pos, f) in row.cells.iter().enumerate() {
        if *f == Field::Empty {
            continue;
        }
        let _ = write!(
            out,
            "{}.{}.{}.{}.{}.1:{}:{}:{}",
            row.kind.letter(),
            row.iid,
            row.sid,
            pos,
            INFO[pos].name,
            row.tags(pos),
            f.type_name(),
            one_line(&f.raw())
        );
        if with_desc {
            let _ = write!(out, ":\"{}\"", INFO[pos].desc);
        }
        out.push('\n');
    }
    out
}

/// The JSON array of one row's non-empty cells, in HAProxy's layout.
pub fn json_row(row: &Row) -> String {
    let mut out = String::from("[");
    let mut first = true;
    for (pos, f) in row.cells.iter().enumerate() {
        if *f == Field::Empty {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(
            out,
            "{{\"objType\":\"{}\",\"proxyId\":{},\"id\":{},\"field\":{{\"pos\":{},\"name\":\"{}\"}},\"processNum\":1,",
            row.kind.json_name(),
            row.iid,
            row.sid,
            pos,
            INFO[pos].name
        );
        out.push_str(&json_tags(row.tags(pos)));
        out.push_str(&json_value(f));
        out.push('}');
    }
    out.push(']');
    out
}

/// `"tags":{"origin":...,"nature":...,"scope":...}` from a 3-letter tag string.
pub fn json_tags(tags: &str) -> String {
    let b = tags.as_bytes();
    let origin = match b[0] {
        b'M' => "Metric",
        b'S' => "Status",
        b'K' => "Key",
        b'C' => "Config",
        b'P' => "Product",
        _ => "Unknown",
    };
    let nature = match b[1] {
        b'G' => "Gauge",
        b'L' => "Limit",
        b'm' => "Min",
        b'M' => "Max",
        b'R' => "Rate",
        b'C' => "Counter",
        b'D' => "Duration",
        b'A' => "Age",
        b'T' => "Time",
        b'N' => "Name",
        b'O' => "Output",
        b'a' => "Avg",
        _ => "Unknown",
    };
    let scope = match b[2] {
        b'P' => "Process",
        b'S' => "Service",
        b's' => "System",
        b'C' => "Cluster",
        _ => "Unknown",
    };
    format!("\"tags\":{{\"origin\":\"{origin}\",\"nature\":\"{nature}\",\"scope\":\"{scope}\"}}")
}

/// `,"value":{"type":"u32","value":1}` (strings are JSON-escaped).
pub fn json_value(f: &Field) -> String {
    let value = match f {
        Field::Str(s) => json_string(s),
        other => other.raw(),
    };
    format!(
        ",\"value\":{{\"type\":\"{}\",\"value\":{}}}",
        f.type_name(),
        value
    )
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Keeps a value on one line for the line-oriented `typed` format.
pub fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_names() -> Vec<String> {
        let h = header();
        let body = h.strip_prefix("# ").unwrap().strip_suffix(",\n").unwrap();
        body.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn header_has_113_columns_then_dash_and_a_trailing_comma() {
        let h = header();
        assert!(h.starts_with("# pxname,svname,qcur,"));
        assert!(h.ends_with(",proto,-,\n"));
        let names = header_names();
        assert_eq!(names.len(), 114);
        assert_eq!(names[113], "-");
    }

    #[test]
    fn header_positions_match_haproxy_one_based() {
        let names = header_names();
        let at = |n: usize| names[n - 1].as_str();
        assert_eq!(at(1), "pxname");
        assert_eq!(at(2), "svname");
        assert_eq!(at(18), "status");
        assert_eq!(at(20), "act");
        assert_eq!(at(21), "bck");
        assert_eq!(at(33), "type");
        assert_eq!(at(37), "check_status");
        assert_eq!(at(74), "addr");
        assert_eq!(at(100), "uweight");
        assert_eq!(at(101), "agg_server_status");
        assert_eq!(at(102), "agg_server_check_status");
        assert_eq!(at(104), "srid");
        assert_eq!(at(106), "h1sess");
        assert_eq!(at(113), "proto");
        for (i, n) in names.iter().take(COLUMNS).enumerate() {
            assert_eq!(column_name(i), Some(n.as_str()));
        }
    }

    #[test]
    fn the_first_103_columns_are_haproxy_2_6s() {
        // `show stat` header of a real HAProxy 2.6.12, up to its `-`.
        let v26 = "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status";
        let names = header_names();
        let old: Vec<&str> = v26.split(',').collect();
        assert_eq!(old.len(), 103);
        assert_eq!(&names[..103], &old[..]);
    }

    #[test]
    fn every_row_has_the_header_column_count_and_a_trailing_comma() {
        let mut r = Row::new(RowKind::Server, 2, 1);
        r.set(Col::Pxname, Field::str("MySQL"));
        r.set(Col::Svname, Field::str("Primary"));
        r.set(Col::Status, Field::str("UP"));
        let line = csv_line(&r);
        assert!(line.ends_with(",-,\n"));
        let cells: Vec<&str> = line.trim_end_matches('\n').split(',').collect();
        // 113 cells + "-" + the empty string after the trailing comma.
        assert_eq!(cells.len(), 115);
        assert_eq!(cells[114], "");
        assert_eq!(cells[0], "MySQL");
        assert_eq!(cells[17], "UP");
        assert_eq!(cells[26], "1");
        assert_eq!(cells[32], "2");
        assert_eq!(header().matches(',').count(), line.matches(',').count());
    }

    #[test]
    fn quoting_follows_haproxy() {
        assert_eq!(csv_quote("plain text"), "plain text");
        assert_eq!(csv_quote("a,b"), "\"a,b\"");
        assert_eq!(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_quote("two\nlines"), "\"two\nlines\"");
        let mut r = Row::new(RowKind::Server, 1, 1);
        r.set(Col::LastChk, Field::str("Access denied, user 'x'"));
        let line = csv_line(&r);
        assert!(line.contains(",\"Access denied, user 'x'\","));
    }

    #[test]
    fn typed_and_json_skip_empty_cells() {
        let mut r = Row::new(RowKind::Backend, 2, 0);
        r.set(Col::Pxname, Field::str("MySQL"));
        r.set(Col::Act, Field::U32(1));
        let t = typed_lines(&r, false);
        assert!(t.starts_with("B.2.0.0.pxname.1:KNS:str:MySQL\n"));
        assert!(t.contains("B.2.0.19.act.1:MGP:u32:1\n"));
        assert!(!t.contains("svname"));
        let j = json_row(&r);
        assert!(j.starts_with("[{\"objType\":\"Backend\",\"proxyId\":2,\"id\":0,\"field\":{\"pos\":0,\"name\":\"pxname\"},\"processNum\":1,\"tags\":{\"origin\":\"Key\",\"nature\":\"Name\",\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"MySQL\"}}"));
        assert!(j.ends_with("}]"));
        let with_desc = typed_lines(&r, true);
        assert!(with_desc.starts_with("B.2.0.0.pxname.1:KNS:str:MySQL:\"Proxy name\"\n"));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }
}
