//! Routing keyed commands in cluster mode (`getNodeByQuery` in `processCommand`).

use hashslot_keyspace::flags;
use hashslot_slots::{route, RouteRequest};
use smallvec::SmallVec;

use crate::session::Client;
use crate::Node;

/// Sharded pub/sub commands: their channels route like keys.
const PUBSUB_SHARD: &[&str] = &["spublish", "ssubscribe", "sunsubscribe"];

impl Node {
    /// Decide whether table entry `idx` with `args` is served here. `None`: serve it; `Some`:
    /// the error to reply (MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN). Commands without key
    /// arguments are always served (KEYS, DBSIZE, SCAN stay node-local).
    pub(crate) fn cluster_route(
        &self,
        client: &Client,
        idx: usize,
        args: &[&[u8]],
    ) -> Option<hashslot_resp::ErrorReply> {
        let cm = self.cluster.as_ref()?;
        let entry = &self.table.entries[idx];
        let mut pos: Vec<usize> = Vec::new();
        self.table.key_positions(idx, args, &mut pos);
        if pos.is_empty() {
            return None;
        }
        let keys: SmallVec<[&[u8]; 8]> = pos.iter().filter_map(|&i| args.get(i).copied()).collect();
        let req = RouteRequest {
            keys: &keys,
            is_write: entry.flags & flags::WRITE != 0,
            asking: client.asking || entry.flags & flags::ASKING != 0,
            readonly_client: client.readonly,
            is_exec: false,
            is_migrate: entry.name == "migrate",
            is_pubsub_shard: PUBSUB_SHARD.contains(&entry.name),
        };
        let view = cm
            .cluster
            .route_view(cm.allow_reads_when_down, cm.allow_pubsubshard_when_down);
        let db = &self.dbs[0];
        let r = route(cm.cluster.slot_map(), &view, &req, |k| {
            db.contains_key_raw(k)
        });
        r.to_error_reply(|n| {
            let (ip, port) = cm.cluster.endpoint(n);
            (ip.to_owned(), port)
        })
    }
}
