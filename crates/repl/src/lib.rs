//! Redis 7.0 replication for hashslot, both sides, as sans-IO state machines.
//!
//! - [`ReplicationMaster`]: replica sessions (`REPLCONF`, `PSYNC`/`SYNC`), the decision between
//!   `+CONTINUE` from the [`Backlog`] and `+FULLRESYNC` with an RDB snapshot (disk-style
//!   `$<len>` or diskless `$EOF:<mark>` framing), the command stream ([`feed`]) with its
//!   `SELECT`s and PINGs, `repl-timeout`, `WAIT`, and INFO's replication section.
//! - [`ReplicationReplica`]: the handshake as a 7.0 replica sends it, PSYNC with a cached
//!   master, the payload in both framings, the stream as [`ReplicaOutput::ApplyCommand`]s with
//!   offsets, ACKs (each second and on `GETACK`), `repl-timeout`, reconnection, INFO, and
//!   promotion with `shiftReplicationId` ([`ReplicationReplica::promote`]). A replica serves
//!   replicas of its own (chained replication) through
//!   [`ReplicationReplica::downstream`]: they get the stream it reads from its master, byte for
//!   byte (a transaction once its `EXEC` came), with the master's id and offsets, and are
//!   disconnected when its history changes, as Redis 7.0 does.
//! - [`ReplHistory`]: what both roles share (ids, offset, backlog).
//! - [`RdbSnapshot`] / [`RdbLoad`]: what the node supplies from `hashslot-persist`.
//!
//! Nothing here owns a socket, reads a clock or draws from a global RNG: bytes, time and
//! completions go in; bytes to write and decisions come out. Facts follow Redis 7.0.15's
//! `replication.c` and the cluster spec digest §10.
//!
//! A master and a replica wired back to back (what a driver does with sockets):
//!
//! ```
//! use hashslot_repl::*;
//! use hashslot_types::{ConnId, Instant, Now, Rng, UnixMillis};
//!
//! let now = Now::new(Instant::from_nanos(0), UnixMillis(0));
//! let config = MasterConfig { repl_diskless_sync: false, ..MasterConfig::default() };
//! let mut master = ReplicationMaster::new(now, config, Rng::from_seed(1));
//! let history = ReplHistory::new(&mut Rng::from_seed(2));
//! let mut replica = ReplicationReplica::new(now, ReplicaConfig::default(), history, "m", 6379);
//! let conn = ConnId(1);
//! let empty_rdb = b"REDIS0010\xff\0\0\0\0\0\0\0\0".to_vec();
//! let mut applied = Vec::new();
//! for round in 0..10 {
//!     if round == 5 {
//!         master.feed(0, &["SET", "k", "v"]);
//!     }
//!     while let Some(o) = replica.poll_output() {
//!         match o {
//!             ReplicaOutput::ConnectToMaster { .. } => replica.handle_connected(now),
//!             ReplicaOutput::SendToMaster(bytes) => {
//!                 // The node parses client requests; REPLCONF and PSYNC go to the master.
//!                 let mut rest = &bytes[..];
//!                 while !rest.is_empty() {
//!                     let mut p = hashslot_resp::RequestParser::new(Default::default());
//!                     let n = p.parse(rest).unwrap().unwrap();
//!                     let argv: Vec<&[u8]> = p.args(rest).collect();
//!                     match argv[0] {
//!                         b"PING" => replica.handle_read(now, b"+PONG\r\n"),
//!                         b"REPLCONF" => master.handle_replconf(now, conn, "127.0.0.1", &argv),
//!                         _ => master.handle_psync(now, conn, "127.0.0.1", &argv),
//!                     }
//!                     rest = &rest[n..];
//!                 }
//!             }
//!             ReplicaOutput::LoadRdb { .. } => replica.handle_rdb_loaded(now, true),
//!             ReplicaOutput::ApplyCommand { argv, .. } => applied.push(argv),
//!             _ => {}
//!         }
//!     }
//!     while let Some(o) = master.poll_output() {
//!         match o {
//!             MasterOutput::Send { bytes, .. } => replica.handle_read(now, &bytes),
//!             MasterOutput::StartSnapshot { id, .. } => {
//!                 let mut snap = BytesSnapshot::new(empty_rdb.clone(), 4);
//!                 pump_snapshot(&mut master, now, id, &mut snap).unwrap();
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! assert_eq!(applied, vec![vec!["SET", "k", "v"]]);
//! assert_eq!(replica.repl_offset(), master.master_repl_offset());
//! assert!(replica.info(now).contains("master_link_status:up\r\n"));
//! ```
//!
//! [`feed`]: ReplicationMaster::feed
#![warn(missing_docs)]

mod backlog;
mod config;
mod core;
mod master;
mod replica;
mod replid;
mod snapshot;
mod wire;

pub use crate::core::ReplHistory;
pub use backlog::Backlog;
pub use config::{MasterConfig, ReplicaConfig};
pub use master::{
    MasterOutput, ReplicaSession, ReplicaState, ReplicationMaster, SnapshotId, SnapshotTarget,
    SyncStats,
};
pub use replica::{LinkState, ReplicaOutput, ReplicationReplica};
pub use replid::ReplId;
pub use snapshot::{load_rdb, pump_snapshot, BytesSnapshot, RdbLoad, RdbSnapshot};
pub use wire::encode_command;
