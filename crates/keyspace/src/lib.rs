//! The keyspace: typed values, a per-slot key index, expiry, and the data commands that run on
//! them given the wall time.
//!
//! Commands are plain functions over a [`Ctx`]; their metadata (arity, flags, key positions) is a
//! [`CommandSpec`] table that a node merges with its own commands.
//!
//! ```
//! use hashslot_keyspace::{commands, Ctx, Db, KeyspaceStats};
//! use hashslot_resp::{Proto, Reply};
//! use hashslot_types::{Instant, Now, Rng, UnixMillis};
//!
//! let mut dbs = vec![Db::with_seed(42)];
//! let (mut rng, mut stats, mut out) = (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
//! let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
//! let set = commands().iter().find(|c| c.name == "set").unwrap();
//! let mut ctx = Ctx::new(&mut dbs, 0, now, Reply::new(&mut out, Proto::Resp2), &mut rng, &mut stats);
//! (set.handler.unwrap())(&mut ctx, &[b"SET", b"k", b"v"]);
//! assert_eq!(out, b"+OK\r\n");
//! assert_eq!(dbs[0].len(), 1);
//! ```
#![warn(missing_docs)]

mod command;
mod commands;
mod db;
mod db_idle;
mod db_iter;
mod db_memory;
mod db_prepared;
mod db_write;
/// Redis's `DEBUG DIGEST` / `DEBUG DIGEST-VALUE` digests.
pub mod digest;
mod entry;
// glob.rs is shared and its behaviour frozen; newer clippy prefers a different match shape.
#[allow(clippy::collapsible_match)]
mod glob;
mod hash;
mod ld;
mod limits;
pub mod meta;
#[rustfmt::skip]
mod meta_table;
pub mod notify;
/// The stream type and its IDs.
pub mod stream;
mod table;
mod types;
mod util;
mod value;

pub use command::{flags, BlockOn, CommandSpec, Ctx, GetKeys, Handler, KeyspaceStats};
pub use commands::list::timeout_reply;
pub use commands::stream_propagate::{
    stream_command_for_propagation, stream_commands_for_propagation,
};
pub use db::{Db, DEFAULT_SEED};
pub use db_prepared::Prepared;
pub use glob::glob_match;
pub use limits::EncodingLimits;
pub use types::{Hash, HashLimits, List, Set, SetLimits, ZSet, ZSetLimits};
pub use util::parse_i64;
pub use value::{Encoding, Object, StrRef, Value, ValueRef, ValueType, EMBSTR_SIZE_LIMIT};

/// Every data command this crate implements, for a node's command table, sorted by name.
/// Containers (`object`) have `handler: None` and list their subcommands (`object|encoding`…),
/// whose handlers receive the full argv (`argv[0]` = `object`).
pub fn commands() -> &'static [CommandSpec] {
    commands::table::all()
}
