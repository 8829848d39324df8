//! `SlotMap` behaves like a plain model (three `BTreeMap`s) under any sequence of operations,
//! and its derived counts, per-node runs and open-slot set stay consistent.

use std::collections::BTreeMap;

use hashslot_slots::{NodeRef, SlotMap};
use hashslot_types::{Slot, SLOT_COUNT};
use proptest::option::of;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Assign(u16, u32),
    Unassign(u16),
    Migrating(u16, Option<u32>),
    Importing(u16, Option<u32>),
    Stable(u16),
    RemoveNode(u32),
}

fn slot_strategy() -> impl Strategy<Value = u16> {
    // Mostly a few hot slots (collisions), sometimes anywhere including the edges.
    prop_oneof![0u16..8, Just(16383u16), 0u16..16384]
}

fn op() -> impl Strategy<Value = Op> {
    let node = 0u32..5;
    prop_oneof![
        4 => (slot_strategy(), node.clone()).prop_map(|(s, n)| Op::Assign(s, n)),
        2 => slot_strategy().prop_map(Op::Unassign),
        1 => (slot_strategy(), of(node.clone())).prop_map(|(s, n)| Op::Migrating(s, n)),
        1 => (slot_strategy(), of(node.clone())).prop_map(|(s, n)| Op::Importing(s, n)),
        1 => slot_strategy().prop_map(Op::Stable),
        1 => node.prop_map(Op::RemoveNode),
    ]
}

#[derive(Default)]
struct Model {
    owner: BTreeMap<u16, u32>,
    migrating: BTreeMap<u16, u32>,
    importing: BTreeMap<u16, u32>,
}

fn set(m: &mut BTreeMap<u16, u32>, s: u16, v: Option<u32>) -> Option<u32> {
    match v {
        Some(v) => m.insert(s, v),
        None => m.remove(&s),
    }
}

proptest! {
    #[test]
    fn slot_map_matches_model(ops in proptest::collection::vec(op(), 0..60)) {
        let mut map = SlotMap::new();
        let mut model = Model::default();
        let s = |n: u16| Slot::new(n).unwrap();
        let idx = |r: Option<NodeRef>| r.map(NodeRef::index);
        for op in &ops {
            match *op {
                Op::Assign(sl, n) => {
                    let prev = map.assign(s(sl), NodeRef::new(n));
                    prop_assert_eq!(idx(prev), model.owner.insert(sl, n));
                }
                Op::Unassign(sl) => {
                    prop_assert_eq!(idx(map.unassign(s(sl))), model.owner.remove(&sl));
                }
                Op::Migrating(sl, n) => {
                    let prev = map.set_migrating(s(sl), n.map(NodeRef::new));
                    prop_assert_eq!(idx(prev), set(&mut model.migrating, sl, n));
                }
                Op::Importing(sl, n) => {
                    let prev = map.set_importing(s(sl), n.map(NodeRef::new));
                    prop_assert_eq!(idx(prev), set(&mut model.importing, sl, n));
                }
                Op::Stable(sl) => {
                    map.set_stable(s(sl));
                    model.migrating.remove(&sl);
                    model.importing.remove(&sl);
                }
                Op::RemoveNode(n) => {
                    let owned = model.owner.values().filter(|&&o| o == n).count();
                    prop_assert_eq!(map.remove_node(NodeRef::new(n)), owned);
                    model.owner.retain(|_, o| *o != n);
                    model.migrating.retain(|_, o| *o != n);
                    model.importing.retain(|_, o| *o != n);
                }
            }
        }

        // Per-slot state.
        for sl in 0..SLOT_COUNT as u16 {
            let want = |m: &BTreeMap<u16, u32>| m.get(&sl).copied();
            prop_assert_eq!(idx(map.owner(s(sl))), want(&model.owner));
            prop_assert_eq!(idx(map.migrating_slots_to(s(sl))), want(&model.migrating));
            prop_assert_eq!(idx(map.importing_slots_from(s(sl))), want(&model.importing));
        }
        let mig: Vec<(u16, u32)> = map.migrating().map(|(s, n)| (s.get(), n.index())).collect();
        prop_assert_eq!(mig, model.migrating.iter().map(|(&s, &n)| (s, n)).collect::<Vec<_>>());
        let imp: Vec<(u16, u32)> = map.importing().map(|(s, n)| (s.get(), n.index())).collect();
        prop_assert_eq!(imp, model.importing.iter().map(|(&s, &n)| (s, n)).collect::<Vec<_>>());
        let open: Vec<u16> = map.open_slots().map(|s| s.get()).collect();
        let want_open: std::collections::BTreeSet<u16> =
            model.migrating.keys().chain(model.importing.keys()).copied().collect();
        prop_assert_eq!(open, want_open.into_iter().collect::<Vec<_>>());

        // Derived counts agree with the slots.
        prop_assert_eq!(map.assigned_count(), model.owner.len());
        prop_assert_eq!(map.is_fully_covered(), model.owner.len() == SLOT_COUNT);
        let mut total = 0;
        for n in 0..5u32 {
            let set = map.slots_of(NodeRef::new(n));
            let want: Vec<u16> =
                model.owner.iter().filter(|(_, &o)| o == n).map(|(&s, _)| s).collect();
            prop_assert_eq!(set.iter().map(|s| s.get()).collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(map.count_of(NodeRef::new(n)), want.len());
            // The per-node runs are that node's part of the whole-map ranges.
            let mine: Vec<_> = map.ranges_of(NodeRef::new(n)).collect();
            let from_scan: Vec<_> =
                map.ranges().filter(|r| r.owner == Some(NodeRef::new(n))).collect();
            prop_assert_eq!(mine, from_scan);
            total += want.len();
        }
        prop_assert_eq!(total, map.assigned_count());
        let owners: Vec<(u32, usize)> = map.owners().map(|(n, c)| (n.index(), c)).collect();
        prop_assert_eq!(owners.iter().map(|&(_, c)| c).sum::<usize>(), total);

        // Ranges tile the slot space in order, and adjacent runs differ in owner.
        let ranges: Vec<_> = map.ranges().collect();
        let mut next = 0u32;
        for (i, r) in ranges.iter().enumerate() {
            prop_assert_eq!(u32::from(r.start.get()), next);
            prop_assert!(r.end >= r.start);
            for sl in r.start.get()..=r.end.get() {
                prop_assert_eq!(map.owner(s(sl)), r.owner);
            }
            if i > 0 {
                prop_assert_ne!(ranges[i - 1].owner, r.owner);
            }
            next = u32::from(r.end.get()) + 1;
        }
        prop_assert_eq!(next, SLOT_COUNT as u32);
        prop_assert!(map.assigned_ranges().all(|r| r.owner.is_some()));
    }
}

#[test]
fn node_ref_round_trips_and_fits_in_four_bytes() {
    assert_eq!(NodeRef::new(0).index(), 0);
    assert_eq!(NodeRef::new(u32::MAX - 1).index(), u32::MAX - 1);
    assert_eq!(std::mem::size_of::<Option<NodeRef>>(), 4);
}

#[test]
fn equal_maps_compare_equal_whatever_their_history() {
    let mut a = SlotMap::new();
    let b = SlotMap::new();
    a.assign(Slot::new(5).unwrap(), NodeRef::new(100));
    a.unassign(Slot::new(5).unwrap());
    assert_eq!(a, b);
}
