//! `show info [typed|json] [desc]`: process information as `Key: value` lines, in HAProxy
//! 2.6's field order and positions, followed by sockhop's own fields (the data path of each
//! listen).
//!
//! HAProxy fields that mean nothing for sockhop (memory pools, SSL, HTTP compression, peers,
//! log forwarding, DNS resolution, idle percentage, output byte rate) are left out, as
//! HAProxy itself leaves out empty fields.

use super::{CliState, Reply};
use crate::state::Runtime;
use crate::stats::command::{Format, ShowInfo};
use crate::stats::csv::{Field, csv_quote, json_string, json_tags, json_value, one_line};
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::time::UNIX_EPOCH;
use tokio::time::Instant;

/// `Release_date` in `show info` (HAProxy's format); bump it with the version.
pub const RELEASE_DATE: &str = "2026/11/30";

/// One `show info` line: HAProxy's position, name, `typed` tags, description and value.
struct Info {
    pos: usize,
    name: String,
    tags: &'static str,
    desc: String,
    value: Field,
}

fn info(pos: usize, name: &str, tags: &'static str, desc: &str, value: Field) -> Info {
    Info {
        pos,
        name: name.into(),
        tags,
        desc: desc.into(),
        value,
    }
}

pub fn run(rt: &Runtime, cli: &CliState, opts: ShowInfo) -> Reply {
    let fields = collect(rt, cli);
    let mut out = String::new();
    match opts.format {
        Format::Plain => {
            for f in &fields {
                let _ = write!(out, "{}: {}", f.name, raw(&f.value));
                if opts.desc {
                    let _ = write!(out, ":\"{}\"", f.desc);
                }
                out.push('\n');
            }
        }
        Format::Typed => {
            for f in &fields {
                let (ty, v) = typed(&f.value);
                let _ = write!(out, "{}.{}.1:{}:{}:{}", f.pos, f.name, f.tags, ty, v);
                if opts.desc {
                    let _ = write!(out, ":\"{}\"", f.desc);
                }
                out.push('\n');
            }
        }
        Format::Json => {
            let items: Vec<String> = fields
                .iter()
                .map(|f| {
                    format!(
                        "{{\"field\":{{\"pos\":{},\"name\":{}}},\"processNum\":1,{}{}}}",
                        f.pos,
                        json_string(&f.name),
                        json_tags(f.tags),
                        json_value(&f.value)
                    )
                })
                .collect();
            let _ = writeln!(out, "[{}]", items.join(","));
        }
    }
    Reply::ok(out)
}

fn raw(f: &Field) -> String {
    match f {
        Field::Str(s) => csv_quote(s),
        Field::U32(v) => v.to_string(),
        Field::U64(v) => v.to_string(),
        Field::S32(v) => v.to_string(),
        Field::Empty => String::new(),
    }
}

fn typed(f: &Field) -> (&'static str, String) {
    match f {
        Field::Str(s) => ("str", one_line(s)),
        Field::U32(v) => ("u32", v.to_string()),
        Field::U64(v) => ("u64", v.to_string()),
        Field::S32(v) => ("s32", v.to_string()),
        Field::Empty => ("", String::new()),
    }
}

/// HAProxy's `Uptime` format: `0d 0h00m11s`.
pub fn uptime(secs: u64) -> String {
    format!(
        "{}d {}h{:02}m{:02}s",
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur
    } else {
        0
    }
}

fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn collect(rt: &Runtime, cli: &CliState) -> Vec<Info> {
    let now = Instant::now();
    let up = now.saturating_duration_since(rt.started).as_secs();
    let g = &rt.config.global;
    let c = &rt.global;
    let version = env!("CARGO_PKG_VERSION");
    // The control loop (this one) plus every session thread's loop.
    let mut loops = rt.session_loops();
    loops.extend(tokio::runtime::Handle::try_current().ok());
    let tasks: usize = loops.iter().map(|h| h.metrics().num_alive_tasks()).sum();
    let queued: usize = loops.iter().map(|h| h.metrics().global_queue_depth()).sum();
    let u32s = |v: u64| Field::u32_sat(v);
    let listeners = rt
        .listens
        .iter()
        .map(|l| l.config.binds.len())
        .sum::<usize>()
        + rt.config.stats_sockets.len();
    let node = if g.node.is_empty() {
        host_name()
    } else {
        g.node.clone()
    };
    let start = rt
        .started_wall
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let nofile = nofile_limit();
    let cur = c.cur.load(Relaxed);
    let mut v = vec![
        info(0, "Name", "POS", "Product name", Field::str("sockhop")),
        info(1, "Version", "POS", "Product version", Field::str(version)),
        info(
            2,
            "Release_date",
            "POS",
            "Date of latest source code update",
            Field::str(RELEASE_DATE),
        ),
    ];
    v.push(info(
        3,
        "Nbthread",
        "CGS",
        "Number of started threads (global.nbthread)",
        u32s(g.nbthread as u64),
    ));
    v.extend([
        info(4, "Nbproc", "CGS", "Number of started worker processes (historical, always 1)", Field::U32(1)),
        info(5, "Process_num", "KGP", "Relative worker process number (1)", Field::U32(1)),
        info(6, "Pid", "SGP", "This worker process identifier for the system", Field::U32(std::process::id())),
        info(7, "Uptime", "MDP", "How long ago this worker process was started (days+hours+minutes+seconds)", Field::str(uptime(up))),
        info(8, "Uptime_sec", "MDP", "How long ago this worker process was started (seconds)", u32s(up)),
        info(9, "Memmax_MB", "CLP", "Worker process's hard limit on memory usage in MB (-m on command line)", Field::U32(0)),
        info(13, "Ulimit-n", "CLP", "Hard limit on the number of per-process file descriptors", u32s(nofile)),
        info(14, "Maxsock", "CLP", "Hard limit on the number of per-process sockets", u32s(nofile)),
        info(15, "Maxconn", "CLP", "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)", Field::U32(g.maxconn)),
        info(16, "Hard_maxconn", "CLP", "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)", Field::U32(g.maxconn)),
        info(17, "CurrConns", "MGP", "Current number of connections on this worker process", u32s(cur)),
        info(18, "CumConns", "MCP", "Total number of connections on this worker process since started", u32s(c.total.load(Relaxed))),
        info(19, "CumReq", "MCP", "Total number of requests on this worker process since started", u32s(c.total.load(Relaxed))),
        info(23, "Maxpipes", "CLP", "Hard limit on the number of pipes for splicing, 0=unlimited", Field::U32(0)),
        info(24, "PipesUsed", "MGP", "Current number of pipes in use in this worker process", Field::U32(0)),
        info(25, "PipesFree", "MGP", "Current number of allocated and available pipes in this worker process", Field::U32(0)),
        info(26, "ConnRate", "MRP", "Number of front connections created on this worker process over the last second", u32s(c.rate.rate(now))),
        info(27, "ConnRateLimit", "CLP", "Hard limit for ConnRate (global.maxconnrate)", Field::U32(0)),
        info(28, "MaxConnRate", "MMP", "Highest ConnRate reached on this worker process since started (in connections per second)", u32s(c.rate.max())),
        info(29, "SessRate", "MRP", "Number of sessions created on this worker process over the last second", u32s(c.rate.rate(now))),
        info(30, "SessRateLimit", "CLP", "Hard limit for SessRate (global.maxsessrate)", Field::U32(0)),
        info(31, "MaxSessRate", "MRP", "Highest SessRate reached on this worker process since started (in sessions per second)", u32s(c.rate.max())),
    ]);
    v.push(info(
        47,
        "Tasks",
        "MGP",
        "Total number of tasks in the current worker process (active + sleeping)",
        u32s(tasks as u64),
    ));
    v.push(info(
        48,
        "Run_queue",
        "MGP",
        "Total number of active tasks+tasklets in the current worker process",
        u32s(queued as u64),
    ));
    v.push(info(
        50,
        "node",
        "COS",
        "Node name (global.node)",
        Field::Str(node),
    ));
    if !g.description.is_empty() {
        v.push(info(
            51,
            "description",
            "COS",
            "Node description (global.description)",
            Field::str(g.description.as_str()),
        ));
    }
    v.extend([
        info(52, "Stopping", "MGP", "1 if the worker process is currently stopping, otherwise zero", Field::U32(u32::from(cli.shutdown.is_cancelled()))),
        info(53, "Jobs", "MGP", "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)", u32s(cur + listeners as u64)),
        info(54, "Unstoppable Jobs", "MGP", "Current number of unstoppable jobs on the current worker process (master connections)", Field::U32(0)),
        info(55, "Listeners", "MGP", "Current number of active listeners on the current worker process", u32s(listeners as u64)),
        info(61, "TotalBytesOut", "MGP", "Total number of bytes emitted by current worker process since started", Field::U64(c.bytes_out.load(Relaxed))),
        info(62, "TotalSplicdedBytesOut", "MGP", "Total number of bytes emitted by current worker process through a kernel pipe since started", Field::U64(rt.spliced_out())),
        info(66, "Build info", "POS", "Build info", Field::str(version)),
        info(67, "Memmax_bytes", "CLP", "Worker process's hard limit on memory usage in byes (-m on command line)", Field::U32(0)),
        info(70, "Start_time_sec", "MDP", "Start time in seconds", u32s(start)),
        info(71, "Tainted", "SGP", "Experimental features used", Field::str("0")),
    ]);
    // sockhop's own fields, after HAProxy's: per listen, name prefix, tags, description, value.
    let mut pos = 72;
    for l in &rt.listens {
        let Some(kind) = l.datapath() else { continue };
        let name = l.name();
        let fields = [
            (
                "Datapath_",
                "CGS",
                format!("Data path moving the bytes of listen '{name}' (sockhop)"),
                Field::str(kind.as_str()),
            ),
            (
                "Datapath_fallbacks_",
                "MCP",
                format!(
                    "Sessions of listen '{name}' its data path handed to the copy path (sockhop)"
                ),
                Field::U64(l.datapath_fallbacks()),
            ),
            (
                "Datapath_moved_",
                "MCP",
                format!(
                    "Sessions of listen '{name}' that started on copy and moved to splice once bulk (sockhop)"
                ),
                Field::U64(l.datapath_moves()),
            ),
            (
                "Datapath_settled_",
                "MCP",
                format!(
                    "Sessions of listen '{name}' that started on copy and moved to sockmap after a few small messages (sockhop)"
                ),
                Field::U64(l.datapath_settles()),
            ),
        ];
        for (prefix, tags, desc, value) in fields {
            v.push(info(pos, &format!("{prefix}{name}"), tags, &desc, value));
            pos += 1;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::uptime;

    #[test]
    fn uptime_format() {
        assert_eq!(uptime(11), "0d 0h00m11s");
        assert_eq!(uptime(3 * 86_400 + 4 * 3600 + 5 * 60 + 6), "3d 4h05m06s");
    }
}
