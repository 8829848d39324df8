//! Trimming (`streamTrim`: MAXLEN / MINID, exact or `~` whole nodes only, LIMIT) and the deep
//! check of a node that came from outside (`streamValidateListpackIntegrity`, plus ID order).

use super::lp::{self, Elem};
use super::{entry_at, node_header, Stream, StreamId, FLAG_DELETED, FLAG_SAMEFIELDS};

/// What to trim by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimStrategy {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries with IDs below this one.
    MinId(StreamId),
}

/// A trim request, as XADD and XTRIM parse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimArgs {
    /// MAXLEN or MINID.
    pub strategy: TrimStrategy,
    /// `~`: remove whole nodes only.
    pub approx: bool,
    /// Most entries to remove (0: no limit).
    pub limit: i64,
}

impl Stream {
    /// Trim (`streamTrim`); returns how many entries were removed.
    pub fn trim(&mut self, args: TrimArgs) -> i64 {
        let mut deleted: i64 = 0;
        let mut cursor = StreamId::MIN;
        loop {
            if let TrimStrategy::MaxLen(maxlen) = args.strategy {
                if self.meta.length <= maxlen {
                    break;
                }
            }
            let Some(key) = self.nodes.range(cursor..).next().map(|(k, _)| *k) else {
                break;
            };
            let h = node_header(&self.nodes[&key]);
            let entries = h.count;
            if args.limit != 0 && deleted + entries > args.limit {
                break;
            }
            let remove_node = match args.strategy {
                TrimStrategy::MaxLen(maxlen) => self.meta.length - entries as u64 >= maxlen,
                TrimStrategy::MinId(min) => last_entry_id(&self.nodes[&key], key) < min,
            };
            if remove_node {
                self.remove_node(key);
                self.meta.length -= entries as u64;
                deleted += entries;
                cursor = key;
                continue;
            }
            if args.approx {
                break;
            }
            // Mark entries of this node deleted, from its start, until the goal is met.
            let strategy = args.strategy;
            let mut length = self.meta.length;
            let from_lp = self.with_node(key, |lp| {
                let mut removed = 0i64;
                let mut p = h.first_entry;
                while let Some(q) = p {
                    let e = entry_at(lp, q, key, h.master_fields);
                    let stop = match strategy {
                        TrimStrategy::MaxLen(maxlen) => length <= maxlen,
                        TrimStrategy::MinId(min) => e.id >= min,
                    };
                    if stop {
                        break;
                    }
                    if e.flags & FLAG_DELETED == 0 {
                        lp::replace_int(lp, q, e.flags | FLAG_DELETED);
                        removed += 1;
                        length -= 1;
                    }
                    p = lp::next(lp, e.lp_count);
                }
                let p = lp::first(lp).expect("count");
                lp::replace_int(lp, p, entries - removed);
                let p = lp::next(lp, p).expect("deleted");
                lp::replace_int(lp, p, h.deleted + removed);
                removed
            });
            self.meta.length = length;
            deleted += from_lp;
            break;
        }
        if self.meta.length == 0 {
            self.meta.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.meta.first_id = self.edge_id(true, true);
        }
        deleted
    }
}

/// The last entry's ID in a node, tombstone or not (`lpGetEdgeStreamID(lp, 0, …)`); the master
/// ID when the node has no entry.
fn last_entry_id(lp: &[u8], master: StreamId) -> StreamId {
    let Some(p) = lp::last(lp) else {
        return master;
    };
    let mut n = lp::get_int(lp, p);
    if n == 0 {
        return master;
    }
    let mut q = p;
    while n > 0 {
        q = lp::prev(lp, q).expect("entry element");
        n -= 1;
    }
    let q = lp::next(lp, q).expect("ms delta");
    let ms = master.ms.wrapping_add(lp::get_int(lp, q) as u64);
    let q = lp::next(lp, q).expect("seq delta");
    let seq = master.seq.wrapping_add(lp::get_int(lp, q) as u64);
    StreamId::new(ms, seq)
}

/// Deep check of a node from outside, Redis's (`streamValidateListpackIntegrity` with deep
/// checks): a valid listpack; integer metadata where integers belong; the master entry; each
/// of the count plus deleted entries with flags 0..=3, its fields, values and matching
/// lp-count; nothing after; and the live entries counted in the header. Adds the node's live
/// entries to `live`.
pub(crate) fn validate_node(lp: &[u8], live: &mut u64) -> bool {
    let Some(total) = lp::validate(lp) else {
        return false;
    };
    let is_int = |p: usize| -> Option<i64> {
        match lp::get(lp, p) {
            Elem::Int(v) => Some(v),
            Elem::Str(s) => lp::parse_int_text(s),
        }
    };
    // Walk the element positions once.
    let mut pos = Vec::with_capacity(total);
    let mut p = lp::first(lp);
    while let Some(q) = p {
        pos.push(q);
        p = lp::next(lp, q);
    }
    let mut i = 0;
    let take_int = |i: &mut usize| -> Option<i64> {
        let v = is_int(*pos.get(*i)?)?;
        *i += 1;
        Some(v)
    };
    let Some(count) = take_int(&mut i) else {
        return false;
    };
    let Some(deleted) = take_int(&mut i) else {
        return false;
    };
    let Some(master_fields) = take_int(&mut i) else {
        return false;
    };
    if count < 0 || deleted < 0 || master_fields < 0 || master_fields as usize > total {
        return false;
    }
    i += master_fields as usize;
    if take_int(&mut i) != Some(0) {
        return false;
    }
    let mut seen_live = 0i64;
    for _ in 0..(count + deleted) {
        let Some(flags) = take_int(&mut i) else {
            return false;
        };
        let (Some(_ms), Some(_seq)) = (take_int(&mut i), take_int(&mut i)) else {
            return false;
        };
        let (fields, extra) = if flags & FLAG_SAMEFIELDS != 0 {
            (master_fields, 3)
        } else {
            let Some(n) = take_int(&mut i) else {
                return false;
            };
            if n < 0 || n as usize > total {
                return false;
            }
            (n, 4 + n)
        };
        i += if flags & FLAG_SAMEFIELDS != 0 {
            fields as usize
        } else {
            2 * fields as usize
        };
        if take_int(&mut i) != Some(fields + extra) {
            return false;
        }
        if !(0..=3).contains(&flags) {
            return false;
        }
        if flags & FLAG_DELETED == 0 {
            seen_live += 1;
        }
    }
    if i != pos.len() || seen_live != count {
        return false;
    }
    *live += count as u64;
    true
}
