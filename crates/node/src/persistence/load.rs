//! Loading the dataset at start (`loadDataFromDisk`): the AOF when `appendonly yes`, else the
//! RDB file. The driver reads files for the node through a callback, after changing to `dir`
//! and before serving.

use hashslot_keyspace::{Db, Prepared};
use hashslot_persist::{load_events, LoadEvent, LoadInfo, LoadOptions, RdbError, ReplAux};
use hashslot_types::Now;

use crate::{LogLevel, Node};

/// Reads a file for the node: `Ok(None)` when it does not exist, `Err` with the OS error text.
pub type ReadFile<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, String> + 'a;

/// What `Node::load_data` loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// The files read, in order (empty: nothing to load, the dataset is empty).
    pub files: Vec<String>,
    /// Keys loaded.
    pub keys: u64,
    /// Keys skipped because their TTL had passed.
    pub expired: u64,
    /// An AOF whose last command was cut short was loaded without it (`aof-load-truncated`).
    pub truncated: bool,
}

/// Why the dataset could not be loaded: the node must not start (and must not overwrite the
/// file). `Display` names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Cluster mode, and a database other than 0 holds keys: Redis refuses to start.
    #[error("You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.")]
    KeysOutsideDb0,
    /// The file exists but could not be read.
    #[error("Can't read {file}: {error}")]
    Read {
        /// The file.
        file: String,
        /// The OS error text.
        error: String,
    },
    /// The RDB file (or an AOF's RDB preamble) is corrupt or unsupported.
    #[error("Fatal error loading the DB from {file}: {error}. Exiting.")]
    Rdb {
        /// The file.
        file: String,
        /// What is wrong.
        error: RdbError,
    },
    /// An AOF file or its manifest is corrupt (`error` is Redis's log line for it).
    #[error("{error} ({file})")]
    Aof {
        /// The file.
        file: String,
        /// What is wrong.
        error: String,
    },
    /// An AOF file ends inside a command or a transaction and may not be cut back there
    /// (`aof-load-truncated no`, or it is not the last file). `error` is Redis's log line.
    #[error("{error} ({file})")]
    AofTruncated {
        /// The file.
        file: String,
        /// What is wrong.
        error: String,
    },
}

impl Node {
    /// Load the dataset before serving: the AOF (manifest and its files, or a legacy single
    /// `appendfilename`) when `appendonly yes`, else `dbfilename`. A missing file is an empty
    /// dataset. On `Err` the databases are left empty and the driver must exit without
    /// writing anything (a file that failed to load is never overwritten). In cluster mode
    /// the slot table is then made to agree with the keys loaded (see `cluster_verify`).
    pub fn load_data(
        &mut self,
        now: Now,
        read: &mut ReadFile<'_>,
    ) -> Result<LoadReport, LoadError> {
        let result = if self.config.appendonly {
            self.aof_load(now, read)
        } else if let Err(e) = self.aof_read_manifest(read) {
            // A manifest left by an earlier BGREWRITEAOF is read even with the AOF off, so the
            // next rewrite continues its numbering (as Redis's `aofLoadManifestFromDisk`).
            Err(e)
        } else {
            let file = self.config.dbfilename.clone();
            match read(&file) {
                Err(error) => Err(LoadError::Read { file, error }),
                Ok(None) => Ok(LoadReport::default()),
                Ok(Some(bytes)) => self
                    .load_rdb_bytes(now, &bytes)
                    .map(|info| {
                        self.persistence.loaded_repl = repl_aux_of(&info);
                        LoadReport {
                            files: vec![file.clone()],
                            keys: info.keys,
                            expired: info.expired_skipped,
                            truncated: false,
                        }
                    })
                    .map_err(|error| LoadError::Rdb { file, error }),
            }
        };
        if let Ok(r) = &result {
            self.persistence.loaded_keys = r.keys;
            self.persistence.loaded_expired = r.expired;
            self.dirty = 0;
            if !r.files.is_empty() && !self.config.appendonly {
                self.log(
                    LogLevel::Notice,
                    format!(
                        "Done loading RDB, keys loaded: {}, keys expired: {}.",
                        r.keys, r.expired
                    ),
                );
            }
            self.aof_start(now);
        }
        // Ref: server.c main: verifyClusterConfigWithData after loadDataFromDisk.
        let result = result.and_then(|r| self.cluster_verify_with_data(now).map(|()| r));
        if result.is_err() {
            for db in &mut self.dbs {
                db.clear();
            }
        }
        result
    }

    /// Load an RDB image into the (cleared) databases, and its FUNCTION libraries in place of
    /// the loaded ones; returns what the loader found (keys, expired keys skipped, aux fields,
    /// and the bytes the image took).
    pub(crate) fn load_rdb_bytes(&mut self, now: Now, bytes: &[u8]) -> Result<LoadInfo, RdbError> {
        for db in &mut self.dbs {
            db.clear();
        }
        let opts = LoadOptions {
            databases: self.dbs.len(),
            drop_expired_at: Some(now.wall),
            functions: true,
            ..LoadOptions::default()
        };
        // The FUNCTION libraries of the image, compiled once the keys are in.
        let mut codes: Vec<Vec<u8>> = Vec::new();
        let dbs = &mut self.dbs;
        // Keys are inserted a batch at a time in slot order: a file Redis wrote lists them in
        // its hash-table order, which scatters consecutive inserts over all 16384 slot tables
        // (cold tables, interleaved growth); sorted, one table's keys go in together. Each key
        // is made into its entry as it is read (`Db::prepare`, see there for why).
        let mut batch: Vec<(usize, Prepared)> = Vec::new();
        // Per db, the room per slot table that the file's RESIZEDB announced.
        let mut room = vec![0usize; dbs.len()];
        let info = load_events(bytes, &opts, |ev| match ev {
            LoadEvent::Key(k, _) => {
                let p = dbs[k.db].prepare(&k.key, k.value, k.expire_ms, now.wall);
                batch.push((k.db, p));
                if batch.len() >= LOAD_SORT_CHUNK {
                    flush_batch(&mut batch, dbs, &room);
                }
            }
            LoadEvent::Function(code) => codes.push(code),
            LoadEvent::Resize { db, keys, .. } => {
                // Keys delivered so far went to earlier databases: flush them under the
                // sizes they were announced with.
                flush_batch(&mut batch, dbs, &room);
                room[db] = Db::slot_room_for_keys(keys, bytes.len());
            }
            _ => {}
        });
        flush_batch(&mut batch, dbs, &room);
        for db in dbs.iter_mut() {
            db.set_slot_room(0);
        }
        // The image's libraries replace the loaded ones, as Redis's `emptyData` clears the
        // functions with the keys before a load (startup, full sync). A library that does not
        // load fails the whole load (`rdbLoadRio`: "Failed loading library").
        let info = info.and_then(|info| {
            self.load_functions_from_rdb(&codes)
                .map(|()| info)
                .map_err(|e| RdbError::Function(e.strip_prefix("ERR ").unwrap_or(&e).to_owned()))
        });
        match info {
            Ok(info) => Ok(info),
            Err(e) => {
                // Nothing of a failed load stays: no keys, no libraries (a replica whose
                // full sync failed is left empty, as Redis's `emptyData` after the failure).
                for db in &mut self.dbs {
                    db.clear();
                }
                let _ = self.load_functions_from_rdb(&[]);
                Err(e)
            }
        }
    }
}

/// Insert a batch of prepared keys in (db, slot) order. A slot table created here gets room for
/// the larger of what the file announced per slot (`room`, from RESIZEDB) and the keys of this
/// batch in that slot (exact for a file written slot by slot, as ours are): a file Redis wrote
/// sends each slot's keys a few at a time over the whole load, and a table that grows from
/// nothing is resized about ten times on the way to 60 keys.
fn flush_batch(batch: &mut Vec<(usize, Prepared)>, dbs: &mut [Db], room: &[usize]) {
    // Stable: a key the file lists twice keeps its last value, as when inserted in file order.
    batch.sort_by_key(|(db, p)| (*db, p.slot()));
    let runs: Vec<usize> = batch
        .chunk_by(|(d1, p1), (d2, p2)| d1 == d2 && p1.slot() == p2.slot())
        .map(<[_]>::len)
        .collect();
    let mut rest = batch.drain(..);
    for len in runs {
        for (i, (db, p)) in rest.by_ref().take(len).enumerate() {
            if i == 0 {
                dbs[db].set_slot_room(room[db].max(len));
            }
            dbs[db].insert_prepared(p);
        }
    }
}

/// Keys loaded per slot-ordered batch (see `Node::load_rdb_bytes`): bounded, so the batch
/// adds at most a few MB to a load. Measured on a 1M-key file redis-server wrote: ~30% less
/// load time than inserting in file order; a whole-file sort gains a little more but holds
/// every key twice as long.
const LOAD_SORT_CHUNK: usize = 1 << 16;

/// The replication aux fields of a loaded file, when it has all three as Redis writes them
/// (`rdbLoadRio` only uses them together: an id of 40 characters, an offset and a stream db).
pub(crate) fn repl_aux_of(info: &LoadInfo) -> Option<ReplAux> {
    let text = |name| {
        info.aux_field(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    };
    let repl_id = text("repl-id").filter(|id| id.len() == 40)?.to_owned();
    // -1 is how Redis writes "not set" for both numbers.
    let repl_offset = text("repl-offset")?
        .parse()
        .ok()
        .filter(|&o: &i64| o != -1)?;
    let stream_db = text("repl-stream-db")?
        .parse()
        .ok()
        .filter(|&d: &i64| d != -1)?;
    Some(ReplAux {
        stream_db,
        repl_id,
        repl_offset,
    })
}

#[cfg(test)]
mod tests {
    use hashslot_persist::RdbError;
    use hashslot_types::{Instant, Now, UnixMillis};

    const L: &[u8] = b"#!lua name=l\nredis.register_function('f', function() return 7 end)";
    const OLD: &[u8] = b"#!lua name=old\nredis.register_function('g', function() return 1 end)";

    fn node() -> (crate::Node, Now) {
        let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
        let n = crate::Node::new(crate::Config::default(), 1, now, Default::default());
        (n, now)
    }

    fn image(n: &crate::Node, now: Now, codes: &[&[u8]]) -> Vec<u8> {
        hashslot_persist::save_dbs_with_functions(
            &n.dbs,
            codes,
            now.wall,
            &Default::default(),
            &Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn an_image_replaces_the_libraries() {
        let (mut n, now) = node();
        let file = image(&n, now, &[L]);
        assert!(n.scripting.libs.load(OLD, false).0.is_ok());
        n.load_rdb_bytes(now, &file).unwrap();
        assert_eq!(n.function_codes(), vec![L.to_vec()]);
        // An image without libraries (a master with none) leaves none.
        let empty = image(&n, now, &[]);
        n.load_rdb_bytes(now, &empty).unwrap();
        assert!(n.function_codes().is_empty());
    }

    #[test]
    fn a_library_that_does_not_load_fails_the_load_and_leaves_nothing() {
        let (mut n, now) = node();
        let file = image(&n, now, &[L, L]);
        assert!(n.scripting.libs.load(OLD, false).0.is_ok());
        let e = n.load_rdb_bytes(now, &file).unwrap_err();
        assert!(
            matches!(&e, RdbError::Function(m) if m.contains("already exists")),
            "{e}"
        );
        assert!(n.function_codes().is_empty());
        let bad = image(&n, now, &[b"#!lua name=bad\nnot lua at all"]);
        let e = n.load_rdb_bytes(now, &bad).unwrap_err();
        assert!(e.to_string().starts_with("Failed loading library, "), "{e}");
    }
}
