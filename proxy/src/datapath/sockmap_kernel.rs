//! The kernel half of the sockmap data path, loaded once per process: the `sk_skb` stream
//! verdict program of `proxy-ebpf` (embedded at build time by `build.rs`), attached to its
//! SockHash, and the maps userspace drives it with (see `proxy-common` for the contract).

use aya::Ebpf;
use aya::maps::{HashMap, MapData, SockHash};
use aya::programs::SkSkb;
use proxy_common::{CONTROL_MAP, DirControl, DirStats, SOCKS_MAP, STATS_MAP, VERDICT_PROG};
use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock};

/// Why the kernel half could not be loaded (the reason `auto` falls back to copy).
#[derive(Debug, Clone, thiserror::Error)]
pub enum KernelError {
    #[error("this sockhop was built without the eBPF programs: {0}")]
    NotBuilt(&'static str),
    #[error("loading the eBPF object failed: {0}")]
    Load(String),
    #[error("map or program '{0}' is missing from the eBPF object")]
    Missing(&'static str),
    #[error("the kernel refused a map operation: {0}")]
    Map(String),
}

/// The loaded program and its maps. Map operations are single syscalls. aya's handles need
/// `&mut` to write, and a lock shared by the session threads made them wait for each other
/// (7 futex calls per connection): each thread gets its own handles instead, on duplicated
/// descriptors of the same maps.
pub struct Kernel {
    maps: Mutex<Maps>,
    /// Keeps the program loaded and attached for the life of the process.
    _ebpf: Mutex<Ebpf>,
}

thread_local! {
    /// This thread's handles on the process's maps (there is one [`Kernel`] per process).
    static THREAD_MAPS: RefCell<Option<Maps>> = const { RefCell::new(None) };
}

struct Maps {
    socks: SockHash<MapData, u64>,
    stats: HashMap<MapData, u64, DirStats>,
    control: HashMap<MapData, u64, DirControl>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kernel(sockmap)")
    }
}

static KERNEL: OnceLock<Result<Arc<Kernel>, KernelError>> = OnceLock::new();

/// The process-wide kernel half, loading it on first use.
pub fn kernel() -> Result<Arc<Kernel>, KernelError> {
    KERNEL.get_or_init(|| Kernel::load().map(Arc::new)).clone()
}

#[cfg(sockhop_ebpf)]
fn object() -> Result<&'static [u8], KernelError> {
    Ok(aya::include_bytes_aligned!(concat!(
        env!("OUT_DIR"),
        "/proxy-ebpf"
    )))
}

#[cfg(not(sockhop_ebpf))]
fn object() -> Result<&'static [u8], KernelError> {
    Err(KernelError::NotBuilt(env!("SOCKHOP_EBPF_MISSING")))
}

impl Kernel {
    fn load() -> Result<Kernel, KernelError> {
        let mut ebpf = Ebpf::load(object()?).map_err(|e| KernelError::Load(e.to_string()))?;
        let socks: SockHash<MapData, u64> = ebpf
            .take_map(SOCKS_MAP)
            .ok_or(KernelError::Missing(SOCKS_MAP))?
            .try_into()
            .map_err(|e: aya::maps::MapError| KernelError::Load(e.to_string()))?;
        let stats: HashMap<MapData, u64, DirStats> = ebpf
            .take_map(STATS_MAP)
            .ok_or(KernelError::Missing(STATS_MAP))?
            .try_into()
            .map_err(|e: aya::maps::MapError| KernelError::Load(e.to_string()))?;
        let control: HashMap<MapData, u64, DirControl> = ebpf
            .take_map(CONTROL_MAP)
            .ok_or(KernelError::Missing(CONTROL_MAP))?
            .try_into()
            .map_err(|e: aya::maps::MapError| KernelError::Load(e.to_string()))?;
        let prog: &mut SkSkb = ebpf
            .program_mut(VERDICT_PROG)
            .ok_or(KernelError::Missing(VERDICT_PROG))?
            .try_into()
            .map_err(|e: aya::programs::ProgramError| KernelError::Load(e.to_string()))?;
        prog.load().map_err(|e| KernelError::Load(e.to_string()))?;
        prog.attach(socks.fd())
            .map_err(|e| KernelError::Load(e.to_string()))?;
        tracing::info!("sockmap: eBPF verdict program loaded and attached.");
        Ok(Kernel {
            maps: Mutex::new(Maps {
                socks,
                stats,
                control,
            }),
            _ebpf: Mutex::new(ebpf),
        })
    }

    /// Runs `f` on this thread's handles, making them on first use.
    fn with_maps<R>(&self, f: impl FnOnce(&mut Maps) -> R) -> Result<R, KernelError> {
        THREAD_MAPS.with(|cell| {
            let mut slot = cell.borrow_mut();
            let maps = match &mut *slot {
                Some(maps) => maps,
                None => slot.insert(self.duplicate()?),
            };
            Ok(f(maps))
        })
    }

    /// New handles on the same kernel maps.
    fn duplicate(&self) -> Result<Maps, KernelError> {
        let m = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        use aya::maps::IterableMap as _;
        let map_err = |e: aya::maps::MapError| KernelError::Map(e.to_string());
        let dup = |fd: std::os::fd::BorrowedFd<'_>| -> Result<aya::maps::MapData, KernelError> {
            let owned: OwnedFd = fd
                .try_clone_to_owned()
                .map_err(|e| KernelError::Map(e.to_string()))?;
            aya::maps::MapData::from_fd(owned).map_err(map_err)
        };
        Ok(Maps {
            socks: SockHash::try_from(aya::maps::Map::SockHash(dup(m.socks.fd().as_fd())?))
                .map_err(map_err)?,
            stats: HashMap::try_from(aya::maps::Map::HashMap(dup(m.stats.map().fd().as_fd())?))
                .map_err(map_err)?,
            control: HashMap::try_from(aya::maps::Map::HashMap(dup(m.control.map().fd().as_fd())?))
                .map_err(map_err)?,
        })
    }

    /// Creates the counters and the control of the direction whose bytes arrive on the
    /// socket `cookie`. Must precede inserting the socket.
    pub fn open_direction(&self, cookie: u64, control: DirControl) -> Result<(), KernelError> {
        self.with_maps(|m| {
            m.stats
                .insert(cookie, DirStats::default(), 0)
                .map_err(|e| KernelError::Map(e.to_string()))?;
            m.control
                .insert(cookie, control, 0)
                .map_err(|e| KernelError::Map(e.to_string()))
        })?
    }

    /// Puts `sock` in the SockHash under its peer's cookie. The kernel answers EOPNOTSUPP
    /// when the socket is no longer ESTABLISHED.
    pub fn insert_socket(&self, peer_cookie: u64, sock: &impl AsRawFd) -> std::io::Result<()> {
        let fd = sock.as_raw_fd();
        self.with_maps(|m| m.socks.insert(peer_cookie, fd, 0).map_err(map_io_error))
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    /// The kernel's counters for the bytes arriving on `cookie`.
    pub fn stats(&self, cookie: u64) -> Result<DirStats, KernelError> {
        self.with_maps(|m| m.stats.get(&cookie, 0))?
            .map_err(|e| KernelError::Map(e.to_string()))
    }

    /// Replaces the control of the bytes arriving on `cookie` (as one value).
    pub fn set_control(&self, cookie: u64, control: DirControl) -> Result<(), KernelError> {
        self.with_maps(|m| m.control.insert(cookie, control, 0))?
            .map_err(|e| KernelError::Map(e.to_string()))
    }

    /// Forgets a session's entries: its sockets (`peer_cookies`: the SockHash keys) and the
    /// counters and controls of its directions (`cookies`). Missing entries are fine.
    pub fn close(&self, cookies: &[u64]) {
        let _ = self.with_maps(|m| {
            for c in cookies {
                let _ = m.socks.remove(c);
                let _ = m.stats.remove(c);
                let _ = m.control.remove(c);
            }
        });
    }
}

fn map_io_error(e: aya::maps::MapError) -> std::io::Error {
    match e {
        aya::maps::MapError::SyscallError(s) => s.io_error,
        other => std::io::Error::other(other.to_string()),
    }
}
