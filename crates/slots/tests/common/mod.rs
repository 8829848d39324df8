//! Fixture shared by the route tests: node 0 is `myself`, node 1 another master, node 2 my
//! master when I am a replica. Slot of `{a}` keys is mine, `{b}` keys node 1's, `{c}` keys node
//! 2's, `{u}` keys unassigned.
#![allow(dead_code)]

use hashslot_slots::{key_slot, ClusterView, NodeRef, SlotMap};
use hashslot_types::Slot;

pub const ME: NodeRef = NodeRef::new(0);
pub const OTHER: NodeRef = NodeRef::new(1);
pub const MASTER: NodeRef = NodeRef::new(2);

pub fn slot(key: &[u8]) -> Slot {
    key_slot(key)
}

pub fn map() -> SlotMap {
    let mut m = SlotMap::new();
    m.assign(slot(b"{a}"), ME);
    m.assign(slot(b"{b}"), OTHER);
    m.assign(slot(b"{c}"), MASTER);
    assert_eq!(m.owner(slot(b"{u}")), None);
    m
}

pub fn view() -> ClusterView {
    ClusterView::new(ME)
}

/// A key-existence callback backed by a list of present keys.
pub fn db<'a>(present: &'a [&'a [u8]]) -> impl FnMut(&[u8]) -> bool + 'a {
    move |k: &[u8]| present.contains(&k)
}
