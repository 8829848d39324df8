//! The only OS-touching crate of hashslot: a mio event loop that owns sockets, clocks and files,
//! reads redis.conf and the redis-server command line, and drives a [`hashslot_node::Node`].
//!
//! The process behaves as `redis-server` 7.0.15 does where users can see it: the command line
//! (`node [config-file] [--directive value …] [-]`), the config file syntax (`sdssplitargs`
//! quoting, `include`, the `*** FATAL CONFIG FILE ERROR ***` report), `daemonize`, `pidfile`,
//! `logfile`, the log line format, and SIGTERM/SIGINT shutdown.
//!
//! ```no_run
//! // A whole node process (this is all examples/node.rs does):
//! let code = hashslot_server::main_from_args(std::env::args().collect());
//! std::process::exit(code);
//! ```
#![warn(missing_docs)]
// The driver is where clocks are read; the sans-IO ban applies to every other crate.
#![allow(clippy::disallowed_methods)]

mod acl_file;
mod args;
mod conf;
mod conn;
mod driven;
mod event_loop;
mod files;
mod log;
mod record;
mod splitargs;
mod startup;
mod sys;

#[cfg(test)]
mod fake_node;

pub use splitargs::{split_args, UnbalancedQuotes};

/// For programs that run nodes as child processes (the `cluster` example, test harnesses):
/// the node's own signal handling, and a way to ask a child to shut down cleanly.
pub mod supervise {
    /// Install the node's handlers: SIGTERM and SIGINT request shutdown (a second SIGINT exits
    /// at once), SIGPIPE is ignored.
    pub fn install_shutdown_handlers() -> std::io::Result<()> {
        crate::sys::install_signal_handlers()
    }

    /// The shutdown signal received since the last call (`"SIGINT"`, `"SIGTERM"`), if any.
    pub fn take_shutdown_signal() -> Option<&'static str> {
        crate::sys::take_shutdown_signal()
    }

    /// Send SIGTERM to process `pid`: a node saves what it must and exits.
    pub fn terminate(pid: u32) -> std::io::Result<()> {
        crate::sys::terminate(pid)
    }
}

/// Run a node as `redis-server` would, from the process's command line (program name first);
/// returns the exit code. A daemonizing parent returns 0 as soon as the child is forked.
pub fn main_from_args(args: Vec<String>) -> i32 {
    let program = args
        .first()
        .map(String::as_str)
        .unwrap_or("hashslot-server");
    match args::parse(&args) {
        args::Invocation::Version => {
            // redis-server's shape (`v=` is the Redis version we match, for tools that parse
            // it), naming hashslot and its own version.
            println!(
                "hashslot server v={} hashslot={} sha=00000000:0 malloc=libc bits={} build=0",
                conf::REDIS_VERSION,
                env!("CARGO_PKG_VERSION"),
                usize::BITS
            );
            0
        }
        args::Invocation::Help => {
            eprint!("{}", args::usage(program));
            1
        }
        args::Invocation::TestMemory | args::Invocation::CheckSystem => {
            eprintln!(
                "hashslot does not implement --test-memory or --check-system; \
                 use redis-server for them."
            );
            1
        }
        args::Invocation::Run(run) => startup::run(program, run),
    }
}
