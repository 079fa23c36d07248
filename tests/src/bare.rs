//! Bare TCP to a MySQL server from a chosen loopback source: connect, read the server's first
//! packet, close without logging in. This is what a TCP health check does, and what MySQL
//! counts as a connection error of that host (`max_connect_errors`).

use socket2::{Domain, Socket, Type};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::Duration;

/// Connects from `source` to `server`, reads the first packet, closes. Returns the MySQL
/// error number when that packet is an ERR packet (e.g. 1129, host blocked), `None` for a
/// normal handshake.
pub fn connect_and_close(source: Ipv4Addr, server: SocketAddr) -> std::io::Result<Option<u16>> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(source, 0)).into())?;
    socket.connect_timeout(&server.into(), Duration::from_secs(2))?;
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut header = [0u8; 4];
    stream.read_exact(&mut header)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload)?;
    Ok(err_code(&payload))
}

/// The error number of an ERR packet's payload (`0xff`, code little-endian, message).
pub fn err_code(payload: &[u8]) -> Option<u16> {
    match payload {
        [0xff, lo, hi, ..] => Some(u16::from_le_bytes([*lo, *hi])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_packets_give_their_code_and_handshakes_none() {
        let mut blocked = vec![0xff, 0x69, 0x04];
        blocked.extend_from_slice(b"Host '127.0.0.2' is blocked");
        assert_eq!(err_code(&blocked), Some(1129));
        assert_eq!(err_code(&[0x0a, b'1', b'0']), None);
        assert_eq!(err_code(&[]), None);
    }
}
