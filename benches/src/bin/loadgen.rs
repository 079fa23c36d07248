//! `loadgen`: runs one load-generator scenario and prints its result as one JSON object.

use clap::{Parser, Subcommand};
use sockhop_bench::mysql::Login;
use sockhop_bench::{connrate, failover, rr, throughput};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(about = "sockhop load generators (JSON result on stdout)")]
struct Args {
    /// How long to generate load, in seconds (fractions allowed).
    #[arg(long, default_value_t = 5.0, global = true)]
    seconds: f64,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Bulk upload to a sink over N connections; verifies bytes received = bytes sent.
    Throughput {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long, default_value_t = 1)]
        conns: usize,
    },
    /// Request/response round trips of SIZE bytes on one TCP_NODELAY connection to an echo server.
    Rr {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long, default_value_t = 64)]
        size: usize,
    },
    /// New connections per second against a greeting server.
    Connrate {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long, default_value_t = 4)]
        threads: usize,
    },
    /// MySQL query load that reconnects after errors and logs when it fails and recovers.
    Failover {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "")]
        password: String,
        #[arg(long, default_value = "")]
        database: String,
        /// A query whose first column is the server id.
        #[arg(long, default_value = "SELECT @@server_id")]
        sql: String,
        #[arg(long, default_value_t = 4)]
        threads: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dur = Duration::from_secs_f64(args.seconds);
    let json = match args.scenario {
        Scenario::Throughput { addr, conns } => {
            serde_json::to_string(&throughput::run(addr, conns, dur)?)?
        }
        Scenario::Rr { addr, size } => serde_json::to_string(&rr::run(addr, size, dur)?)?,
        Scenario::Connrate { addr, threads } => {
            serde_json::to_string(&connrate::run(addr, threads, dur)?)?
        }
        Scenario::Failover {
            addr,
            user,
            password,
            database,
            sql,
            threads,
        } => {
            let login = Login {
                user,
                password,
                database,
            };
            serde_json::to_string(&failover::run(addr, login, sql, threads, dur)?)?
        }
    };
    println!("{json}");
    Ok(())
}
