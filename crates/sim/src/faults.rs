//! Fault settings, drawn per seed (swarm testing: each seed enables a random subset of faults,
//! each with random rates, so that rare combinations get explored across seeds).

use hashslot_types::Rng;

/// Every fault knob of a run. Durations are in milliseconds of virtual time.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// One-way network latency range of a write (uniform), in microseconds. Its low end is
    /// also how far ahead nodes run independently of each other, on several threads if
    /// asked ([`SimConfig::threads`](crate::SimConfig::threads)); below 1 µs the simulator
    /// runs one event at a time.
    pub latency_us: (u64, u64),
    /// Probability that a write hits the slow tail: latency ×10.
    pub latency_tail: f64,
    /// Probability that a write is hit by packet loss: TCP retransmits it after an RTO
    /// (200–1000 ms). Bytes are never lost or duplicated on a live link.
    pub retransmit: f64,
    /// Probability that a write is delivered as two reads (TCP segmentation).
    pub split: f64,
    /// Probability that a write resets its link (both ends see the close).
    pub reset: f64,
    /// Probability that a connect attempt is refused although the peer is up.
    pub connect_fail: f64,
    /// How long a connection whose bytes are being dropped lives before TCP gives up on it.
    pub tcp_give_up_ms: (u64, u64),
    /// Time for a nodes.conf write (write, fsync, rename, fsync dir) to complete.
    pub disk_ms: (u64, u64),
    /// Maximum wall-clock skew of a node, either way.
    pub clock_skew_ms: u64,
    /// Mean time between nemesis actions (0: no nemesis).
    pub nemesis_mean_ms: u64,
    /// Nemesis may cut or hold paths: one node both ways, one way or held, random halves,
    /// halves with a bridge node that reaches both, random pairs of nodes.
    pub partitions: bool,
    /// Nemesis may crash and restart nodes (half of the crashes hit a master that serves
    /// slots, so that failovers happen).
    pub crashes: bool,
    /// Nemesis may break a node's disk for a while (drawn for a third of the seeds whose
    /// nemesis runs for partitions or crashes; half the time a master's that serves
    /// slots): every write with a completion under one of its paths (everything, nodes.conf,
    /// the AOF directory or the RDB file, drawn) fails with `EIO` or `ENOSPC` (drawn), as
    /// [`Sim::fail_disk_with`](crate::Sim::fail_disk_with) does, until it is repaired; a node
    /// that exited on it (Redis exits when it cannot write nodes.conf, or the AOF under
    /// `appendfsync always`) is restarted then, as an operator would.
    pub disk_errors: bool,
    /// A fault lasts this many node timeouts (range, in percent of `cluster-node-timeout`).
    pub fault_len_pct: (u64, u64),
    /// When not 0: half of the crashes aimed at a master serving slots last at least this
    /// long, in ms, so that a failover is due long enough for the liveness checker to judge
    /// it ([`FailoverLiveness`](crate::FailoverLiveness); [`Swarm`](crate::Swarm) sets it to
    /// the checker's bound plus the node timeout).
    pub long_crash_ms: u64,
}

impl Faults {
    /// No faults: a fast, reliable LAN (50–500 µs latency, 1 ms disks).
    pub fn none() -> Faults {
        Faults {
            latency_us: (50, 500),
            latency_tail: 0.0,
            retransmit: 0.0,
            split: 0.0,
            reset: 0.0,
            connect_fail: 0.0,
            tcp_give_up_ms: (2_000, 10_000),
            disk_ms: (1, 1),
            clock_skew_ms: 0,
            nemesis_mean_ms: 0,
            partitions: false,
            crashes: false,
            disk_errors: false,
            fault_len_pct: (50, 300),
            long_crash_ms: 0,
        }
    }

    /// A random subset of faults with random rates, from `rng` (one draw per seed).
    pub fn swarm(rng: &mut Rng) -> Faults {
        let coin = |rng: &mut Rng| rng.below(2) == 1;
        let mut f = Faults::none();
        let lo = 20 + rng.below(500);
        f.latency_us = (lo, lo + rng.below(20_000));
        if rng.below(4) == 0 {
            // A WAN: tens to hundreds of milliseconds, the order of the election's random
            // delay, so replicas' elections can overlap.
            let lo = 10_000 + rng.below(40_000);
            f.latency_us = (lo, lo + rng.below(200_000));
        }
        if coin(rng) {
            f.latency_tail = unit(rng) * 0.05;
        }
        if coin(rng) {
            f.retransmit = unit(rng) * 0.02;
        }
        if coin(rng) {
            f.split = unit(rng) * 0.5;
        }
        if coin(rng) {
            f.reset = unit(rng) * 0.002;
        }
        if coin(rng) {
            f.connect_fail = unit(rng) * 0.3;
        }
        let d = 1 + rng.below(20);
        f.disk_ms = (d, d + rng.below(200));
        if coin(rng) {
            f.clock_skew_ms = rng.below(10_000);
        }
        f.partitions = coin(rng);
        // Crashes in three seeds out of four: they are what failovers start from.
        f.crashes = rng.below(4) != 0;
        if f.partitions || f.crashes {
            f.nemesis_mean_ms = 500 + rng.below(5_000);
        }
        let a = 20 + rng.below(200);
        f.fault_len_pct = (a, a + rng.below(300));
        // Drawn last, and only for seeds whose nemesis runs anyway, so that adding it left
        // every earlier draw of a seed, and the nemesis's pace, as they were.
        if f.nemesis_mean_ms > 0 {
            f.disk_errors = rng.below(3) == 0;
        }
        f
    }
}

/// A uniform draw in `[0, 1)`.
pub(crate) fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform draw in `lo..=hi`.
pub(crate) fn between(rng: &mut Rng, (lo, hi): (u64, u64)) -> u64 {
    lo + rng.below(hi.saturating_sub(lo) + 1)
}
