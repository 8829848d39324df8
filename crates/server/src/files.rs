//! The files the process writes: the pidfile, and the config file on CONFIG REWRITE.

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
    let err = |e: std::io::Error| sys::strerror(&e);
    let original = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(err(e)),
    };
    let content = rewrite(&original);
    let (tmp, mut file) = create_temp_beside(path).map_err(err)?;
    let written = (|| {
        file.write_all(content.as_bytes())?;
        file.sync_all()?;
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        std::fs::rename(&tmp, path)?;
        let dir = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty());
        std::fs::File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
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
}
