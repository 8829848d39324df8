//! Walking a stream's entries in ID order, either way (`streamIteratorGetID` and
//! `streamIteratorGetField`): forward an entry is read from its flags; backward the entry's
//! trailing lp-count says how many elements to step back to reach them.

use std::collections::btree_map;

use super::lp::{self, Elem};
use super::{entry_at, node_header, Stream, StreamId, FLAG_DELETED, FLAG_SAMEFIELDS};

/// One entry, borrowed from its node.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The entry's ID.
    pub id: StreamId,
    /// The master ID of its node.
    pub(crate) node: StreamId,
    /// Position of its flags in the node.
    pub(crate) flags_pos: usize,
    lp: &'a [u8],
    same: bool,
    master_fields_pos: usize,
    data: usize,
    numfields: usize,
}

/// A field or value of an entry: listpacks keep canonical integers as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// Bytes.
    Bytes(&'a [u8]),
    /// An integer whose decimal text is the value.
    Int(i64),
}

impl Field<'_> {
    /// The value's bytes, copied.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Field::Bytes(b) => b.to_vec(),
            Field::Int(v) => v.to_string().into_bytes(),
        }
    }
}

fn field(e: Elem<'_>) -> Field<'_> {
    match e {
        Elem::Int(v) => Field::Int(v),
        Elem::Str(s) => Field::Bytes(s),
    }
}

impl<'a> Entry<'a> {
    /// Number of field-value pairs.
    pub fn len(&self) -> usize {
        self.numfields
    }

    /// Whether the entry has no fields (never, for entries XADD made).
    pub fn is_empty(&self) -> bool {
        self.numfields == 0
    }

    /// The field-value pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (Field<'a>, Field<'a>)> + 'a {
        let (lp, same) = (self.lp, self.same);
        let mut mf = self.master_fields_pos;
        let mut p = self.data;
        (0..self.numfields).map(move |_| {
            let f = if same {
                let f = lp::get(lp, mf);
                mf = lp::next(lp, mf).unwrap_or(mf);
                f
            } else {
                let f = lp::get(lp, p);
                p = lp::next(lp, p).expect("value");
                f
            };
            let v = lp::get(lp, p);
            p = lp::next(lp, p).unwrap_or(p);
            (field(f), field(v))
        })
    }
}

/// The node being walked.
#[derive(Debug)]
struct Cursor<'a> {
    master: StreamId,
    lp: &'a [u8],
    master_fields: usize,
    master_fields_pos: usize,
    /// Forward: the next entry's flags. Backward: the lp-count ending the next entry (the
    /// master terminator, 0, when none is left).
    pos: Option<usize>,
}

/// Entries of a range, in order.
#[derive(Debug)]
pub struct Iter<'a> {
    nodes: btree_map::Range<'a, StreamId, Vec<u8>>,
    rev: bool,
    start: StreamId,
    end: StreamId,
    skip_tombstones: bool,
    cur: Option<Cursor<'a>>,
    done: bool,
}

impl<'a> Iter<'a> {
    pub(crate) fn new(
        s: &'a Stream,
        start: StreamId,
        end: StreamId,
        rev: bool,
        skip_tombstones: bool,
    ) -> Self {
        // Redis seeks the node to start from (`streamIteratorStart`) and then walks entries in
        // storage order, stopping at the first live entry past the far bound. Entries are in ID
        // order except after XSETID moved an empty stream's last ID back while tombstone-only
        // nodes remained; the walk is the same either way.
        let done = start > end;
        let nodes = if done {
            s.nodes.range(StreamId::MIN..StreamId::MIN)
        } else if rev {
            let at = s
                .nodes
                .range(..=end)
                .next_back()
                .or_else(|| s.nodes.iter().next_back())
                .map(|(k, _)| *k);
            match at {
                Some(k) => s.nodes.range(..=k),
                None => s.nodes.range(StreamId::MIN..StreamId::MIN),
            }
        } else {
            let from = s
                .nodes
                .range(..=start)
                .next_back()
                .map_or(StreamId::MIN, |(k, _)| *k);
            s.nodes.range(from..)
        };
        Iter {
            nodes,
            rev,
            start,
            end,
            skip_tombstones,
            cur: None,
            done,
        }
    }

    fn open(&mut self) -> bool {
        let next = if self.rev {
            self.nodes.next_back()
        } else {
            self.nodes.next()
        };
        let Some((k, lp)) = next else {
            return false;
        };
        let h = node_header(lp);
        let pos = if self.rev {
            lp::last(lp)
        } else {
            h.first_entry
        };
        self.cur = Some(Cursor {
            master: *k,
            lp,
            master_fields: h.master_fields,
            master_fields_pos: h.master_fields_pos,
            pos,
        });
        true
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        while !self.done {
            if self.cur.is_none() && !self.open() {
                self.done = true;
                return None;
            }
            let c = self.cur.as_mut().expect("cursor");
            let lp = c.lp;
            let Some(p) = c.pos else {
                self.cur = None;
                continue;
            };
            let flags_pos = if self.rev {
                let mut n = lp::get_int(lp, p);
                if n == 0 {
                    self.cur = None;
                    continue;
                }
                let mut q = p;
                while n > 0 {
                    q = lp::prev(lp, q).expect("entry element");
                    n -= 1;
                }
                q
            } else {
                p
            };
            let e = entry_at(lp, flags_pos, c.master, c.master_fields);
            c.pos = if self.rev {
                lp::prev(lp, flags_pos)
            } else {
                lp::next(lp, e.lp_count)
            };
            if self.skip_tombstones && e.flags & FLAG_DELETED != 0 {
                continue;
            }
            let in_range = if self.rev {
                if e.id > self.end {
                    continue;
                }
                e.id >= self.start
            } else {
                if e.id < self.start {
                    continue;
                }
                e.id <= self.end
            };
            if !in_range {
                self.done = true;
                return None;
            }
            return Some(Entry {
                id: e.id,
                node: c.master,
                flags_pos,
                lp,
                same: e.flags & FLAG_SAMEFIELDS != 0,
                master_fields_pos: c.master_fields_pos,
                data: e.data,
                numfields: e.numfields,
            });
        }
        None
    }
}
