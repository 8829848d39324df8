//! The ACL file's I/O for ACL LOAD and ACL SAVE (`Output::LoadAclFile`, `Output::SaveAclFile`):
//! small blocking file operations in the event loop, as Redis does them inside the command.

use std::io::Write;

use crate::sys;

/// ACL LOAD's read (Redis's `fopen` + `fgets`): the whole file, or the OS error text.
pub fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| sys::strerror(&e))
}

/// Redis's `ACLSaveToFile`: write `data` to `<path>.tmp-<pid>-<ms>`, then rename it over
/// `path` (no fsync, as Redis 7.0). `Err` is Redis's log line naming the failed step; the
/// temporary file is removed.
pub fn save(path: &str, data: &[u8]) -> Result<(), String> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let tmp = format!("{path}.tmp-{}-{ms}", std::process::id());
    let result = write_then_rename(&tmp, path, data);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_then_rename(tmp: &str, path: &str, data: &[u8]) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| format!("Opening temp ACL file for ACL SAVE: {}", sys::strerror(&e)))?;
    f.write_all(data)
        .map_err(|e| format!("Writing ACL file for ACL SAVE: {}", sys::strerror(&e)))?;
    drop(f);
    std::fs::rename(tmp, path)
        .map_err(|e| format!("Renaming ACL file for ACL SAVE: {}", sys::strerror(&e)))
}
