//! Command-line arguments (clap).

use crate::ctl::Target;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Send a command to a stats socket and print the reply; `status` shows readable tables.
    #[command(
        after_help = "Examples:\n  sockhop ctl status\n  sockhop ctl --watch 2 status\n  \
        sockhop ctl --json status\n  sockhop ctl --address ipv4@127.0.0.1:9999 show stat\n  \
        sockhop ctl disable server MySQL/Primary"
    )]
    Ctl {
        /// Path of a unix stats socket.
        #[arg(short, long, default_value = "/run/sockhop/stats.sock")]
        socket: PathBuf,
        /// A TCP stats socket instead: ipv4@IP:PORT or ipv6@[IP]:PORT.
        #[arg(short, long, conflicts_with = "socket", value_parser = parse_address)]
        address: Option<Target>,
        /// With `show stat`: print a readable table instead of CSV.
        #[arg(long)]
        table: bool,
        /// With `--table`: comma-separated column names to show
        /// (default pxname,svname,status,act,bck,scur,stot,check_status,lastchg).
        #[arg(long)]
        columns: Option<String>,
        /// JSON output: `status` as a JSON document, `show stat`/`show info` in HAProxy's
        /// JSON format.
        #[arg(long)]
        json: bool,
        /// Run the command again every SECS seconds (default 2) until interrupted
        /// (`--watch 5 status` and `--watch=5 status` both work).
        #[arg(short, long, value_name = "SECS", num_args = 0..=1, default_missing_value = "2",
              require_equals = true, value_parser = parse_secs)]
        watch: Option<Duration>,
        /// With `--watch`: stop after N refreshes.
        #[arg(long, value_name = "N", requires = "watch")]
        count: Option<u64>,
        /// `status [LISTEN]`, or any stats-socket command, e.g. `show stat` or
        /// `disable server MySQL/Primary`.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Print a shell completion script: `sockhop completions bash > /etc/bash_completion.d/sockhop`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

fn parse_address(text: &str) -> Result<Target, String> {
    Target::parse_address(text)
}

/// `--watch 5 status`: clap cannot tell an optional value from the command, so `--watch`
/// requires `=`; a number as the first command word is the interval (no CLI command starts
/// with a number).
pub fn watch_interval(
    watch: Option<Duration>,
    command: &mut Vec<String>,
) -> Result<Option<Duration>, String> {
    match (watch, command.first()) {
        (Some(_), Some(first)) if command.len() > 1 && first.parse::<f64>().is_ok() => {
            let every = parse_secs(first)?;
            command.remove(0);
            Ok(Some(every))
        }
        _ => Ok(watch),
    }
}

/// `--watch` seconds: a positive number, fractions allowed (`0.5`).
fn parse_secs(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.1..=86400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "'{text}' is not a number of seconds from 0.1 to 86400"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl(args: &[&str]) -> (Option<Duration>, Vec<String>) {
        let cli = Cli::try_parse_from(["sockhop", "ctl"].iter().chain(args)).unwrap();
        let Command::Ctl {
            watch, mut command, ..
        } = cli.command
        else {
            unreachable!()
        };
        let watch = watch_interval(watch, &mut command).unwrap();
        (watch, command)
    }

    #[test]
    fn watch_takes_an_optional_interval() {
        let secs = |s: f64| Some(Duration::from_secs_f64(s));
        assert_eq!(
            ctl(&["--watch", "status"]),
            (secs(2.0), vec!["status".into()])
        );
        assert_eq!(
            ctl(&["--watch", "5", "status"]),
            (secs(5.0), vec!["status".into()])
        );
        assert_eq!(
            ctl(&["--watch=0.5", "status"]),
            (secs(0.5), vec!["status".into()])
        );
        assert_eq!(ctl(&["-w", "show", "stat"]).0, secs(2.0));
        assert_eq!(
            ctl(&["show", "stat"]),
            (None, vec!["show".into(), "stat".into()])
        );
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("x").is_err());
    }

    #[test]
    fn socket_and_address_exclude_each_other() {
        assert!(
            Cli::try_parse_from([
                "sockhop",
                "ctl",
                "--socket",
                "/x",
                "--address",
                "127.0.0.1:1",
                "status"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["sockhop", "ctl", "--address", "nope", "status"]).is_err());
        assert!(Cli::try_parse_from(["sockhop", "completions", "bash"]).is_ok());
        assert!(Cli::try_parse_from(["sockhop", "completions", "tcsh"]).is_err());
    }
}
