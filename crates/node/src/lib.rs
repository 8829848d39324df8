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
//! ```ignore
//! // The run loop of a driver, in outline:
//! let mut node = Node::new(Config::default(), 1, now);
//! node.handle_accept(now, conn, addr);
//! node.handle_read(now, conn, b"PING\r\n");
//! while let Some(out) = node.poll_output() { /* send, close, … */ }
//! ```
#![warn(missing_docs)]

mod config;
mod node;
mod output;

pub use config::{Applied, Config, ConfigError};
pub use node::{ClientAddr, Node, ProcessInfo, ProcessStats};
pub use output::{LogLevel, Output};
