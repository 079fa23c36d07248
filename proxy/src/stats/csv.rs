//! `show stat` columns and their three renderings: CSV (the default), `typed` and `json`.
//!
//! The column set is HAProxy 2.8's 113 static proxy columns, in HAProxy's order, followed in
//! CSV by the literal `-` column that ends the static part (sockhop has no extra stats
//! modules, so nothing follows it). Every row carries all 113 cells; a cell is either empty
//! or a typed value, so numeric columns can never hold text.

use std::fmt::Write as _;

/// The 113 static columns, in HAProxy 2.8 order (`Col as usize` is the 0-based position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Col {
    Pxname,
    Svname,
    Qcur,
    Qmax,
    Scur,
    Smax,
    Slim,
    Stot,
    Bin,
    Bout,
    Dreq,
    Dresp,
    Ereq,
    Econ,
    Eresp,
    Wretr,
    Wredis,
    Status,
    Weight,
    Act,
    Bck,
    Chkfail,
    Chkdown,
    Lastchg,
    Downtime,
    Qlimit,
    Pid,
    Iid,
    Sid,
    Throttle,
    Lbtot,
    Tracked,
    Type,
    Rate,
    RateLim,
    RateMax,
    CheckStatus,
    CheckCode,
    CheckDuration,
    Hrsp1xx,
    Hrsp2xx,
    Hrsp3xx,
    Hrsp4xx,
    Hrsp5xx,
    HrspOther,
    Hanafail,
    ReqRate,
    ReqRateMax,
    ReqTot,
    CliAbrt,
    SrvAbrt,
    CompIn,
    CompOut,
    CompByp,
    CompRsp,
    Lastsess,
    LastChk,
    LastAgt,
    Qtime,
    Ctime,
    Rtime,
    Ttime,
    AgentStatus,
    AgentCode,
    AgentDuration,
    CheckDesc,
    AgentDesc,
    CheckRise,
    CheckFall,
    CheckHealth,
    AgentRise,
    AgentFall,
    AgentHealth,
    Addr,
    Cookie,
    Mode,
    Algo,
    ConnRate,
    ConnRateMax,
    ConnTot,
    Intercepted,
    Dcon,
    Dses,
    Wrew,
    Connect,
    Reuse,
    CacheLookups,
    CacheHits,
    SrvIcur,
    SrcIlim,
    QtimeMax,
    CtimeMax,
    RtimeMax,
    TtimeMax,
    Eint,
    IdleConnCur,
    SafeConnCur,
    UsedConnCur,
    NeedConnEst,
    Uweight,
    AggServerStatus,
    AggServerCheckStatus,
    AggCheckStatus,
    Srid,
    SessOther,
    H1sess,
    H2sess,
    H3sess,
    ReqOther,
    H1req,
    H2req,
    H3req,
    Proto,
}

/// Number of static columns (HAProxy 2.8's `ST_F_TOTAL_FIELDS`).
pub const COLUMNS: usize = 113;

/// Name, description and `typed` tags (origin, nature, scope) of every column.
struct ColumnInfo {
    name: &'static str,
    desc: &'static str,
    tags: &'static str,
}

const fn c(name: &'static str, tags: &'static str, desc: &'static str) -> ColumnInfo {
    ColumnInfo { name, desc, tags }
}

static INFO: [ColumnInfo; COLUMNS] = [
    c("pxname", "KNS", "Proxy name"),
    c("svname", "KNS", "Server name"),
    c("qcur", "MGP", "Number of current queued connections"),
    c(
        "qmax",
        "MMP",
        "Highest value of queued connections encountered since process started",
    ),
    c(
        "scur",
        "MGP",
        "Number of current sessions on the frontend, backend or server",
    ),
    c(
        "smax",
        "MMP",
        "Highest value of current sessions encountered since process started",
    ),
    c(
        "slim",
        "CLP",
        "Frontend/listener/server's maxconn, backend's fullconn",
    ),
    c(
        "stot",
        "MCP",
        "Total number of sessions since process started",
    ),
    c(
        "bin",
        "MCP",
        "Total number of request bytes since process started",
    ),
    c(
        "bout",
        "MCP",
        "Total number of response bytes since process started",
    ),
    c(
        "dreq",
        "MCP",
        "Total number of denied requests since process started",
    ),
    c(
        "dresp",
        "MCP",
        "Total number of denied responses since process started",
    ),
    c(
        "ereq",
        "MCP",
        "Total number of invalid requests since process started",
    ),
    c(
        "econ",
        "MCP",
        "Total number of failed connections to server since the worker process started",
    ),
    c(
        "eresp",
        "MCP",
        "Total number of invalid responses since the worker process started",
    ),
    c(
        "wretr",
        "MCP",
        "Total number of server connection retries since the worker process started",
    ),
    c(
        "wredis",
        "MCP",
        "Total number of server redispatches due to connection failures since the worker process started",
    ),
    c(
        "status",
        "SGP",
        "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status",
    ),
    c(
        "weight",
        "MaP",
        "Server's effective weight, or sum of active servers' effective weights for a backend",
    ),
    c(
        "act",
        "SGP",
        "Total number of active UP servers with a non-zero weight",
    ),
    c(
        "bck",
        "SGP",
        "Total number of backup UP servers with a non-zero weight",
    ),
    c(
        "chkfail",
        "MCP",
        "Total number of failed individual health checks per server/backend, since the worker process started",
    ),
    c(
        "chkdown",
        "MCP",
        "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started",
    ),
    c(
        "lastchg",
        "MAP",
        "How long ago the last server state changed, in seconds",
    ),
    c(
        "downtime",
        "MCP",
        "Total time spent in DOWN state, for server or backend",
    ),
    c(
        "qlimit",
        "CGS",
        "Limit on the number of connections in queue, for servers only (maxqueue argument)",
    ),
    c("pid", "KGP", "Relative worker process number (1)"),
    c(
        "iid",
        "KGS",
        "Frontend or Backend numeric identifier ('id' setting)",
    ),
    c("sid", "KGS", "Server numeric identifier ('id' setting)"),
    c(
        "throttle",
        "MaP",
        "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)",
    ),
    c(
        "lbtot",
        "MCP",
        "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)",
    ),
    c(
        "tracked",
        "CNS",
        "Name of the other server this server tracks for its state",
    ),
    c(
        "type",
        "CGS",
        "Type of the object (Listener, Frontend, Backend, Server)",
    ),
    c(
        "rate",
        "MRP",
        "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)",
    ),
    c(
        "rate_lim",
        "CLP",
        "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)",
    ),
    c(
        "rate_max",
        "MMP",
        "Highest value of sessions per second observed since the worker process started",
    ),
    c(
        "check_status",
        "MOP",
        "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress",
    ),
    c(
        "check_code",
        "MOP",
        "HTTP/SMTP/LDAP status code reported by the latest server health check",
    ),
    c(
        "check_duration",
        "MDP",
        "Total duration of the latest server health check, in milliseconds",
    ),
    c(
        "hrsp_1xx",
        "MCP",
        "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",
    ),
    c(
        "hrsp_2xx",
        "MCP",
        "Total number of HTTP responses with status 200-299 returned by this object since the worker process started",
    ),
    c(
        "hrsp_3xx",
        "MCP",
        "Total number of HTTP responses with status 300-399 returned by this object since the worker process started",
    ),
    c(
        "hrsp_4xx",
        "MCP",
        "Total number of HTTP responses with status 400-499 returned by this object since the worker process started",
    ),
    c(
        "hrsp_5xx",
        "MCP",
        "Total number of HTTP responses with status 500-599 returned by this object since the worker process started",
    ),
    c(
        "hrsp_other",
        "MCP",
        "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)",
    ),
    c(
        "hanafail",
        "MCP",
        "Total number of failed checks caused by an 'on-error' directive after an 'observe' condition matched",
    ),
    c(
        "req_rate",
        "MRP",
        "Number of HTTP requests processed over the last second on this object",
    ),
    c(
        "req_rate_max",
        "MMP",
        "Highest value of http requests observed since the worker process started",
    ),
    c(
        "req_tot",
        "MCP",
        "Total number of HTTP requests processed by this object since the worker process started",
    ),
    c(
        "cli_abrt",
        "MCP",
        "Total number of requests or connections aborted by the client since the worker process started",
    ),
    c(
        "srv_abrt",
        "MCP",
        "Total number of requests or connections aborted by the server since the worker process started",
    ),
    c(
        "comp_in",
        "MCP",
        "Total number of bytes submitted to the HTTP compressor for this object since the worker process started",
    ),
    c(
        "comp_out",
        "MCP",
        "Total number of bytes emitted by the HTTP compressor for this object since the worker process started",
    ),
    c(
        "comp_byp",
        "MCP",
        "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)",
    ),
    c(
        "comp_rsp",
        "MCP",
        "Total number of HTTP responses that were compressed for this object since the worker process started",
    ),
    c(
        "lastsess",
        "MAP",
        "How long ago some traffic was seen on this object on this worker process, in seconds",
    ),
    c(
        "last_chk",
        "MOP",
        "Short description of the latest health check report for this server (see also check_desc)",
    ),
    c(
        "last_agt",
        "MOP",
        "Short description of the latest agent check report for this server (see also agent_desc)",
    ),
    c(
        "qtime",
        "MaP",
        "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)",
    ),
    c(
        "ctime",
        "MaP",
        "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)",
    ),
    c(
        "rtime",
        "MaP",
        "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)",
    ),
    c(
        "ttime",
        "MaP",
        "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)",
    ),
    c(
        "agent_status",
        "MOP",
        "Status report of the server's latest agent check, prefixed with '*' if a check is currently in progress",
    ),
    c(
        "agent_code",
        "MOP",
        "Status code reported by the latest server agent check",
    ),
    c(
        "agent_duration",
        "MDP",
        "Total duration of the latest server agent check, in milliseconds",
    ),
    c(
        "check_desc",
        "MOP",
        "Textual description of the latest health check report for this server",
    ),
    c(
        "agent_desc",
        "MOP",
        "Textual description of the latest agent check report for this server",
    ),
    c(
        "check_rise",
        "CGS",
        "Number of successful health checks before declaring a server UP (server 'rise' setting)",
    ),
    c(
        "check_fall",
        "CGS",
        "Number of failed health checks before declaring a server DOWN (server 'fall' setting)",
    ),
    c(
        "check_health",
        "CGS",
        "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)",
    ),
    c(
        "agent_rise",
        "CGS",
        "Number of successful agent checks before declaring a server UP (server 'rise' setting)",
    ),
    c(
        "agent_fall",
        "CGS",
        "Number of failed agent checks before declaring a server DOWN (server 'fall' setting)",
    ),
    c(
        "agent_health",
        "CGS",
        "Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)",
    ),
    c(
        "addr",
        "CGS",
        "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI",
    ),
    c(
        "cookie",
        "CNS",
        "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI",
    ),
    c("mode", "CGS", "'mode' setting (tcp/http/health/cli)"),
    c(
        "algo",
        "CGS",
        "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI",
    ),
    c(
        "conn_rate",
        "MRP",
        "Number of new connections accepted over the last second on the frontend for this worker process",
    ),
    c(
        "conn_rate_max",
        "MMP",
        "Highest value of connections per second observed since the worker process started",
    ),
    c(
        "conn_tot",
        "MCP",
        "Total number of new connections accepted on this frontend since the worker process started",
    ),
    c(
        "intercepted",
        "MCP",
        "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started",
    ),
    c(
        "dcon",
        "MCP",
        "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started",
    ),
    c(
        "dses",
        "MCP",
        "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started",
    ),
    c(
        "wrew",
        "MCP",
        "Total number of failed HTTP header rewrites since the worker process started",
    ),
    c(
        "connect",
        "MCP",
        "Total number of outgoing connection attempts on this backend/server since the worker process started",
    ),
    c(
        "reuse",
        "MCP",
        "Total number of reused connection on this backend/server since the worker process started",
    ),
    c(
        "cache_lookups",
        "MCP",
        "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started",
    ),
    c(
        "cache_hits",
        "MCP",
        "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started",
    ),
    c(
        "srv_icur",
        "MGP",
        "Current number of idle connections available for reuse on this server",
    ),
    c(
        "src_ilim",
        "CLP",
        "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)",
    ),
    c(
        "qtime_max",
        "MMP",
        "Maximum observed time spent in the queue, in milliseconds (backend/server)",
    ),
    c(
        "ctime_max",
        "MMP",
        "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)",
    ),
    c(
        "rtime_max",
        "MMP",
        "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)",
    ),
    c(
        "ttime_max",
        "MMP",
        "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)",
    ),
    c(
        "eint",
        "MCP",
        "Total number of internal errors since process started",
    ),
    c(
        "idle_conn_cur",
        "MGP",
        "Current number of unsafe idle connections",
    ),
    c(
        "safe_conn_cur",
        "MGP",
        "Current number of safe idle connections",
    ),
    c(
        "used_conn_cur",
        "MGP",
        "Current number of connections in use",
    ),
    c(
        "need_conn_est",
        "MGP",
        "Estimated needed number of connections",
    ),
    c(
        "uweight",
        "MaP",
        "Server's user weight, or sum of active servers' user weights for a backend",
    ),
    c(
        "agg_server_status",
        "MGP",
        "Backend's aggregated gauge of servers' status",
    ),
    c(
        "agg_server_check_status",
        "MGP",
        "[DEPRECATED] Backend's aggregated gauge of servers' status",
    ),
    c(
        "agg_check_status",
        "MGP",
        "Backend's aggregated gauge of servers' state check status",
    ),
    c(
        "srid",
        "MCP",
        "Server id revision, to prevent server id reuse mixups",
    ),
    c(
        "sess_other",
        "MCP",
        "Total number of sessions other than HTTP since process started",
    ),
    c(
        "h1sess",
        "MCP",
        "Total number of HTTP/1 sessions since process started",
    ),
    c(
        "h2sess",
        "MCP",
        "Total number of HTTP/2 sessions since process started",
    ),
    c(
        "h3sess",
        "MCP",
        "Total number of HTTP/3 sessions since process started",
    ),
    c(
        "req_other",
        "MCP",
        "Total number of sessions other than HTTP processed by this object since the worker process started",
    ),
    c(
        "h1req",
        "MCP",
        "Total number of HTTP/1 sessions processed by this object since the worker process started",
    ),
    c(
        "h2req",
        "MCP",
        "Total number of hTTP/2 sessions processed by this object since the worker process started",
    ),
    c(
        "h3req",
        "MCP",
        "Total number of HTTP/3 sessions processed by this object since the worker process started",
    ),
    c("proto", "CGS", "Protocol"),
];

impl Col {
    pub fn name(self) -> &'static str {
        INFO[self as usize].name
    }
}

/// The name of the column at 0-based `pos`.
pub fn column_name(pos: usize) -> Option<&'static str> {
    INFO.get(pos).map(|i| i.name)
}

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
