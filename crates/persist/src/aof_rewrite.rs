//! An AOF base in command form, as Redis 7.0 writes it with `aof-use-rdb-preamble no`
//! (`rewriteAppendOnlyFileRio`): `FUNCTION LOAD` per library, then per database a `SELECT`
//! and, per key, the commands that rebuild it followed by `PEXPIREAT` when it has a TTL.
//!
//! - strings: `SET key value`;
//! - lists, sets, sorted sets, hashes: `RPUSH`, `SADD`, `ZADD score member…`, `HMSET field
//!   value…`, at most [`AOF_REWRITE_ITEMS_PER_CMD`] elements per command (Redis's batching);
//!   scores as `%.17g` (`inf`, `-inf`);
//! - streams: one `XADD key id field value…` per entry (an empty stream: `XADD key MAXLEN 0
//!   0-1 x y`), then `XSETID key last-id ENTRIESADDED n MAXDELETEDID id`, then per group
//!   `XGROUP CREATE key group last-id ENTRIESREAD n`, and per consumer either `XGROUP
//!   CREATECONSUMER` (no pending entries) or one `XCLAIM key group consumer 0 id TIME ms
//!   RETRYCOUNT n JUSTID FORCE` per pending entry.
//!
//! Ref: Redis 7.0 `aof.c` (`rewriteListObject` … `rewriteStreamObject`, `rewriteFunctions`).
//! Like [`crate::RdbWriter`] the writer is incremental: keys are added one at a time and the
//! bytes taken whenever convenient, so a rewrite can be spread over many event-loop turns.

use hashslot_keyspace::stream::{Stream, StreamId};
use hashslot_keyspace::{Object, StrRef, ValueRef};

use crate::error::SaveError;

/// Elements per variadic command in a rewritten AOF (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
pub const AOF_REWRITE_ITEMS_PER_CMD: usize = 64;

/// Writes an AOF base in command form piece by piece.
///
/// ```
/// use hashslot_keyspace::{Encoding, StrRef, ValueRef};
/// use hashslot_persist::AofWriter;
///
/// let mut w = AofWriter::new();
/// w.select_db(0);
/// w.write_key(b"k", ValueRef::Str(StrRef::Bytes(b"v"), Encoding::Embstr), Some(42)).unwrap();
/// let file = w.finish();
/// assert_eq!(
///     file,
///     b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
///       *3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$2\r\n42\r\n"
/// );
/// ```
#[derive(Debug, Default)]
pub struct AofWriter {
    out: Vec<u8>,
    written: u64,
    /// One batch's elements, counted before its header is written (see `batched`).
    batch: Vec<u8>,
}

/// `$<len>\r\n<bytes>\r\n`.
fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

fn bulk_int(out: &mut Vec<u8>, n: i64) {
    bulk(out, n.to_string().as_bytes());
}

fn bulk_str(out: &mut Vec<u8>, s: StrRef<'_>) {
    match s {
        StrRef::Bytes(b) => bulk(out, b),
        StrRef::Int(n) => bulk_int(out, n),
    }
}

fn bulk_id(out: &mut Vec<u8>, id: StreamId) {
    bulk(out, &id.to_text());
}

/// A whole command of `args`.
fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.push(b'*');
    out.extend_from_slice(args.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        bulk(out, a);
    }
}

impl AofWriter {
    /// An empty file.
    pub fn new() -> Self {
        AofWriter::default()
    }

    /// `FUNCTION LOAD <code>` for one library (Redis writes them all before the first SELECT).
    pub fn write_function(&mut self, code: &[u8]) {
        command(&mut self.out, &[b"FUNCTION", b"LOAD", code]);
    }

    /// `SELECT <index>`: the keys written next belong to database `index`. A database may be
    /// selected more than once (a loader runs the commands in order).
    pub fn select_db(&mut self, index: u32) {
        command(&mut self.out, &[b"SELECT", index.to_string().as_bytes()]);
    }

    /// The commands that rebuild `key` with `value`, and `PEXPIREAT` for its absolute expiry
    /// in Unix milliseconds. A kind of value this writer does not know (a newer
    /// [`Object`] variant) is refused, and nothing is written for it.
    pub fn write_key(
        &mut self,
        key: &[u8],
        value: ValueRef<'_>,
        expire_ms: Option<i64>,
    ) -> Result<(), SaveError> {
        match value {
            ValueRef::Str(s, _) => {
                self.out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
                bulk(&mut self.out, key);
                bulk_str(&mut self.out, s);
            }
            ValueRef::Obj(Object::Str(s)) => command(&mut self.out, &[b"SET", key, s]),
            ValueRef::Obj(Object::List(l)) => {
                self.batched(b"RPUSH", key, 1, l.iter(), |o, e| bulk_str(o, e))
            }
            ValueRef::Obj(Object::Set(s)) => {
                self.batched(b"SADD", key, 1, s.iter(), |o, e| bulk_str(o, e))
            }
            ValueRef::Obj(Object::ZSet(z)) => {
                self.batched(b"ZADD", key, 2, z.iter(), |o, (member, score)| {
                    let mut text = Vec::with_capacity(24);
                    hashslot_resp::format_double(score, &mut text);
                    bulk(o, &text);
                    bulk(o, member);
                })
            }
            ValueRef::Obj(Object::Hash(h)) => {
                self.batched(b"HMSET", key, 2, h.iter(), |o, (field, value)| {
                    bulk(o, field);
                    bulk(o, value);
                })
            }
            ValueRef::Obj(Object::Stream(s)) => self.write_stream(key, s),
            ValueRef::Obj(_) => return Err(SaveError::Unsupported("unknown")),
        }
        if let Some(ms) = expire_ms {
            command(
                &mut self.out,
                &[b"PEXPIREAT", key, ms.to_string().as_bytes()],
            );
        }
        Ok(())
    }

    /// `cmd key <items>` with at most [`AOF_REWRITE_ITEMS_PER_CMD`] items per command, each
    /// item `width` arguments written by `put`. The header of a batch is written once its
    /// items are counted, so the argument count is right whatever the iterator yields.
    fn batched<I: Iterator>(
        &mut self,
        cmd: &[u8],
        key: &[u8],
        width: usize,
        items: I,
        mut put: impl FnMut(&mut Vec<u8>, I::Item),
    ) {
        let mut batch = std::mem::take(&mut self.batch);
        let mut n = 0;
        let flush = |out: &mut Vec<u8>, batch: &mut Vec<u8>, n: usize| {
            out.push(b'*');
            out.extend_from_slice((2 + n * width).to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
            bulk(out, cmd);
            bulk(out, key);
            out.append(batch);
        };
        for item in items {
            put(&mut batch, item);
            n += 1;
            if n == AOF_REWRITE_ITEMS_PER_CMD {
                flush(&mut self.out, &mut batch, n);
                n = 0;
            }
        }
        if n > 0 {
            flush(&mut self.out, &mut batch, n);
        }
        self.batch = batch;
    }

    /// Ref: aof.c rewriteStreamObject (7.0).
    fn write_stream(&mut self, key: &[u8], s: &Stream) {
        let out = &mut self.out;
        let meta = s.meta();
        if !s.is_empty() {
            for e in s.range(StreamId::MIN, StreamId::MAX, false) {
                out.push(b'*');
                out.extend_from_slice((3 + 2 * e.len()).to_string().as_bytes());
                out.extend_from_slice(b"\r\n");
                bulk(out, b"XADD");
                bulk(out, key);
                bulk_id(out, e.id);
                for (f, v) in e.pairs() {
                    bulk(out, &f.to_vec());
                    bulk(out, &v.to_vec());
                }
            }
        } else {
            // An empty stream is created by adding an entry trimmed away at once.
            command(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
        }
        // The last ID and counters as they are, whatever was deleted.
        command(
            out,
            &[
                b"XSETID",
                key,
                &meta.last_id.to_text(),
                b"ENTRIESADDED",
                meta.entries_added.to_string().as_bytes(),
                b"MAXDELETEDID",
                &meta.max_deleted_entry_id.to_text(),
            ],
        );
        for (name, g) in s.groups().iter() {
            command(
                out,
                &[
                    b"XGROUP",
                    b"CREATE",
                    key,
                    name,
                    &g.last_id.to_text(),
                    b"ENTRIESREAD",
                    g.entries_read.to_string().as_bytes(),
                ],
            );
            for (cname, c) in g.consumers() {
                if c.pel().is_empty() {
                    command(out, &[b"XGROUP", b"CREATECONSUMER", key, name, cname]);
                    continue;
                }
                for id in c.pel() {
                    // Every entry a consumer holds is in its group's PEL (checked at load).
                    let Some(nack) = g.pel().get(id) else {
                        continue;
                    };
                    command(
                        out,
                        &[
                            b"XCLAIM",
                            key,
                            name,
                            cname,
                            b"0",
                            &id.to_text(),
                            b"TIME",
                            nack.delivery_time.to_string().as_bytes(),
                            b"RETRYCOUNT",
                            nack.delivery_count.to_string().as_bytes(),
                            b"JUSTID",
                            b"FORCE",
                        ],
                    );
                }
            }
        }
    }

    /// Bytes produced and not yet taken.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Total bytes taken so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Take the bytes produced so far (the next piece of the file).
    pub fn take_output(&mut self) -> Vec<u8> {
        self.written += self.out.len() as u64;
        std::mem::take(&mut self.out)
    }

    /// End the file: the pending bytes (a command-form AOF has no trailer).
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// A whole AOF base in command form: the FUNCTION libraries' codes, then database `i` of
/// `dbs` as `SELECT i` and its keys (empty databases are skipped, as Redis does).
pub fn rewrite_dbs(
    dbs: &[hashslot_keyspace::Db],
    functions: &[&[u8]],
) -> Result<Vec<u8>, SaveError> {
    let mut w = AofWriter::new();
    for code in functions {
        w.write_function(code);
    }
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select_db(i as u32);
        for (k, v, exp) in db.iter() {
            w.write_key(k, v, exp)?;
        }
    }
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashslot_keyspace::{Db, Value};
    use hashslot_types::UnixMillis;

    /// Split a command-form file into commands of arguments (a test-only RESP reader).
    fn commands(mut b: &[u8]) -> Vec<Vec<Vec<u8>>> {
        fn line<'a>(b: &mut &'a [u8]) -> &'a [u8] {
            let end = b.windows(2).position(|w| w == b"\r\n").expect("CRLF");
            let l = &b[..end];
            *b = &b[end + 2..];
            l
        }
        let mut out = Vec::new();
        while !b.is_empty() {
            let head = line(&mut b);
            assert_eq!(head[0], b'*');
            let n: usize = std::str::from_utf8(&head[1..]).unwrap().parse().unwrap();
            let mut args = Vec::new();
            for _ in 0..n {
                let l = line(&mut b);
                let len: usize = std::str::from_utf8(&l[1..]).unwrap().parse().unwrap();
                args.push(b[..len].to_vec());
                assert_eq!(&b[len..len + 2], b"\r\n");
                b = &b[len + 2..];
            }
            out.push(args);
        }
        out
    }

    fn names(cmds: &[Vec<Vec<u8>>]) -> Vec<String> {
        cmds.iter()
            .map(|c| String::from_utf8_lossy(&c[0]).into_owned())
            .collect()
    }

    const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

    #[test]
    fn big_collections_are_batched_by_64() {
        let mut db = Db::new();
        let items: Vec<Vec<u8>> = (0..130).map(|i| format!("e{i}").into_bytes()).collect();
        let mut list = hashslot_keyspace::List::new();
        for e in &items {
            list.push_back(e);
        }
        db.insert(b"l", Value::Obj(Object::List(list)), Some(99), NOW);
        let file = rewrite_dbs(
            &[db],
            &[b"#!lua name=x\nredis.register_function('f', function() return 1 end)"],
        )
        .unwrap();
        let cmds = commands(&file);
        assert_eq!(
            names(&cmds),
            ["FUNCTION", "SELECT", "RPUSH", "RPUSH", "RPUSH", "PEXPIREAT"]
        );
        assert_eq!(cmds[0][1], b"LOAD");
        let sizes: Vec<usize> = cmds[2..5].iter().map(|c| c.len() - 2).collect();
        assert_eq!(sizes, [64, 64, 2]);
        let all: Vec<Vec<u8>> = cmds[2..5].iter().flat_map(|c| c[2..].to_vec()).collect();
        assert_eq!(all, items);
        assert_eq!(
            cmds[5],
            [b"PEXPIREAT".to_vec(), b"l".to_vec(), b"99".to_vec()]
        );
    }

    #[test]
    fn scores_are_percent_17g_and_pairs_count_twice() {
        let mut w = AofWriter::new();
        let mut z = hashslot_keyspace::ZSet::new();
        for i in 0..70 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i) / 10.0);
        }
        z.insert(b"top", f64::INFINITY);
        w.write_key(b"z", ValueRef::Obj(&Object::ZSet(z)), None)
            .unwrap();
        let cmds = commands(&w.finish());
        assert_eq!(names(&cmds), ["ZADD", "ZADD"]);
        assert_eq!(cmds[0].len(), 2 + 64 * 2);
        assert_eq!(cmds[1].len(), 2 + 7 * 2);
        let scores: Vec<&[u8]> = cmds
            .iter()
            .flat_map(|c| c[2..].chunks(2).map(|p| p[0].as_slice()))
            .collect();
        assert!(scores.contains(&&b"0.10000000000000001"[..]), "{scores:?}");
        assert!(scores.contains(&&b"inf"[..]));
    }
}
