//! Dropping privileges once start-up is done.
//!
//! sockhop needs root (or capabilities) only to start: binding ports below 1024, owning stats
//! sockets, loading kernel programs. Afterwards it needs nothing, so every thread ends up
//! with empty capability sets (effective, permitted, inheritable, ambient and bounding),
//! `no_new_privs`, and — when `[global] user`/`group` are set — the configured ids.
//!
//! Linux keeps credentials per thread, and glibc only broadcasts uid/gid changes (not
//! capabilities), so the same [`drop_current_thread`] runs on each thread: the async
//! runtime's threads run it as they start (they never need a privilege), the main thread
//! runs it when start-up is done, and a data path that starts its own threads before that
//! calls it on each of them.

use std::io;
use std::sync::OnceLock;

/// Why privileges could not be dropped (the daemon refuses to run privileged by accident).
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("cannot drop capabilities: {0}")]
    Capabilities(io::Error),
    #[error("cannot switch to group id {gid}: {source}")]
    Group { gid: u32, source: io::Error },
    #[error("cannot switch to user id {uid}: {source}")]
    User { uid: u32, source: io::Error },
    #[error("cannot set no_new_privs: {0}")]
    NoNewPrivs(io::Error),
}

/// What every thread becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

static TARGET: OnceLock<Target> = OnceLock::new();

/// Records what threads become; call once, before any thread calls [`drop_current_thread`].
pub fn set_target(t: Target) {
    let _ = TARGET.set(t);
}

/// Drops every privilege of the calling thread, as configured by [`set_target`].
/// Without a target (sockhop used as a library, tests) only capabilities are dropped.
pub fn drop_current_thread() -> Result<(), PrivilegeError> {
    let t = TARGET.get().copied().unwrap_or_default();
    // The bounding set first: it needs CAP_SETPCAP, which goes with the rest below.
    drop_bounding_set().map_err(PrivilegeError::Capabilities)?;
    if let Some(gid) = t.gid {
        set_ids_gid(gid).map_err(|source| PrivilegeError::Group { gid, source })?;
    }
    if let Some(uid) = t.uid {
        set_ids_uid(uid).map_err(|source| PrivilegeError::User { uid, source })?;
    }
    clear_capabilities().map_err(PrivilegeError::Capabilities)?;
    // SAFETY: prctl with integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(PrivilegeError::NoNewPrivs(io::Error::last_os_error()));
    }
    Ok(())
}

/// For threads that must not fail to start: logs instead of returning the error.
pub fn drop_current_thread_or_log() {
    if let Err(e) = drop_current_thread() {
        tracing::error!("thread {:?}: {e}", std::thread::current().name());
    }
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(63)
}

fn drop_bounding_set() -> io::Result<()> {
    for cap in 0..=last_cap() {
        // SAFETY: prctl with integer arguments only.
        let in_set = unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap as libc::c_ulong, 0, 0, 0) };
        if in_set != 1 {
            continue;
        }
        // SAFETY: as above.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) } != 0 {
            let e = io::Error::last_os_error();
            // EPERM: no CAP_SETPCAP, i.e. not privileged to begin with; nothing to drop.
            if e.raw_os_error() == Some(libc::EPERM) {
                return Ok(());
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Raw per-thread syscalls: glibc's wrappers would broadcast to threads that may already
/// have dropped the capability to change ids.
fn set_ids_gid(gid: u32) -> io::Result<()> {
    let groups = [gid as libc::gid_t];
    // SAFETY: `groups` outlives the call; integer arguments otherwise.
    check(unsafe { libc::syscall(libc::SYS_setgroups, 1usize, groups.as_ptr()) })?;
    // SAFETY: integer arguments only.
    check(unsafe { libc::syscall(libc::SYS_setresgid, gid, gid, gid) })
}

fn set_ids_uid(uid: u32) -> io::Result<()> {
    // SAFETY: integer arguments only.
    check(unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) })
}

fn check(rc: libc::c_long) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

fn clear_capabilities() -> io::Result<()> {
    // SAFETY: integer arguments only.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
    }
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: header and data are the v3 layouts the kernel expects (two data words).
    check(unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_field(name: &str) -> String {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap()
            .trim()
            .to_string()
    }

    #[test]
    fn a_dropped_thread_has_no_capability_left() {
        // In a thread of its own: the test harness's other threads keep theirs.
        std::thread::spawn(|| {
            drop_current_thread().unwrap();
            assert_eq!(status_field("CapEff"), "0000000000000000");
            assert_eq!(status_field("CapPrm"), "0000000000000000");
            assert_eq!(status_field("CapInh"), "0000000000000000");
            assert_eq!(status_field("CapAmb"), "0000000000000000");
            assert_eq!(status_field("NoNewPrivs"), "1");
            if unsafe { libc::geteuid() } == 0 {
                assert_eq!(status_field("CapBnd"), "0000000000000000");
            }
            // Dropping twice is harmless.
            drop_current_thread().unwrap();
        })
        .join()
        .unwrap();
    }
}
