//! `bench-backend`: the raw TCP backend fixture (sink, echo, greeting) for `cargo xtask bench`.
//! Runs until killed; prints `ready` on stdout once all three servers listen.

use clap::Parser;
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(about = "Raw TCP backend fixture: sink, echo and MySQL-style greeting servers")]
struct Args {
    /// Address of the sink (reads until EOF, replies with the byte count).
    #[arg(long)]
    sink: SocketAddr,
    /// Address of the echo server.
    #[arg(long)]
    echo: SocketAddr,
    /// Address of the greeting server.
    #[arg(long)]
    greeting: SocketAddr,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    sockhop_bench::backend::start(a.sink, a.echo, a.greeting)?;
    println!("ready");
    loop {
        std::thread::park();
    }
}
