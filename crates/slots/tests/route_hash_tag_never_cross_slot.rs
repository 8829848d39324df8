//! Keys sharing one hash tag are never CROSSSLOT, whatever the rest of the key, the map or
//! the flags.

use hashslot_slots::{key_slot, route, ClusterView, NodeRef, Route, RouteRequest, SlotMap};
use hashslot_types::Slot;
use proptest::collection::vec;
use proptest::prelude::*;

fn tagged_key(tag: &[u8], prefix: &[u8], suffix: &[u8]) -> Vec<u8> {
    // The prefix has no `{`, so `{tag}` is the first tag of the key.
    let mut k: Vec<u8> = prefix.iter().copied().filter(|&b| b != b'{').collect();
    k.push(b'{');
    k.extend_from_slice(tag);
    k.push(b'}');
    k.extend_from_slice(suffix);
    k
}

proptest! {
    #[test]
    fn one_tag_is_one_slot(
        tag in vec(any::<u8>().prop_filter("no }", |&b| b != b'}'), 1..12),
        parts in vec(
            (vec(any::<u8>(), 0..10), vec(any::<u8>(), 0..10)),
            1..8),
        owner in 0u32..3,
        migrating in proptest::option::of(0u32..3),
        importing in proptest::option::of(0u32..3),
        state_ok in any::<bool>(),
        flags in any::<[bool; 6]>(),
        present in any::<u64>(),
    ) {
        let keys: Vec<Vec<u8>> = parts.iter().map(|(p, s)| tagged_key(&tag, p, s)).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let slot: Slot = key_slot(&tag);
        prop_assert!(keys.iter().all(|k| key_slot(k) == slot));

        let mut map = SlotMap::new();
        map.assign(slot, NodeRef::new(owner));
        map.set_migrating(slot, migrating.map(NodeRef::new));
        map.set_importing(slot, importing.map(NodeRef::new));
        let mut view = ClusterView::new(NodeRef::new(0));
        view.state_ok = state_ok;
        view.allow_reads_when_down = flags[5];
        let req = RouteRequest {
            keys: &refs,
            is_write: flags[0],
            asking: flags[1],
            readonly_client: flags[2],
            is_exec: flags[3],
            is_migrate: flags[4],
            is_pubsub_shard: false,
        };
        let mut i = 0;
        let r = route(&map, &view, &req, |_| { i += 1; present >> (i % 64) & 1 == 1 });
        prop_assert_ne!(r, Route::CrossSlot);
    }
}
