//! A scripted fake MySQL server for protocol cases a real server cannot be made to produce.
//!
//! [`serve`] accepts one connection on 127.0.0.1 and runs a script on it; the script reads
//! what the check sends and asserts on the exact bytes. Panics in the script surface when
//! the test awaits the returned handle.

use super::wire;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long the fake waits for the check's next bytes before failing the test.
const PATIENCE: Duration = Duration::from_secs(5);

/// One accepted check connection.
pub(crate) struct Conn {
    pub stream: TcpStream,
    pub peer: SocketAddr,
}

/// Listens on 127.0.0.1 and runs `script` on the first connection.
pub(crate) async fn serve<F, Fut>(script: F) -> (SocketAddr, JoinHandle<()>)
where
    F: FnOnce(Conn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (stream, peer) = listener.accept().await.unwrap();
        script(Conn { stream, peer }).await;
    });
    (addr, handle)
}

impl Conn {
    pub async fn send(&mut self, seq: u8, payload: &[u8]) {
        self.send_raw(&wire::frame(seq, payload)).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads exactly `n` bytes.
    pub async fn recv_exact(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        timeout(PATIENCE, self.stream.read_exact(&mut buf))
            .await
            .expect("the check kept silent")
            .expect("read from the check");
        buf
    }

    /// Reads one whole packet and returns it with its header.
    pub async fn recv_packet(&mut self) -> Vec<u8> {
        let mut pkt = self.recv_exact(4).await;
        let len = usize::from(pkt[0]) | usize::from(pkt[1]) << 8 | usize::from(pkt[2]) << 16;
        pkt.extend(self.recv_exact(len).await);
        pkt
    }

    /// Asserts that the check sends nothing more and half-closes (a FIN, not a reset).
    pub async fn expect_clean_eof(&mut self) {
        let mut buf = [0u8; 64];
        let n = timeout(PATIENCE, self.stream.read(&mut buf))
            .await
            .expect("the check did not close")
            .expect("the check reset the connection instead of closing it");
        assert_eq!(n, 0, "unexpected bytes from the check: {:02x?}", &buf[..n]);
    }

    /// Closes our side cleanly (FIN).
    pub async fn close(mut self) {
        self.stream.shutdown().await.unwrap();
    }

    /// Closes with a reset (SO_LINGER 0).
    pub fn reset(self) {
        let std = self.stream.into_std().unwrap();
        socket2::SockRef::from(&std)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(std);
    }
}

/// The greeting of a real MariaDB 10.11.19 (Debian 12), captured on loopback.
pub(crate) const MARIADB_GREETING: &str = "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b64656231327531006300000067596a282625252b00fef7080200ff81150000000000001d000000486853484f34542b76364847006d7973716c5f6e61746976655f70617373776f726400";

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A HandshakeV10 payload as MySQL 5.7+/8.0 and MariaDB send it.
pub(crate) fn greeting(version: &str, plugin: &str) -> Vec<u8> {
    let caps: u32 = 0x81ff_f7ff; // what MariaDB 10.11 offers, PLUGIN_AUTH included
    let mut p = vec![10];
    p.extend_from_slice(version.as_bytes());
    p.push(0);
    p.extend_from_slice(&7u32.to_le_bytes()); // thread id
    p.extend_from_slice(b"abcdefgh"); // scramble, part 1
    p.push(0);
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(45); // charset
    p.extend_from_slice(&2u16.to_le_bytes()); // status: autocommit
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21); // auth plugin data length
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(b"ijklmnopqrst\0"); // scramble, part 2
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p
}

/// An AuthSwitchRequest payload with a 20-byte scramble.
pub(crate) fn auth_switch(plugin: &str) -> Vec<u8> {
    let mut p = vec![0xfe];
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p.extend_from_slice(b"ABCDEFGHIJKLMNOPQRST\0");
    p
}

/// An OK packet payload (what MariaDB sends after a login).
pub(crate) fn ok() -> Vec<u8> {
    vec![0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]
}

/// An ERR packet payload; `state` adds the 4.1 `#SQLSTATE` marker.
pub(crate) fn err(code: u16, state: Option<&str>, message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    if let Some(s) = state {
        p.push(b'#');
        p.extend_from_slice(s.as_bytes());
    }
    p.extend_from_slice(message.as_bytes());
    p
}

/// The capability flags of a HandshakeResponse41 packet (with header).
pub(crate) fn client_caps(pkt: &[u8]) -> u32 {
    u32::from_le_bytes([pkt[4], pkt[5], pkt[6], pkt[7]])
}
