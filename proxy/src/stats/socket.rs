//! Binding a stats socket. A unix socket file: creating its directory, replacing a stale
//! socket safely, binding with the configured mode and owner already applied, and removing
//! it (only if it is still ours) on shutdown. A TCP socket: bound on its address.
//!
//! The unix socket is bound under a temporary name next to the final path, given its mode
//! and owner, then renamed into place, so nobody can connect before the permissions apply.

use super::StatsError;
use crate::config::{StatsEndpoint, StatsSocket};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::{TcpListener, UnixListener};

/// Longest path a `sockaddr_un` holds (108 bytes including the NUL).
const SUN_PATH_MAX: usize = 107;

/// A bound unix stats socket and the identity of its file.
#[derive(Debug)]
pub struct BoundSocket {
    pub listener: UnixListener,
    pub file: SocketFile,
}

/// A bound stats socket of either kind.
#[derive(Debug)]
pub enum Bound {
    Unix(BoundSocket),
    Tcp(TcpListener),
}

/// Binds the socket described by `sock`, unix or TCP.
pub fn bind_any(sock: &StatsSocket) -> Result<Bound, StatsError> {
    match &sock.endpoint {
        StatsEndpoint::Unix(path) => bind(path, sock).map(Bound::Unix),
        StatsEndpoint::Tcp(addr) => bind_tcp(*addr).map(Bound::Tcp),
    }
}

/// Binds a TCP stats socket (with `SO_REUSEADDR`, so a restart does not wait for
/// TIME_WAIT connections of the previous process).
pub fn bind_tcp(addr: SocketAddr) -> Result<TcpListener, StatsError> {
    let err = |source| StatsError::Bind {
        path: StatsEndpoint::Tcp(addr).to_string(),
        source,
    };
    let domain = socket2::Domain::for_address(addr);
    let s = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))
        .map_err(err)?;
    s.set_reuse_address(true).map_err(err)?;
    s.set_nonblocking(true).map_err(err)?;
    s.bind(&addr.into()).map_err(err)?;
    s.listen(64).map_err(err)?;
    TcpListener::from_std(s.into()).map_err(err)
}

/// The socket file we created: removed on shutdown if it is still the same file.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// Removes the file unless something else has replaced it since.
    pub fn remove(&self) {
        match std::fs::symlink_metadata(&self.path) {
            Ok(m) if m.dev() == self.dev && m.ino() == self.ino => {
                if let Err(e) = std::fs::remove_file(&self.path) {
                    tracing::warn!("Cannot remove stats socket {}: {e}", self.path.display());
                }
            }
            _ => tracing::debug!(
                "Stats socket {} was replaced or removed; leaving it alone.",
                self.path.display()
            ),
        }
    }
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

/// Makes sure `path` is free: absent, or a socket nobody answers on (then removed).
pub fn clear_stale(path: &Path) -> Result<(), StatsError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StatsError::Inspect {
                path: shown(path),
                source,
            });
        }
    };
    if !meta.file_type().is_socket() {
        return Err(StatsError::NotASocket { path: shown(path) });
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(StatsError::InUse { path: shown(path) }),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            tracing::info!(
                "Removing stale stats socket {} (nobody answers on it).",
                path.display()
            );
            match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(source) => Err(StatsError::Inspect {
                    path: shown(path),
                    source,
                }),
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StatsError::Inspect {
            path: shown(path),
            source,
        }),
    }
}

/// Binds the unix socket `path` with the mode and owner of `sock`.
pub fn bind(path: &Path, sock: &StatsSocket) -> Result<BoundSocket, StatsError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StatsError::Dir {
            path: shown(dir),
            source,
        })?;
    }
    clear_stale(path)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let staged = tmp.as_os_str().len() <= SUN_PATH_MAX;
    let bind_path = if staged { tmp.as_path() } else { path };
    if staged {
        // A leftover of an earlier run with our pid; only ever a socket we made.
        clear_stale(&tmp)?;
    }
    let listener = UnixListener::bind(bind_path).map_err(|source| StatsError::Bind {
        path: shown(path),
        source,
    })?;
    let finish = || -> Result<(), StatsError> {
        apply_owner_and_mode(bind_path, path, sock)?;
        if staged {
            std::fs::rename(bind_path, path).map_err(|source| StatsError::Bind {
                path: shown(path),
                source,
            })?;
        }
        Ok(())
    };
    if let Err(e) = finish() {
        let _ = std::fs::remove_file(bind_path);
        return Err(e);
    }
    let meta = std::fs::symlink_metadata(path).map_err(|source| StatsError::Bind {
        path: shown(path),
        source,
    })?;
    Ok(BoundSocket {
        listener,
        file: SocketFile {
            path: path.to_path_buf(),
            dev: meta.dev(),
            ino: meta.ino(),
        },
    })
}

fn apply_owner_and_mode(p: &Path, shown_as: &Path, sock: &StatsSocket) -> Result<(), StatsError> {
    let err = |source| StatsError::Permissions {
        path: shown(shown_as),
        source,
    };
    if sock.uid.is_some() || sock.gid.is_some() {
        std::os::unix::fs::chown(p, sock.uid, sock.gid).map_err(err)?;
    }
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(sock.mode)).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Level;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sockhop-sock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn sock(path: PathBuf) -> StatsSocket {
        StatsSocket {
            endpoint: StatsEndpoint::Unix(path),
            mode: 0o640,
            uid: None,
            gid: None,
            level: Level::Admin,
        }
    }

    #[tokio::test]
    async fn creates_the_directory_and_applies_the_mode() {
        let dir = temp_dir("mode");
        let path = dir.join("sub/stats.sock");
        let b = bind(&path, &sock(path.clone())).unwrap();
        let m = std::fs::symlink_metadata(&path).unwrap();
        assert!(m.file_type().is_socket());
        assert_eq!(m.permissions().mode() & 0o777, 0o640);
        b.file.remove();
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn applies_the_owner_when_configured() {
        let dir = temp_dir("owner");
        let path = dir.join("stats.sock");
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let mut s = sock(path.clone());
        s.uid = Some(uid);
        s.gid = Some(gid);
        s.mode = 0o600;
        let b = bind(&path, &s).unwrap();
        let m = std::fs::symlink_metadata(&path).unwrap();
        assert_eq!((m.uid(), m.gid()), (uid, gid));
        assert_eq!(m.permissions().mode() & 0o777, 0o600);
        b.file.remove();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn replaces_a_socket_nobody_answers_on() {
        let dir = temp_dir("stale");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stats.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let b = bind(&path, &sock(path.clone())).unwrap();
        b.file.remove();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn refuses_a_socket_someone_answers_on() {
        let dir = temp_dir("live");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stats.sock");
        let _live = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let e = bind(&path, &sock(path.clone())).unwrap_err();
        assert!(matches!(e, StatsError::InUse { .. }), "{e}");
        assert!(e.to_string().contains("in use"), "{e}");
        assert!(path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn refuses_to_remove_a_regular_file() {
        let dir = temp_dir("file");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stats.sock");
        std::fs::write(&path, b"precious").unwrap();
        let e = bind(&path, &sock(path.clone())).unwrap_err();
        assert!(matches!(e, StatsError::NotASocket { .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn binds_a_tcp_address_and_refuses_a_taken_one() {
        let l = bind_tcp("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = l.local_addr().unwrap();
        let e = bind_tcp(addr).unwrap_err();
        assert!(matches!(e, StatsError::Bind { .. }), "{e}");
        assert!(e.to_string().contains(&format!("ipv4@{addr}")), "{e}");
    }

    #[tokio::test]
    async fn removal_leaves_a_replaced_file_alone() {
        let dir = temp_dir("replaced");
        let path = dir.join("stats.sock");
        let b = bind(&path, &sock(path.clone())).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"someone else's").unwrap();
        b.file.remove();
        assert!(path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
