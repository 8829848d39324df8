//! `route` follows `getNodeByQuery` branch by branch (cluster spec §8.2), including the order in
//! which the checks are made.

mod common;

use common::*;
use hashslot_slots::{route, DownReason, Route, RouteRequest};

const NONE: &[&[u8]] = &[];

fn moved(key: &[u8], to: hashslot_slots::NodeRef) -> Route {
    Route::Moved {
        slot: slot(key),
        to,
    }
}

#[test]
fn keyless_requests_are_local_whatever_the_state() {
    let mut v = view();
    v.state_ok = false;
    let empty = hashslot_slots::SlotMap::new();
    assert_eq!(
        route(&empty, &v, &RouteRequest::new(&[]), db(NONE)),
        Route::Local
    );
}

#[test]
fn unbound_first_slot_wins_over_cross_slot_and_down() {
    let mut v = view();
    v.state_ok = false;
    let r = route(
        &map(),
        &v,
        &RouteRequest::new(&[b"{u}1", b"{a}1"]),
        db(NONE),
    );
    assert_eq!(r, Route::Down(DownReason::Unbound));
}

#[test]
fn a_later_key_in_another_slot_is_cross_slot_even_if_unbound() {
    let r = route(
        &map(),
        &view(),
        &RouteRequest::new(&[b"{a}1", b"{u}1"]),
        db(NONE),
    );
    assert_eq!(r, Route::CrossSlot);
}

#[test]
fn cross_slot_wins_over_cluster_down() {
    let mut v = view();
    v.state_ok = false;
    let r = route(
        &map(),
        &v,
        &RouteRequest::new(&[b"{a}1", b"{b}1"]),
        db(NONE),
    );
    assert_eq!(r, Route::CrossSlot);
}

#[test]
fn same_slot_keys_are_served_by_the_owner() {
    let m = map();
    assert_eq!(
        route(
            &m,
            &view(),
            &RouteRequest::new(&[b"{a}1", b"{a}2"]),
            db(NONE)
        ),
        Route::Local
    );
    let r = route(
        &m,
        &view(),
        &RouteRequest::new(&[b"{b}1", b"{b}2"]),
        db(NONE),
    );
    assert_eq!(r, moved(b"{b}", OTHER));
}

#[test]
fn cluster_down_refuses_keyed_commands_by_default() {
    let mut v = view();
    v.state_ok = false;
    let r = route(&map(), &v, &RouteRequest::new(&[b"{a}1"]), db(NONE));
    assert_eq!(r, Route::Down(DownReason::ClusterDown));
}

#[test]
fn cluster_down_with_reads_allowed() {
    let m = map();
    let mut v = view();
    v.state_ok = false;
    v.allow_reads_when_down = true;
    let read = RouteRequest::new(&[b"{a}1"]);
    assert_eq!(route(&m, &v, &read, db(NONE)), Route::Local);
    // A read that is not mine still gets its redirection.
    assert_eq!(
        route(&m, &v, &RouteRequest::new(&[b"{b}1"]), db(NONE)),
        moved(b"{b}", OTHER)
    );
    let write = RouteRequest {
        is_write: true,
        ..read
    };
    assert_eq!(
        route(&m, &v, &write, db(NONE)),
        Route::Down(DownReason::ReadOnly)
    );
    // EXEC's own flags have no CMD_WRITE: its queued writes were refused when queued.
    let exec = RouteRequest {
        is_exec: true,
        ..write
    };
    assert_eq!(route(&m, &v, &exec, db(NONE)), Route::Local);
}

#[test]
fn cluster_down_and_sharded_pubsub() {
    let m = map();
    let mut v = view();
    v.state_ok = false;
    let spublish = RouteRequest {
        is_pubsub_shard: true,
        ..RouteRequest::new(&[b"{a}ch"])
    };
    assert_eq!(route(&m, &v, &spublish, db(NONE)), Route::Local);
    v.allow_pubsubshard_when_down = false;
    v.allow_reads_when_down = true;
    assert_eq!(
        route(&m, &v, &spublish, db(NONE)),
        Route::Down(DownReason::ClusterDown)
    );
}

fn migrating_map() -> hashslot_slots::SlotMap {
    let mut m = map();
    m.set_migrating(slot(b"{a}"), Some(OTHER));
    m
}

#[test]
fn migrating_slot_serves_keys_it_still_has() {
    let r = route(
        &migrating_map(),
        &view(),
        &RouteRequest::new(&[b"{a}1", b"{a}2"]),
        db(&[b"{a}1", b"{a}2"]),
    );
    assert_eq!(r, Route::Local);
}

#[test]
fn migrating_slot_asks_the_target_when_all_keys_are_gone() {
    let m = migrating_map();
    let ask = Route::Ask {
        slot: slot(b"{a}"),
        to: OTHER,
    };
    assert_eq!(
        route(&m, &view(), &RouteRequest::new(&[b"{a}1"]), db(NONE)),
        ask
    );
    assert_eq!(
        route(
            &m,
            &view(),
            &RouteRequest::new(&[b"{a}1", b"{a}2"]),
            db(NONE)
        ),
        ask
    );
}

#[test]
fn migrating_slot_with_some_keys_here_is_try_again() {
    let r = route(
        &migrating_map(),
        &view(),
        &RouteRequest::new(&[b"{a}1", b"{a}2"]),
        db(&[b"{a}1"]),
    );
    assert_eq!(r, Route::TryAgain);
}

#[test]
fn migrate_command_is_local_while_the_slot_is_open() {
    let req = RouteRequest {
        is_migrate: true,
        is_write: true,
        ..RouteRequest::new(&[b"{a}1"])
    };
    assert_eq!(
        route(&migrating_map(), &view(), &req, db(NONE)),
        Route::Local
    );
}

#[test]
fn cluster_down_wins_over_ask() {
    let mut v = view();
    v.state_ok = false;
    let r = route(
        &migrating_map(),
        &v,
        &RouteRequest::new(&[b"{a}1"]),
        db(NONE),
    );
    assert_eq!(r, Route::Down(DownReason::ClusterDown));
}

#[test]
fn sharded_pubsub_ignores_channel_existence_during_migration() {
    let req = RouteRequest {
        is_pubsub_shard: true,
        ..RouteRequest::new(&[b"{a}ch"])
    };
    let r = route(&migrating_map(), &view(), &req, |_: &[u8]| {
        panic!("no lookup for channels")
    });
    assert_eq!(r, Route::Local);
}

#[test]
fn a_migration_mark_on_a_slot_i_do_not_own_is_ignored() {
    let mut m = map();
    m.set_migrating(slot(b"{b}"), Some(MASTER));
    let r = route(&m, &view(), &RouteRequest::new(&[b"{b}1"]), |_: &[u8]| {
        panic!("no lookup")
    });
    assert_eq!(r, moved(b"{b}", OTHER));
}

fn importing_map() -> hashslot_slots::SlotMap {
    let mut m = map();
    m.set_importing(slot(b"{b}"), Some(OTHER));
    m
}

#[test]
fn importing_slot_without_asking_is_moved_to_the_owner() {
    let r = route(
        &importing_map(),
        &view(),
        &RouteRequest::new(&[b"{b}1"]),
        db(&[b"{b}1"]),
    );
    assert_eq!(r, moved(b"{b}", OTHER));
}

#[test]
fn importing_slot_with_asking_serves_single_keys() {
    let m = importing_map();
    let req = RouteRequest {
        asking: true,
        ..RouteRequest::new(&[b"{b}1"])
    };
    assert_eq!(route(&m, &view(), &req, db(NONE)), Route::Local);
    // The same key twice is not "multiple keys".
    let twice = RouteRequest {
        asking: true,
        ..RouteRequest::new(&[b"{b}1", b"{b}1"])
    };
    assert_eq!(route(&m, &view(), &twice, db(NONE)), Route::Local);
}

#[test]
fn importing_slot_with_asking_and_missing_keys_of_many_is_try_again() {
    let m = importing_map();
    let req = RouteRequest {
        asking: true,
        ..RouteRequest::new(&[b"{b}1", b"{b}2"])
    };
    assert_eq!(route(&m, &view(), &req, db(&[b"{b}1"])), Route::TryAgain);
    assert_eq!(
        route(&m, &view(), &req, db(&[b"{b}1", b"{b}2"])),
        Route::Local
    );
}

#[test]
fn migrate_command_is_local_while_importing() {
    let req = RouteRequest {
        is_migrate: true,
        ..RouteRequest::new(&[b"{b}1"])
    };
    assert_eq!(
        route(&importing_map(), &view(), &req, db(NONE)),
        Route::Local
    );
}

#[test]
fn stable_slots_never_look_keys_up() {
    let req = RouteRequest::new(&[b"{a}1", b"{a}2"]);
    assert_eq!(
        route(&map(), &view(), &req, |_: &[u8]| panic!("no lookup")),
        Route::Local
    );
}

#[test]
fn every_key_is_looked_up_once_during_a_migration() {
    let mut asked = Vec::new();
    let req = RouteRequest::new(&[b"{a}1", b"{a}2", b"{a}1"]);
    let r = route(&migrating_map(), &view(), &req, |k: &[u8]| {
        asked.push(k.to_vec());
        true
    });
    assert_eq!(r, Route::Local);
    assert_eq!(asked, [&b"{a}1"[..], b"{a}2", b"{a}1"]);
}

fn replica_view() -> hashslot_slots::ClusterView {
    let mut v = view();
    v.my_master = Some(MASTER);
    v
}

#[test]
fn readonly_replica_serves_reads_of_its_master_slots() {
    let m = map();
    let v = replica_view();
    let read = RouteRequest {
        readonly_client: true,
        ..RouteRequest::new(&[b"{c}1"])
    };
    assert_eq!(route(&m, &v, &read, db(NONE)), Route::Local);
    let write = RouteRequest {
        is_write: true,
        ..read
    };
    assert_eq!(route(&m, &v, &write, db(NONE)), moved(b"{c}", MASTER));
    // EXEC with a queued write is a write here.
    let exec = RouteRequest {
        is_exec: true,
        is_write: true,
        ..read
    };
    assert_eq!(route(&m, &v, &exec, db(NONE)), moved(b"{c}", MASTER));
    let plain = RouteRequest::new(&[b"{c}1"]);
    assert_eq!(route(&m, &v, &plain, db(NONE)), moved(b"{c}", MASTER));
    // Another master's slot is still redirected.
    let other = RouteRequest {
        readonly_client: true,
        ..RouteRequest::new(&[b"{b}1"])
    };
    assert_eq!(route(&m, &v, &other, db(NONE)), moved(b"{b}", OTHER));
}

#[test]
fn replica_serves_sharded_pubsub_of_its_master_without_readonly() {
    let req = RouteRequest {
        is_pubsub_shard: true,
        ..RouteRequest::new(&[b"{c}ch"])
    };
    assert_eq!(route(&map(), &replica_view(), &req, db(NONE)), Route::Local);
}
