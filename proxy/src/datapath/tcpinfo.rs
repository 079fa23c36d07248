//! Socket facts the kernel data paths read from userspace: `TCP_INFO` fields, the send
//! queue (`SIOCOUTQ`) and the socket cookie (`SO_COOKIE`, the key of the BPF maps).

use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// The `struct tcp_info` fields sockhop uses (offsets from `linux/tcp.h`, stable ABI).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// `tcpi_state` (1 = ESTABLISHED, 7 = CLOSE, ...).
    pub state: u8,
    /// Milliseconds since data was last sent.
    pub last_data_sent_ms: u32,
    /// Milliseconds since data was last received.
    pub last_data_recv_ms: u32,
    /// Bytes acknowledged by the peer (counts the SYN of a connecting socket and a FIN).
    pub bytes_acked: u64,
    /// Bytes received in sequence (counts a received FIN).
    pub bytes_received: u64,
}

const OFF_LAST_DATA_SENT: usize = 44;
const OFF_LAST_DATA_RECV: usize = 52;
const OFF_BYTES_ACKED: usize = 120;
const OFF_BYTES_RECEIVED: usize = 128;
const NEEDED: usize = OFF_BYTES_RECEIVED + 8;

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_ne_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

/// Reads `TCP_INFO` of a TCP socket.
pub fn tcp_info(fd: &impl AsRawFd) -> io::Result<TcpInfo> {
    let mut buf = [0u8; 256];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: the buffer is valid for `len` bytes and the kernel writes at most that many.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    if (len as usize) < NEEDED {
        return Err(io::Error::other("TCP_INFO too short on this kernel"));
    }
    Ok(TcpInfo {
        state: buf[0],
        last_data_sent_ms: u32_at(&buf, OFF_LAST_DATA_SENT),
        last_data_recv_ms: u32_at(&buf, OFF_LAST_DATA_RECV),
        bytes_acked: u64_at(&buf, OFF_BYTES_ACKED),
        bytes_received: u64_at(&buf, OFF_BYTES_RECEIVED),
    })
}

/// Bytes in the send queue, not yet acknowledged (sent or not).
pub fn outq(fd: &impl AsRawFd) -> io::Result<u64> {
    ioctl_int(fd.as_raw_fd(), libc::TIOCOUTQ)
}

fn ioctl_int(fd: RawFd, req: libc::Ioctl) -> io::Result<u64> {
    let mut v: libc::c_int = 0;
    // SAFETY: the request writes one int to the pointer.
    let r = unsafe { libc::ioctl(fd, req, &mut v) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(v.max(0) as u64)
}

/// Bytes this socket has put into its send queue since it was created: acknowledged plus
/// still queued. Minus the baseline taken before anything was written, that is exactly the
/// bytes written to it.
pub fn bytes_queued_total(fd: &impl AsRawFd) -> io::Result<u64> {
    Ok(tcp_info(fd)?.bytes_acked + outq(fd)?)
}

/// The socket's cookie (`SO_COOKIE`): unique per socket for the life of the kernel.
pub fn cookie(fd: &impl AsRawFd) -> io::Result<u64> {
    let mut v: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: the buffer is a u64 and `len` says so.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_COOKIE,
            (&mut v as *mut u64).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn counts_bytes_and_fin_as_the_kernel_does() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut a, _) = l.accept().unwrap();
        let base = bytes_queued_total(&c).unwrap();
        c.write_all(&[7u8; 1000]).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut got = Vec::new();
        a.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), 1000);
        // 1000 bytes plus the FIN were queued on the client and received by the server.
        assert_eq!(bytes_queued_total(&c).unwrap() - base, 1001);
        assert_eq!(tcp_info(&a).unwrap().bytes_received, 1001);
        assert_ne!(cookie(&a).unwrap(), cookie(&c).unwrap());
    }
}
