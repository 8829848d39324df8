//! The slot map: for every slot its owner, and the open migrations (`migrating_slots_to`,
//! `importing_slots_from`), as dense per-slot tables.
//!
//! Ref: cluster spec, "Slot ownership updates"; Redis keeps `server.cluster->slots[]`,
//! `migrating_slots_to[]` and `importing_slots_from[]` as three arrays of node pointers. Here the
//! three are interleaved into one 12-byte entry per slot, so routing a request touches one cache
//! line of the map (owner, migrating and importing of the first key's slot are read together).

use std::collections::BTreeSet;
use std::fmt;
use std::num::NonZeroU32;

use hashslot_types::{Slot, SlotSet, SLOT_COUNT};

use crate::runs::Runs;

/// A handle to a node: an index into the cluster's node table.
///
/// The slot map does not know node ids. The gossip layer owns the node table (`NodeId` → node
/// record) and hands out one `NodeRef` per entry; it maps `NodeId`s to these handles when it
/// applies a slot claim, and back when it prints `CLUSTER NODES` or a redirection. A handle must
/// not be reused for another node while any slot map still mentions it (call
/// [`SlotMap::remove_node`] when a node is forgotten).
///
/// `Option<NodeRef>` is 4 bytes (the index is stored plus one in a `NonZeroU32`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef(NonZeroU32);

impl NodeRef {
    /// The handle of node-table entry `index`.
    ///
    /// # Panics
    /// If `index == u32::MAX` (reserved).
    pub const fn new(index: u32) -> Self {
        match NonZeroU32::new(index.wrapping_add(1)) {
            Some(n) => NodeRef(n),
            None => panic!("NodeRef index u32::MAX is reserved"),
        }
    }

    /// The node-table index.
    pub const fn index(self) -> u32 {
        self.0.get() - 1
    }
}

impl fmt::Debug for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeRef({})", self.index())
    }
}

/// One slot's row: Redis's `slots[s]`, `migrating_slots_to[s]`, `importing_slots_from[s]`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SlotEntry {
    pub(crate) owner: Option<NodeRef>,
    pub(crate) migrating_slots_to: Option<NodeRef>,
    pub(crate) importing_slots_from: Option<NodeRef>,
}

/// A run of consecutive slots with the same owner, as `CLUSTER SLOTS` groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotRange {
    /// First slot of the run.
    pub start: Slot,
    /// Last slot of the run (inclusive).
    pub end: Slot,
    /// Owner of every slot in the run; `None` for an unassigned run.
    pub owner: Option<NodeRef>,
}

/// For each of the 16384 slots: the owner, the node it is migrating to, the node it is being
/// imported from. About 192 KiB, allocated once; all lookups are O(1) array reads.
///
/// Also keeps, updated on every change so that no question about one node scans all 16384
/// slots: the number of slots each node owns (Redis's `numslots`), the runs of slots each node
/// owns (what CLUSTER NODES, nodes.conf and every bus header print or send), the number of
/// assigned slots, and the set of open (migrating or importing) slots.
#[derive(Clone)]
pub struct SlotMap {
    entries: Box<[SlotEntry; SLOT_COUNT]>,
    /// Slots owned, indexed by `NodeRef::index`; grows to the largest index ever assigned.
    counts: Vec<u16>,
    /// Runs of slots owned, indexed like `counts`.
    runs: Vec<Runs>,
    assigned: usize,
    /// Slots with a migration target or an import source (usually none or a few).
    open: BTreeSet<u16>,
}

impl Default for SlotMap {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for SlotMap {
    fn eq(&self, other: &Self) -> bool {
        // `counts` is derived from `entries` (its length may differ for equal maps).
        self.entries[..] == other.entries[..]
    }
}

impl Eq for SlotMap {}

#[inline]
fn ix(slot: Slot) -> usize {
    // Slot is < 16384 by construction; the mask lets the compiler drop the bounds check.
    slot.index() & (SLOT_COUNT - 1)
}

impl SlotMap {
    /// A map with every slot unassigned and stable.
    pub fn new() -> Self {
        let entries: Box<[SlotEntry]> = vec![SlotEntry::default(); SLOT_COUNT].into_boxed_slice();
        let entries: Box<[SlotEntry; SLOT_COUNT]> = match entries.try_into() {
            Ok(e) => e,
            Err(_) => unreachable!("vec has SLOT_COUNT entries"),
        };
        SlotMap {
            entries,
            counts: Vec::new(),
            runs: Vec::new(),
            assigned: 0,
            open: BTreeSet::new(),
        }
    }

    #[inline]
    pub(crate) fn entry(&self, slot: Slot) -> &SlotEntry {
        &self.entries[ix(slot)]
    }

    /// The node serving `slot` (`getNodeBySlot`), or `None` if unassigned.
    #[inline]
    pub fn owner(&self, slot: Slot) -> Option<NodeRef> {
        self.entry(slot).owner
    }

    /// The node `slot` is migrating to (`migrating_slots_to[slot]`), if any.
    #[inline]
    pub fn migrating_slots_to(&self, slot: Slot) -> Option<NodeRef> {
        self.entry(slot).migrating_slots_to
    }

    /// The node `slot` is being imported from (`importing_slots_from[slot]`), if any.
    #[inline]
    pub fn importing_slots_from(&self, slot: Slot) -> Option<NodeRef> {
        self.entry(slot).importing_slots_from
    }

    /// Make `node` the owner of `slot` (`clusterAddSlot`, or a reassignment by a newer claim).
    /// Returns the previous owner. Migration state is left alone: Redis clears it in the
    /// callers (`CLUSTER SETSLOT … NODE`, `clusterUpdateSlotsConfigWith`), not on assignment.
    pub fn assign(&mut self, slot: Slot, node: NodeRef) -> Option<NodeRef> {
        let prev = self.entries[ix(slot)].owner.replace(node);
        if prev != Some(node) {
            match prev {
                Some(p) => {
                    self.counts[p.index() as usize] -= 1;
                    self.runs[p.index() as usize].remove(slot.get());
                }
                None => self.assigned += 1,
            }
            let i = node.index() as usize;
            if self.counts.len() <= i {
                self.counts.resize(i + 1, 0);
                self.runs.resize(i + 1, Runs::default());
            }
            self.counts[i] += 1;
            self.runs[i].insert(slot.get());
        }
        prev
    }

    /// Leave `slot` without an owner (`clusterDelSlot`). Returns the previous owner.
    pub fn unassign(&mut self, slot: Slot) -> Option<NodeRef> {
        let prev = self.entries[ix(slot)].owner.take();
        if let Some(p) = prev {
            self.counts[p.index() as usize] -= 1;
            self.runs[p.index() as usize].remove(slot.get());
            self.assigned -= 1;
        }
        prev
    }

    /// Set or clear (`None`) the migration target of `slot` (`CLUSTER SETSLOT <slot> MIGRATING`).
    /// Returns the previous value.
    pub fn set_migrating(&mut self, slot: Slot, to: Option<NodeRef>) -> Option<NodeRef> {
        let prev = std::mem::replace(&mut self.entries[ix(slot)].migrating_slots_to, to);
        self.note_open(slot);
        prev
    }

    /// Set or clear (`None`) the import source of `slot` (`CLUSTER SETSLOT <slot> IMPORTING`).
    /// Returns the previous value.
    pub fn set_importing(&mut self, slot: Slot, from: Option<NodeRef>) -> Option<NodeRef> {
        let prev = std::mem::replace(&mut self.entries[ix(slot)].importing_slots_from, from);
        self.note_open(slot);
        prev
    }

    /// Clear both migration states of `slot` (`CLUSTER SETSLOT <slot> STABLE`).
    pub fn set_stable(&mut self, slot: Slot) {
        let e = &mut self.entries[ix(slot)];
        e.migrating_slots_to = None;
        e.importing_slots_from = None;
        self.open.remove(&slot.get());
    }

    /// Keep `open` in step with `slot`'s entry.
    fn note_open(&mut self, slot: Slot) {
        if self.is_open(slot) {
            self.open.insert(slot.get());
        } else {
            self.open.remove(&slot.get());
        }
    }

    /// Whether `slot` is migrating or importing.
    #[inline]
    pub fn is_open(&self, slot: Slot) -> bool {
        let e = self.entry(slot);
        e.migrating_slots_to.is_some() || e.importing_slots_from.is_some()
    }

    /// The slots `node` owns (for the bus's `myslots` bitmap and `CLUSTER NODES`).
    pub fn slots_of(&self, node: NodeRef) -> SlotSet {
        match self.runs.get(node.index() as usize) {
            Some(runs) => SlotSet::from_bitmap(runs.to_bitmap()),
            None => SlotSet::new(),
        }
    }

    /// Whether `node` owns exactly the slots of `set` (`slots_of(node) == *set` without
    /// building a bitmap: each received PING/PONG asks it).
    pub fn owns_exactly(&self, node: NodeRef, set: &SlotSet) -> bool {
        match self.runs.get(node.index() as usize) {
            Some(runs) => runs.matches_bitmap(set.as_bitmap()),
            None => set.is_empty(),
        }
    }

    /// The runs of consecutive slots `node` owns, ascending (its part of [`Self::ranges`],
    /// without a scan of the map).
    pub fn ranges_of(&self, node: NodeRef) -> impl Iterator<Item = SlotRange> + '_ {
        let runs = self
            .runs
            .get(node.index() as usize)
            .map_or(&[][..], Runs::as_slice);
        runs.iter().map(move |&(a, b)| SlotRange {
            start: Slot::from_masked(a),
            end: Slot::from_masked(b),
            owner: Some(node),
        })
    }

    /// Slots that are migrating or importing, ascending.
    pub fn open_slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.open.iter().map(|&s| Slot::from_masked(s))
    }

    /// Number of slots `node` owns (Redis's `numslots`).
    #[inline]
    pub fn count_of(&self, node: NodeRef) -> usize {
        self.counts
            .get(node.index() as usize)
            .map_or(0, |&c| c as usize)
    }

    /// Number of slots with an owner (`cluster_slots_assigned`).
    #[inline]
    pub fn assigned_count(&self) -> usize {
        self.assigned
    }

    /// Whether every slot has an owner.
    #[inline]
    pub fn is_fully_covered(&self) -> bool {
        self.assigned == SLOT_COUNT
    }

    /// Nodes owning at least one slot, with their slot counts, in index order.
    pub fn owners(&self) -> impl Iterator<Item = (NodeRef, usize)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| (NodeRef::new(i as u32), c as usize))
    }

    /// Runs of consecutive slots with the same owner, ascending, covering all 16384 slots
    /// (unassigned runs have `owner: None`).
    pub fn ranges(&self) -> impl Iterator<Item = SlotRange> + '_ {
        let mut start = 0usize;
        std::iter::from_fn(move || {
            if start >= SLOT_COUNT {
                return None;
            }
            let owner = self.entries[start].owner;
            let len = self.entries[start..]
                .iter()
                .take_while(|e| e.owner == owner)
                .count();
            let range = SlotRange {
                start: Slot::from_masked(start as u16),
                end: Slot::from_masked((start + len - 1) as u16),
                owner,
            };
            start += len;
            Some(range)
        })
    }

    /// Runs of assigned slots only (what `CLUSTER SLOTS` lists).
    pub fn assigned_ranges(&self) -> impl Iterator<Item = SlotRange> + '_ {
        self.ranges().filter(|r| r.owner.is_some())
    }

    /// Slots with a migration target, ascending, with the target.
    pub fn migrating(&self) -> impl Iterator<Item = (Slot, NodeRef)> + '_ {
        self.open_slots()
            .filter_map(|s| self.entry(s).migrating_slots_to.map(|n| (s, n)))
    }

    /// Slots with an import source, ascending, with the source.
    pub fn importing(&self) -> impl Iterator<Item = (Slot, NodeRef)> + '_ {
        self.open_slots()
            .filter_map(|s| self.entry(s).importing_slots_from.map(|n| (s, n)))
    }

    /// Forget `node` (`clusterDelNode`): unassign its slots and clear every migration to or
    /// import from it. Returns the number of slots it owned.
    pub fn remove_node(&mut self, node: NodeRef) -> usize {
        let owned = self.count_of(node);
        // Its own slots from its runs, the migrations from the open set: no scan of the map.
        if let Some(runs) = self.runs.get_mut(node.index() as usize) {
            for &(a, b) in runs.as_slice() {
                for s in a..=b {
                    self.entries[s as usize & (SLOT_COUNT - 1)].owner = None;
                }
            }
            runs.clear();
        }
        if let Some(c) = self.counts.get_mut(node.index() as usize) {
            *c = 0;
        }
        let entries = &mut self.entries;
        self.open.retain(|&s| {
            let e = &mut entries[s as usize & (SLOT_COUNT - 1)];
            if e.importing_slots_from == Some(node) {
                e.importing_slots_from = None;
            }
            if e.migrating_slots_to == Some(node) {
                e.migrating_slots_to = None;
            }
            e.migrating_slots_to.is_some() || e.importing_slots_from.is_some()
        });
        self.assigned -= owned;
        owned
    }
}

impl fmt::Debug for SlotMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_struct("SlotMap");
        let ranges: Vec<String> = self
            .assigned_ranges()
            .map(|r| {
                let n = r.owner.map_or(0, |n| n.index());
                if r.start == r.end {
                    format!("{}->{n}", r.start)
                } else {
                    format!("{}-{}->{n}", r.start, r.end)
                }
            })
            .collect();
        m.field("assigned", &ranges);
        let mig: Vec<_> = self
            .migrating()
            .map(|(s, n)| (s.get(), n.index()))
            .collect();
        let imp: Vec<_> = self
            .importing()
            .map(|(s, n)| (s.get(), n.index()))
            .collect();
        m.field("migrating_slots_to", &mig)
            .field("importing_slots_from", &imp)
            .finish()
    }
}
