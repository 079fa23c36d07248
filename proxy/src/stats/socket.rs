//! The stats socket file: creating its directory, replacing a stale socket safely, binding
//! with the configured mode and owner already applied, and removing it (only if it is still
//! ours) on shutdown.
//!
//! The socket is bound under a temporary name next to the final path, given its mode and
//! owner, then renamed into place, so nobody can connect before the permissions apply.

use super::StatsError;
use crate::config::StatsSocket;
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::UnixListener;

/// Longest path a `sockaddr_un` holds (108 bytes including the NUL).
const SUN_PATH_MAX: usize = 107;

/// A bound stats socket and the identity of its file.
#[derive(Debug)]
pub struct BoundSocket {
    pub listener: UnixListener,
    pub file: SocketFile,
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

/// Binds the socket described by `sock`.
pub fn bind(sock: &StatsSocket) -> Result<BoundSocket, StatsError> {
    let path = sock.path.as_path();
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
        apply_owner_and_mode(bind_path, sock)?;
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

fn apply_owner_and_mode(p: &Path, sock: &StatsSocket) -> Result<(), StatsError> {
    let err = |source| StatsError::Permissions {
        path: shown(&sock.path),
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
            path,
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
        let b = bind(&sock(path.clone())).unwrap();
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
        let b = bind(&s).unwrap();
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
        let b = bind(&sock(path.clone())).unwrap();
        b.file.remove();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn refuses_a_socket_someone_answers_on() {
        let dir = temp_dir("live");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stats.sock");
        let _live = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let e = bind(&sock(path.clone())).unwrap_err();
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
        let e = bind(&sock(path.clone())).unwrap_err();
        assert!(matches!(e, StatsError::NotASocket { .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn removal_leaves_a_replaced_file_alone() {
        let dir = temp_dir("replaced");
        let path = dir.join("stats.sock");
        let b = bind(&sock(path.clone())).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"someone else's").unwrap();
        b.file.remove();
        assert!(path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
