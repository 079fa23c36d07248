//! `sockhop run`: builds the runtime from a valid configuration, binds listeners and stats
//! sockets, starts health checks, and runs until SIGINT/SIGTERM.

use crate::config::{Config, DataPathChoice};
use crate::datapath::{DataPath, DataPathError};
use crate::proxy::SessionThreads;
use crate::state::Runtime;
use crate::{health, privileges, proxy, stats, web};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot start the session threads: {0}")]
    Threads(std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("invalid --datapath '{0}': expected auto, sockmap, splice, uring or copy")]
    DatapathArg(String),
    #[error("listen '{listen}': {source}")]
    Datapath {
        listen: String,
        source: DataPathError,
    },
    #[error("listen '{listen}': cannot bind {addr}: {source}")]
    Bind {
        listen: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Stats(#[from] stats::StatsError),
    #[error(transparent)]
    Web(#[from] web::WebError),
    #[error(transparent)]
    Privileges(#[from] privileges::PrivilegeError),
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Parses a `--datapath` value.
pub fn parse_datapath(s: &str) -> Option<DataPathChoice> {
    Some(match s {
        "auto" => DataPathChoice::Auto,
        "sockmap" => DataPathChoice::Sockmap,
        "splice" => DataPathChoice::Splice,
        "uring" => DataPathChoice::Uring,
        "copy" => DataPathChoice::Copy,
        _ => return None,
    })
}

/// Runs the daemon until a termination signal.
pub fn run(config: Config, datapath_override: Option<&str>) -> Result<(), DaemonError> {
    let forced = match datapath_override {
        Some(s) => Some(parse_datapath(s).ok_or_else(|| DaemonError::DatapathArg(s.into()))?),
        None => None,
    };
    privileges::set_target(privileges::Target {
        uid: config.global.uid,
        gid: config.global.gid,
    });
    // The main thread's event loop runs start-up, health checks, the stats socket and the
    // web page; sessions run on their own threads (`proxy::SessionThreads`). The main thread
    // keeps its privileges until start-up is done (see `serve`); the others never have any.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DaemonError::Runtime)?;
    runtime.block_on(serve(config, forced))
}

async fn serve(config: Config, forced: Option<DataPathChoice>) -> Result<(), DaemonError> {
    let rt = Arc::new(Runtime::new(config));
    let shutdown = CancellationToken::new();
    let mut sigterm = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;

    // Bind everything first so a bad address fails start-up before anything is served.
    let mut ready = Vec::new();
    for listen in &rt.listens {
        let choice = forced.unwrap_or_else(|| listen.config.datapath(&rt.config.global));
        let path =
            DataPath::select(choice, listen.name()).map_err(|source| DaemonError::Datapath {
                listen: listen.name().into(),
                source,
            })?;
        let bound =
            proxy::bind_listen(Arc::clone(listen)).map_err(|(addr, source)| DaemonError::Bind {
                listen: listen.name().into(),
                addr,
                source,
            })?;
        listen.set_datapath(path.kind());
        ready.push((bound, path));
    }
    let mut stats_tasks = Vec::new();
    for sock in &rt.config.stats_sockets {
        stats_tasks.push(stats::serve(Arc::clone(&rt), sock.clone(), shutdown.clone()).await?);
    }
    let web_server = match rt.config.web.clone() {
        Some(w) => Some(web::serve(Arc::clone(&rt), w, shutdown.clone()).await?),
        None => None,
    };
    for (bound, _) in &ready {
        tracing::info!(
            "Proxy {} started on {}.",
            bound.listen.name(),
            bound
                .listen
                .config
                .binds
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let threads = SessionThreads::start(&rt, ready, rt.config.global.nbthread as usize, &shutdown)
        .map_err(DaemonError::Threads)?;
    tracing::info!("{} session thread(s) started.", rt.config.global.nbthread);
    health::spawn_checkers(&rt, shutdown.clone());
    // Everything is bound, owned and loaded: nothing from here on needs a privilege.
    privileges::drop_current_thread()?;
    tracing::info!(
        "Privileges dropped: no capabilities{}.",
        match (rt.config.global.uid, rt.config.global.gid) {
            (None, None) => String::new(),
            (u, g) => format!(
                ", running as uid {} gid {}",
                u.map_or("(unchanged)".into(), |u| u.to_string()),
                g.map_or("(unchanged)".into(), |g| g.to_string())
            ),
        }
    );

    tokio::select! {
        _ = sigterm.recv() => tracing::warn!("SIGTERM received, stopping."),
        _ = sigint.recv() => tracing::warn!("SIGINT received, stopping."),
    }
    shutdown.cancel();
    for t in stats_tasks {
        let _ = t.await;
    }
    if let Some(w) = web_server {
        let _ = w.task.await;
    }
    threads.join();
    Ok(())
}
