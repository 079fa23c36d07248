//! Command-line arguments (clap).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "sockhop",
    version,
    about = "TCP balancer for MySQL/MariaDB failover"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy with a configuration file.
    Run {
        /// The TOML configuration file.
        #[arg(short, long)]
        config: PathBuf,
        /// Override the data path of every listen: auto, sockmap, splice, uring or copy.
        #[arg(long)]
        datapath: Option<String>,
    },
    /// Validate a configuration file and exit (64 if it is invalid).
    Check {
        /// The TOML configuration file.
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Send one command to a stats socket and print the reply.
    Ctl {
        /// Path of the stats socket.
        #[arg(short, long, default_value = "/run/sockhop/stats.sock")]
        socket: PathBuf,
        /// With `show stat`: print a readable table instead of CSV.
        #[arg(long)]
        table: bool,
        /// With `--table`: comma-separated column names to show
        /// (default pxname,svname,status,act,bck,scur,stot,check_status,lastchg).
        #[arg(long)]
        columns: Option<String>,
        /// The command, e.g. `show stat` or `disable server MySQL/Primary`.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}
