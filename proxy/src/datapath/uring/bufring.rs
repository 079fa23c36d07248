//! A provided-buffer ring (`IORING_REGISTER_PBUF_RING`): a fixed set of buffers the kernel picks
//! from for each multishot receive. One ring per session direction, so a direction whose
//! destination stalls runs out of its own buffers (the receive stops with `ENOBUFS`) and cannot
//! take memory from other sessions. Rings are registered once and reused across sessions.

use io_uring::types::BufRingEntry;
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

/// Buffers per ring (a power of two) and the size of each.
pub(super) const BUFS: u16 = 4;
pub(super) const BUF_SIZE: u32 = 64 * 1024;

pub(super) struct BufRing {
    pub bgid: u16,
    entries: *mut BufRingEntry,
    data: Box<[u8]>,
    tail: u16,
}

// SAFETY: the raw pointer is owned memory; a ring only ever lives on its worker thread, the
// bound is needed because sessions are built before they move there.
unsafe impl Send for BufRing {}

fn layout() -> Layout {
    let size = usize::from(BUFS) * std::mem::size_of::<BufRingEntry>();
    Layout::from_size_align(size, 4096).expect("page-aligned layout")
}

impl BufRing {
    /// Allocates the buffers, offers all of them, and registers the ring as group `bgid`.
    pub fn register(submitter: &io_uring::Submitter<'_>, bgid: u16) -> io::Result<BufRing> {
        // SAFETY: non-zero size layout.
        let entries = unsafe { alloc_zeroed(layout()) } as *mut BufRingEntry;
        if entries.is_null() {
            return Err(io::Error::from(io::ErrorKind::OutOfMemory));
        }
        let mut ring = BufRing {
            bgid,
            entries,
            data: vec![0u8; BUFS as usize * BUF_SIZE as usize].into_boxed_slice(),
            tail: 0,
        };
        for bid in 0..BUFS {
            ring.offer(bid);
        }
        // SAFETY: the entry array stays allocated until `unregister` (or the ring's end).
        let r = unsafe { submitter.register_buf_ring_with_flags(entries as u64, BUFS, bgid, 0) };
        match r {
            Ok(()) => Ok(ring),
            Err(e) => {
                // SAFETY: allocated above with the same layout, never registered.
                unsafe { dealloc(ring.entries as *mut u8, layout()) };
                std::mem::forget(ring.data);
                Err(e)
            }
        }
    }

    /// Start of buffer `bid`.
    pub fn buf(&self, bid: u16) -> *const u8 {
        self.data[usize::from(bid) * BUF_SIZE as usize..].as_ptr()
    }

    /// Gives buffer `bid` back to the kernel.
    pub fn offer(&mut self, bid: u16) {
        let idx = usize::from(self.tail & (BUFS - 1));
        // SAFETY: idx < BUFS; the kernel reads an entry only after the tail store below.
        unsafe {
            let e = &mut *self.entries.add(idx);
            e.set_addr(self.data.as_ptr() as u64 + u64::from(bid) * u64::from(BUF_SIZE));
            e.set_len(BUF_SIZE);
            e.set_bid(bid);
        }
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail field of the ring header, shared with the kernel.
        let tail = unsafe { &*(BufRingEntry::tail(self.entries) as *const AtomicU16) };
        tail.store(self.tail, Ordering::Release);
    }

    /// Unregisters and frees the ring.
    pub fn unregister(self, submitter: &io_uring::Submitter<'_>) {
        if submitter.unregister_buf_ring(self.bgid).is_ok() {
            // SAFETY: the kernel no longer references the entries.
            unsafe { dealloc(self.entries as *mut u8, layout()) };
        } else {
            // Still referenced by the kernel: leaking is the only safe choice.
            std::mem::forget(self.data);
        }
    }
}
