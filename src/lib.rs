//! hashslot: a Redis Cluster node as a workspace of embeddable, sans-IO crates.
//!
//! This umbrella crate re-exports the parts; depend on the single crates when you need only one.
#![warn(missing_docs)]

pub use hashslot_bus as bus;
pub use hashslot_failover as failover;
pub use hashslot_gossip as gossip;
pub use hashslot_keyspace as keyspace;
pub use hashslot_node as node;
pub use hashslot_persist as persist;
pub use hashslot_record as record;
pub use hashslot_repl as repl;
pub use hashslot_resp as resp;
pub use hashslot_server as server;
pub use hashslot_sim as sim;
pub use hashslot_slots as slots;
pub use hashslot_types as types;
