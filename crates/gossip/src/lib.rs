//! Redis Cluster membership as a sans-IO state machine: the node table, the PING/PONG gossip
//! schedule, failure detection (PFAIL → FAIL), epochs and slot ownership, UPDATE messages, the
//! cluster state, and the nodes.conf codec. Byte-compatible with Redis 7.0 on the cluster bus.
//!
//! A [`Cluster`] owns no socket, clock or file. The driver passes link events, bytes and time in
//! and performs the [`Output`]s: connect/send/close bus links, durably write nodes.conf, log,
//! and [`Event`]s the node reacts to (slots changed, role changed, PUBLISH received…).
//!
//! Two clusters meeting through an in-memory "network":
//!
//! ```
//! use std::net::SocketAddr;
//! use hashslot_gossip::{Cluster, ClusterConfig, Output};
//! use hashslot_types::{Instant, LinkId, Now, Rng, UnixMillis};
//!
//! let mut now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
//! let cfg = |port: u16| ClusterConfig { port, bus_port: port + 10000, ..ClusterConfig::default() };
//! let mut a = Cluster::new(cfg(7000), Rng::from_seed(1), now);
//! let mut b = Cluster::new(cfg(7001), Rng::from_seed(2), now);
//! a.meet(now, "127.0.0.1", 7001, 17001, "127.0.0.1:7001").unwrap();
//!
//! let addr = |p: u16| -> SocketAddr { format!("127.0.0.1:{p}").parse().unwrap() };
//! // Each link id of one side is mapped to the accepted id on the other side.
//! let mut pairs: Vec<(usize, LinkId, LinkId)> = Vec::new(); // (owner, own id, peer's id)
//! let mut next_accept = 1u64;
//! for _ in 0..50 {
//!     now = now.advance_millis(100);
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//!     // Deliver until quiet.
//!     loop {
//!         let mut moved = false;
//!         for side in 0..2 {
//!             loop {
//!                 let out = if side == 0 { a.poll_output() } else { b.poll_output() };
//!                 let Some(out) = out else { break };
//!                 moved = true;
//!                 let (me, other) = if side == 0 { (&mut a, &mut b) } else { (&mut b, &mut a) };
//!                 match out {
//!                     Output::Connect { link, .. } => {
//!                         let acc = LinkId(next_accept);
//!                         next_accept += 1;
//!                         other.handle_link_accepted(now, acc, addr(1), addr(2));
//!                         pairs.push((side, link, acc));
//!                         pairs.push((1 - side, acc, link));
//!                         me.handle_link_connected(now, link, addr(3));
//!                     }
//!                     Output::Send { link, data } => {
//!                         if let Some(&(_, _, peer)) = pairs.iter().find(|p| p.0 == side && p.1 == link) {
//!                             other.handle_link_data(now, peer, &data);
//!                         }
//!                     }
//!                     Output::Persist { token, .. } => me.handle_persist_done(now, token, Ok(())),
//!                     _ => {}
//!                 }
//!             }
//!         }
//!         if !moved { break; }
//!     }
//! }
//! assert_eq!(a.known_nodes(), 2);
//! assert_eq!(b.known_nodes(), 2);
//! assert!(a.nodes_text().contains(&b.myself_id().to_string()));
//! ```
#![warn(missing_docs)]

mod admin;
mod cluster;
mod config;
mod cron;
mod cron_schedule;
mod epoch;
mod failover_cron;
mod failover_glue;
mod failure;
mod gossip;
mod links;
mod name_index;
mod node;
mod nodes_conf;
mod output;
mod packet;
mod stats;
mod views;

pub use admin::ClusterError;
pub use cluster::Cluster;
pub use config::ClusterConfig;
pub use failover_glue::FailoverTuning;
pub use hashslot_failover::{ManualFailoverError, ManualMode, ReplicationProgress};
pub use links::OUTBOUND_LINK_BIT;
pub use node::{ClusterNode, FailReport};
pub use nodes_conf::LoadError;
pub use output::{Event, LogLevel, Output, SaveToken};
pub use stats::Stats;
pub use views::{LinkInfo, NodeInfo, ShardEntry, SlotsEntry};
