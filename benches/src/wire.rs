//! MySQL-style packets for the greeting scenario: a protocol-10 handshake, a short login,
//! an OK packet and COM_QUIT. Only the framing (3-byte length, 1-byte sequence) matters to the
//! proxies; the contents look like MySQL's so a capture reads naturally.

use std::io::{Read, Write};

/// Writes one packet with its 4-byte header.
pub fn write_packet(w: &mut impl Write, seq: u8, payload: &[u8]) -> std::io::Result<()> {
    let len = payload.len() as u32;
    let mut buf = Vec::with_capacity(payload.len() + 4);
    buf.extend_from_slice(&len.to_le_bytes()[..3]);
    buf.push(seq);
    buf.extend_from_slice(payload);
    w.write_all(&buf)
}

/// Reads one packet; returns (sequence, payload).
pub fn read_packet(r: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 4];
    r.read_exact(&mut head)?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok((head[3], payload))
}

/// A protocol-10 server greeting (MariaDB-like, mysql_native_password, 20-byte salt).
pub fn greeting() -> Vec<u8> {
    let mut p = vec![10u8];
    p.extend_from_slice(b"5.5.5-10.11.0-sockhop-bench\0");
    p.extend_from_slice(&1u32.to_le_bytes()); // connection id
    p.extend_from_slice(b"abcdefgh\0"); // salt part 1 + filler
    p.extend_from_slice(&0xf7feu16.to_le_bytes()); // capabilities, low
    p.push(33); // utf8_general_ci
    p.extend_from_slice(&2u16.to_le_bytes()); // status: autocommit
    p.extend_from_slice(&0x81bfu16.to_le_bytes()); // capabilities, high
    p.push(21); // auth data length
    p.extend_from_slice(&[0u8; 10]);
    p.extend_from_slice(b"ijklmnopqrst\0"); // salt part 2
    p.extend_from_slice(b"mysql_native_password\0");
    p
}

/// A small client login packet (user `bench`, no password).
pub fn login() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&0x000a_a205u32.to_le_bytes());
    p.extend_from_slice(&(16u32 << 20).to_le_bytes());
    p.push(33);
    p.extend_from_slice(&[0u8; 23]);
    p.extend_from_slice(b"bench\0");
    p.push(0);
    p
}

/// An OK packet (no rows affected, autocommit).
pub const OK: [u8; 7] = [0, 0, 0, 2, 0, 0, 0];

/// COM_QUIT.
pub const QUIT: [u8; 1] = [1];
