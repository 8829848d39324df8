//! Loading an RDB file (`rdbLoadRio`): header, opcodes, keys; the checksum is verified at `EOF`.

use hashslot_keyspace::{Db, Value};
use hashslot_types::UnixMillis;

use crate::consts::*;
use crate::error::RdbError;
use crate::load_value::read_value;
use crate::read::{Rd, DEFAULT_MAX_STRING};
use crate::CRC64;

/// Load options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Number of databases (`databases`, 16): a `SELECTDB` beyond is an error.
    pub databases: usize,
    /// Verify the CRC-64 footer (Redis skips the check when the footer is zero, as we do).
    pub verify_checksum: bool,
    /// When set, keys whose expiry is before this time are skipped, as a master does on load
    /// (a replica keeps them and lets its master expire them). Also the LRU clock of loaded keys.
    pub drop_expired_at: Option<UnixMillis>,
    /// Longest string accepted.
    pub max_string: usize,
    /// Seed of the databases [`load`] creates ([`Db::with_seed`]).
    pub db_seed: u64,
    /// Deliver FUNCTION2 records (FUNCTION libraries) as [`LoadEvent::Function`] instead of
    /// refusing the file.
    pub functions: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            databases: 16,
            verify_checksum: true,
            drop_expired_at: None,
            max_string: DEFAULT_MAX_STRING,
            db_seed: hashslot_keyspace::DEFAULT_SEED,
            functions: false,
        }
    }
}

/// One key read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedKey {
    /// The database index.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix milliseconds.
    pub expire_ms: Option<i64>,
}

/// What a load found besides the keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadInfo {
    /// The file's RDB version.
    pub version: u32,
    /// The aux fields in file order (integer-encoded values as decimal text).
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keys delivered.
    pub keys: u64,
    /// Keys skipped because they had expired ([`LoadOptions::drop_expired_at`]).
    pub expired_skipped: u64,
    /// Keys skipped because their collection was empty (as Redis 7.0 does).
    pub empty_skipped: u64,
    /// The `RESIZEDB` hints per database seen: (db, keys, expires).
    pub resize_hints: Vec<(usize, u64, u64)>,
    /// The stored checksum (0 = the file was saved without one, or version < 5).
    pub checksum: u64,
    /// Bytes of the input the RDB image took, footer included: in an AOF with an RDB
    /// preamble the commands start here.
    pub consumed: usize,
}

impl LoadInfo {
    /// The value of aux field `name`.
    pub fn aux_field(&self, name: &str) -> Option<&[u8]> {
        self.aux
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    }
}

/// A loaded file: its databases and what else it said.
#[derive(Debug)]
pub struct Loaded {
    /// `databases` databases, keys in the ones the file names.
    pub dbs: Vec<Db>,
    /// Aux fields, counts, version.
    pub info: LoadInfo,
}

/// Load a whole RDB file into databases.
pub fn load(bytes: &[u8], opts: &LoadOptions) -> Result<Loaded, RdbError> {
    let mut dbs: Vec<Db> = (0..opts.databases)
        .map(|_| Db::with_seed(opts.db_seed))
        .collect();
    let now = opts.drop_expired_at.unwrap_or(UnixMillis(0));
    let mut dup: Option<usize> = None;
    let info = load_events(bytes, opts, |ev| match ev {
        LoadEvent::Key(k, offset) => {
            let db = &mut dbs[k.db];
            if dup.is_none() && db.contains_key_raw(&k.key) {
                dup = Some(offset);
            }
            db.insert(&k.key, k.value, k.expire_ms, now);
        }
        LoadEvent::Resize { db, keys, .. } => {
            dbs[db].set_slot_room(Db::slot_room_for_keys(keys, bytes.len()));
        }
        LoadEvent::Function(_) => {}
    })?;
    for db in &mut dbs {
        db.set_slot_room(0);
    }
    if let Some(offset) = dup {
        return Err(RdbError::DuplicateKey { offset });
    }
    Ok(Loaded { dbs, info })
}

fn unsupported(kind: &'static str, offset: usize) -> RdbError {
    RdbError::Unsupported { kind, offset }
}

/// What [`load_events`] reports, in file order.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadEvent {
    /// A key, and the offset of its record.
    Key(LoadedKey, usize),
    /// A `RESIZEDB` opcode: database `db` is about to receive about `keys` keys, `expires` of
    /// them with a TTL (Redis writes it right after `SELECTDB`). A hint for sizing tables.
    Resize {
        /// The database.
        db: usize,
        /// Keys announced.
        keys: u64,
        /// Keys with a TTL announced.
        expires: u64,
    },
    /// A FUNCTION2 record: one library's code (only with [`LoadOptions::functions`]).
    Function(Vec<u8>),
}

/// Load an RDB file key by key: `on_key` gets each key and the offset of its record, in file
/// order. Keys delivered before an error stay delivered; the caller discards them on `Err`.
pub fn load_with(
    bytes: &[u8],
    opts: &LoadOptions,
    mut on_key: impl FnMut(LoadedKey, usize),
) -> Result<LoadInfo, RdbError> {
    load_events(bytes, opts, |ev| {
        if let LoadEvent::Key(k, offset) = ev {
            on_key(k, offset);
        }
    })
}

/// [`load_with`], also reporting the size hints (`RESIZEDB`) when they are read, so that a
/// loader can size its tables before the keys arrive.
pub fn load_events(
    bytes: &[u8],
    opts: &LoadOptions,
    on_event: impl FnMut(LoadEvent),
) -> Result<LoadInfo, RdbError> {
    load_inner(bytes, opts, on_event).map_err(|e| match e {
        RdbError::Checksum { .. } | RdbError::BadMagic | RdbError::Version(_) => e,
        _ if opts.verify_checksum => footer_mismatch(bytes).unwrap_or(e),
        _ => e,
    })
}

fn load_inner(
    bytes: &[u8],
    opts: &LoadOptions,
    mut on_event: impl FnMut(LoadEvent),
) -> Result<LoadInfo, RdbError> {
    let mut rd = Rd::new(bytes, opts.max_string);
    let magic = rd.bytes(9).map_err(|_| {
        if bytes.len() >= 5 && &bytes[..5] != b"REDIS" {
            RdbError::BadMagic
        } else {
            RdbError::Truncated {
                offset: bytes.len(),
            }
        }
    })?;
    if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
        return Err(RdbError::BadMagic);
    }
    let version: u32 = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RdbError::BadMagic)?;
    if !(1..=u32::from(RDB_VERSION)).contains(&version) {
        return Err(RdbError::Version(version));
    }
    let mut info = LoadInfo {
        version,
        ..LoadInfo::default()
    };
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let mut record_at: Option<usize> = None;
    loop {
        let op_at = rd.pos;
        let start = *record_at.get_or_insert(op_at);
        let op = rd.u8()?;
        match op {
            OP_EXPIRETIME => {
                expire = Some(i64::from(i32::from_le_bytes(rd.array()?)).saturating_mul(1000));
                continue;
            }
            OP_EXPIRETIME_MS => {
                expire = Some(i64::from_le_bytes(rd.array()?));
                continue;
            }
            OP_FREQ => {
                rd.u8()?;
                continue;
            }
            OP_IDLE => {
                rd.len()?;
                continue;
            }
            OP_EOF => break,
            OP_SELECTDB => {
                let index = rd.len()?;
                db = usize::try_from(index)
                    .ok()
                    .filter(|&i| i < opts.databases)
                    .ok_or(RdbError::DbIndex {
                        index,
                        offset: op_at,
                    })?;
                record_at = None;
                continue;
            }
            OP_RESIZEDB => {
                let keys = rd.len()?;
                let expires = rd.len()?;
                info.resize_hints.push((db, keys, expires));
                on_event(LoadEvent::Resize { db, keys, expires });
                record_at = None;
                continue;
            }
            OP_AUX => {
                let k = rd.string()?.into_owned();
                let v = rd.string()?.into_owned();
                info.aux.push((k, v));
                record_at = None;
                continue;
            }
            OP_MODULE_AUX => return Err(unsupported("module aux", op_at)),
            OP_FUNCTION2 if opts.functions => {
                on_event(LoadEvent::Function(rd.string()?.into_owned()));
                record_at = None;
                continue;
            }
            OP_FUNCTION2 => return Err(unsupported("FUNCTION2", op_at)),
            OP_FUNCTION_PRE_GA => return Err(unsupported("FUNCTION (pre-GA)", op_at)),
            _ => {}
        }
        record_at = None;
        let key = rd.string()?.into_owned();
        let value = read_value(&mut rd, op, op_at)?;
        let exp = expire.take();
        let Some(value) = value else {
            info.empty_skipped += 1;
            continue;
        };
        if let (Some(now), Some(e)) = (opts.drop_expired_at, exp) {
            if e < now.0 {
                info.expired_skipped += 1;
                continue;
            }
        }
        info.keys += 1;
        on_event(LoadEvent::Key(
            LoadedKey {
                db,
                key,
                value,
                expire_ms: exp,
            },
            start,
        ));
    }
    if version >= 5 {
        let content_end = rd.pos;
        let stored = u64::from_le_bytes(rd.array()?);
        info.checksum = stored;
        if opts.verify_checksum && stored != 0 {
            let computed = CRC64.checksum(&bytes[..content_end]);
            if computed != stored {
                return Err(RdbError::Checksum { stored, computed });
            }
        }
    }
    info.consumed = rd.pos;
    Ok(info)
}

/// After a structural error, tell whether the file's footer disagrees with its content: then the
/// likelier story is a corrupted byte, and [`RdbError::Checksum`] is the more useful report.
pub(crate) fn footer_mismatch(bytes: &[u8]) -> Option<RdbError> {
    if bytes.len() < 9 + 1 + 8 {
        return None;
    }
    let (body, foot) = bytes.split_at(bytes.len() - 8);
    let stored = u64::from_le_bytes(foot.try_into().ok()?);
    if stored == 0 || bytes[body.len() - 1] != OP_EOF {
        return None;
    }
    let computed = CRC64.checksum(body);
    (computed != stored).then_some(RdbError::Checksum { stored, computed })
}
