//! How long a command ran: the one clock reading the node takes from its embedding.
//!
//! # Why a stopwatch is injected
//!
//! The node is sans-IO: it never reads a clock, time comes in as the `Now` of each input. That
//! is enough for timers and TTLs, but SLOWLOG, the latency monitor, LATENCY HISTOGRAM and the
//! `usec` of INFO commandstats need how long a command *itself* ran, which Redis's `call()`
//! measures with a monotonic clock read before and after the command's procedure. `Now` cannot
//! give that: it is the same value before and after the command.
//!
//! So the embedding hands the node a [`Stopwatch`]: a monotonic reading in microseconds, taken
//! around each command in `call()` (and around the serving of a parked client). Only
//! differences of two readings are used, never the absolute value, so the origin is the
//! embedding's choice.
//!
//! - `crates/server` gives a real monotonic clock (`std::time::Instant` is allowed there only).
//! - The default, [`Stopwatch::frozen`], reads 0 every time: every command takes 0 µs. This is
//!   exactly the deterministic simulator's model (virtual time does not advance while a command
//!   runs), so simulated runs stay reproducible from their seed; the simulator keeps it.
//! - Tests can inject virtual durations with [`Stopwatch::new`] over a shared counter.
//!
//! The one command whose duration is known without a clock is DEBUG SLEEP: Redis's process
//! stops inside the command for the time asked, and the node models that stop in virtual time
//! (see `Sleep` in `node.rs`), so its asked duration is added to the measured one.

use std::fmt;
use std::sync::Arc;

use crate::Node;

/// A monotonic clock in microseconds, read around each command (see the module docs). Cloning
/// shares the same clock.
#[derive(Clone)]
pub struct Stopwatch(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Stopwatch {
    /// A stopwatch reading `micros()`: microseconds since any fixed origin, never decreasing.
    pub fn new(micros: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Stopwatch(Arc::new(micros))
    }

    /// A stopwatch that reads 0 every time: every command takes no time (the simulator's
    /// model). The default.
    pub fn frozen() -> Self {
        Stopwatch::new(|| 0)
    }

    /// The current reading in microseconds.
    pub fn micros(&self) -> u64 {
        (self.0)()
    }
}

impl Default for Stopwatch {
    fn default() -> Self {
        Stopwatch::frozen()
    }
}

impl fmt::Debug for Stopwatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stopwatch")
    }
}

impl Node {
    /// Use `stopwatch` to time commands from now on (SLOWLOG, LATENCY, INFO commandstats and
    /// latencystats). Without one every command takes 0 µs.
    pub fn set_stopwatch(&mut self, stopwatch: Stopwatch) {
        self.timing.stopwatch = stopwatch;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn frozen_reads_zero_and_custom_reads_its_source() {
        assert_eq!(Stopwatch::default().micros(), 0);
        let t = Arc::new(AtomicU64::new(5));
        let t2 = Arc::clone(&t);
        let sw = Stopwatch::new(move || t2.load(Ordering::Relaxed));
        assert_eq!(sw.micros(), 5);
        t.store(90, Ordering::Relaxed);
        assert_eq!(sw.clone().micros(), 90);
    }
}
