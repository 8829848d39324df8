//! The only OS-touching crate of hashslot: a mio event loop that owns sockets, clocks and files,
//! reads redis.conf and the redis-server command line, and drives a [`hashslot_node::Node`].
#![warn(missing_docs)]
// The driver is where clocks are read; the sans-IO ban applies to every other crate.
#![allow(clippy::disallowed_methods)]

/// Run a node as `redis-server` would, from the process's command line; returns the exit code.
pub fn main_from_args(args: Vec<String>) -> i32 {
    let _ = args;
    todo!("server helper implements")
}
