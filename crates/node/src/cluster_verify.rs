//! After the dataset is loaded in cluster mode, make the slot table agree with the keys the
//! node holds. Ref: cluster.c verifyClusterConfigWithData (7.0), run by main() after
//! loadDataFromDisk.
//!
//! A master restarted with keys in slots its nodes.conf does not give it (a crash in the middle
//! of a resharding, a dump.rdb copied from another node, a nodes.conf lost or reset) would
//! otherwise hold keys no client can reach, and `redis-cli --cluster check` and `fix` could not
//! see them: Redis takes an unassigned slot for itself and marks a slot owned by another node
//! as importing from it, so the keys are reachable (ASKING) and `--cluster fix` can move them.

use hashslot_types::{Now, Slot};

use crate::persistence::LoadError;
use crate::{LogLevel, Node};

impl Node {
    /// See the module docs. A replica is not checked (its data follows its master's stream);
    /// keys in a database other than 0 stop the node, as Redis exits there.
    pub(crate) fn cluster_verify_with_data(&mut self, now: Now) -> Result<(), LoadError> {
        let Some(cm) = self.cluster.as_mut() else {
            return Ok(());
        };
        if cm.cluster.is_replica() {
            return Ok(());
        }
        if self.dbs.iter().skip(1).any(|db| !db.is_empty()) {
            return Err(LoadError::KeysOutsideDb0);
        }
        let me = cm.cluster.myself_ref();
        let mut take = Vec::new();
        let mut import = Vec::new();
        let map = cm.cluster.slot_map();
        for n in 0..hashslot_types::SLOT_COUNT as u16 {
            let Some(slot) = Slot::new(n) else { continue };
            if self.dbs[0].count_keys_in_slot(slot) == 0 {
                continue;
            }
            let owner = map.owner(slot);
            if owner == Some(me) || map.importing_slots_from(slot).is_some() {
                continue;
            }
            match owner.and_then(|o| cm.cluster.node(o)) {
                None => take.push(slot),
                Some(o) => import.push((slot, o.name)),
            }
        }
        if take.is_empty() && import.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::new();
        for &slot in &take {
            lines.push(format!(
                "I have keys for unassigned slot {}. Taking responsibility for it.",
                slot.get()
            ));
        }
        // An unassigned slot is free: taking it cannot fail.
        let _ = cm.cluster.add_slots(now, &take);
        for (slot, owner) in &import {
            lines.push(format!(
                "I have keys for slot {}, but the slot is assigned to another node. Setting it to importing state.",
                slot.get()
            ));
            // The owner is a known node and this node a master: this cannot fail either.
            let _ = cm.cluster.set_slot_importing(now, *slot, owner.as_bytes());
        }
        // Ref: clusterSaveConfigOrDie(1): the fixed table is saved (with fsync) at once.
        cm.cluster.save_config(now);
        for line in lines {
            self.log(LogLevel::Warning, line);
        }
        Ok(())
    }
}
