//! Streams in RDB files and DUMP payloads (`rdbSaveObject` / `rdbLoadObject`, Redis 7.0):
//!
//! ```text
//! nodes: len, then per node: master ID (16-byte big-endian string), listpack (string)
//! length, last_id.ms, last_id.seq                        (lengths)
//! type 19 only: first_id.ms, first_id.seq, max_deleted_entry_id.ms, .seq, entries_added
//! consumer groups: len, then each group (name, last ID, [entries read], PEL, consumers)
//! ```
//!
//! The listpacks are the stream's own node bytes, written as they are and checked deeply when
//! read (`Stream::from_parts`). Consumer groups follow: per group its name, last ID, (type 19)
//! read counter, PEL (raw 16-byte IDs, 8-byte delivery times, counts) and consumers (name,
//! 8-byte seen time, raw IDs of its pending entries, each of which must be in the group PEL).

use hashslot_keyspace::stream::{Stream, StreamId, StreamMeta};

use crate::consts::TYPE_STREAM_LISTPACKS_2;
use crate::enc::{put_len, put_str, Enc};
use crate::error::RdbError;
use crate::read::Rd;

/// Write the body of a stream (RDB type 19).
pub(crate) fn put_stream(out: &mut Vec<u8>, enc: &mut Enc, s: &Stream) {
    put_len(out, s.node_count() as u64);
    for (key, lp) in s.nodes() {
        put_str(out, enc, &key.to_be_bytes());
        put_str(out, enc, lp);
    }
    let m = s.meta();
    put_len(out, m.length);
    put_len(out, m.last_id.ms);
    put_len(out, m.last_id.seq);
    put_len(out, m.first_id.ms);
    put_len(out, m.first_id.seq);
    put_len(out, m.max_deleted_entry_id.ms);
    put_len(out, m.max_deleted_entry_id.seq);
    put_len(out, m.entries_added);
    let groups = s.groups();
    put_len(out, groups.len() as u64);
    for (name, g) in groups.iter() {
        put_str(out, enc, name);
        put_len(out, g.last_id.ms);
        put_len(out, g.last_id.seq);
        // -1 (unknown) is written as the 64-bit length 2^64-1, as Redis's cast does.
        put_len(out, g.entries_read as u64);
        put_len(out, g.pel().len() as u64);
        for (id, n) in g.pel() {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&n.delivery_time.to_le_bytes());
            put_len(out, n.delivery_count);
        }
        put_len(out, g.consumers().len() as u64);
        for (cname, c) in g.consumers() {
            put_str(out, enc, cname);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            put_len(out, c.pel().len() as u64);
            for id in c.pel() {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

/// Read the body of a stream of type 15 (Redis 5/6) or 19 (Redis 7.0).
pub(crate) fn read_stream(rd: &mut Rd<'_>, ty: u8, at: usize) -> Result<Stream, RdbError> {
    let corrupt = |what: &'static str| RdbError::Corrupt { offset: at, what };
    // A node takes at least two strings of 16 and 7 bytes, so the count is bounded by the
    // bytes left and cannot make us allocate for nodes that are not there.
    let n = rd.count(2 + 16 + 7)?;
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        let key = rd.string()?;
        let key: [u8; 16] = key[..]
            .try_into()
            .map_err(|_| corrupt("Stream node key entry is not the size of a stream ID"))?;
        let lp = rd.string()?.into_owned();
        nodes.push((StreamId::from_be_bytes(key), lp));
    }
    let length = rd.len()?;
    let last_id = StreamId::new(rd.len()?, rd.len()?);
    let v2 = ty == TYPE_STREAM_LISTPACKS_2;
    let (first_id, max_deleted_entry_id, entries_added) = if v2 {
        let first = StreamId::new(rd.len()?, rd.len()?);
        let maxdel = StreamId::new(rd.len()?, rd.len()?);
        (first, maxdel, rd.len()?)
    } else {
        (StreamId::MIN, StreamId::MIN, length)
    };
    let meta = StreamMeta {
        length,
        last_id,
        first_id,
        max_deleted_entry_id,
        entries_added,
    };
    if length > 0 && nodes.is_empty() {
        return Err(corrupt("Stream length inconsistent with rax entries"));
    }
    let mut s = Stream::from_parts(nodes, meta).map_err(corrupt)?;
    if !v2 {
        // Type 15 has no first ID: Redis takes the first live entry's (`streamGetEdgeID`).
        let first = s.edge_id(true, true);
        s.set_first_id(first);
    }
    // Each group takes at least a name, two IDs parts, two counts: 5 bytes.
    let groups = rd.count(5)?;
    for _ in 0..groups {
        let name = rd.string()?.into_owned();
        let last = StreamId::new(rd.len()?, rd.len()?);
        let entries_read = if v2 {
            rd.len()? as i64
        } else {
            s.estimate_distance(last)
        };
        if !s.groups_mut().create(&name, last, entries_read) {
            return Err(corrupt("Duplicated consumer group name"));
        }
        let pel = rd.count(16 + 8 + 1)?;
        for _ in 0..pel {
            let id = StreamId::from_be_bytes(rd.array()?);
            let time = i64::from_le_bytes(rd.array()?);
            let count = rd.len()?;
            s.groups_mut()
                .load_nack(&name, id, time, count)
                .map_err(corrupt)?;
        }
        let consumers = rd.count(1 + 8 + 1)?;
        for _ in 0..consumers {
            let cname = rd.string()?.into_owned();
            let seen = i64::from_le_bytes(rd.array()?);
            let n = rd.count(16)?;
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(StreamId::from_be_bytes(rd.array()?));
            }
            s.groups_mut()
                .load_consumer(&name, &cname, seen, &ids)
                .map_err(corrupt)?;
        }
    }
    // Redis checks this only under deep sanitization; an unowned entry would break every
    // command that reads its owner, so it is always refused here.
    if !s.groups().all_owned() {
        return Err(corrupt("Stream PEL NACK has no consumer"));
    }
    Ok(s)
}
