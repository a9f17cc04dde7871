//! Per-server temporary directories, removed on drop and swept when their owner is gone.
//!
//! Directories live under `$TMPDIR/tributary-testcontainers/` and are named
//! `<server>-<owner pid>-<n>`. A server shared through a `static` is never dropped, so its
//! directory outlives the test binary; the next harness start removes every directory whose
//! owner process no longer exists.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::signal;
use nix::unistd::{Gid, Pid, Uid, chown};

use crate::error::ServerError;

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// A directory owned by one server handle.
#[derive(Debug)]
pub(crate) struct ServerDir {
    path: PathBuf,
}

impl ServerDir {
    /// Creates a fresh directory for `server`, owned by `owner` when given (the OS user a
    /// server drops to must be able to write its data directory).
    pub(crate) fn create(
        server: &'static str,
        owner: Option<(Uid, Gid)>,
    ) -> Result<Self, ServerError> {
        let base = base_dir();
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| ServerError::Io {
                server,
                action,
                path,
                source,
            }
        };
        fs::create_dir_all(&base).map_err(io("create directory", &base))?;
        sweep_orphans(&base);
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("{server}-{}-{n}", std::process::id()));
        if path.exists() {
            // Left by an earlier process with the same pid.
            let _ = fs::remove_dir_all(&path);
        }
        fs::create_dir(&path).map_err(io("create directory", &path))?;
        if let Some((uid, gid)) = owner {
            chown(&path, Some(uid), Some(gid)).map_err(|errno| ServerError::Io {
                server,
                action: "change owner of",
                path: path.clone(),
                source: errno.into(),
            })?;
        }
        Ok(Self { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for ServerDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn base_dir() -> PathBuf {
    std::env::temp_dir().join("tributary-testcontainers")
}

/// Removes directories whose owner process has exited. Best effort: a directory that cannot
/// be read or removed is left for the next sweep.
fn sweep_orphans(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = owner_pid(&name.to_string_lossy()) else {
            continue;
        };
        let alive = owner == std::process::id()
            || i32::try_from(owner).is_ok_and(|pid| signal::kill(Pid::from_raw(pid), None).is_ok());
        if !alive {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The owner pid in a directory name `<server>-<pid>-<n>`.
fn owner_pid(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(3, '-');
    let _n = parts.next()?;
    let pid = parts.next()?;
    parts.next()?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pid_is_read_from_directory_name() {
        assert_eq!(owner_pid("postgres-1234-0"), Some(1234));
        assert_eq!(owner_pid("kafka-99-12"), Some(99));
        assert_eq!(owner_pid("stray"), None);
        assert_eq!(owner_pid("a-b-c"), None);
    }

    #[test]
    fn directory_is_removed_on_drop() {
        let dir = ServerDir::create("unit", None).unwrap();
        let path = dir.path().to_path_buf();
        fs::write(dir.join("file"), b"x").unwrap();
        assert!(path.exists());
        drop(dir);
        assert!(!path.exists());
    }
}
