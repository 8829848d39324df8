//! RDB files and DUMP payloads, as Redis 7.0 writes and reads them, without I/O.
//!
//! - [`RdbWriter`] writes an RDB version 10 file key by key (so a save can be interleaved with
//!   serving); [`save_dbs`] saves whole databases at once.
//! - [`load`] / [`load_with`] / [`load_events`] read files of RDB versions 1 to 10 (Redis up
//!   to 7.0), every value encoding those versions have for strings, lists, sets, sorted sets,
//!   hashes and streams (types 15 and 19; streams with consumer groups are refused). Modules
//!   are refused with [`RdbError::Unsupported`], never skipped; so are FUNCTION libraries
//!   unless [`LoadOptions::functions`] asks for them as [`LoadEvent::Function`].
//! - [`AofWriter`] / [`rewrite_dbs`] write an AOF base in command form (`aof-use-rdb-preamble
//!   no`).
//! - [`dump_payload`] / [`restore_payload`] are DUMP and RESTORE.
//!
//! The byte formats inside values have their own modules: [`listpack`], [`intset`] (written
//! and read), [`ziplist`] and [`zipmap`] (read only: Redis 7.0 no longer writes them), and
//! [`lzf`].
//!
//! ```
//! use hashslot_keyspace::{Db, Value};
//! use hashslot_persist::{load, save_dbs, Aux, LoadOptions, Options};
//! use hashslot_types::UnixMillis;
//!
//! let now = UnixMillis(1_700_000_000_000);
//! let mut db = Db::new();
//! db.insert(b"greeting", Value::Str(b"hello".to_vec()), Some(now.0 + 60_000), now);
//! let file = save_dbs(&[db], now, &Aux::default(), &Options::default()).unwrap();
//! let loaded = load(&file, &LoadOptions::default()).unwrap();
//! assert_eq!(loaded.dbs[0].expire_time(b"greeting"), Some(now.0 + 60_000));
//! assert_eq!(loaded.info.aux_field("redis-ver"), Some(&b"7.0.15"[..]));
//! ```
#![warn(missing_docs)]

mod aof_rewrite;
pub mod consts;
mod dump;
mod enc;
mod error;
mod functions;
pub mod intset;
pub mod listpack;
mod load;
mod load_value;
pub mod lzf;
mod read;
pub mod score;
mod stream;
mod writer;
pub mod ziplist;
pub mod zipmap;

pub use aof_rewrite::{rewrite_dbs, AofWriter, AOF_REWRITE_ITEMS_PER_CMD};
pub use dump::{dump_payload, restore_payload};
pub use error::{DumpError, RdbError, SaveError};
pub use functions::{
    function_dump_payload, function_restore_payload, put_function_record, save_dbs_with_functions,
};
pub use load::{load, load_events, load_with, LoadEvent, LoadInfo, LoadOptions, Loaded, LoadedKey};
pub use writer::{save_dbs, Aux, Options, RdbWriter, ReplAux};

/// CRC-64/Redis (Jones polynomial, reflected), slice-by-16.
pub(crate) static CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

/// The CRC-64 Redis puts in RDB footers and DUMP payloads.
pub fn crc64(bytes: &[u8]) -> u64 {
    CRC64.checksum(bytes)
}
