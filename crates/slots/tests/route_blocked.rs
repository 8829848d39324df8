//! Blocked clients are released when their slot leaves this node
//! (`clusterRedirectBlockedClientIfNeeded`).

mod common;

use common::*;
use hashslot_slots::{route_blocked, DownReason, Route};

#[test]
fn stays_blocked_on_my_slot() {
    assert_eq!(
        route_blocked(&map(), &view(), b"{a}list", false, true),
        None
    );
}

#[test]
fn released_with_moved_when_the_slot_moved_away() {
    let r = route_blocked(&map(), &view(), b"{b}list", false, true);
    assert_eq!(
        r,
        Some(Route::Moved {
            slot: slot(b"{b}"),
            to: OTHER
        })
    );
}

#[test]
fn released_with_unbound_when_the_slot_has_no_owner() {
    let r = route_blocked(&map(), &view(), b"{u}list", false, true);
    assert_eq!(r, Some(Route::Down(DownReason::Unbound)));
}

#[test]
fn stays_blocked_while_the_slot_is_imported() {
    let mut m = map();
    m.set_importing(slot(b"{b}"), Some(OTHER));
    assert_eq!(route_blocked(&m, &view(), b"{b}list", false, true), None);
}

#[test]
fn released_when_the_cluster_is_down_even_if_reads_are_allowed() {
    let mut v = view();
    v.state_ok = false;
    v.allow_reads_when_down = true;
    let r = route_blocked(&map(), &v, b"{a}list", false, false);
    assert_eq!(r, Some(Route::Down(DownReason::ClusterDown)));
}

#[test]
fn readonly_replica_keeps_non_writing_blocked_reads_of_its_master() {
    let mut v = view();
    v.my_master = Some(MASTER);
    assert_eq!(route_blocked(&map(), &v, b"{c}s", true, false), None);
    let r = route_blocked(&map(), &v, b"{c}s", true, true);
    assert_eq!(
        r,
        Some(Route::Moved {
            slot: slot(b"{c}"),
            to: MASTER
        })
    );
}
