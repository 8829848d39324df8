//! The sans-IO Redis node: client sessions, the command table, routing, and the server commands
//! (INFO, CONFIG, CLIENT, COMMAND…), composed over the keyspace.
//!
//! # Driving a node
//!
//! A [`Node`] has four kinds of methods (the shape every hashslot state machine has):
//! - `handle_*(&mut self, now, …)`: an input happened (a client connected, bytes arrived, a
//!   timer fired). Only these mutate the node.
//! - `poll_output(&mut self) -> Option<Output>`: what the node wants done (bytes to send, a
//!   connection to close). The driver drains it until `None` after every `handle_*` call.
//! - `poll_timeout(&self) -> Option<Instant>`: when `handle_timeout` must next be called. An early
//!   or repeated `handle_timeout` is harmless.
//! - `&self` getters.
//!
//! A client that breaks the protocol is not an error of these methods: it gets
//! `-ERR Protocol error: …` and an `Output::Close`, and the node serves everyone else.
//!
//! ```
//! use std::net::SocketAddr;
//! use hashslot_node::{ClientAddr, Config, Node, Output, ProcessInfo};
//! use hashslot_types::{ConnId, Instant, Now, UnixMillis};
//!
//! let mut now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
//! let mut node = Node::new(Config::default(), 1, now, ProcessInfo::default());
//! let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
//! let local: SocketAddr = "127.0.0.1:6379".parse().unwrap();
//! let conn = ConnId(1);
//! node.handle_accept(now, conn, ClientAddr { peer, local, fd: 7 });
//! // Two pipelined requests in one read: both replies leave in one Send.
//! node.handle_read(now, conn, b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
//! let mut sent = Vec::new();
//! while let Some(out) = node.poll_output() {
//!     match out {
//!         Output::Send { data, .. } => sent.extend_from_slice(&data),
//!         Output::Close { .. } | Output::Shutdown | Output::Log { .. } => {}
//!         _ => {}
//!     }
//! }
//! assert_eq!(sent, b"+PONG\r\n$2\r\nhi\r\n");
//! // Timers: sleep until poll_timeout, then call handle_timeout with the new time.
//! if let Some(deadline) = node.poll_timeout() {
//!     now = Now::new(deadline, UnixMillis(1_700_000_000_100));
//!     node.handle_timeout(now);
//! }
//! ```
#![warn(missing_docs)]

mod acl;
mod blocking;
mod bus_io;
mod cluster;
mod cluster_verify;
mod commands;
mod config;
mod config_dir;
mod cron;
mod dispatch;
mod keyspace_ext;
mod latency;
mod migrate;
mod monitor;
mod multi;
mod node;
mod output;
mod pause;
mod persistence;
mod propagation;
mod pubsub;
mod replication;
mod scripting;
mod session;
mod slowlog;
mod stats;
mod stopwatch;
mod table;
mod timers;
mod tracking;

pub use bus_io::ClusterConfigError;
pub use cluster::{ClusterView, NodeView};
pub use config::{split_args, AppendFsync, Applied, Config, ConfigError, OutputBufferLimit};
pub use migrate::job::{JobState, SlotMigrationStatus};
pub use migrate::MigrateId;
pub use node::{ClientAddr, Node, ProcessInfo, ProcessStats};
pub use output::{FileId, LogLevel, Output, PersistToken};
pub use persistence::{LoadError, LoadReport};
pub use stopwatch::Stopwatch;

/// The Redis version INFO and HELLO report (`redis_version:`), so that clients and tools that
/// check it behave as with the Redis release whose behaviour hashslot follows.
pub const REDIS_VERSION: &str = "7.0.15";
