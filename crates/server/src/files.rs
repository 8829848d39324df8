//! The files the process writes: the pidfile, the config file on CONFIG REWRITE, and the
//! node's durable writes (`Output::Persist`, e.g. nodes.conf) with the cluster config lock.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sys;

/// Redis's pidfile when daemonized without `pidfile` (`CONFIG_DEFAULT_PID_FILE` in 7.0).
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// Write our pid to `pidfile`, or to Redis's default path when daemonized without one; best
/// effort, as in Redis. Returns the absolute path to remove at shutdown, so a later change of
/// directory cannot make us remove another file.
pub fn write_pidfile(pidfile: &str, daemonized: bool) -> Option<PathBuf> {
    let path = match (pidfile.is_empty(), daemonized) {
        (false, _) => pidfile,
        (true, true) => DEFAULT_PIDFILE,
        (true, false) => return None,
    };
    let path = std::path::absolute(path).ok()?;
    std::fs::write(&path, format!("{}\n", std::process::id())).ok()?;
    Some(path)
}

/// CONFIG REWRITE's file work, as Redis's `rewriteConfigOverwriteFile`: read the current text
/// (a missing file is empty), compute the new text with `rewrite`, write it to a temporary file
/// beside it, fsync, chmod 0644, rename over the original, fsync the directory. A crash leaves
/// either the old or the new file, never half of one. `Err` is the OS error text.
pub fn rewrite_config(path: &str, rewrite: impl FnOnce(&str) -> String) -> Result<(), String> {
    let original = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(sys::strerror(&e)),
    };
    let content = rewrite(&original);
    replace_durably(path, content.as_bytes(), None)
}

/// A whole file read inside the event loop (DEBUG RELOAD NOSAVE's RDB file): `Ok(None)` when
/// it does not exist, `Err` with the OS error text when it cannot be read.
pub fn read_optional(path: &str) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(sys::strerror(&e)),
    }
}

/// CONFIG SET dir's work, as Redis's `setConfigDirOption`: `chdir` to `path` (relative to the
/// current directory), then read back the absolute directory CONFIG GET shows. `Err` is the OS
/// error text (`No such file or directory`); the directory is then unchanged.
pub fn change_dir(path: &str) -> Result<String, String> {
    std::env::set_current_dir(path).map_err(|e| sys::strerror(&e))?;
    let cwd = std::env::current_dir().map_err(|e| sys::strerror(&e))?;
    Ok(cwd.display().to_string())
}

/// `path` as seen from `base` (unchanged when it is absolute, or when `base` is empty because
/// the working directory could not be read).
pub fn resolve(base: &std::path::Path, path: &str) -> String {
    if base.as_os_str().is_empty() {
        return path.to_owned();
    }
    base.join(path).display().to_string()
}

/// Why the cluster configuration file could not be locked (Redis's `clusterLockConfig`).
#[derive(Debug)]
pub enum LockError {
    /// It could not be opened (or created).
    Open(std::io::Error),
    /// Another process holds the lock.
    Busy,
    /// `flock` failed otherwise.
    Lock(std::io::Error),
}

/// Open (creating it if missing, as Redis does, so two starting nodes cannot both see "no
/// file") and exclusively `flock` the cluster configuration file; the returned handle holds the
/// lock for as long as it lives.
pub fn lock_cluster_config(path: &str) -> Result<std::fs::File, LockError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path)
        .map_err(LockError::Open)?;
    match sys::try_lock_exclusive(&file) {
        Ok(true) => Ok(file),
        Ok(false) => Err(LockError::Busy),
        Err(e) => Err(LockError::Lock(e)),
    }
}

/// `Output::Persist`: replace `path` with `data` so that a crash leaves the old or the new
/// content, never a mix: write a temporary file beside it, fsync, chmod 0644, rename over
/// `path`, fsync the directory.
///
/// `lock`: the handle holding the `flock` of `path` (the cluster config file). A rename puts a
/// new inode under the name, and the old lock would then guard nothing; so the temporary file is
/// locked before it is renamed into place and becomes the lock handle. At no moment does the
/// name point at an unlocked file. `Err` is the OS error text.
pub fn replace_durably(
    path: &str,
    data: &[u8],
    lock: Option<&mut std::fs::File>,
) -> Result<(), String> {
    replace_file(path, data, lock, true).map(drop)
}

/// [`replace_durably`], with the two fsyncs only when `sync`: without them a crash may leave the
/// old content (never a mix). Redis 7.2 saves nodes.conf changes that touch no epoch or vote
/// the same way (7.0 overwrites the file in place; small such saves here do too, see
/// `event_loop/persist.rs`).
///
/// On success, returns the replaced lock handle (the old inode's) when `lock` was given: the
/// caller drops it when convenient. Closing the last handle of a renamed-over inode frees it,
/// which was measured at up to 5 ms, so it must not delay the completion of the write.
pub fn replace_file(
    path: &str,
    data: &[u8],
    lock: Option<&mut std::fs::File>,
    sync: bool,
) -> Result<Option<std::fs::File>, String> {
    let err = |e: std::io::Error| sys::strerror(&e);
    let (tmp, mut file) = create_temp_beside(path).map_err(err)?;
    let written = (|| {
        if lock.is_some() && !sys::try_lock_exclusive(&file)? {
            return Err(std::io::Error::other(
                "temporary file locked by another process",
            ));
        }
        file.write_all(data)?;
        if sync {
            file.sync_all()?;
        }
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        std::fs::rename(&tmp, path)?;
        let dir = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty());
        if sync {
            std::fs::File::open(dir.unwrap_or(Path::new(".")))?.sync_all()?;
        }
        Ok(())
    })();
    match written {
        // The old inode's lock is released when the returned handle is dropped.
        Ok(()) => Ok(lock.map(|lock| std::mem::replace(lock, file))),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(err(e))
        }
    }
}

/// A new file named `<path>.<6 characters>` (mkstemp's shape), created exclusively.
fn create_temp_beside(path: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut n = u64::from(std::process::id()) << 20
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos() as u64;
    loop {
        let tmp = PathBuf::from(format!("{path}.{:06x}", n & 0xff_ffff));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n = n.wrapping_add(1),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paths the node emits are taken from the directory in force when they were emitted.
    #[test]
    fn resolve_anchors_relative_paths_only() {
        let base = std::path::Path::new("/data/a");
        assert_eq!(resolve(base, "dump.rdb"), "/data/a/dump.rdb");
        assert_eq!(
            resolve(base, "appendonlydir/x.aof"),
            "/data/a/appendonlydir/x.aof"
        );
        assert_eq!(
            resolve(base, "/elsewhere/nodes.conf"),
            "/elsewhere/nodes.conf"
        );
        assert_eq!(resolve(std::path::Path::new(""), "dump.rdb"), "dump.rdb");
    }

    #[test]
    fn rewrite_replaces_the_file_atomically() {
        let dir = std::env::temp_dir().join(format!("hashslot-rewrite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("node.conf");
        let path = path.to_str().unwrap();
        std::fs::write(path, "port 1\n").unwrap();
        rewrite_config(path, |old| format!("{old}maxmemory 1mb\n")).unwrap();
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "port 1\nmaxmemory 1mb\n"
        );
        // A missing file starts empty.
        std::fs::remove_file(path).unwrap();
        rewrite_config(path, |old| format!("{old}port 2\n")).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "port 2\n");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_cluster_config_lock_survives_replacing_the_file() {
        let dir = std::env::temp_dir().join(format!("hashslot-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nodes.conf");
        let path = path.to_str().unwrap();
        let mut lock = lock_cluster_config(path).unwrap();
        assert!(matches!(lock_cluster_config(path), Err(LockError::Busy)));
        replace_durably(
            path,
            b"vars currentEpoch 0 lastVoteEpoch 0\n",
            Some(&mut lock),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "vars currentEpoch 0 lastVoteEpoch 0\n"
        );
        // The new file under the name is locked too.
        assert!(matches!(lock_cluster_config(path), Err(LockError::Busy)));
        drop(lock);
        let again = lock_cluster_config(path);
        assert!(again.is_ok(), "released with the handle");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// How long the loop stalls on one nodes.conf save (write, fsync, rename, fsync dir), on the
    /// machine at hand: `cargo test -p hashslot-server --lib persist_stall -- --ignored
    /// --nocapture` (set TMPDIR to the disk the nodes use).
    #[test]
    #[ignore]
    fn persist_stall() {
        let dir = std::env::temp_dir().join(format!("hashslot-stall-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nodes.conf");
        let path = path.to_str().unwrap();
        let mut lock = lock_cluster_config(path).unwrap();
        // Six nodes' worth of lines, as in the seed's cluster.
        let data = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave \
                    e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 1 connected\n"
            .repeat(6);
        let mut took: Vec<f64> = (0..200)
            .map(|_| {
                let t = std::time::Instant::now();
                replace_durably(path, data.as_bytes(), Some(&mut lock)).unwrap();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        took.sort_by(f64::total_cmp);
        let pct = |p: f64| took[((took.len() - 1) as f64 * p) as usize];
        println!(
            "persist stall over {} saves of {} bytes: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            took.len(),
            data.len(),
            pct(0.5),
            pct(0.99),
            pct(1.0)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
