//! Loading the dataset at start (`loadDataFromDisk`): the AOF when `appendonly yes`, else the
//! RDB file. The driver reads files for the node through a callback, after changing to `dir`
//! and before serving.

use hashslot_persist::{load_with, LoadOptions, RdbError};
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
    /// An AOF file or its manifest is corrupt.
    #[error("Bad file format reading the append only file {file}: {error}. Exiting.")]
    Aof {
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
    /// writing anything (a file that failed to load is never overwritten).
    pub fn load_data(
        &mut self,
        now: Now,
        read: &mut ReadFile<'_>,
    ) -> Result<LoadReport, LoadError> {
        let result = if self.config.appendonly {
            self.aof_load(now, read)
        } else {
            let file = self.config.dbfilename.clone();
            match read(&file) {
                Err(error) => Err(LoadError::Read { file, error }),
                Ok(None) => Ok(LoadReport::default()),
                Ok(Some(bytes)) => self
                    .load_rdb_bytes(now, &bytes)
                    .map(|(keys, expired)| LoadReport {
                        files: vec![file.clone()],
                        keys,
                        expired,
                        truncated: false,
                    })
                    .map_err(|error| LoadError::Rdb { file, error }),
            }
        };
        match &result {
            Ok(r) => {
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
            Err(_) => {
                for db in &mut self.dbs {
                    db.clear();
                }
            }
        }
        result
    }

    /// Load an RDB image into the (cleared) databases; returns (keys, expired skipped).
    pub(crate) fn load_rdb_bytes(
        &mut self,
        now: Now,
        bytes: &[u8],
    ) -> Result<(u64, u64), RdbError> {
        for db in &mut self.dbs {
            db.clear();
        }
        let opts = LoadOptions {
            databases: self.dbs.len(),
            drop_expired_at: Some(now.wall),
            ..LoadOptions::default()
        };
        let dbs = &mut self.dbs;
        let info = load_with(bytes, &opts, |k, _| {
            dbs[k.db].insert(&k.key, k.value, k.expire_ms, now.wall);
        });
        match info {
            Ok(info) => Ok((info.keys, info.expired_skipped)),
            Err(e) => {
                for db in &mut self.dbs {
                    db.clear();
                }
                Err(e)
            }
        }
    }
}
