//! `cargo xtask`: the developer commands (see the library's module docs).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "sockhop developer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install what is missing, start two MariaDB servers in master-master replication and
    /// sockhop in front of them, print how to use it, and stop everything on Ctrl-C.
    Demo,
    /// Install prerequisites, then run the fmt check, clippy with -D warnings and every test.
    Test,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => xtask::demo::run(),
        Command::Test => xtask::test::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
