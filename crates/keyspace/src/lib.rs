//! The keyspace: typed values, a per-slot key index, expiry, and the data commands that run on
//! them given the wall time.
//!
//! Commands are plain functions over a [`Ctx`]; their metadata (arity, flags, key positions) is a
//! [`CommandSpec`] table that a node merges with its own commands.
#![warn(missing_docs)]

mod command;
mod db;
mod glob;

pub use command::{flags, CommandSpec, Ctx, Handler, KeyspaceStats};
pub use db::Db;
pub use glob::glob_match;

/// Every data command this crate implements, for a node's command table.
pub fn commands() -> &'static [CommandSpec] {
    &[]
}
