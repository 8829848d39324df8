//! Epochs and slot ownership: collision resolution, rebinding slots from higher-epoch claims,
//! bumping my epoch without consensus, and turning myself into a replica.
//!
//! Ref: cluster spec §5.

use hashslot_bus::NodeFlags;
use hashslot_slots::NodeRef;
use hashslot_types::{Epoch, Slot, SlotSet, SLOT_COUNT};

use crate::{Cluster, Event, LogLevel};

impl Cluster {
    /// `clusterGetMaxEpoch`: the largest configEpoch known, or currentEpoch if larger.
    pub(crate) fn max_epoch(&self) -> Epoch {
        self.nodes
            .iter()
            .map(|(_, n)| n.config_epoch)
            .fold(self.current_epoch, Epoch::max)
    }

    /// `clusterHandleConfigEpochCollision`: of two masters with the same configEpoch, the one
    /// with the smaller id takes a new epoch.
    pub(crate) fn handle_config_epoch_collision(&mut self, sender: NodeRef) {
        let me = self.myself;
        let (s, m) = (&self.nodes[sender], &self.nodes[me]);
        if s.config_epoch != m.config_epoch || !s.is_master() || !m.is_master() {
            return;
        }
        if s.name.as_bytes() <= m.name.as_bytes() {
            return;
        }
        self.current_epoch.0 += 1;
        self.nodes[me].config_epoch = self.current_epoch;
        self.todo.save = true;
        self.log(
            LogLevel::Verbose,
            format!(
                "WARNING: configEpoch collision with node {}. configEpoch set to {}",
                self.nodes[sender].name, self.current_epoch.0
            ),
        );
    }

    /// `clusterBumpConfigEpochWithoutConsensus`: `true` if my epoch changed.
    pub(crate) fn bump_epoch_without_consensus(&mut self) -> bool {
        let max = self.max_epoch();
        let me = self.myself;
        let mine = self.nodes[me].config_epoch;
        if mine == Epoch(0) || mine != max {
            self.current_epoch.0 += 1;
            self.nodes[me].config_epoch = self.current_epoch;
            // Nothing that carries the new epoch leaves before it is on disk (Redis fsyncs the
            // config in beforeSleep, before any socket write): a crash in between would come
            // back with the old epoch while peers already accepted claims made with the new.
            self.set_durability_barrier();
            self.log(
                LogLevel::Notice,
                format!("New configEpoch set to {}", self.current_epoch.0),
            );
            true
        } else {
            false
        }
    }

    /// `clusterSetMaster`: make myself a replica of `n` (role only; data replication is the
    /// node's business, told by [`Event::RoleChanged`]).
    pub(crate) fn set_myself_replica_of(&mut self, n: NodeRef) {
        let me = self.myself;
        if self.nodes[me].is_master() {
            let m = &mut self.nodes[me];
            m.clear(NodeFlags::MASTER | NodeFlags::MIGRATE_TO);
            m.set(NodeFlags::SLAVE);
            self.close_all_slots();
        } else if let Some(old) = self.nodes[me].slaveof {
            self.remove_slave(old, me);
        }
        self.nodes[me].slaveof = Some(n);
        self.add_slave(n, me);
        self.failover_on_role_change();
        self.todo.save = true;
        self.todo.update_state = true;
        let name = self.nodes[n].name;
        self.emit(Event::RoleChanged { master: Some(name) });
    }

    /// `clusterCloseAllSlots`: no slot migrating or importing.
    pub(crate) fn close_all_slots(&mut self) {
        let open: Vec<_> = self
            .slots
            .migrating()
            .map(|(s, _)| s)
            .chain(self.slots.importing().map(|(s, _)| s))
            .collect();
        for s in &open {
            self.slots.set_stable(*s);
        }
        if !open.is_empty() {
            self.emit(Event::SlotsChanged);
        }
    }

    /// `clusterUpdateSlotsConfigWith`: the master `sender` claims `claimed` with `epoch`. A slot
    /// moves to it when unassigned, not claimed by its owner any more, or owned with a lower
    /// epoch; slots being imported here are left alone.
    pub(crate) fn update_slots_config_with(
        &mut self,
        sender: NodeRef,
        epoch: Epoch,
        claimed: &SlotSet,
    ) {
        let me = self.myself;
        if sender == me {
            self.log(
                LogLevel::Notice,
                "Discarding UPDATE message about myself.".to_owned(),
            );
            return;
        }
        let cur_master = if self.nodes[me].is_master() {
            Some(me)
        } else {
            self.nodes[me].slaveof
        };
        let mut new_master: Option<NodeRef> = None;
        let mut dirty_slots = Vec::new();
        let mut changed = false;
        let mut senders_slots_from_us = 0usize;
        let senders_slots = claimed.len();
        // Word by word against what the sender already holds here: slots it claims and holds
        // need only their "owner not claiming" mark cleared, slots it holds but no longer
        // claims only get that mark (Redis does not unbind them), and only the slots it claims
        // without holding them go through the per-slot rules. In steady state (a header whose
        // slots differ from our view of the sender in a few slots, or not at all) this is 256
        // word comparisons instead of 16384 slot lookups.
        let held = self.slots.slots_of(sender);
        let mut not_claiming = words(self.owner_not_claiming_slot.as_bitmap());
        let (claimed_w, held_w) = (words(claimed.as_bitmap()), words(held.as_bitmap()));
        for w in 0..WORDS {
            let (c, h) = (claimed_w[w], held_w[w]);
            not_claiming[w] = (not_claiming[w] & !(c & h)) | (h & !c);
            let mut new = c & !h;
            while new != 0 {
                let bit = new.trailing_zeros() as usize;
                new &= new - 1;
                let j = Slot::from_masked((w * 64 + bit) as u16);
                if self.slots.importing_slots_from(j).is_some() {
                    continue;
                }
                let owner = self.slots.owner(j);
                let take = match owner {
                    None => true,
                    Some(o) => {
                        not_claiming[w] & (1 << bit) != 0
                            || self.nodes.get(o).none_or(|n| n.config_epoch < epoch)
                    }
                };
                if !take {
                    continue;
                }
                if owner == Some(me) {
                    dirty_slots.push(j);
                }
                if owner.is_some() && owner == cur_master {
                    new_master = Some(sender);
                    senders_slots_from_us += 1;
                }
                self.slots.unassign(j);
                self.slots.assign(j, sender);
                not_claiming[w] &= !(1 << bit);
                changed = true;
            }
        }
        self.owner_not_claiming_slot = SlotSet::from_bitmap(bytes(&not_claiming));
        if changed {
            self.todo.save = true;
            self.todo.update_state = true;
            self.emit(Event::SlotsChanged);
        }
        let cur_master_empty = cur_master.is_some_and(|m| self.slots.count_of(m) == 0);
        if let (Some(nm), true) = (new_master, cur_master_empty) {
            if self.config.allow_replica_migration || senders_slots_from_us == senders_slots {
                let name = self.nodes[nm].name;
                self.log(
                    LogLevel::Notice,
                    format!("Configuration change detected. Reconfiguring myself as a replica of {name}"),
                );
                self.set_myself_replica_of(nm);
                return;
            }
        }
        if let Some(my_master) = self.nodes[me].slaveof {
            if let Some(grand) = self.nodes[my_master].slaveof {
                if self.nodes[my_master].is_replica() && grand != me {
                    self.set_myself_replica_of(grand);
                    return;
                }
            }
        }
        if !dirty_slots.is_empty() {
            for s in &dirty_slots {
                self.log(
                    LogLevel::Notice,
                    format!(
                        "Deleting keys in dirty slot {s} on node {}",
                        self.nodes[me].name
                    ),
                );
            }
            self.emit(Event::DirtySlots(dirty_slots));
        }
    }
}

trait NoneOr {
    fn none_or(&self, f: impl FnOnce(&crate::ClusterNode) -> bool) -> bool;
}

impl NoneOr for Option<&crate::ClusterNode> {
    fn none_or(&self, f: impl FnOnce(&crate::ClusterNode) -> bool) -> bool {
        match self {
            None => true,
            Some(n) => f(n),
        }
    }
}

/// 64-bit words in a slot bitmap.
const WORDS: usize = SLOT_COUNT / 64;

/// A bus slot bitmap (bit `s % 8` of byte `s / 8`) as little-endian words: bit `s % 64` of
/// word `s / 64` is slot `s`.
fn words(bm: &[u8; SLOT_COUNT / 8]) -> [u64; WORDS] {
    let mut w = [0u64; WORDS];
    for (i, chunk) in bm.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        w[i] = u64::from_le_bytes(b);
    }
    w
}

/// The inverse of [`words`].
fn bytes(w: &[u64; WORDS]) -> [u8; SLOT_COUNT / 8] {
    let mut bm = [0u8; SLOT_COUNT / 8];
    for (chunk, word) in bm.chunks_exact_mut(8).zip(w) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    bm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_put_slot_s_at_bit_s_mod_64_of_word_s_div_64() {
        let mut set = SlotSet::new();
        for s in [0u16, 7, 8, 63, 64, 1000, 16383] {
            set.insert(Slot::new(s).unwrap());
        }
        let w = words(set.as_bitmap());
        for s in 0..SLOT_COUNT {
            let bit = w[s / 64] >> (s % 64) & 1 == 1;
            assert_eq!(bit, set.contains(Slot::new(s as u16).unwrap()), "slot {s}");
        }
        assert_eq!(&bytes(&w), set.as_bitmap());
    }
}
