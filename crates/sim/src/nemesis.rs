//! The nemesis: injects partitions (symmetric, one-way, held) and crashes at random times, as
//! the seed's [`Faults`](crate::Faults) allow, and undoes each after a drawn duration. At most
//! one partition and one crashed node at a time.

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
}

/// The nemesis's state.
#[derive(Debug, Default)]
pub(crate) struct Nemesis {
    pub active: bool,
    pub partitioned: bool,
    pub down: Option<usize>,
    /// Every node that was ever crashed.
    pub crashed: Vec<usize>,
}

impl Sim {
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
        let mut kinds = Vec::new();
        if f.partitions && !self.nemesis.partitioned {
            kinds.extend(["sym", "oneway", "hold", "split"]);
        }
        if f.crashes && self.nemesis.down.is_none() {
            kinds.push("crash");
        }
        if kinds.is_empty() || n < 2 {
            return;
        }
        let kind = kinds[self.rng.below(kinds.len() as u64) as usize];
        let mut x = self.rng.below(n as u64) as usize;
        if kind == "crash" && self.rng.below(2) == 1 {
            // Aim at a master serving slots: failovers are what the checkers are about.
            let masters: Vec<usize> = (0..n)
                .filter(|&i| {
                    self.node(i)
                        .and_then(|nd| nd.cluster_view())
                        .is_some_and(|v| v.is_master && !v.my_slots.is_empty())
                })
                .collect();
            if !masters.is_empty() {
                x = masters[self.rng.below(masters.len() as u64) as usize];
            }
        }
        let len = self.fault_len();
        if kind == "crash" {
            self.nemesis.down = Some(x);
            self.crash(x);
            self.push(self.now + len * MS, Ev::Undo(Undo::Restart(x)));
            return;
        }
        // Which nodes are on x's side (only x, unless a random split).
        let side: Vec<bool> = (0..n)
            .map(|i| i == x || (kind == "split" && self.rng.below(2) == 1))
            .collect();
        let mut pairs = Vec::new();
        for a in 0..n {
            for b in 0..n {
                let cross = side[a] && !side[b] || (!side[a] && side[b]);
                let dir_ok = kind != "oneway" || side[a];
                if a != b && cross && dir_ok {
                    pairs.push((a, b));
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
        let who: Vec<String> = (0..n).filter(|&i| side[i]).map(|i| i.to_string()).collect();
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

    /// Stop the nemesis, open every path, release held bytes and restart every crashed node.
    pub fn heal(&mut self) {
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
