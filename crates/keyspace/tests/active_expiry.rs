//! Active expiry with virtual time: due keys go earliest first, within the budget, and nothing
//! that is not yet due is touched.

use hashslot_keyspace::Db;
use hashslot_types::UnixMillis;

#[test]
fn expires_due_keys_within_budget() {
    let t0 = UnixMillis(1_000_000);
    let mut db = Db::with_seed(11);
    db.set_track_expired(true);
    for i in 0..1000i64 {
        let k = format!("k{i}");
        db.set_str(k.as_bytes(), b"v", false, t0);
        // Keys 0..500 expire at t0+1..t0+500; 500..1000 never.
        if i < 500 {
            db.set_expire(k.as_bytes(), Some(t0.0 + 1 + i));
        }
    }
    assert_eq!(db.expires_len(), 500);
    assert_eq!(db.avg_ttl(t0), 250); // mean of 1..=500 is 250.5, integer division
    assert_eq!(db.active_expire_cycle(t0, 100), 0);

    // At t0+100, keys expiring at t0+1..=t0+99 are due (Redis: now > when).
    let t = UnixMillis(t0.0 + 100);
    assert_eq!(db.active_expire_cycle(t, 40), 40);
    assert_eq!(db.active_expire_cycle(t, 1000), 59);
    assert_eq!(db.active_expire_cycle(t, 1000), 0);
    assert_eq!(db.len(), 1000 - 99);
    assert_eq!(db.expires_len(), 500 - 99);
    let log = db.take_expired_keys();
    assert_eq!(log.len(), 99);
    assert_eq!(log[0], b"k0");

    let t = UnixMillis(t0.0 + 10_000);
    assert_eq!(db.active_expire_cycle(t, usize::MAX), 401);
    assert_eq!((db.len(), db.expires_len(), db.avg_ttl(t)), (500, 0, 0));
}

#[test]
fn changed_and_removed_ttls_leave_no_stale_index_entries() {
    let t0 = UnixMillis(0);
    let mut db = Db::with_seed(3);
    db.set_str(b"a", b"1", false, t0);
    db.set_expire(b"a", Some(10));
    db.set_expire(b"a", Some(20)); // moved later
    db.set_str(b"b", b"1", false, t0);
    db.set_expire(b"b", Some(5));
    db.set_expire(b"b", None); // persisted
    db.set_str(b"c", b"1", false, t0);
    db.set_expire(b"c", Some(5));
    db.set_str(b"c", b"2", false, t0); // SET clears the TTL
    assert_eq!(db.expires_len(), 1);
    assert_eq!(db.active_expire_cycle(UnixMillis(15), 10), 0);
    assert_eq!(db.active_expire_cycle(UnixMillis(21), 10), 1);
    assert_eq!(db.len(), 2);
}
