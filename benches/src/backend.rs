//! The raw backend fixture: three blocking TCP servers the proxies forward to.
//! - sink: reads until the client half-closes, then replies with the byte count (u64 LE).
//! - echo: writes back everything it reads, until the client half-closes.
//! - greeting: MySQL-style exchange (greeting, login, OK, COM_QUIT, server closes first, so
//!   the TIME_WAIT state stays on the server side and clients never run out of ports).

use crate::{BenchError, wire};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

/// Threads accepting (and serving inline) greeting connections.
const GREETING_WORKERS: usize = 4;

/// The addresses the three servers listen on.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub sink: SocketAddr,
    pub echo: SocketAddr,
    pub greeting: SocketAddr,
}

/// Binds all three servers (port 0 picks a free port), then serves forever on background
/// threads.
pub fn start(
    sink: SocketAddr,
    echo: SocketAddr,
    greeting: SocketAddr,
) -> Result<Bound, BenchError> {
    let bind = |a: SocketAddr| TcpListener::bind(a).map_err(BenchError::io(format!("bind {a}")));
    let (s, e, g) = (bind(sink)?, bind(echo)?, bind(greeting)?);
    let addr = |l: &TcpListener| l.local_addr().map_err(BenchError::io("local address"));
    let bound = Bound {
        sink: addr(&s)?,
        echo: addr(&e)?,
        greeting: addr(&g)?,
    };
    thread::spawn(move || accept_each(s, serve_sink));
    thread::spawn(move || accept_each(e, serve_echo));
    for _ in 0..GREETING_WORKERS {
        let g = g
            .try_clone()
            .map_err(BenchError::io("clone greeting listener"))?;
        thread::spawn(move || {
            for conn in g.incoming().flatten() {
                let _ = serve_greeting(conn);
            }
        });
    }
    Ok(bound)
}

fn accept_each(l: TcpListener, serve: fn(TcpStream) -> std::io::Result<()>) {
    for conn in l.incoming().flatten() {
        thread::spawn(move || {
            let _ = serve(conn);
        });
    }
}

fn serve_sink(mut c: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        match c.read(&mut buf)? {
            0 => break,
            n => total += n as u64,
        }
    }
    c.write_all(&total.to_le_bytes())?;
    c.shutdown(std::net::Shutdown::Write)
}

fn serve_echo(mut c: TcpStream) -> std::io::Result<()> {
    c.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match c.read(&mut buf)? {
            0 => return c.shutdown(std::net::Shutdown::Write),
            n => c.write_all(&buf[..n])?,
        }
    }
}

fn serve_greeting(mut c: TcpStream) -> std::io::Result<()> {
    c.set_nodelay(true)?;
    wire::write_packet(&mut c, 0, &wire::greeting())?;
    let (_, _login) = wire::read_packet(&mut c)?;
    wire::write_packet(&mut c, 2, &wire::OK)?;
    let (_, _quit) = wire::read_packet(&mut c)?;
    Ok(())
}
