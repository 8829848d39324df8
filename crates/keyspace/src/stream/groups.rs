//! Consumer groups (`streamCG`, `streamConsumer`, `streamNACK` of Redis 7.0): each group has a
//! last delivered ID, a read counter, a pending entries list (PEL) of IDs delivered and not yet
//! acknowledged, and consumers, each with its own PEL — a subset of the group's, every pending
//! entry owned by exactly one consumer.
//!
//! Groups and consumers are kept in byte order of their names, as Redis's radix trees order
//! them (XINFO lists them that way). All changes go through methods here so that the byte count
//! (`heap_size`, read in O(1)) stays exact.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;

/// `SCG_INVALID_ENTRIES_READ`: the group's read counter is unknown.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// Bytes counted for a group, a consumer, a group PEL entry and a consumer PEL entry, beside
/// their names (map node shares and struct sizes).
const GROUP_BYTES: usize = 96;
const CONSUMER_BYTES: usize = 64;
const NACK_BYTES: usize = 64;
const CONSUMER_PEL_BYTES: usize = 24;

/// A pending entry: delivered, not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// When it was last delivered (Unix ms).
    pub delivery_time: i64,
    /// How many times it was delivered.
    pub delivery_count: u64,
    /// The consumer that owns it.
    pub consumer: Vec<u8>,
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consumer {
    /// When it was last seen (Unix ms).
    pub seen_time: i64,
    pel: BTreeSet<StreamId>,
}

impl Consumer {
    /// The IDs pending for this consumer.
    pub fn pel(&self) -> &BTreeSet<StreamId> {
        &self.pel
    }
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to the group.
    pub last_id: StreamId,
    /// The group's logical read counter ([`INVALID_ENTRIES_READ`] when unknown).
    pub entries_read: i64,
    pel: BTreeMap<StreamId, Nack>,
    consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    /// The group's pending entries.
    pub fn pel(&self) -> &BTreeMap<StreamId, Nack> {
        &self.pel
    }

    /// The consumers, by name.
    pub fn consumers(&self) -> &BTreeMap<Vec<u8>, Consumer> {
        &self.consumers
    }
}

/// The consumer groups of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Groups {
    map: BTreeMap<Vec<u8>, Group>,
    bytes: usize,
}

impl Groups {
    /// Bytes held, kept as groups change.
    pub fn heap_size(&self) -> usize {
        self.bytes
    }

    /// The byte count computed from scratch (tests).
    #[doc(hidden)]
    pub fn heap_size_walk(&self) -> usize {
        self.map
            .iter()
            .map(|(name, g)| {
                GROUP_BYTES
                    + name.len()
                    + g.pel
                        .values()
                        .map(|n| NACK_BYTES + n.consumer.len())
                        .sum::<usize>()
                    + g.consumers
                        .iter()
                        .map(|(c, cons)| {
                            CONSUMER_BYTES + c.len() + cons.pel.len() * CONSUMER_PEL_BYTES
                        })
                        .sum::<usize>()
            })
            .sum()
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there is no group.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The groups, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Group)> + '_ {
        self.map.iter().map(|(k, v)| (k.as_slice(), v))
    }

    /// A group by name.
    pub fn get(&self, name: &[u8]) -> Option<&Group> {
        self.map.get(name)
    }

    /// Create a group (`streamCreateCG`); false when the name is taken.
    pub fn create(&mut self, name: &[u8], last_id: StreamId, entries_read: i64) -> bool {
        if self.map.contains_key(name) {
            return false;
        }
        self.map.insert(
            name.to_vec(),
            Group {
                last_id,
                entries_read,
                pel: BTreeMap::new(),
                consumers: BTreeMap::new(),
            },
        );
        self.bytes += GROUP_BYTES + name.len();
        true
    }

    /// Remove a group; false when there is none.
    pub fn destroy(&mut self, name: &[u8]) -> bool {
        let Some(g) = self.map.remove(name) else {
            return false;
        };
        self.bytes -= GROUP_BYTES + name.len();
        for n in g.pel.values() {
            self.bytes -= NACK_BYTES + n.consumer.len();
        }
        for (c, cons) in &g.consumers {
            self.bytes -= CONSUMER_BYTES + c.len() + cons.pel.len() * CONSUMER_PEL_BYTES;
        }
        true
    }

    /// Set a group's last ID and read counter (XGROUP SETID, XREADGROUP, XCLAIM LASTID).
    pub fn set_last(&mut self, group: &[u8], last_id: StreamId, entries_read: i64) {
        if let Some(g) = self.map.get_mut(group) {
            g.last_id = last_id;
            g.entries_read = entries_read;
        }
    }

    /// Create a consumer (`streamCreateConsumer`); false when it exists.
    pub fn create_consumer(&mut self, group: &[u8], name: &[u8], now: i64) -> bool {
        let Some(g) = self.map.get_mut(group) else {
            return false;
        };
        if g.consumers.contains_key(name) {
            return false;
        }
        g.consumers.insert(
            name.to_vec(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        self.bytes += CONSUMER_BYTES + name.len();
        true
    }

    /// Refresh a consumer's seen time (`streamLookupConsumer` without `SLC_NO_REFRESH`);
    /// false when there is no such consumer.
    pub fn touch_consumer(&mut self, group: &[u8], name: &[u8], now: i64) -> bool {
        match self
            .map
            .get_mut(group)
            .and_then(|g| g.consumers.get_mut(name))
        {
            Some(c) => {
                c.seen_time = now;
                true
            }
            None => false,
        }
    }

    /// Delete a consumer and its pending entries (`streamDelConsumer`); how many it had, or
    /// `None` when there is no such consumer.
    pub fn del_consumer(&mut self, group: &[u8], name: &[u8]) -> Option<usize> {
        let g = self.map.get_mut(group)?;
        let c = g.consumers.remove(name)?;
        for id in &c.pel {
            if let Some(n) = g.pel.remove(id) {
                self.bytes -= NACK_BYTES + n.consumer.len();
            }
        }
        self.bytes -= CONSUMER_BYTES + name.len() + c.pel.len() * CONSUMER_PEL_BYTES;
        Some(c.pel.len())
    }

    /// Acknowledge `id` (XACK); whether it was pending.
    pub fn ack(&mut self, group: &[u8], id: StreamId) -> bool {
        let Some(g) = self.map.get_mut(group) else {
            return false;
        };
        let Some(n) = g.pel.remove(&id) else {
            return false;
        };
        self.bytes -= NACK_BYTES + n.consumer.len();
        if let Some(c) = g.consumers.get_mut(&n.consumer) {
            if c.pel.remove(&id) {
                self.bytes -= CONSUMER_PEL_BYTES;
            }
        }
        true
    }

    /// Give pending entry `id` to `consumer` (which must exist), creating it when missing, with
    /// delivery time `time` and count from `count(old count or None)`.
    pub fn assign(
        &mut self,
        group: &[u8],
        id: StreamId,
        consumer: &[u8],
        time: i64,
        count: impl FnOnce(Option<u64>) -> u64,
    ) {
        let Some(g) = self.map.get_mut(group) else {
            return;
        };
        let old = g.pel.remove(&id);
        if let Some(o) = &old {
            self.bytes -= NACK_BYTES + o.consumer.len();
            if let Some(c) = g.consumers.get_mut(&o.consumer) {
                if c.pel.remove(&id) {
                    self.bytes -= CONSUMER_PEL_BYTES;
                }
            }
        }
        let delivery_count = count(old.map(|o| o.delivery_count));
        g.pel.insert(
            id,
            Nack {
                delivery_time: time,
                delivery_count,
                consumer: consumer.to_vec(),
            },
        );
        self.bytes += NACK_BYTES + consumer.len();
        if let Some(c) = g.consumers.get_mut(consumer) {
            if c.pel.insert(id) {
                self.bytes += CONSUMER_PEL_BYTES;
            }
        }
    }

    /// Update a pending entry's delivery in place (history reads by XREADGROUP).
    pub fn redeliver(&mut self, group: &[u8], id: StreamId, time: i64) {
        if let Some(n) = self.map.get_mut(group).and_then(|g| g.pel.get_mut(&id)) {
            n.delivery_time = time;
            n.delivery_count += 1;
        }
    }

    /// Drop pending entry `id` (its entry no longer exists: XCLAIM, XAUTOCLAIM).
    pub fn remove_nack(&mut self, group: &[u8], id: StreamId) {
        self.ack(group, id);
    }

    /// Load a consumer with its seen time and its pending IDs, which must already be in the
    /// group PEL without an owner (RDB loading). `Err` says what is inconsistent.
    pub fn load_consumer(
        &mut self,
        group: &[u8],
        name: &[u8],
        seen_time: i64,
        pel: &[StreamId],
    ) -> Result<(), &'static str> {
        let g = self.map.get_mut(group).ok_or("no such group")?;
        if g.consumers.contains_key(name) {
            return Err("Duplicate stream consumer detected.");
        }
        let mut set = BTreeSet::new();
        for id in pel {
            let n = g
                .pel
                .get_mut(id)
                .ok_or("Consumer entry not found in group global PEL")?;
            // An entry is unowned while its consumer name is empty, unless a consumer named ""
            // already took it.
            let owned = !n.consumer.is_empty()
                || g.consumers
                    .get(&b""[..])
                    .is_some_and(|c| c.pel.contains(id));
            if owned || !set.insert(*id) {
                return Err("Duplicated consumer PEL entry loading a stream consumer group");
            }
            n.consumer = name.to_vec();
            self.bytes += name.len();
        }
        self.bytes += CONSUMER_BYTES + name.len() + set.len() * CONSUMER_PEL_BYTES;
        g.consumers.insert(
            name.to_vec(),
            Consumer {
                seen_time,
                pel: set,
            },
        );
        Ok(())
    }

    /// Add an unowned pending entry (RDB loading; its consumer comes later).
    pub fn load_nack(
        &mut self,
        group: &[u8],
        id: StreamId,
        delivery_time: i64,
        delivery_count: u64,
    ) -> Result<(), &'static str> {
        let g = self.map.get_mut(group).ok_or("no such group")?;
        if g.pel.contains_key(&id) {
            return Err("Duplicated global PEL entry loading stream consumer group");
        }
        g.pel.insert(
            id,
            Nack {
                delivery_time,
                delivery_count,
                consumer: Vec::new(),
            },
        );
        self.bytes += NACK_BYTES;
        Ok(())
    }

    /// Whether every pending entry has an owner (checked after loading).
    pub fn all_owned(&self) -> bool {
        self.map.values().all(|g| {
            g.pel
                .values()
                .all(|n| g.consumers.contains_key(&n.consumer))
        })
    }
}
