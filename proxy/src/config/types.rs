//! The validated, typed configuration: what the rest of the daemon reads.
//!
//! Every value here has been checked by [`super::validate`]; defaults are already applied
//! (HAProxy's where HAProxy has one). Nothing downstream re-validates.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// A whole, valid configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from (for messages and `show info`).
    pub path: PathBuf,
    pub global: Global,
    pub stats_sockets: Vec<StatsSocket>,
    pub listens: Vec<Listen>,
    /// `[web]`: the HTTP status page and `/metrics` (none when the section is absent).
    pub web: Option<Web>,
}

/// `[web]`: the HTTP status page, its users and `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Web {
    pub bind: SocketAddr,
    /// How often the page reloads itself.
    pub refresh: Duration,
    /// Accounts allowed in (HTTP Basic); at least one.
    pub users: Vec<WebUser>,
}

/// One `[[web.users]]` account.
#[derive(Debug, Clone, PartialEq)]
pub struct WebUser {
    pub name: String,
    pub password: String,
    pub level: WebLevel,
}

/// What a web user may do: `User` reads, `Admin` also changes server states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WebLevel {
    User,
    Admin,
}

/// `[global]`: process-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    /// Process-wide limit of concurrent client connections (HAProxy `maxconn`).
    pub maxconn: u32,
    /// Session threads, each with its own event loop and its own accepting socket per bind
    /// address (HAProxy `nbthread`; default: one per CPU the process may run on).
    pub nbthread: u32,
    /// Data path wanted by default for every listen.
    pub datapath: DataPathChoice,
    /// `node` in `show info`; defaults to the host name.
    pub node: String,
    /// `description` in `show info`.
    pub description: String,
    /// Idle timeout of stats-socket sessions (HAProxy `stats timeout`, default 10s).
    pub stats_timeout: Duration,
    /// Switch to this user id once everything is bound (HAProxy `user`/`uid`).
    pub uid: Option<u32>,
    /// Switch to this group id once everything is bound (HAProxy `group`/`gid`).
    pub gid: Option<u32>,
}

/// Which data path moves the bytes of a proxied connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataPathChoice {
    Auto,
    Sockmap,
    Splice,
    Uring,
    Copy,
}

/// Privilege level of a stats-socket session (ordered: user < operator < admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User,
    Operator,
    Admin,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }
}

/// `[[stats_socket]]`: one HAProxy-compatible CLI endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsSocket {
    pub endpoint: StatsEndpoint,
    /// Permission bits applied to the socket file (e.g. 0o660); unix sockets only.
    pub mode: u32,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub level: Level,
}

/// Where a stats socket listens: a unix socket file (`path`) or a TCP address (`address`,
/// written `ipv4@127.0.0.1:9999` or `ipv6@[::1]:9999` as in HAProxy).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatsEndpoint {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl std::fmt::Display for StatsEndpoint {
    /// The path, or the address in HAProxy's `ipv4@`/`ipv6@` notation.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatsEndpoint::Unix(p) => write!(f, "{}", p.display()),
            StatsEndpoint::Tcp(a) if a.is_ipv4() => write!(f, "ipv4@{a}"),
            StatsEndpoint::Tcp(a) => write!(f, "ipv6@{a}"),
        }
    }
}

/// Connection timeouts of a listen (`[defaults]` merged with the listen's own).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Time allowed for a TCP connect to a server.
    pub connect: Duration,
    /// Inactivity timeout on the client side.
    pub client: Duration,
    /// Inactivity timeout on the server side.
    pub server: Duration,
    /// Time allowed for a whole health check once connected; `None` = use `inter`.
    pub check: Option<Duration>,
}

/// Load-balancing algorithm over the usable servers of one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    RoundRobin,
    LeastConn,
    First,
}

impl Balance {
    /// The name HAProxy shows in the `algo` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Balance::RoundRobin => "roundrobin",
            Balance::LeastConn => "leastconn",
            Balance::First => "first",
        }
    }
}

/// What to do with a server's sessions when health checks mark it DOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMarkedDown {
    Nothing,
    ShutdownSessions,
}

/// What to do when health checks mark a server UP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMarkedUp {
    Nothing,
    /// An active server came back: close every session on backup servers.
    ShutdownBackupSessions,
}

/// Whether new connections return to active servers by themselves once one is usable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failback {
    Auto,
    /// After traffic moved to a backup it stays there until an operator sets an active
    /// server ready again (`enable server` / `set server B/S state ready`).
    Manual,
}

/// `mysql_check = { user = "..." }`: HAProxy's `option mysql-check user <u>` (post-41).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlCheck {
    pub user: String,
}

/// Rise/fall and intervals of a server's health check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckParams {
    /// Interval while the server is fully UP (HAProxy default 2s).
    pub inter: Duration,
    /// Interval while the server is transitioning (defaults to `inter`).
    pub fastinter: Duration,
    /// Interval while the server is fully DOWN (defaults to `inter`).
    pub downinter: Duration,
    /// Consecutive successes needed to mark a DOWN server UP (default 2).
    pub rise: u32,
    /// Consecutive failures needed to mark an UP server DOWN (default 3).
    pub fall: u32,
}

/// What kind of health check a server gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// Plain TCP connect (HAProxy `check` without an option).
    Tcp,
    /// MySQL login as `user` without a password, then `COM_QUIT`.
    Mysql(MysqlCheck),
}

/// `[[listen]]`: a frontend bound to addresses plus its backend of servers.
#[derive(Debug, Clone, PartialEq)]
pub struct Listen {
    pub name: String,
    pub binds: Vec<SocketAddr>,
    pub balance: Balance,
    pub mysql_check: Option<MysqlCheck>,
    /// Concurrent client connections accepted by this listen.
    pub maxconn: u32,
    /// Extra connect attempts after the first one fails.
    pub retries: u32,
    /// Use all usable backups at once instead of only the first one.
    pub allbackups: bool,
    pub on_marked_down: OnMarkedDown,
    pub on_marked_up: OnMarkedUp,
    pub failback: Failback,
    pub timeouts: Timeouts,
    /// `None` inherits `[global] datapath`.
    pub datapath: Option<DataPathChoice>,
    pub servers: Vec<Server>,
}

/// `[[listen.server]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub name: String,
    /// The address as written in the file (`host:port`).
    pub address_text: String,
    /// The address it resolved to when the configuration was loaded.
    pub address: SocketAddr,
    /// `None`: no health check (`check = false`).
    pub check: Option<CheckKind>,
    pub check_params: CheckParams,
    pub weight: u32,
    pub backup: bool,
    /// Concurrent sessions this server takes (`None` = unlimited).
    pub maxconn: Option<u32>,
    /// Local address to connect from (for the server's data and its checks).
    pub source: Option<IpAddr>,
    /// Starts in maintenance (HAProxy `disabled`).
    pub disabled: bool,
}

impl Listen {
    /// The data path this listen wants, after inheritance from `[global]`.
    pub fn datapath(&self, global: &Global) -> DataPathChoice {
        self.datapath.unwrap_or(global.datapath)
    }
}
