//! A deterministic simulator for hashslot clusters: real [`hashslot_node::Node`]s (never a
//! mock) on one virtual clock, with a seeded network, disks, clocks, faults and checkers.
//!
//! Everything in a run comes from one seed: latencies, faults, the nodes' own randomness, the
//! workload. Two runs of one seed give the same [`Trace`] hash; a failing run prints its seed
//! and the command to replay it ([`Failure`], [`run_seeds`]); `HASHSLOT_SEED=<n>` replays one
//! seed and `HASHSLOT_SEEDS=<count>` sweeps seeds `0..count` ([`seeds`]).
//!
//! - [`Sim`]: the nodes, a discrete event queue ordered by (time, sequence number), TCP links
//!   as in-order byte streams with latency, retransmission delays, segmentation, resets and
//!   refused connects; cut, one-way and held paths ([`Sim::cut`], [`Sim::isolate`],
//!   [`Sim::heal`]); disks whose writes complete after a delay and are lost by a crash
//!   ([`Sim::crash`], [`Sim::restart`]); per-node wall-clock skew.
//! - [`Faults`]: the fault settings, drawn per seed ([`Faults::swarm`]), applied by the
//!   nemesis ([`Sim::start_nemesis`]).
//! - [`Sim::form_cluster`]: redis-cli's cluster creation, through simulated client
//!   connections ([`Sim::command`]).
//! - Workload clients that follow MOVED and ASK and record a [`History`] ([`Sim::add_clients`]).
//! - [`Checker`] and [`converged`]: safety after every observation, liveness after healing,
//!   acknowledged writes; [`Swarm`] runs it all for one seed.
//! - [`Sim::view`], [`Sim::cluster_info`], [`Sim::probe`]: read a node's state without
//!   touching the network.
//!
//! # A property test over a rule
//!
//! The rule: a crashed master is marked FAIL by every other node within `node_timeout` plus a
//! bound. Any rule over the public API can be tested across seeds this way; a failing case
//! names its seed.
//!
//! ```
//! use hashslot_sim::{replay_command, Sim, SimConfig};
//! use proptest::prelude::*;
//!
//! fn crashed_master_is_failed(seed: u64, victim: usize) -> bool {
//!     let mut sim = Sim::new(SimConfig::new(seed, 3, 500));
//!     sim.form_cluster(3, 0, 30_000).expect("cluster forms");
//!     sim.crash(victim);
//!     sim.run_until(500 + 2_000, 50, |s| {
//!         (0..3).filter(|&i| i != victim).all(|i| {
//!             s.view(i).is_some_and(|v| {
//!                 v.lines.iter().any(|l| l.index == Some(victim) && l.has("fail"))
//!             })
//!         })
//!     })
//! }
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(2))]
//!     fn crash_is_detected(seed in 0u64..1000, victim in 0usize..3) {
//!         prop_assert!(
//!             crashed_master_is_failed(seed, victim),
//!             "{}", replay_command("doc", seed)
//!         );
//!     }
//! }
//! # crash_is_detected();
//! ```
#![warn(missing_docs)]

mod check;
mod client;
mod faults;
mod host;
mod nemesis;
mod net;
mod scenario;
mod sim;
mod trace;
mod view;

pub use check::{converged, Checker};
pub use client::{History, OpRecord, Outcome};
pub use faults::Faults;
pub use host::node_addr;
pub use nemesis::Undo;
pub use net::PathState;
pub use scenario::{replay_command, run_seeds, seeds, Failure, Report, Swarm};
pub use sim::{Sim, SimConfig, Time};
pub use trace::Trace;
pub use view::{NodeLine, View};
