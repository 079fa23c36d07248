//! The `sockhop` binary: parses arguments and hands over to the library.

use clap::{CommandFactory, Parser};
use sockhop::cli::{Cli, Command};
use sockhop::{EXIT_CONFIG, config, ctl, daemon};
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config: path } => match config::load(&path) {
            Ok(cfg) => {
                println!(
                    "Configuration file {} is valid ({} listen, {} servers).",
                    path.display(),
                    cfg.listens.len(),
                    cfg.listens.iter().map(|l| l.servers.len()).sum::<usize>()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("{e}");
                Ok(ExitCode::from(EXIT_CONFIG as u8))
            }
        },
        Command::Run {
            config: path,
            datapath,
        } => {
            let cfg = match config::load(&path) {
                Ok(cfg) => cfg,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(EXIT_CONFIG as u8));
                }
            };
            daemon::init_logging();
            if let Err(e) = daemon::run(cfg, datapath.as_deref()) {
                tracing::error!("{e}");
                eprintln!("sockhop: {e}");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ctl {
            socket,
            address,
            table,
            columns,
            json,
            watch,
            count,
            mut command,
        } => {
            let watch = match sockhop::cli::watch_interval(watch, &mut command) {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("sockhop ctl: --watch: {e}");
                    return Ok(ExitCode::from(ctl::EXIT_USAGE as u8));
                }
            };
            let code = ctl::run(&ctl::Options {
                target: address.unwrap_or(ctl::Target::Unix(socket)),
                command,
                table,
                columns,
                json,
                watch,
                count,
            });
            Ok(ExitCode::from(code as u8))
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "sockhop", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}
