//! The nemesis: injects partitions (one node cut off both ways or one way, held, random halves,
//! halves with a bridge node, random pairs), crashes and broken disks at random times, as
//! the seed's [`Faults`](crate::Faults) allow, and undoes each after a drawn duration. At most
//! one partition, one crashed node and one broken disk at a time.

use crate::disk::DiskError;
use crate::faults::unit;
use crate::net::PathState;
use crate::sim::{Ev, Sim, MS};

/// A scheduled undo of one fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Open these directed paths again.
    Heal(Vec<(usize, usize)>),
    /// Restart this node.
    Restart(usize),
    /// Repair this node's disk, and restart the node if a disk error made it exit.
    Repair(usize),
}

/// The nemesis's state.
#[derive(Debug, Default)]
pub(crate) struct Nemesis {
    pub active: bool,
    pub partitioned: bool,
    pub down: Option<usize>,
    /// Every node that was ever crashed.
    pub crashed: Vec<usize>,
    /// Broken disks: node → path prefix whose steps fail ([`Sim::fail_disk`]).
    pub disk_errors: std::collections::BTreeMap<usize, String>,
    /// The node whose disk the nemesis broke, until its repair.
    pub disk: Option<usize>,
    /// Every broken disk: (node, from ms, until ms or `None` while broken).
    pub disk_history: Vec<(usize, u64, Option<u64>)>,
}

impl Nemesis {
    /// Node `i`'s disk stops being broken at `now_ms` (if it was).
    pub fn close_disk_fault(&mut self, i: usize, now_ms: u64) {
        for f in self.disk_history.iter_mut().filter(|f| f.0 == i) {
            f.2.get_or_insert(now_ms);
        }
    }
}

impl Sim {
    /// Stop injecting new faults. Unlike [`Sim::heal`], the faults under way still end when
    /// they were drawn to (a crashed node restarts, a partition heals).
    pub fn stop_nemesis(&mut self) {
        self.nemesis.active = false;
    }

    /// Start injecting the seed's faults.
    pub fn start_nemesis(&mut self) {
        if self.cfg.faults.nemesis_mean_ms == 0 {
            return;
        }
        self.nemesis.active = true;
        self.schedule_nemesis();
    }

    fn schedule_nemesis(&mut self) {
        let mean = self.cfg.faults.nemesis_mean_ms as f64;
        let wait = (-(1.0 - unit(&mut self.rng)).ln() * mean) as u64;
        self.push(self.now + wait.max(1) * MS, Ev::Nemesis);
    }

    fn fault_len(&mut self) -> u64 {
        let pct = self.draw_ms(self.cfg.faults.fault_len_pct) / MS;
        (self.cfg.node_timeout_ms * pct / 100).max(1)
    }

    pub(crate) fn nemesis_act(&mut self) {
        if !self.nemesis.active {
            return;
        }
        self.schedule_nemesis();
        let n = self.hosts.len();
        let f = &self.cfg.faults;
        // A partition or a crash, evenly, then which partition.
        let mut kinds = Vec::new();
        if f.partitions && !self.nemesis.partitioned {
            kinds.push("part");
        }
        if f.crashes && self.nemesis.down.is_none() {
            kinds.push("crash");
        }
        if f.disk_errors && self.nemesis.disk.is_none() {
            kinds.push("disk");
        }
        if kinds.is_empty() || n < 2 {
            return;
        }
        let mut kind = kinds[self.rng.below(kinds.len() as u64) as usize];
        if kind == "part" {
            const PARTS: [&str; 6] = ["sym", "oneway", "hold", "split", "partial", "bridge"];
            kind = PARTS[self.rng.below(PARTS.len() as u64) as usize];
        }
        let mut x = self.rng.below(n as u64) as usize;
        let mut aimed = false;
        if matches!(kind, "crash" | "disk") && self.rng.below(2) == 1 {
            // Aim at a master serving slots: failovers are what the checkers are about (and
            // a master's disk is where acknowledged writes live).
            let masters: Vec<usize> = (0..n)
                .filter(|&i| {
                    self.node(i)
                        .and_then(|nd| nd.cluster_view())
                        .is_some_and(|v| v.is_master && !v.my_slots.is_empty())
                })
                .collect();
            if !masters.is_empty() {
                x = masters[self.rng.below(masters.len() as u64) as usize];
                aimed = true;
            }
        }
        let mut len = self.fault_len();
        let long = self.cfg.faults.long_crash_ms;
        if aimed && long > 0 && self.rng.below(2) == 1 {
            len = len.max(long);
        }
        if kind == "crash" {
            self.nemesis.down = Some(x);
            self.crash(x);
            self.push(self.now + len * MS, Ev::Undo(Undo::Restart(x)));
            return;
        }
        if kind == "disk" {
            self.break_disk(x, len);
            return;
        }
        // Which nodes are on x's side: only x, or a random half (split, bridge). A bridge
        // (x) talks to both halves; a partial partition cuts random pairs (both ways): the
        // non-transitive partitions where two nodes each see a majority but not each other.
        let half = matches!(kind, "split" | "bridge");
        let side: Vec<bool> = (0..n)
            .map(|i| (i == x) != (half && i != x && self.rng.below(2) == 1))
            .collect();
        let mut pairs = Vec::new();
        for a in 0..n {
            for b in 0..n {
                let cut = match kind {
                    "partial" => false,
                    "bridge" => a != x && b != x && side[a] != side[b],
                    _ => side[a] != side[b] && (kind != "oneway" || side[a]),
                };
                if a != b && cut {
                    pairs.push((a, b));
                }
            }
        }
        if kind == "partial" {
            for a in 0..n {
                for b in a + 1..n {
                    if self.rng.below(3) == 0 {
                        pairs.extend([(a, b), (b, a)]);
                    }
                }
            }
        }
        if pairs.is_empty() {
            return;
        }
        let state = if kind == "hold" {
            PathState::Hold
        } else {
            PathState::Drop
        };
        for &p in &pairs {
            self.paths.insert(p, state);
        }
        self.nemesis.partitioned = true;
        let who: Vec<String> = if kind == "partial" {
            pairs
                .iter()
                .filter(|(a, b)| a < b)
                .map(|(a, b)| format!("{a}-{b}"))
                .collect()
        } else {
            // The bridge is marked `*`.
            (0..n)
                .filter(|&i| side[i])
                .map(|i| match (kind, i == x) {
                    ("bridge", true) => format!("*{i}"),
                    _ => i.to_string(),
                })
                .collect()
        };
        self.trace.record(
            self.now,
            format_args!("nem"),
            format_args!("part {kind} [{}] {:?} {len}ms", who.join(","), state),
        );
        self.push(self.now + len * MS, Ev::Undo(Undo::Heal(pairs)));
    }

    pub(crate) fn undo(&mut self, u: Undo) {
        match u {
            Undo::Heal(pairs) => {
                if !self.nemesis.partitioned {
                    return;
                }
                for p in pairs {
                    self.paths.remove(&p);
                }
                self.nemesis.partitioned = false;
                self.trace
                    .record(self.now, format_args!("nem"), format_args!("heal"));
                self.release_held();
            }
            Undo::Restart(x) => {
                if self.nemesis.down == Some(x) {
                    self.nemesis.down = None;
                    self.restart(x);
                }
            }
            Undo::Repair(x) => {
                if self.nemesis.disk == Some(x) {
                    self.repair_nemesis_disk();
                }
            }
        }
    }

    /// Break node `x`'s disk for `len` ms: which files (everything, nodes.conf, the AOF
    /// directory, the RDB file) and how (`EIO`, `ENOSPC`) are drawn.
    fn break_disk(&mut self, x: usize, len: u64) {
        let config = &self.hosts[x].config;
        let setting = |k: &str, d: &str| config.get(k).unwrap_or_else(|| d.to_owned());
        let prefixes = [
            String::new(),
            config.cluster_config_file.clone(),
            setting("appenddirname", "appendonlydir"),
            setting("dbfilename", "dump.rdb"),
        ];
        let prefix = prefixes[self.rng.below(prefixes.len() as u64) as usize].clone();
        let error = if self.rng.below(2) == 0 {
            DiskError::Io
        } else {
            DiskError::NoSpace
        };
        self.nemesis.disk = Some(x);
        self.fail_disk_with(x, &prefix, error);
        self.push(self.now + len * MS, Ev::Undo(Undo::Repair(x)));
    }

    /// Repair the disk the nemesis broke; a node that exited on it meanwhile (and is not down
    /// for a crash of the nemesis's, restarted by its own undo) is restarted, as an operator
    /// restarts a server once its disk is fixed.
    fn repair_nemesis_disk(&mut self) {
        let Some(x) = self.nemesis.disk.take() else {
            return;
        };
        self.repair_disk(x);
        if self.nemesis.down != Some(x) {
            self.restart(x);
        }
    }

    /// Cut (`Drop`) or hold the directed path `a → b` by hand; see [`Sim::heal`].
    pub fn cut(&mut self, a: usize, b: usize, state: PathState) {
        self.trace.record(
            self.now,
            format_args!("nem"),
            format_args!("part {a}->{b} {state:?}"),
        );
        self.paths.insert((a, b), state);
    }

    /// Node `x` cannot talk to anyone, both ways (`Drop`), or its traffic is held (`Hold`).
    pub fn isolate(&mut self, x: usize, state: PathState) {
        for y in 0..self.hosts.len() {
            if y != x {
                self.cut(x, y, state);
                self.cut(y, x, state);
            }
        }
    }

    /// Stop the nemesis, repair the disk it broke, open every path, release held bytes and
    /// restart every crashed node.
    pub fn heal(&mut self) {
        self.repair_nemesis_disk();
        self.nemesis.active = false;
        self.nemesis.partitioned = false;
        self.nemesis.down = None;
        self.paths.clear();
        self.trace
            .record(self.now, format_args!("nem"), format_args!("heal all"));
        self.release_held();
        for i in 0..self.hosts.len() {
            self.restart(i);
        }
    }

    /// Nodes the nemesis (or a test) ever crashed.
    pub fn crashed_nodes(&self) -> &[usize] {
        &self.nemesis.crashed
    }
}
