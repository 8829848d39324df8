//! The incremental RDB writer: header and aux fields, then databases and keys one at a time,
//! then the `EOF` opcode and the CRC-64 footer. Bytes accumulate in the writer until the caller
//! takes them ([`RdbWriter::take_output`]), so a save can be spread over many event-loop turns
//! and written to a file or socket by the caller.

use hashslot_keyspace::{Db, ValueRef};
use hashslot_types::UnixMillis;

use crate::consts::*;
use crate::enc::{self, Enc};
use crate::error::SaveError;
use crate::CRC64;

/// The replication aux fields a save for a replica (or a save that keeps the replication
/// position) carries: `repl-stream-db`, `repl-id`, `repl-offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplAux {
    /// The db the replication stream last selected.
    pub stream_db: i64,
    /// The replication id (40 hex characters).
    pub repl_id: String,
    /// The master replication offset.
    pub repl_offset: i64,
}

/// The aux fields written after the header (`rdbSaveInfoAuxFields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aux {
    /// `redis-ver` (default `7.0.15`, what tools expect of a 7.0 file).
    pub redis_ver: String,
    /// `redis-bits` (64).
    pub redis_bits: u32,
    /// `used-mem`: the node's memory use in bytes.
    pub used_mem: u64,
    /// The replication fields, when saving for replication.
    pub repl: Option<ReplAux>,
    /// `aof-base`: whether this RDB is the base of an AOF (1) or not (0).
    pub aof_base: bool,
}

impl Default for Aux {
    fn default() -> Self {
        Aux {
            redis_ver: "7.0.15".to_owned(),
            redis_bits: 64,
            used_mem: 0,
            repl: None,
            aof_base: false,
        }
    }
}

/// Save options (`rdbcompression`, `rdbchecksum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// LZF-compress strings longer than 20 bytes when it saves space (`rdbcompression yes`).
    pub compression: bool,
    /// Write the CRC-64 footer; zeros when off (`rdbchecksum yes`).
    pub checksum: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            compression: true,
            checksum: true,
        }
    }
}

/// Writes an RDB file piece by piece.
///
/// Call [`RdbWriter::new`] (header and aux fields), then for each non-empty database
/// [`RdbWriter::select_db`] and [`RdbWriter::write_key`] per key, taking bytes with
/// [`RdbWriter::take_output`] whenever convenient, and end with [`RdbWriter::finish`], whose
/// bytes are the last ones. The concatenation of everything taken is the file.
///
/// ```
/// use hashslot_keyspace::{StrRef, Encoding, ValueRef};
/// use hashslot_persist::{Aux, Options, RdbWriter};
/// use hashslot_types::UnixMillis;
///
/// let mut w = RdbWriter::new(UnixMillis(1_700_000_000_000), &Aux::default(), &Options::default());
/// w.select_db(0, 1, 0);
/// w.write_key(b"k", ValueRef::Str(StrRef::Bytes(b"v"), Encoding::Embstr), None).unwrap();
/// let mut file = w.take_output();
/// file.extend(w.finish());
/// assert!(file.starts_with(b"REDIS0010"));
/// ```
pub struct RdbWriter {
    out: Vec<u8>,
    crc: crc::Digest<'static, u64, crc::Table<16>>,
    enc: Enc,
    checksum: bool,
    written: u64,
}

impl std::fmt::Debug for RdbWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdbWriter")
            .field("pending", &self.out.len())
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl RdbWriter {
    /// Start a file: `REDIS0010` and the aux fields, `ctime` taken from `now`.
    pub fn new(now: UnixMillis, aux: &Aux, opts: &Options) -> Self {
        let mut w = RdbWriter {
            out: Vec::with_capacity(64 * 1024),
            crc: CRC64.digest(),
            enc: Enc::new(opts.compression),
            checksum: opts.checksum,
            written: 0,
        };
        w.out.extend_from_slice(b"REDIS0010");
        w.aux(b"redis-ver", aux.redis_ver.as_bytes());
        w.aux(b"redis-bits", aux.redis_bits.to_string().as_bytes());
        w.aux(b"ctime", now.as_secs().to_string().as_bytes());
        w.aux(b"used-mem", aux.used_mem.to_string().as_bytes());
        if let Some(r) = &aux.repl {
            w.aux(b"repl-stream-db", r.stream_db.to_string().as_bytes());
            w.aux(b"repl-id", r.repl_id.as_bytes());
            w.aux(b"repl-offset", r.repl_offset.to_string().as_bytes());
        }
        w.aux(b"aof-base", if aux.aof_base { b"1" } else { b"0" });
        w
    }

    /// Write one FUNCTION library's code (`RDB_OPCODE_FUNCTION2`); Redis writes them after the
    /// aux fields, before the databases.
    pub fn write_function(&mut self, code: &[u8]) {
        self.out.push(OP_FUNCTION2);
        enc::put_str(&mut self.out, &mut self.enc, code);
    }

    /// Write one aux field (`RDB_OPCODE_AUX`).
    pub fn aux(&mut self, key: &[u8], value: &[u8]) {
        self.out.push(OP_AUX);
        enc::put_str(&mut self.out, &mut self.enc, key);
        enc::put_str(&mut self.out, &mut self.enc, value);
    }

    /// Start database `index` of `keys` keys, `expires` of them with a TTL (`SELECTDB` and
    /// `RESIZEDB`; the sizes are hints for the loader). Redis skips empty databases.
    pub fn select_db(&mut self, index: u32, keys: u64, expires: u64) {
        self.out.push(OP_SELECTDB);
        enc::put_len(&mut self.out, u64::from(index));
        self.out.push(OP_RESIZEDB);
        enc::put_len(&mut self.out, keys);
        enc::put_len(&mut self.out, expires);
    }

    /// Write one key with its value and absolute expiry in Unix milliseconds.
    pub fn write_key(
        &mut self,
        key: &[u8],
        value: ValueRef<'_>,
        expire_ms: Option<i64>,
    ) -> Result<(), SaveError> {
        let ty = enc::type_byte(value)?;
        let mark = self.out.len();
        if let Some(ms) = expire_ms {
            self.out.push(OP_EXPIRETIME_MS);
            self.out.extend_from_slice(&ms.to_le_bytes());
        }
        self.out.push(ty);
        enc::put_str(&mut self.out, &mut self.enc, key);
        if let Err(e) = enc::put_value(&mut self.out, &mut self.enc, value) {
            self.out.truncate(mark);
            return Err(e);
        }
        Ok(())
    }

    /// Bytes produced and not yet taken.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Total bytes taken so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Take the bytes produced so far (the next piece of the file).
    pub fn take_output(&mut self) -> Vec<u8> {
        self.crc.update(&self.out);
        self.written += self.out.len() as u64;
        std::mem::replace(&mut self.out, Vec::with_capacity(64 * 1024))
    }

    /// End the file: the pending bytes, `EOF` and the checksum (zeros when checksums are off).
    pub fn finish(mut self) -> Vec<u8> {
        self.out.push(OP_EOF);
        self.crc.update(&self.out);
        let sum = if self.checksum {
            self.crc.finalize()
        } else {
            0
        };
        self.out.extend_from_slice(&sum.to_le_bytes());
        self.out
    }
}

/// Save whole databases into one RDB file image (`SAVE`): database `i` of `dbs` is RDB db `i`.
pub fn save_dbs(
    dbs: &[Db],
    now: UnixMillis,
    aux: &Aux,
    opts: &Options,
) -> Result<Vec<u8>, SaveError> {
    // One buffer for the whole image: nothing is taken early, so nothing is copied.
    let mut w = RdbWriter::new(now, aux, opts);
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(i as u32, db.len() as u64, db.expires_len() as u64);
        for (k, v, exp) in db.iter() {
            w.write_key(k, v, exp)?;
        }
    }
    Ok(w.finish())
}
