//! `Ctx::replica` and `Ctx::from_master` (what a replica node sets): a replica's own reads see
//! an expired key as missing but never delete it (nothing counted, logged for propagation or
//! notified), EXPIRE with a past time keeps the key with that time, a write of the replica's own
//! client (a writable replica) still deletes what it finds expired, and the master's stream sees
//! every key as live: its `DEL` removes the key as a plain delete. Ref: db.c `expireIfNeeded`,
//! `lookupKey`, `delGenericCommand`, expire.c `checkAlreadyExpired` (7.0). Virtual time.

mod common;

use common::split;
use hashslot_keyspace::{commands, notify, Ctx, Db, KeyspaceStats};
use hashslot_resp::{Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};

const T0: i64 = 1_700_000_000_000;

/// Who runs a command on the replica.
#[derive(Clone, Copy)]
enum Who {
    /// A client of the replica itself.
    Client,
    /// The master's replication stream.
    Master,
}

struct Replica {
    dbs: Vec<Db>,
    rng: Rng,
    stats: KeyspaceStats,
    now: Now,
}

impl Replica {
    fn new() -> Replica {
        let mut db = Db::with_seed(5);
        db.set_track_expired(true);
        Replica {
            dbs: vec![db],
            rng: Rng::from_seed(9),
            stats: KeyspaceStats::default(),
            now: Now::new(Instant::from_nanos(0), UnixMillis(T0)),
        }
    }

    fn run(&mut self, who: Who, line: &str) -> String {
        let args = split(line);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        let spec = commands()
            .iter()
            .find(|c| c.name == name)
            .expect("known command");
        let mut out = Vec::new();
        let reply = Reply::new(&mut out, Proto::Resp2);
        let mut ctx = Ctx::new(
            &mut self.dbs,
            0,
            self.now,
            reply,
            &mut self.rng,
            &mut self.stats,
        );
        ctx.replica = true;
        ctx.from_master = matches!(who, Who::Master);
        ctx.limits.notify_keyspace_events = notify::parse_flags(b"KEA").expect("flags");
        (spec.handler.expect("leaf"))(&mut ctx, &argv);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn client(&mut self, line: &str) -> String {
        self.run(Who::Client, line)
    }

    fn master(&mut self, line: &str) -> String {
        self.run(Who::Master, line)
    }

    fn db(&mut self) -> &mut Db {
        &mut self.dbs[0]
    }

    /// Nothing was deleted by expiry: no count, no DEL to propagate, no `expired` event.
    fn assert_nothing_expired(&mut self) {
        assert_eq!(self.stats.expired_keys, 0);
        assert!(self.db().take_expired_keys().is_empty());
        assert!(!self.db().take_events().iter().any(|e| e.event == "expired"));
    }
}

/// A replica holding `s` (a string) and `h` (a hash) that expire 100 ms after `T0`, and `live`.
fn filled() -> Replica {
    let mut r = Replica::new();
    for line in [
        "SET live v",
        "SET s 12 PX 100",
        "HSET h f v",
        "PEXPIRE h 100",
    ] {
        r.master(line);
    }
    r.db().take_events();
    r.now = r.now.advance_millis(200);
    r
}

#[test]
fn reads_of_its_clients_hide_expired_keys_and_keep_them() {
    let mut r = filled();
    assert_eq!(r.client("GET s"), "$-1\r\n");
    assert_eq!(r.client("HGET h f"), "$-1\r\n");
    assert_eq!(r.client("EXISTS s h live"), ":1\r\n");
    assert_eq!(r.client("TTL s"), ":-2\r\n");
    assert_eq!(r.client("TYPE h"), "+none\r\n");
    assert_eq!(r.client("KEYS *"), "*1\r\n$4\r\nlive\r\n");
    assert_eq!(
        r.client("SCAN 0 COUNT 100"),
        "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlive\r\n"
    );
    // DBSIZE counts what is stored, as Redis's dictSize does.
    assert_eq!(r.client("DBSIZE"), ":3\r\n");
    assert_eq!(r.db().len(), 3);
    r.assert_nothing_expired();
}

#[test]
fn the_masters_stream_sees_expired_keys_as_live_and_its_del_deletes_them() {
    let mut r = filled();
    // A command of the stream runs on the stored value (the master saw it live).
    assert_eq!(r.master("INCR s"), ":13\r\n");
    assert_eq!(r.master("HSET h g w"), ":1\r\n");
    assert_eq!(r.db().len(), 3);
    // The master's DEL (what it sends when it expires a key) is an ordinary delete.
    assert_eq!(r.master("DEL s h"), ":2\r\n");
    assert_eq!(r.client("DBSIZE"), ":1\r\n");
    r.assert_nothing_expired();
}

#[test]
fn expire_with_a_past_time_keeps_the_key_until_the_master_deletes_it() {
    let mut r = Replica::new();
    r.master("SET k v");
    let past = (T0 - 1000).to_string();
    assert_eq!(r.master(&format!("PEXPIREAT k {past}")), ":1\r\n");
    assert_eq!(r.db().len(), 1);
    assert_eq!(r.db().expire_time(b"k"), Some(T0 - 1000));
    assert_eq!(r.client("GET k"), "$-1\r\n");
    r.assert_nothing_expired();
}

#[test]
fn a_write_of_its_own_client_deletes_what_it_finds_expired() {
    let mut r = filled();
    // As on a writable replica (`replica-read-only no`): the write starts from nothing.
    assert_eq!(r.client("INCR s"), ":1\r\n");
    assert_eq!(r.stats.expired_keys, 1);
    assert_eq!(r.db().take_expired_keys(), vec![b"s".to_vec()]);
    // DEL of an expired key by its client deletes it as a plain delete (Redis replies 1).
    assert_eq!(r.client("DEL h"), ":1\r\n");
    assert_eq!(r.stats.expired_keys, 1);
}

#[test]
fn randomkey_never_spins_on_expired_keys() {
    let mut r = filled();
    r.master("DEL live");
    // Every key has expired: a bounded number of draws, then one of them (as Redis does on a
    // replica: `dbRandomKey` gives up after 100 tries when every key has a TTL).
    let got = r.client("RANDOMKEY");
    assert!(got == "$1\r\ns\r\n" || got == "$1\r\nh\r\n", "{got}");
    assert_eq!(r.db().len(), 2);
    r.assert_nothing_expired();
}

#[test]
fn getex_with_a_past_time_keeps_the_key_on_a_writable_replica() {
    let mut r = Replica::new();
    r.client("SET k v");
    let past = (T0 - 1000).to_string();
    assert_eq!(r.client(&format!("GETEX k PXAT {past}")), "$1\r\nv\r\n");
    assert_eq!(r.db().expire_time(b"k"), Some(T0 - 1000));
    assert_eq!(r.client("EXISTS k"), ":0\r\n");
    r.assert_nothing_expired();
}
