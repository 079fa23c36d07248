//! Helpers shared by the health-check unit tests.

use socket2::{Domain, Socket, Type};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// A loopback listener whose accept queue is full, so that a new connect to it hangs (its
/// SYN is dropped) until the connecting side gives up. Keep all three values alive.
pub(crate) async fn unanswered_listener() -> (Socket, SocketAddr, Vec<TcpStream>) {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
    sock.bind(&bind.into()).unwrap();
    sock.listen(0).unwrap();
    let addr = sock.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..16 {
        match timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => fillers.push(s),
            _ => return (sock, addr, fillers),
        }
    }
    panic!("the accept queue of {addr} never filled");
}
