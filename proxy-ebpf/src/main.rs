//! sockhop's kernel side: one `sk_skb` stream verdict program for the sockmap data path.
//!
//! Every socket of a sockmap session is in [`SOCKHOP_SOCKS`] under its *peer's* cookie, so
//! the bytes arriving on a socket are redirected to its peer's egress with one lookup of
//! the socket's own cookie. Userspace bounds what may wait in the peer's queue with
//! `DirControl::limit`; above it (or while userspace still owns earlier bytes, or when the
//! redirect fails) the bytes are passed to the socket's own receive queue, where TCP flow
//! control applies and userspace forwards them. The error verdict is therefore `SK_PASS`:
//! it never loses a byte, it only costs a userspace copy. `SK_DROP` is returned only for
//! zero-length skbs (a bare FIN) and skbs made only of bytes already handled.
//!
//! **Retransmitted bytes.** The kernel reads the receive queue for this program with
//! `tcp_read_skb`, which hands over whole skbs and, unlike `tcp_recvmsg`, ignores how far
//! the socket has been read. An skb whose head overlaps bytes already received
//! (`seq < rcv_nxt < end_seq`: a partial retransmit, queued as is by `tcp_data_queue`) would
//! then be forwarded twice. The program therefore tracks the TCP sequence number just past
//! the bytes it handled (`DirStats::next_seq`; the skb's own `seq` is the first word of its
//! control buffer, `TCP_SKB_CB(skb)->seq`) and cuts the overlap off with
//! `bpf_skb_adjust_room` before the verdict.
#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(target_arch = "bpf", no_main)]

#[cfg(target_arch = "bpf")]
mod prog {
    use aya_ebpf::bindings::sk_action::{SK_DROP, SK_PASS};
    use aya_ebpf::helpers::bpf_get_socket_cookie;
    use aya_ebpf::macros::{map, stream_verdict};
    use aya_ebpf::maps::{HashMap, SockHash};
    use aya_ebpf::programs::SkBuffContext;
    use proxy_common::{
        CTL_NO_TRIM, CTL_PASS_ALL, DirControl, DirStats, MAX_SOCKETS, MAX_TRIM, SEQ_KNOWN,
    };

    /// Most bytes `bpf_skb_adjust_room` pops from an `sk_skb` in one call.
    const TRIM_STEP: u32 = 4095;

    #[map(name = "SOCKHOP_SOCKS")]
    static SOCKHOP_SOCKS: SockHash<u64> = SockHash::with_max_entries(MAX_SOCKETS, 0);

    #[map(name = "SOCKHOP_STATS")]
    static SOCKHOP_STATS: HashMap<u64, DirStats> = HashMap::with_max_entries(MAX_SOCKETS, 0);

    #[map(name = "SOCKHOP_CONTROL")]
    static SOCKHOP_CONTROL: HashMap<u64, DirControl> = HashMap::with_max_entries(MAX_SOCKETS, 0);

    /// The verdict on the bytes of one skb. Any failure passes them to the socket itself.
    #[stream_verdict]
    pub fn sockhop_verdict(ctx: SkBuffContext) -> u32 {
        match try_verdict(&ctx) {
            Ok(v) | Err(v) => v,
        }
    }

    fn try_verdict(ctx: &SkBuffContext) -> Result<u32, u32> {
        let skb_len = ctx.len();
        if skb_len == 0 {
            // A bare FIN: nothing to lose, and the TCP state already holds the EOF. Passed
            // or redirected, a zero-length skb that waits in a psock queue makes the
            // kernel's backlog worker see "0 bytes sent", which it treats as EPIPE: that
            // socket's pipe is then broken for good.
            return Ok(SK_DROP);
        }
        // SAFETY: the context is the program's own skb.
        let mut cookie = unsafe { bpf_get_socket_cookie(ctx.skb.skb.cast()) };
        let stats = SOCKHOP_STATS.get_ptr_mut(cookie).ok_or(SK_PASS)?;
        // SAFETY: values are copied out at once; userspace swaps control values whole.
        let ctl = unsafe { SOCKHOP_CONTROL.get(cookie) }.copied();
        // SAFETY: `stats` points into a map value, valid during this program run; the
        // verdict for one socket runs under its socket lock, so updates do not race.
        let st = unsafe { &mut *stats };
        // `TCP_SKB_CB(skb)->seq`: the sk_skb control buffer starts with TCP's.
        let seq = ctx.cb()[0];
        let mut len = u64::from(skb_len);
        let trim = ctl.is_none_or(|c| c.flags & CTL_NO_TRIM == 0);
        if trim && st.flags & SEQ_KNOWN != 0 {
            let dup = st.next_seq.wrapping_sub(seq);
            if dup != 0 && dup <= i32::MAX as u32 {
                if dup >= skb_len {
                    // Nothing new in it (cannot be queued by TCP, handled anyway).
                    st.trimmed += len;
                    return Ok(SK_DROP);
                }
                let cut = cut_head(ctx, dup);
                st.trimmed += u64::from(cut);
                len -= u64::from(cut);
                // Should the kernel refuse part of the cut (`cut < dup`), the rest of the
                // duplicate goes on and is counted: userspace then sees `redirected +
                // passed` exceed TCP's received bytes and resets the session rather than
                // deliver a corrupt stream.
            }
        }
        st.next_seq = seq.wrapping_add(skb_len);
        st.flags |= SEQ_KNOWN;
        let redirect = match ctl {
            Some(c) => {
                c.flags & CTL_PASS_ALL == 0
                    && st.passed == c.consumed
                    && st.redirected + len <= c.limit
            }
            None => false,
        };
        if redirect && SOCKHOP_SOCKS.redirect_skb(ctx, &mut cookie, 0) == i64::from(SK_PASS) {
            st.redirected += len;
            return Ok(SK_PASS);
        }
        st.passed += len;
        Ok(SK_PASS)
    }

    /// Pops up to `n` bytes off the head of the skb's payload (none when `n` exceeds
    /// [`MAX_TRIM`]); returns how many it popped.
    fn cut_head(ctx: &SkBuffContext, n: u32) -> u32 {
        if n > MAX_TRIM {
            return 0;
        }
        let mut cut = 0;
        for _ in 0..MAX_TRIM / TRIM_STEP {
            if cut == n {
                break;
            }
            let step = if n - cut < TRIM_STEP {
                n - cut
            } else {
                TRIM_STEP
            };
            // Mode 0 (`BPF_ADJ_ROOM_NET`) with a negative size pops from the data start.
            if ctx.skb.adjust_room(-(step as i32), 0, 0).is_err() {
                break;
            }
            cut += step;
        }
        cut
    }

    #[panic_handler]
    fn panic(_info: &core::panic::PanicInfo) -> ! {
        loop {}
    }
}

#[cfg(target_arch = "bpf")]
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";

#[cfg(not(target_arch = "bpf"))]
fn main() {}
