//! What this kernel and these privileges allow, probed once per process: can a ring be set up
//! at all (seccomp, `kernel.io_uring_disabled`), and does it support every opcode a path uses.

use super::bufring::BufRing;
use super::engine::Mode;
use super::ring::Ring;
use io_uring::{opcode, register::Probe};
use std::sync::OnceLock;

struct Probed {
    /// Why no ring could be made, or the opcodes this kernel lacks.
    ring: Result<Probe, String>,
    /// Whether provided-buffer rings can be registered.
    buf_ring: Result<(), String>,
}

fn probed() -> &'static Probed {
    static PROBED: OnceLock<Probed> = OnceLock::new();
    PROBED.get_or_init(|| {
        // The probe ring is made and dropped on this thread; workers make their own.
        let ring = match Ring::new() {
            Ok(r) => r,
            Err(e) => {
                let reason = format!("io_uring_setup failed: {e}");
                return Probed {
                    ring: Err(reason.clone()),
                    buf_ring: Err(reason),
                };
            }
        };
        let mut probe = Probe::new();
        let ring_probe = match ring.submitter().register_probe(&mut probe) {
            Ok(()) => Ok(probe),
            Err(e) => Err(format!("io_uring opcode probe failed: {e}")),
        };
        let buf_ring = BufRing::register(&ring.submitter(), 0)
            .map(|r| r.unregister(&ring.submitter()))
            .map_err(|e| format!("provided buffer rings are not supported: {e}"));
        Probed {
            ring: ring_probe,
            buf_ring,
        }
    })
}

/// Ok if every io_uring feature `mode` needs is available here, else why not.
pub(super) fn check(mode: Mode) -> Result<(), String> {
    let p = probed();
    let probe = p.ring.as_ref().map_err(Clone::clone)?;
    let needed: &[(u8, &str)] = match mode {
        Mode::Splice => &[
            (opcode::PollAdd::CODE, "POLL_ADD"),
            (opcode::AsyncCancel2::CODE, "ASYNC_CANCEL"),
        ],
        Mode::RecvSend => &[
            (opcode::RecvMulti::CODE, "RECV"),
            (opcode::SendMsg::CODE, "SENDMSG"),
            (opcode::PollAdd::CODE, "POLL_ADD"),
            (opcode::AsyncCancel2::CODE, "ASYNC_CANCEL"),
        ],
    };
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(code, _)| !probe.is_supported(*code))
        .map(|(_, name)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(format!("io_uring lacks opcode(s) {}", missing.join(", ")));
    }
    if mode == Mode::RecvSend {
        p.buf_ring.clone()?;
    }
    Ok(())
}
