//! What a database's memory use is, in O(1): `used_memory` is read on every cron tick (10 a
//! second) and by INFO, so it must not walk the keys.
//!
//! Every part is kept as it changes: entry bytes on insert/replace/delete, slot table bytes when a
//! table is created, resized or dropped, object bytes when an object is allocated or freed. An
//! object changed in place (LPUSH, HSET, SADD… through `Db::object_at_mut`) is the one part a
//! database cannot see change: the size it had when it was handed out is remembered
//! (`pending_object`), and the difference is counted at the next object operation, or computed
//! on the fly by [`Db::used_memory`]. That needs every object's `heap_size` to be O(1): the
//! collection types keep their own byte counts (`Dict::entry_bytes`, a list's `Big::bytes`).
//! [`Db::used_memory_walk`] is the old full walk, kept so tests can check the bookkeeping.

use crate::db::Db;
use crate::table::Table;
use crate::value::Object;

/// Bytes per key with a TTL in the expiry index: a BTreeMap node holds up to 11 (key, value)
/// pairs of 28 bytes and is ~70% full.
const EXPIRE_ENTRY_BYTES: usize = 40;

impl Db {
    /// Approximate bytes used by this database (entries, tables, expiry index, objects), in
    /// O(1).
    pub fn used_memory(&self) -> usize {
        let pending = match self.pending_object {
            Some((i, before)) => {
                self.objects[i as usize]
                    .as_ref()
                    .map_or(0, Object::heap_size) as isize
                    - before as isize
            }
            None => 0,
        };
        let objects = (self.object_bytes as isize + pending) as usize;
        self.fixed_bytes() + self.entry_bytes + self.table_bytes + objects
    }

    /// [`Db::used_memory`] computed by walking every table and object (O(keys)): what the
    /// kept counts must always equal. For tests and debugging; a node never needs it.
    #[doc(hidden)]
    pub fn used_memory_walk(&self) -> usize {
        let tables: usize = self.slots.iter().flatten().map(Table::table_bytes).sum();
        let objects: usize = self.objects.iter().flatten().map(Object::heap_size).sum();
        let entries: usize = self
            .slots
            .iter()
            .flatten()
            .flat_map(Table::iter)
            .map(crate::db::malloc_size_of)
            .sum();
        self.fixed_bytes() + entries + tables + objects
    }

    /// The parts that are O(1) to read anyway: array headers and the expiry index.
    fn fixed_bytes(&self) -> usize {
        self.objects.capacity() * std::mem::size_of::<Option<Object>>()
            + self.expires.len() * EXPIRE_ENTRY_BYTES
            + self.slots.capacity() * std::mem::size_of::<Option<Table>>()
    }

    /// Count the change of the object handed out last (its borrow has ended by now).
    pub(crate) fn settle_object(&mut self) {
        if let Some((i, before)) = self.pending_object.take() {
            if let Some(o) = &self.objects[i as usize] {
                self.object_bytes = self.object_bytes - before + o.heap_size();
            }
        }
    }

    /// Give each slot table created from now on room for about `keys_per_slot` keys (0: grow
    /// from nothing, the default). A loader that knows how many keys are coming (an RDB file's
    /// `RESIZEDB`) sets it so tables are not resized again and again as keys arrive in another
    /// server's hash order, and clears it when done, so that tables created later start small.
    pub fn set_slot_room(&mut self, keys_per_slot: usize) {
        self.slot_room = keys_per_slot;
    }

    /// Room per slot table for `total` keys spread over the 16384 slots by their hash: the
    /// mean plus three standard deviations (keys per slot are about Poisson), so most slots
    /// fill without a resize while a table holds at most a few more positions than it needs.
    ///
    /// `source_bytes` is the size of the input that announced `total`: a key record takes at
    /// least 3 bytes, so a larger count is false and is cut to what the input could hold (a
    /// file claiming 2^60 keys must not make each table allocate for them).
    pub fn slot_room_for_keys(total: u64, source_bytes: usize) -> usize {
        let total = total.min(source_bytes as u64 / 3);
        let mean = total as f64 / hashslot_types::SLOT_COUNT as f64;
        (mean + 3.0 * mean.sqrt()).ceil() as usize
    }
}
