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
//!   [`Sim::heal`]), including non-transitive ones (random pairs, a bridge node); disks
//!   whose writes complete after a delay, are lost by a crash ([`Sim::crash`],
//!   [`Sim::restart`]) or fail with an I/O error ([`Sim::fail_disk`]); per-node wall-clock
//!   skew.
//! - [`Faults`]: the fault settings, drawn per seed ([`Faults::swarm`]), applied by the
//!   nemesis ([`Sim::start_nemesis`], [`Sim::stop_nemesis`]).
//! - [`Sim::form_cluster`]: redis-cli's cluster creation, through simulated client
//!   connections ([`Sim::command`]). [`Sim::preformed`]: nodes that boot from nodes.conf
//!   files written by the simulator, as after a restart of a formed cluster (big clusters).
//! - Workload clients that follow MOVED and ASK and record a [`History`] ([`Sim::add_clients`]).
//! - [`Checker`] and [`converged`]: safety after every observation, liveness after healing,
//!   acknowledged writes; [`FailoverLiveness`]: a master out of reach of a majority of masters
//!   that has an eligible replica among them is replaced, and the reachable nodes agree,
//!   within a bound derived from the node timeout ([`FailoverLiveness::bound_for`];
//!   [`Sim::reachable`] says who can talk to whom). [`Swarm`] runs it all for one seed;
//!   [`Swarm::competing_elections`] biases the sweep toward elections that compete in one
//!   epoch.
//! - [`Sim::view`], [`Sim::cluster_info`], [`Sim::probe`]: read a node's state without
//!   touching the network.
//! - While a partition lasts, [`FailoverLiveness`] judges the *majority component* (nodes
//!   that all reach each other both ways, that nothing outside reaches, holding a majority of
//!   masters; one-way and held paths included): its nodes agree on the owners of the slots
//!   its masters claim within [`FailoverLiveness::agree_bound_ms`] ([`Agreed`]); where the
//!   majority hears nodes outside it (a bridge node, random pairs cut) nothing is judged.
//! - Files a node reads at startup: [`Sim::with_disk_files`], [`Sim::put_disk_file`],
//!   [`Sim::remove_disk_file`]. A node with `aclfile` set loads it at boot, as Redis does, and
//!   does not start on a missing or bad one (reported in [`Sim::violations`]).
//! - Broken disks: [`Sim::fail_disk_with`] (`EIO` or `ENOSPC`, [`DiskError`]) by hand, or by
//!   the nemesis when [`Faults::disk_errors`] is drawn; a node's exit on a disk error is
//!   Redis's behaviour and [`Swarm`] excuses it ([`Sim::disk_failed_during`]).
//!
//! # Threads
//!
//! Nodes' events can run on several threads ([`SimConfig::threads`], [`Sim::set_threads`];
//! one by default, two from 500 nodes on a machine with two cores or more;
//! `HASHSLOT_SIM_THREADS=<n>` sets the default, see [`default_threads`]) and
//! the outcome does not depend on it: same trace hash, same history, on 1 thread or 8.
//! Events run in time windows shorter than the least one-way network latency, so that
//! nothing one node does in a window can reach another within it: each node runs its own
//! events of the window on its own machine (its timer, bytes arriving, its disk), and what it
//! does to links, the network and the checkers is carried out afterwards by one thread, in
//! order of time, then node. Anything else (a client's turn, the nemesis, a connect being
//! accepted, a link closing, bytes on a cut or held path) ends the window and runs alone.
//!
//! Big clusters allocate a bus message buffer (about 12 KB at 1,000 nodes) per message, often
//! freed on another thread than the one that allocated it: a program that simulates hundreds
//! of nodes runs faster with a multi-threaded allocator such as `mimalloc` as its global
//! allocator (`examples/sim_scale.rs` uses it; the trace does not depend on the allocator).
//!
//! # Talking to nodes
//!
//! - [`Sim::command`]`(i, &["SET", "k", "v"], timeout_ms)` sends one command to node `i`
//!   from a client connection through the simulated network (latency, faults and all) and runs
//!   the simulation until the reply arrives: the way to script a workload or an operator's
//!   steps (CLUSTER SETSLOT, MIGRATE, FAILOVER…). Redirections are not followed: a `MOVED`
//!   comes back as the reply.
//! - [`Sim::probe`] runs a command on a node at the current instant, outside the network and
//!   without advancing time: for checkers (`INFO replication`, `DBSIZE`…).
//! - [`Sim::view`] and [`Sim::node`] read a node's state through typed getters
//!   (`Node::cluster_view`): no command, no text parsing.
//!
//! Nodes replicate to each other and run MIGRATE over simulated links, and write nodes.conf,
//! the AOF and RDB files on a simulated disk that a crash rolls back to what was fsynced.
//!
//! # A property test of a failover rule
//!
//! The rule: when a master crashes, its replica is promoted within `cluster-node-timeout`
//! plus a bound, and meanwhile no slot is ever claimed by two masters in one `configEpoch`
//! nor does any master grant two votes in one epoch ([`Checker`]). proptest draws the seed,
//! the victim and the node timeout; a failing case names its seed and the command that
//! replays it. The proptest RNG is fixed so the doc test is deterministic.
//!
//! ```
//! use hashslot_sim::{replay_command, Checker, Sim, SimConfig};
//! use proptest::prelude::*;
//! use proptest::test_runner::RngSeed;
//!
//! /// Time allowed past the node timeout: FAIL agreement, the election's random delay
//! /// (up to 1 s), the vote round trip and the promotion.
//! const BOUND_MS: u64 = 5_000;
//!
//! fn replica_takes_over(seed: u64, victim: usize, node_timeout: u64) -> Result<u64, String> {
//!     let mut sim = Sim::new(SimConfig::new(seed, 6, node_timeout));
//!     // Masters are nodes 0..3; node 3 + m replicates master m.
//!     sim.form_cluster(3, 1, 60_000).map_err(|f| f.to_string())?;
//!     let mut checker = Checker::new(&mut sim);
//!     sim.crash(victim);
//!     let replica = 3 + victim;
//!     let start = sim.now_ms();
//!     while sim.now_ms() < start + node_timeout + BOUND_MS {
//!         sim.run_for(100);
//!         checker.observe(&mut sim)?;
//!         let me = sim.view(replica).and_then(|v| v.myself().cloned());
//!         if me.is_some_and(|m| m.is_master() && !m.slots.is_empty()) {
//!             return Ok(sim.now_ms() - start);
//!         }
//!     }
//!     Err(format!("n{replica} not promoted within {} ms", node_timeout + BOUND_MS))
//! }
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig {
//!         cases: 3,
//!         rng_seed: RngSeed::Fixed(7),
//!         failure_persistence: None,
//!         ..ProptestConfig::default()
//!     })]
//!     fn crashed_master_is_replaced(
//!         seed in any::<u64>(),
//!         victim in 0usize..3,
//!         node_timeout in 500u64..3_000,
//!     ) {
//!         let took = replica_takes_over(seed, victim, node_timeout);
//!         prop_assert!(took.is_ok(), "{}\n{}", took.unwrap_err(), replay_command("mytest", seed));
//!     }
//! }
//! # crashed_master_is_replaced();
//! ```
//!
//! The same rule as a reusable checker: [`FailoverLiveness`] observes the cluster and fails
//! when a master that a majority of masters cannot reach, with an eligible replica among
//! them, is not replaced and agreed on within its bound (none of this is specific to a
//! scripted crash: it follows partitions too, and judges nothing without a majority).
//!
//! [`Swarm`] runs the whole recipe for one seed: cluster, workload, nemesis, checkers after
//! every step (safety and [`FailoverLiveness`]), healing, liveness, the workload's history
//! and the count of lost acknowledged writes ([`WriteLoss`]); `tests/swarm_sweep.rs` sweeps
//! seeds of [`Swarm::default`] and [`Swarm::competing_elections`] within a wall-clock budget.
#![warn(missing_docs)]

mod check;
mod client;
mod disk;
mod faults;
mod host;
mod liveness;
mod local;
mod nemesis;
mod net;
mod outbound;
mod preformed;
pub mod replay;
mod scenario;
mod sim;
mod trace;
mod view;
mod votes;
mod window;

pub use check::{converged, Checker, WriteLoss};
pub use client::{History, OpRecord, Outcome};
pub use disk::DiskError;
pub use faults::Faults;
pub use host::node_addr;
pub use liveness::Agreed;
pub use liveness::{FailoverDone, FailoverLiveness};
pub use nemesis::Undo;
pub use net::PathState;
pub use replay::{Replay, ReplayError};
pub use scenario::{replay_command, run_seeds, seeds, Failure, Report, Swarm};
pub use sim::{Sim, SimConfig, Time};
pub use trace::Trace;
pub use view::{NodeLine, View};
pub use votes::Grant;
pub use window::{default_threads, WindowStats, PARALLEL_MIN_NODES};
