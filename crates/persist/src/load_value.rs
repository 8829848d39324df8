//! Reading one RDB value body (`rdbLoadObject`) into a keyspace [`Value`], giving it the encoding
//! Redis 7.0 would: collections are built by inserting their elements, so the keyspace types
//! apply the same listpack/intset limits Redis applies on load.

use std::borrow::Cow;

use hashslot_keyspace::{Hash, List, Object, Set, StrRef, Value, ZSet};

use crate::consts::*;
use crate::error::RdbError;
use crate::read::Rd;
use crate::{intset, listpack, score, ziplist, zipmap};

fn corrupt(offset: usize, what: &'static str) -> RdbError {
    RdbError::Corrupt { offset, what }
}

fn to_bytes(v: StrRef<'_>) -> Cow<'_, [u8]> {
    match v {
        StrRef::Bytes(b) => Cow::Borrowed(b),
        StrRef::Int(i) => Cow::Owned(i.to_string().into_bytes()),
    }
}

fn lp_items(buf: &[u8], at: usize) -> Result<Vec<StrRef<'_>>, RdbError> {
    listpack::iter(buf)
        .map_err(|_| corrupt(at, "invalid listpack"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt(at, "invalid listpack"))
}

fn zl_items(buf: &[u8], at: usize) -> Result<Vec<StrRef<'_>>, RdbError> {
    ziplist::decode(buf).map_err(|_| corrupt(at, "invalid ziplist"))
}

struct HashBuild {
    h: Hash,
    at: usize,
}

impl HashBuild {
    fn add(&mut self, f: &[u8], v: &[u8]) -> Result<(), RdbError> {
        if self.h.insert(f, v) {
            Ok(())
        } else {
            Err(corrupt(self.at, "duplicate hash field"))
        }
    }
}

fn zadd(z: &mut ZSet, m: &[u8], s: f64, at: usize) -> Result<(), RdbError> {
    if s.is_nan() {
        return Err(corrupt(at, "NaN score"));
    }
    match z.insert(m, s) {
        None => Ok(()),
        Some(_) => Err(corrupt(at, "duplicate zset member")),
    }
}

fn sadd(s: &mut Set, m: &[u8], at: usize) -> Result<(), RdbError> {
    if s.insert(m) {
        Ok(())
    } else {
        Err(corrupt(at, "duplicate set member"))
    }
}

fn pairs_to_zset(items: &[StrRef<'_>], at: usize) -> Result<ZSet, RdbError> {
    if items.len() % 2 != 0 {
        return Err(corrupt(at, "odd zset listpack"));
    }
    let mut z = ZSet::new();
    for p in items.chunks_exact(2) {
        let sc = match p[1] {
            StrRef::Int(i) => i as f64,
            StrRef::Bytes(b) => score::parse(b).ok_or(corrupt(at, "bad score"))?,
        };
        zadd(&mut z, &to_bytes(p[0]), sc, at)?;
    }
    Ok(z)
}

fn pairs_to_hash(items: &[StrRef<'_>], at: usize) -> Result<Hash, RdbError> {
    if items.len() % 2 != 0 {
        return Err(corrupt(at, "odd hash listpack"));
    }
    let mut b = HashBuild { h: Hash::new(), at };
    for p in items.chunks_exact(2) {
        b.add(&to_bytes(p[0]), &to_bytes(p[1]))?;
    }
    Ok(b.h)
}

/// Read the body of a value of RDB type `ty`. `Ok(None)` is an empty collection, which Redis
/// 7.0 skips (`RDB_LOAD_ERR_EMPTY_KEY`) rather than refusing the file.
pub(crate) fn read_value(rd: &mut Rd<'_>, ty: u8, ty_at: usize) -> Result<Option<Value>, RdbError> {
    let at = rd.pos;
    let obj = match ty {
        TYPE_STRING => return Ok(Some(Value::Str(rd.string()?.into_owned()))),
        TYPE_LIST => {
            let n = rd.count(1)?;
            let mut l = List::new();
            for _ in 0..n {
                l.push_back(&rd.string()?);
            }
            Object::List(l)
        }
        TYPE_LIST_ZIPLIST => {
            let blob = rd.string()?;
            let mut l = List::new();
            for e in zl_items(&blob, at)? {
                l.push_back(&to_bytes(e));
            }
            Object::List(l)
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = rd.count(2)?;
            let mut l = List::new();
            for _ in 0..nodes {
                let container = if ty == TYPE_LIST_QUICKLIST_2 {
                    rd.len()?
                } else {
                    QUICKLIST_PACKED
                };
                let node_at = rd.pos;
                let blob = rd.string()?;
                match container {
                    QUICKLIST_PLAIN => l.push_back(&blob),
                    QUICKLIST_PACKED => {
                        let items = if ty == TYPE_LIST_QUICKLIST_2 {
                            lp_items(&blob, node_at)?
                        } else {
                            zl_items(&blob, node_at)?
                        };
                        // Redis skips empty nodes silently.
                        for e in items {
                            l.push_back(&to_bytes(e));
                        }
                    }
                    _ => return Err(corrupt(node_at, "unknown quicklist container")),
                }
            }
            Object::List(l)
        }
        TYPE_SET => {
            let n = rd.count(1)?;
            let mut s = Set::new();
            for _ in 0..n {
                let m_at = rd.pos;
                sadd(&mut s, &rd.string()?, m_at)?;
            }
            Object::Set(s)
        }
        TYPE_SET_INTSET => {
            let blob = rd.string()?;
            let ints = intset::decode(&blob).map_err(|_| corrupt(at, "invalid intset"))?;
            let mut s = Set::new();
            for v in ints {
                sadd(&mut s, v.to_string().as_bytes(), at)?;
            }
            Object::Set(s)
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = rd.count(if ty == TYPE_ZSET_2 { 9 } else { 2 })?;
            let mut z = ZSet::new();
            for _ in 0..n {
                let m_at = rd.pos;
                let m = rd.string()?;
                let sc = if ty == TYPE_ZSET_2 {
                    rd.binary_double()?
                } else {
                    rd.text_double()?
                };
                zadd(&mut z, &m, sc, m_at)?;
            }
            Object::ZSet(z)
        }
        TYPE_ZSET_ZIPLIST => Object::ZSet(pairs_to_zset(&zl_items(&rd.string()?, at)?, at)?),
        TYPE_ZSET_LISTPACK => Object::ZSet(pairs_to_zset(&lp_items(&rd.string()?, at)?, at)?),
        TYPE_HASH => {
            let n = rd.count(2)?;
            let mut b = HashBuild { h: Hash::new(), at };
            for _ in 0..n {
                b.at = rd.pos;
                let f = rd.string()?;
                let v = rd.string()?;
                b.add(&f, &v)?;
            }
            Object::Hash(b.h)
        }
        TYPE_HASH_ZIPMAP => {
            let blob = rd.string()?;
            let pairs = zipmap::decode(&blob).map_err(|_| corrupt(at, "invalid zipmap"))?;
            let mut b = HashBuild { h: Hash::new(), at };
            for (f, v) in pairs {
                b.add(f, v)?;
            }
            Object::Hash(b.h)
        }
        TYPE_HASH_ZIPLIST => Object::Hash(pairs_to_hash(&zl_items(&rd.string()?, at)?, at)?),
        TYPE_HASH_LISTPACK => Object::Hash(pairs_to_hash(&lp_items(&rd.string()?, at)?, at)?),
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            // An empty stream is a valid value (streams outlive their entries).
            return Ok(Some(Value::Obj(Object::Stream(
                crate::stream::read_stream(rd, ty, ty_at)?,
            ))));
        }
        TYPE_MODULE_PRE_GA | TYPE_MODULE_2 => {
            return Err(RdbError::Unsupported {
                kind: "module value",
                offset: ty_at,
            })
        }
        byte => {
            return Err(RdbError::UnknownType {
                byte,
                offset: ty_at,
            })
        }
    };
    let empty = match &obj {
        Object::List(l) => l.is_empty(),
        Object::Hash(h) => h.is_empty(),
        Object::Set(s) => s.is_empty(),
        Object::ZSet(z) => z.is_empty(),
        _ => false,
    };
    Ok((!empty).then_some(Value::Obj(obj)))
}
