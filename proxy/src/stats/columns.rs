//! The `show stat` column set: HAProxy 2.8's 113 static proxy columns in HAProxy's order,
//! with each column's name, description and `typed` tags. Rendering is in `csv.rs`.

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
pub(super) struct ColumnInfo {
    pub(super) name: &'static str,
    pub(super) desc: &'static str,
    pub(super) tags: &'static str,
}

const fn c(name: &'static str, tags: &'static str, desc: &'static str) -> ColumnInfo {
    ColumnInfo { name, desc, tags }
}

pub(super) static INFO: [ColumnInfo; COLUMNS] = [
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
