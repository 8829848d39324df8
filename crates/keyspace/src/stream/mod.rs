//! The stream type: Redis's radix tree of listpack nodes, kept as an ordered map from each
//! node's master ID to the node's listpack bytes, in Redis's own entry format (`t_stream.c`):
//!
//! ```text
//! master entry: count | deleted | num-fields | field_1 … field_N | 0
//! each entry:   flags | ms-delta | seq-delta | [num-fields | field_1] value_1 … | lp-count
//! ```
//!
//! Keeping Redis's bytes (rather than a friendlier structure) is what makes the visible
//! behaviour match: a node closes when its bytes or entries reach `stream-node-max-bytes` /
//! `stream-node-max-entries`, approximate trimming removes whole nodes only, deleted entries stay
//! behind as flagged tombstones, and XINFO counts nodes — all as Redis does. RDB files and DUMP
//! payloads carry the same bytes.

pub mod groups;
mod id;
mod iter;
pub(crate) mod lp;
#[cfg(test)]
mod tests;
mod trim;

use std::collections::BTreeMap;

pub(crate) use id::parse_id;
pub use id::{ParsedId, StreamId};
pub use iter::{Entry, Field, Iter};
pub use trim::{TrimArgs, TrimStrategy};

use lp::Elem;

/// Entry flag: the entry is deleted (a tombstone).
pub(crate) const FLAG_DELETED: i64 = 1;
/// Entry flag: the entry has the master entry's fields (only values are stored).
pub(crate) const FLAG_SAMEFIELDS: i64 = 2;

/// Largest listpack a node may grow to (`STREAM_LISTPACK_MAX_SIZE`, 1 GiB).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// Bytes counted per node beyond its listpack: the map's share (key, pointer, tree slack).
const NODE_OVERHEAD: usize = 48;

/// The node thresholds (`stream-node-max-bytes`, `stream-node-max-entries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// `stream-node-max-bytes` (4096; 0: no limit but the listpack maximum).
    pub node_max_bytes: usize,
    /// `stream-node-max-entries` (100; 0: no limit).
    pub node_max_entries: i64,
}

impl StreamLimits {
    /// Redis 7.0's defaults.
    pub const REDIS_DEFAULT: StreamLimits = StreamLimits {
        node_max_bytes: 4096,
        node_max_entries: 100,
    };
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits::REDIS_DEFAULT
    }
}

/// Why an append failed (`streamAppendItem`'s two errnos).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the stream's last ID (`EDOM`).
    IdTooSmall,
    /// The fields and values are too large for one node (`ERANGE`).
    TooLarge,
}

/// The metadata a stream keeps beside its entries (what RDB type 19 saves after the nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamMeta {
    /// Live entries.
    pub length: u64,
    /// The last ID generated or set (XSETID).
    pub last_id: StreamId,
    /// The first live entry's ID (0-0 when empty).
    pub first_id: StreamId,
    /// The greatest ID ever deleted.
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
}

/// A stream.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Vec<u8>>,
    meta: StreamMeta,
    /// Sum of the nodes' listpack capacities, kept as they change so `heap_size` is O(1).
    lp_bytes: usize,
    /// Consumer groups.
    groups: groups::Groups,
}

impl Clone for Stream {
    /// A copy (COPY, RESTORE of a DUMP made from it); cloned listpacks have capacities of their
    /// own, so the byte count is taken again.
    fn clone(&self) -> Self {
        let nodes = self.nodes.clone();
        let lp_bytes = nodes.values().map(Vec::capacity).sum();
        Stream {
            nodes,
            meta: self.meta,
            lp_bytes,
            groups: self.groups.clone(),
        }
    }
}

/// A node's master entry, read.
pub(crate) struct NodeHeader {
    /// Live entries.
    pub(crate) count: i64,
    /// Tombstones.
    pub(crate) deleted: i64,
    /// Master field count.
    pub(crate) master_fields: usize,
    /// Position of the first master field (or of the terminator when there are none).
    pub(crate) master_fields_pos: usize,
    /// Position of the first entry's flags, if any entry.
    pub(crate) first_entry: Option<usize>,
}

/// Read a node's master entry.
pub(crate) fn node_header(lp: &[u8]) -> NodeHeader {
    let p = lp::first(lp).expect("non-empty node");
    let count = lp::get_int(lp, p);
    let p = lp::next(lp, p).expect("deleted count");
    let deleted = lp::get_int(lp, p);
    let p = lp::next(lp, p).expect("field count");
    let master_fields = lp::get_int(lp, p) as usize;
    let mut q = lp::next(lp, p).expect("master fields");
    let master_fields_pos = q;
    for _ in 0..master_fields {
        q = lp::next(lp, q).expect("master field");
    }
    NodeHeader {
        count,
        deleted,
        master_fields,
        master_fields_pos,
        first_entry: lp::next(lp, q),
    }
}

/// An entry's parsed prefix.
pub(crate) struct EntryHeader {
    pub(crate) flags: i64,
    pub(crate) id: StreamId,
    pub(crate) numfields: usize,
    /// Position of the first field (or value, with SAMEFIELDS) — or of lp-count when empty.
    pub(crate) data: usize,
    /// Position of the entry's lp-count.
    pub(crate) lp_count: usize,
}

/// Parse the entry whose flags are at `p`.
pub(crate) fn entry_at(lp: &[u8], p: usize, master: StreamId, master_fields: usize) -> EntryHeader {
    let flags = lp::get_int(lp, p);
    let p = lp::next(lp, p).expect("ms delta");
    let ms = master.ms.wrapping_add(lp::get_int(lp, p) as u64);
    let p = lp::next(lp, p).expect("seq delta");
    let seq = master.seq.wrapping_add(lp::get_int(lp, p) as u64);
    let mut q = lp::next(lp, p).expect("entry body");
    let (numfields, skip) = if flags & FLAG_SAMEFIELDS != 0 {
        (master_fields, master_fields)
    } else {
        let n = lp::get_int(lp, q) as usize;
        q = lp::next(lp, q).expect("entry fields");
        (n, 2 * n)
    };
    let data = q;
    for _ in 0..skip {
        q = lp::next(lp, q).expect("entry element");
    }
    EntryHeader {
        flags,
        id: StreamId::new(ms, seq),
        numfields,
        data,
        lp_count: q,
    }
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Self {
        Stream::default()
    }

    /// Live entries (XLEN).
    pub fn len(&self) -> u64 {
        self.meta.length
    }

    /// Whether the stream has no live entries (the key still exists: streams are not deleted
    /// when emptied).
    pub fn is_empty(&self) -> bool {
        self.meta.length == 0
    }

    /// The metadata.
    pub fn meta(&self) -> StreamMeta {
        self.meta
    }

    /// The last generated ID.
    pub fn last_id(&self) -> StreamId {
        self.meta.last_id
    }

    /// Number of nodes (XINFO's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes as `(master ID, listpack bytes)`, in ID order (what RDB files hold).
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &[u8])> + '_ {
        self.nodes.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// Approximate heap bytes held, in O(1).
    pub fn heap_size(&self) -> usize {
        self.lp_bytes + self.nodes.len() * NODE_OVERHEAD + self.groups.heap_size()
    }

    /// The consumer groups.
    pub fn groups(&self) -> &groups::Groups {
        &self.groups
    }

    /// The consumer groups, to change.
    pub fn groups_mut(&mut self) -> &mut groups::Groups {
        &mut self.groups
    }

    /// Run `f` on the node at `key`, keeping the byte count.
    fn with_node<R>(&mut self, key: StreamId, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let lp = self.nodes.get_mut(&key).expect("node exists");
        let before = lp.capacity();
        let r = f(lp);
        self.lp_bytes = self.lp_bytes + lp.capacity() - before;
        r
    }

    fn remove_node(&mut self, key: StreamId) {
        if let Some(lp) = self.nodes.remove(&key) {
            self.lp_bytes -= lp.capacity();
        }
    }

    /// Set the recorded first ID (what an RDB type 15 load computes).
    pub fn set_first_id(&mut self, id: StreamId) {
        self.meta.first_id = id;
    }

    /// Set the last ID, the entries-added counter and the max deleted ID (XSETID; the caller
    /// checked them).
    pub fn set_ids(
        &mut self,
        last_id: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) {
        self.meta.last_id = last_id;
        if let Some(n) = entries_added {
            self.meta.entries_added = n;
        }
        if let Some(m) = max_deleted {
            self.meta.max_deleted_entry_id = m;
        }
    }

    /// Append an entry (`streamAppendItem`). `pairs` is field, value, field, value…; `id` is
    /// `None` for `*` (the ID is made from `now_ms`).
    pub fn append(
        &mut self,
        pairs: &[&[u8]],
        id: Option<ParsedId>,
        now_ms: u64,
        lim: StreamLimits,
    ) -> Result<StreamId, AppendError> {
        let last = self.meta.last_id;
        let id = match id {
            Some(p) if p.seq_given => p.id,
            Some(p) => {
                if last.ms == p.id.ms {
                    if last.seq == u64::MAX {
                        return Err(AppendError::IdTooSmall);
                    }
                    StreamId::new(last.ms, last.seq + 1)
                } else {
                    p.id
                }
            }
            None => {
                if now_ms > last.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    // At the very last ID this wraps to 0-0 and is refused below, as in Redis.
                    last.incr().unwrap_or(StreamId::MIN)
                }
            }
        };
        if id <= last {
            return Err(AppendError::IdTooSmall);
        }
        let totelelen: usize = pairs.iter().map(|p| p.len()).sum();
        if totelelen > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let numfields = pairs.len() / 2;

        // Can the tail node take it?
        let mut tail = self.nodes.last_key_value().map(|(k, _)| *k);
        if let Some(key) = tail {
            let lp = &self.nodes[&key];
            let mut max_bytes = lim.node_max_bytes;
            if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
                max_bytes = LISTPACK_MAX_SIZE;
            }
            let full = if lp.len() + totelelen >= max_bytes {
                true
            } else if lim.node_max_entries != 0 {
                let h = node_header(lp);
                h.count + h.deleted >= lim.node_max_entries
            } else {
                false
            };
            if full {
                self.with_node(key, |lp| lp.shrink_to_fit());
                tail = None;
            }
        }

        let mut flags = 0;
        let master = match tail {
            None => {
                // A new node: its master entry holds this entry's fields.
                let mut node = lp::new(64 + totelelen + 4 * pairs.len());
                lp::append_int(&mut node, 1);
                lp::append_int(&mut node, 0);
                lp::append_int(&mut node, numfields as i64);
                for f in pairs.iter().step_by(2) {
                    lp::append_str(&mut node, f);
                }
                lp::append_int(&mut node, 0);
                self.lp_bytes += node.capacity();
                self.nodes.insert(id, node);
                flags |= FLAG_SAMEFIELDS;
                id
            }
            Some(key) => {
                let same = self.with_node(key, |lp| {
                    let h = node_header(lp);
                    let count_pos = lp::first(lp).expect("count");
                    // The master fields are read before the count changes size.
                    let mut same = h.master_fields == numfields;
                    if same {
                        let mut p = h.master_fields_pos;
                        for f in pairs.iter().step_by(2) {
                            let eq = match lp::get(lp, p) {
                                Elem::Str(s) => s == *f,
                                Elem::Int(v) => lp::string_to_i64(f) == Some(v),
                            };
                            if !eq {
                                same = false;
                                break;
                            }
                            p = lp::next(lp, p).unwrap_or(p);
                        }
                    }
                    lp::replace_int(lp, count_pos, h.count + 1);
                    same
                });
                if same {
                    flags |= FLAG_SAMEFIELDS;
                }
                key
            }
        };
        self.with_node(master, |lp| {
            lp::append_int(lp, flags);
            lp::append_int(lp, id.ms.wrapping_sub(master.ms) as i64);
            lp::append_int(lp, id.seq.wrapping_sub(master.seq) as i64);
            if flags & FLAG_SAMEFIELDS == 0 {
                lp::append_int(lp, numfields as i64);
            }
            for pair in pairs.chunks_exact(2) {
                if flags & FLAG_SAMEFIELDS == 0 {
                    lp::append_str(lp, pair[0]);
                }
                lp::append_str(lp, pair[1]);
            }
            let mut lp_count = numfields as i64 + 3;
            if flags & FLAG_SAMEFIELDS == 0 {
                lp_count += numfields as i64 + 1;
            }
            lp::append_int(lp, lp_count);
        });
        self.meta.length += 1;
        self.meta.entries_added += 1;
        self.meta.last_id = id;
        if self.meta.length == 1 {
            self.meta.first_id = id;
        }
        Ok(id)
    }

    /// Entries with IDs in `start..=end`, tombstones skipped, forward or (`rev`) backward.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Iter<'_> {
        Iter::new(self, start, end, rev, true)
    }

    /// Like [`Stream::range`] over everything, tombstones included when `skip_tombstones` is
    /// false (`streamGetEdgeID`'s second mode).
    pub(crate) fn range_all(&self, rev: bool, skip_tombstones: bool) -> Iter<'_> {
        Iter::new(self, StreamId::MIN, StreamId::MAX, rev, skip_tombstones)
    }

    /// The first (or last) entry's ID, tombstones skipped or not; `MAX` (first) or `MIN`
    /// (last) when there is none (`streamGetEdgeID`).
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        match self.range_all(!first, skip_tombstones).next() {
            Some(e) => e.id,
            None if first => StreamId::MAX,
            None => StreamId::MIN,
        }
    }

    /// The last live entry's ID (`streamLastValidID`), 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.range_all(true, true)
            .next()
            .map_or(StreamId::MIN, |e| e.id)
    }

    /// Delete the live entry `id` (`streamDeleteItem`); returns whether it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((key, pos)) = self
            .range(id, id, false)
            .next()
            .map(|e| (e.node, e.flags_pos))
        else {
            return false;
        };
        let (flags, count) = {
            let lp = &self.nodes[&key];
            (lp::get_int(lp, pos), node_header(lp).count)
        };
        if count == 1 {
            self.remove_node(key);
        } else {
            self.with_node(key, |lp| {
                // Flags are 0..=3: one byte before and after, no other position moves.
                lp::replace_int(lp, pos, flags | FLAG_DELETED);
                let p = lp::first(lp).expect("count");
                lp::replace_int(lp, p, count - 1);
                let p = lp::next(lp, p).expect("deleted");
                let d = lp::get_int(lp, p);
                lp::replace_int(lp, p, d + 1);
            });
        }
        self.meta.length -= 1;
        true
    }

    /// XDEL's bookkeeping after deleting `ids_deleted` (those that existed): the max deleted
    /// ID and the first ID.
    pub(crate) fn after_delete(&mut self, deleted: &[StreamId]) {
        let mut first_entry = false;
        for &id in deleted {
            if id == self.meta.first_id {
                first_entry = true;
            }
            if id > self.meta.max_deleted_entry_id {
                self.meta.max_deleted_entry_id = id;
            }
        }
        if !deleted.is_empty() {
            if self.meta.length == 0 {
                self.meta.first_id = StreamId::MIN;
            } else if first_entry {
                self.meta.first_id = self.edge_id(true, true);
            }
        }
    }

    /// Whether live entry `id` exists (`streamEntryExists`).
    pub fn entry_exists(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// Whether `start..=end` (end `None`: to the top) may hold a tombstone
    /// (`streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: Option<StreamId>) -> bool {
        let m = &self.meta;
        if m.length == 0 || m.max_deleted_entry_id.is_zero() {
            return false;
        }
        if m.first_id > m.max_deleted_entry_id {
            return false;
        }
        let end = end.unwrap_or(StreamId::MAX);
        start <= m.max_deleted_entry_id && m.max_deleted_entry_id <= end
    }

    /// The logical read counter of `id`, when it can be known
    /// (`streamEstimateDistanceFromFirstEverEntry`); [`groups::INVALID_ENTRIES_READ`] if not.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let m = &self.meta;
        if m.entries_added == 0 {
            return 0;
        }
        let added = m.entries_added as i64;
        if m.length == 0 && id <= m.last_id {
            return added;
        }
        if id == m.last_id {
            return added;
        } else if id > m.last_id {
            return groups::INVALID_ENTRIES_READ;
        }
        if m.max_deleted_entry_id.is_zero() || m.max_deleted_entry_id < m.first_id {
            if id < m.first_id {
                return added - m.length as i64;
            } else if id == m.first_id {
                return added - m.length as i64 + 1;
            }
        }
        groups::INVALID_ENTRIES_READ
    }

    /// A group's lag (`streamReplyWithCGLag`): entries not yet delivered, when known.
    pub fn group_lag(&self, g: &groups::Group) -> Option<i64> {
        let added = self.meta.entries_added as i64;
        if added == 0 {
            return Some(0);
        }
        if g.entries_read != groups::INVALID_ENTRIES_READ
            && !self.range_has_tombstones(g.last_id, None)
        {
            return Some(added - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        (read != groups::INVALID_ENTRIES_READ).then_some(added - read)
    }

    /// XINFO's `radix-tree-nodes`: the nodes a Redis radix tree holding these 16-byte keys
    /// has (a compressed trie: one node per branching point, per chain of single-child bytes,
    /// and per key end; the empty tree has its head node).
    pub fn rax_node_count(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        fn count(keys: &[[u8; 16]], depth: usize, starts_node: bool) -> usize {
            if depth == 16 || keys.is_empty() {
                return 1;
            }
            // Children: runs of keys sharing the byte at `depth` (keys are sorted).
            let mut groups = Vec::new();
            let mut i = 0;
            while i < keys.len() {
                let b = keys[i][depth];
                let j = i + keys[i..].iter().take_while(|k| k[depth] == b).count();
                groups.push(&keys[i..j]);
                i = j;
            }
            if groups.len() == 1 {
                usize::from(starts_node) + count(groups[0], depth + 1, false)
            } else {
                1 + groups
                    .iter()
                    .map(|g| count(g, depth + 1, true))
                    .sum::<usize>()
            }
        }
        count(&keys, 0, true)
    }

    /// A stream from saved parts (RDB, RESTORE), checked deeply: every node a well-formed
    /// listpack in the stream entry format, the live counts adding up to `meta.length`. `Err`
    /// names what is wrong. IDs are not required to ascend: Redis itself can write nodes whose
    /// entries lie below their master ID (XSETID back on an emptied stream), and every walk
    /// here reads them as Redis does.
    pub fn from_parts(
        mut nodes: Vec<(StreamId, Vec<u8>)>,
        meta: StreamMeta,
    ) -> Result<Stream, &'static str> {
        nodes.sort_by_key(|(k, _)| *k);
        let mut s = Stream {
            nodes: BTreeMap::new(),
            meta,
            lp_bytes: 0,
            groups: groups::Groups::default(),
        };
        let mut live: u64 = 0;
        for (key, lp) in nodes {
            if s.nodes.contains_key(&key) {
                return Err("Listpack re-added with existing key");
            }
            if !trim::validate_node(&lp, &mut live) {
                return Err("Stream listpack integrity check failed.");
            }
            s.lp_bytes += lp.capacity();
            s.nodes.insert(key, lp);
        }
        if live != meta.length {
            return Err("Stream length inconsistent with its entries");
        }
        Ok(s)
    }
}
