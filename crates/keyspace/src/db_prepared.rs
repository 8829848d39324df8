//! Bulk loading in two steps: [`Db::prepare`] turns a loaded key into its final entry (and
//! object) while the key's bytes are still in the cache, and [`Db::insert_prepared`] files it
//! under its slot later, after the loader has sorted a batch by slot.
//!
//! Why: an RDB file written by Redis lists keys in Redis's hash order, which scatters them over
//! all 16384 slot tables, so the node's loader sorts a batch by slot before inserting. Holding
//! the loaded key and value (two allocations) until then and building the entry at insert time
//! frees them in slot order, not in the order they were allocated: that scattered freeing made
//! glibc's malloc consolidate and unlink chunks for ~25% of the load time, and hashing the
//! now-cold key cost another ~9%. A prepared key is one allocation (the entry), hashed already.

use hashslot_types::UnixMillis;

use crate::db::{lru_now, Loc};
use crate::entry::{self, KIND_OBJ};
use crate::value::Value;
use crate::Db;

/// A key made ready by [`Db::prepare`], to be inserted into the same database with
/// [`Db::insert_prepared`] (a prepared value that is never inserted keeps its object slot
/// until [`Db::clear`]).
#[derive(Debug)]
pub struct Prepared {
    loc: Loc,
    entry: Box<[u8]>,
}

impl Prepared {
    /// The key's hash slot (what a loader sorts a batch by).
    pub fn slot(&self) -> u16 {
        self.loc.slot as u16
    }
}

impl Db {
    /// Build `key`'s entry for `v` with TTL `expire` (unix ms), as [`Db::insert`] would store
    /// it, without inserting it yet.
    pub fn prepare(
        &mut self,
        key: &[u8],
        v: Value,
        expire: Option<i64>,
        now: UnixMillis,
    ) -> Prepared {
        let loc = self.loc(key);
        let entry = match v {
            Value::Str(s) => self.build_str(key, &s, expire, lru_now(now)),
            Value::Obj(o) => {
                let i = self.alloc_object(o);
                entry::build(KIND_OBJ, lru_now(now), expire, key, &i.to_le_bytes())
            }
        };
        Prepared { loc, entry }
    }

    /// Insert a key made by [`Db::prepare`] on this database, replacing any value the key has
    /// (as [`Db::insert`] does).
    pub fn insert_prepared(&mut self, p: Prepared) {
        let key = entry::key(&p.entry);
        let found = self.table(p.loc.slot).and_then(|t| t.find(p.loc.h, key));
        match found {
            Some(pos) => {
                let old = self.replace_at(p.loc, pos, p.entry);
                if entry::kind(&old) == KIND_OBJ {
                    let _ = self.free_object(&old);
                }
            }
            None => {
                self.insert_entry(p.loc, p.entry);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Object, ValueRef};
    use crate::List;

    #[test]
    fn prepared_keys_read_back_as_inserted_ones() {
        let now = UnixMillis(1_700_000_000_000);
        let mut db = Db::new();
        let mut list = List::new();
        list.push_back(b"x");
        let values = [
            (b"int".to_vec(), Value::Str(b"42".to_vec()), None),
            (
                b"str".to_vec(),
                Value::Str(b"hello".to_vec()),
                Some(now.0 + 5000),
            ),
            (b"big".to_vec(), Value::Str(vec![b'b'; 600]), None),
            (
                b"list".to_vec(),
                Value::Obj(Object::List(list)),
                Some(now.0 + 9000),
            ),
        ];
        let mut prepared: Vec<Prepared> = values
            .iter()
            .map(|(k, v, e)| db.prepare(k, v.clone(), *e, now))
            .collect();
        prepared.sort_by_key(Prepared::slot);
        for p in prepared {
            db.insert_prepared(p);
        }
        // Same key again: replaces, freeing the old object.
        let p = db.prepare(b"list", Value::Str(b"v".to_vec()), None, now);
        db.insert_prepared(p);
        let mut reference = Db::new();
        for (k, v, e) in values.iter().take(3) {
            reference.insert(k, v.clone(), *e, now);
        }
        reference.insert(b"list", Value::Str(b"v".to_vec()), None, now);
        assert_eq!(db.len(), 4);
        assert_eq!(db.expires_len(), 1);
        for k in [&b"int"[..], b"str", b"big", b"list"] {
            let (a, b) = (
                db.peek(k).expect("ours"),
                reference.peek(k).expect("reference"),
            );
            match (a, b) {
                (ValueRef::Str(x, ex), ValueRef::Str(y, ey)) => {
                    assert_eq!((x.to_vec(), ex), (y.to_vec(), ey));
                }
                _ => panic!("{k:?}: both strings"),
            }
            assert_eq!(db.expire_time(k), reference.expire_time(k));
        }
        assert_eq!(db.used_memory(), db.used_memory_walk());
    }
}
