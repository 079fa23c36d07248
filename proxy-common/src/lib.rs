//! The contract between sockhop's kernel programs (`proxy-ebpf`) and its userspace daemon:
//! `#[repr(C)]` types with explicit padding and size asserts, and map names. `no_std`, so
//! both sides compile it.
//!
//! The sockmap data path keeps three maps, all keyed by a socket's cookie
//! (`bpf_get_socket_cookie`, `SO_COOKIE`):
//! - [`SOCKS_MAP`] (SockHash): each socket stored under its *peer's* cookie, so the verdict
//!   program redirects a socket's bytes with one lookup of its own cookie.
//! - [`STATS_MAP`] (HashMap of [`DirStats`]): written by the kernel program only, one entry
//!   per direction, keyed by the cookie of the socket the bytes arrive on.
//! - [`CONTROL_MAP`] (HashMap of [`DirControl`]): written by userspace only, same keys.
#![no_std]

/// Name of the SockHash map (peer cookie -> socket).
pub const SOCKS_MAP: &str = "SOCKHOP_SOCKS";
/// Name of the per-direction kernel counters map (source cookie -> [`DirStats`]).
pub const STATS_MAP: &str = "SOCKHOP_STATS";
/// Name of the per-direction control map (source cookie -> [`DirControl`]).
pub const CONTROL_MAP: &str = "SOCKHOP_CONTROL";
/// Name of the `sk_skb` stream verdict program.
pub const VERDICT_PROG: &str = "sockhop_verdict";
/// Capacity of the maps, in sockets (two per session).
pub const MAX_SOCKETS: u32 = 65_536;

/// What the kernel program did with the bytes arriving on one socket. Only the program
/// writes it; userspace reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirStats {
    /// Bytes redirected to the peer's egress inside the kernel.
    pub redirected: u64,
    /// Bytes handed to the socket's own receive queue (`SK_PASS`), for userspace to read
    /// and forward.
    pub passed: u64,
    /// Bytes the program cut off (or dropped) because they had already been handled: the
    /// head of a partially retransmitted skb, which the kernel's `tcp_read_skb` hands over
    /// whole. Never forwarded, not in `redirected` or `passed`.
    pub trimmed: u64,
    /// TCP sequence number just past the last byte handled (valid with [`SEQ_KNOWN`]).
    pub next_seq: u32,
    /// [`SEQ_KNOWN`] once the program has seen a byte.
    pub flags: u32,
}

/// `DirStats::next_seq` holds the end of the bytes handled so far.
pub const SEQ_KNOWN: u32 = 1;
/// Most bytes the program cuts off one skb (it pops at most 4095 bytes per helper call).
pub const MAX_TRIM: u32 = 64 * 4095;

/// Userspace's instructions for the bytes arriving on one socket. Only userspace writes it
/// (as a whole value, which the hash map swaps atomically); the program reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirControl {
    /// Redirect only while `redirected + len <= limit`: userspace keeps it at "bytes the
    /// destination has taken + cap", which bounds what waits in the destination's psock.
    pub limit: u64,
    /// Passed bytes that userspace has read and written to the destination. While
    /// `passed != consumed` the program keeps passing, so bytes never overtake each other.
    pub consumed: u64,
    /// [`CTL_PASS_ALL`] and future flags.
    pub flags: u32,
    /// Explicit padding: keeps the layout identical on both sides.
    pub _pad: u32,
}

/// Never redirect: every byte goes to the socket's own queue (userspace copies).
pub const CTL_PASS_ALL: u32 = 1;
/// Do not cut already-handled bytes off retransmitted skbs (measurements only: shows the
/// fault that the trimming fixes).
pub const CTL_NO_TRIM: u32 = 2;

const _: () = assert!(core::mem::size_of::<DirStats>() == 32);
const _: () = assert!(core::mem::align_of::<DirStats>() == 8);
const _: () = assert!(core::mem::size_of::<DirControl>() == 24);
const _: () = assert!(core::mem::align_of::<DirControl>() == 8);

// SAFETY: both types are `#[repr(C)]`, `Copy`, made only of integers, with no implicit
// padding (asserted above), so every bit pattern is valid.
#[cfg(feature = "user")]
unsafe impl aya::Pod for DirStats {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for DirControl {}
