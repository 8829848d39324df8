//! The prefix table of broadcasting mode (`CLIENT TRACKING on BCAST [PREFIX p …]`): for every
//! prefix, its subscribed clients and the keys under it modified since the last broadcast.
//! Ref: tracking.c `PrefixTable`, `bcastState`, `checkPrefixCollisionsOrReply`,
//! `trackingBuildBroadcastReply`.
//!
//! Prefixes and keys are client-chosen: ordered maps (no hasher seed, a fixed order; Redis's
//! radix trees walk in the same byte order).

use std::collections::{BTreeMap, BTreeSet};

/// One prefix's state.
#[derive(Debug, Default)]
struct BcastState {
    /// Keys modified under the prefix since the last broadcast, each with the id of the client
    /// that modified it last (`None`: expiry, or no client), for NOLOOP.
    keys: BTreeMap<Vec<u8>, Option<u64>>,
    /// Ids of the clients subscribed to the prefix.
    clients: BTreeSet<u64>,
}

/// One prefix's modified keys, taken for broadcasting, with the clients to send them to.
#[derive(Debug)]
pub(crate) struct Batch {
    /// Key → last modifier, in byte order.
    pub keys: BTreeMap<Vec<u8>, Option<u64>>,
    /// Subscribed client ids.
    pub clients: Vec<u64>,
}

/// Prefix → broadcast state.
#[derive(Debug, Default)]
pub(crate) struct PrefixTable {
    prefixes: BTreeMap<Vec<u8>, BcastState>,
    /// Some prefix has modified keys to broadcast (saves a walk when nothing changed).
    pending: bool,
}

impl PrefixTable {
    /// Subscribe client `id` to `prefix`; returns whether it was not subscribed yet.
    /// Ref: enableBcastTrackingForPrefix.
    pub(crate) fn subscribe(&mut self, prefix: &[u8], id: u64) -> bool {
        match self.prefixes.get_mut(prefix) {
            Some(bs) => bs.clients.insert(id),
            None => {
                let bs = BcastState {
                    keys: BTreeMap::new(),
                    clients: BTreeSet::from([id]),
                };
                self.prefixes.insert(prefix.to_vec(), bs);
                true
            }
        }
    }

    /// Unsubscribe client `id` from `prefix`; the prefix goes with its last client.
    pub(crate) fn unsubscribe(&mut self, prefix: &[u8], id: u64) {
        if let Some(bs) = self.prefixes.get_mut(prefix) {
            bs.clients.remove(&id);
            if bs.clients.is_empty() {
                self.prefixes.remove(prefix);
            }
        }
    }

    /// Prefixes with at least one client (`tracking_total_prefixes`).
    pub(crate) fn len(&self) -> usize {
        self.prefixes.len()
    }

    /// `key` was modified by client `modifier`: note it under every prefix it starts with.
    /// Ref: trackingRememberKeyToBroadcast.
    pub(crate) fn note_modified(&mut self, key: &[u8], modifier: Option<u64>) {
        for (prefix, bs) in self.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                bs.keys.insert(key.to_vec(), modifier);
                self.pending = true;
            }
        }
    }

    /// Whether some prefix has keys to broadcast.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending
    }

    /// Take the modified keys of every prefix that has some, in prefix order.
    pub(crate) fn take_batches(&mut self) -> Vec<Batch> {
        self.pending = false;
        self.prefixes
            .values_mut()
            .filter(|bs| !bs.keys.is_empty())
            .map(|bs| Batch {
                keys: std::mem::take(&mut bs.keys),
                clients: bs.clients.iter().copied().collect(),
            })
            .collect()
    }
}

/// Whether two prefixes would both cover some key: one starts with the other.
/// Ref: tracking.c stringCheckPrefix.
pub(crate) fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// What checking the prefixes of a `CLIENT TRACKING on BCAST` found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Collision {
    /// None.
    Clear,
    /// An error that refuses the command.
    Refuse(String),
    /// An error that Redis 7.0 replies and then goes on enabling tracking (and replies `+OK`
    /// too): two of the given prefixes overlap and the first is not the first given
    /// (`checkPrefixCollisionsOrReply` returns the index, taken as success).
    ReportAndGoOn(String),
}

/// Redis's `checkPrefixCollisionsOrReply`: each given prefix against the client's own
/// (`existing`), then against the ones given after it.
pub(crate) fn check_collisions(existing: Option<&BTreeSet<Vec<u8>>>, given: &[&[u8]]) -> Collision {
    for (i, p) in given.iter().enumerate() {
        if let Some(old) = existing.and_then(|e| e.iter().find(|o| overlap(o, p))) {
            return Collision::Refuse(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                 client must not overlap.",
                c_text(p),
                c_text(old)
            ));
        }
        if let Some(q) = given[i + 1..].iter().find(|q| overlap(p, q)) {
            let text = format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                 single client must not overlap.",
                c_text(p),
                c_text(q)
            );
            return if i == 0 {
                Collision::Refuse(text)
            } else {
                Collision::ReportAndGoOn(text)
            };
        }
    }
    Collision::Clear
}

/// A prefix as C's `%s` prints it: up to the first NUL. Error texts cannot carry CR or LF
/// (Redis replaces them with spaces when it sends an error).
fn c_text(s: &[u8]) -> String {
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    String::from_utf8_lossy(&s[..end]).replace(['\r', '\n'], " ")
}

/// The RESP array of the keys of a batch (`*n` then a bulk each), leaving out the keys last
/// modified by `exclude` (NOLOOP); `None` when that leaves nothing.
/// Ref: trackingBuildBroadcastReply.
pub(crate) fn broadcast_reply(
    keys: &BTreeMap<Vec<u8>, Option<u64>>,
    exclude: Option<u64>,
) -> Option<Vec<u8>> {
    let kept = || {
        keys.iter()
            .filter(move |(_, m)| exclude.is_none() || **m != exclude)
    };
    let n = kept().count();
    if n == 0 && exclude.is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(16 + n * 16);
    out.extend_from_slice(format!("*{n}\r\n").as_bytes());
    for (k, _) in kept() {
        out.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(b"\r\n");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_counts_prefixes_and_the_last_client_removes_one() {
        let mut t = PrefixTable::default();
        assert!(t.subscribe(b"a", 1));
        assert!(!t.subscribe(b"a", 1));
        assert!(t.subscribe(b"a", 2));
        assert!(t.subscribe(b"", 2));
        assert_eq!(t.len(), 2);
        t.unsubscribe(b"a", 1);
        assert_eq!(t.len(), 2);
        t.unsubscribe(b"a", 2);
        t.unsubscribe(b"", 2);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn modified_keys_go_to_matching_prefixes_once_with_the_last_modifier() {
        let mut t = PrefixTable::default();
        t.subscribe(b"user:", 1);
        t.subscribe(b"", 2);
        t.note_modified(b"user:1", Some(1));
        t.note_modified(b"user:1", Some(3));
        t.note_modified(b"other", None);
        assert!(t.has_pending());
        let b = t.take_batches();
        assert!(!t.has_pending());
        assert_eq!(b.len(), 2);
        // "" first: every key; then "user:" with its key only.
        assert_eq!(b[0].clients, vec![2]);
        assert_eq!(b[0].keys.len(), 2);
        assert_eq!(b[1].keys.get(&b"user:1"[..]), Some(&Some(3)));
        assert!(t.take_batches().is_empty());
    }

    #[test]
    fn broadcast_reply_leaves_out_noloop_keys() {
        let mut keys = BTreeMap::new();
        keys.insert(b"a".to_vec(), Some(1));
        keys.insert(b"bb".to_vec(), None);
        assert_eq!(
            broadcast_reply(&keys, None).unwrap(),
            b"*2\r\n$1\r\na\r\n$2\r\nbb\r\n"
        );
        assert_eq!(
            broadcast_reply(&keys, Some(1)).unwrap(),
            b"*1\r\n$2\r\nbb\r\n"
        );
        keys.remove(&b"bb"[..]);
        assert_eq!(broadcast_reply(&keys, Some(1)), None);
    }

    #[test]
    fn collisions_as_redis_reports_them() {
        assert_eq!(check_collisions(None, &[b"a", b"b"]), Collision::Clear);
        assert!(matches!(
            check_collisions(None, &[b"a", b"ab"]),
            Collision::Refuse(m) if m == "ERR Prefix 'a' overlaps with another provided prefix \
                'ab'. Prefixes for a single client must not overlap."
        ));
        assert!(matches!(
            check_collisions(None, &[b"x", b"b", b"bc"]),
            Collision::ReportAndGoOn(_)
        ));
        let own = BTreeSet::from([b"".to_vec()]);
        assert!(matches!(
            check_collisions(Some(&own), &[b"q"]),
            Collision::Refuse(m) if m.contains("existing prefix ''")
        ));
        assert!(overlap(b"", b"x") && overlap(b"ab", b"a") && !overlap(b"ab", b"ac"));
    }
}
