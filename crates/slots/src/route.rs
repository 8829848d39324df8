//! The redirection decision: may this node serve a request, and if not, what does the client get.
//!
//! Ref: cluster spec §8.2 "Redirection decision" (`cluster.c:getNodeByQuery()`), and
//! `clusterRedirectBlockedClientIfNeeded()` for [`route_blocked`]. The order of the checks is
//! Redis's and is observable: an unassigned first slot wins over a later cross-slot key, a
//! cross-slot key wins over the cluster being down, the cluster being down wins over MOVED/ASK.

use hashslot_resp::ErrorReply;
use hashslot_types::Slot;

use crate::key_slot;
use crate::slot_map::{NodeRef, SlotMap};

/// What this node knows about itself and the cluster when routing; changes rarely, so the node
/// can keep one value and update it on role, state or config changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterView {
    /// This node's handle (`myself`).
    pub myself: NodeRef,
    /// The master this node replicates, if it is a replica (`myself->slaveof`).
    pub my_master: Option<NodeRef>,
    /// Cluster state is OK (`server.cluster->state == CLUSTER_OK`).
    pub state_ok: bool,
    /// `cluster-allow-reads-when-down` (default no).
    pub allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down` (default yes).
    pub allow_pubsubshard_when_down: bool,
}

impl ClusterView {
    /// A master `myself` in an OK cluster, with the default configuration.
    pub const fn new(myself: NodeRef) -> Self {
        ClusterView {
            myself,
            my_master: None,
            state_ok: true,
            allow_reads_when_down: false,
            allow_pubsubshard_when_down: true,
        }
    }
}

/// One command to route: its keys and the flags that matter for the decision. Plain `Copy` data
/// borrowed from the parsed command; building one does not allocate.
///
/// The caller does what precedes `getNodeByQuery` in `processCommand`: it skips routing for
/// clients that must be obeyed (my master, the AOF loader), for commands without key arguments
/// (except EXEC), and for EXEC outside MULTI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteRequest<'a> {
    /// The key arguments (`getKeysFromCommand`), in order; for sharded pub/sub the channels; for
    /// EXEC the keys of every queued command, in queue order.
    pub keys: &'a [&'a [u8]],
    /// The command is a write (`CMD_WRITE`); for EXEC, whether a queued command is a write
    /// (`mstate.cmd_flags & CMD_WRITE`).
    pub is_write: bool,
    /// The client sent ASKING before this command, or the command has the `ASKING` flag
    /// (RESTORE-ASKING).
    pub asking: bool,
    /// The connection is in READONLY mode.
    pub readonly_client: bool,
    /// The command is EXEC. EXEC's own flags carry no `CMD_WRITE`, so with
    /// `allow_reads_when_down` a down cluster does not stop it here (its writes were checked
    /// when they were queued); `is_write` still decides the replica-read case.
    pub is_exec: bool,
    /// The command is MIGRATE, which is always served locally while the slot is open.
    pub is_migrate: bool,
    /// The request includes a sharded pub/sub command (SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE):
    /// channel existence is not checked during a migration, `allow_pubsubshard_when_down`
    /// applies, and replicas serve it like a READONLY read.
    pub is_pubsub_shard: bool,
}

impl<'a> RouteRequest<'a> {
    /// A read request on `keys` with no flags set.
    pub const fn new(keys: &'a [&'a [u8]]) -> Self {
        RouteRequest {
            keys,
            is_write: false,
            asking: false,
            readonly_client: false,
            is_exec: false,
            is_migrate: false,
            is_pubsub_shard: false,
        }
    }
}

/// Why a request is refused with `-CLUSTERDOWN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DownReason {
    /// The first key's slot has no owner: `CLUSTERDOWN Hash slot not served`.
    Unbound,
    /// The cluster state is FAIL: `CLUSTERDOWN The cluster is down`.
    ClusterDown,
    /// The cluster is FAIL, reads are allowed, this is a write:
    /// `CLUSTERDOWN The cluster is down and only accepts read commands`.
    ReadOnly,
}

/// The routing decision for one request.
///
/// Deliberately not `#[non_exhaustive]`: the node must handle every outcome, and a new one
/// should fail its build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// Serve it here.
    Local,
    /// `-MOVED <slot> <endpoint>`: the slot is served by `to`.
    Moved {
        /// Slot of the keys.
        slot: Slot,
        /// Owner of the slot.
        to: NodeRef,
    },
    /// `-ASK <slot> <endpoint>`: the slot is migrating to `to` and the keys are not here.
    Ask {
        /// Slot of the keys.
        slot: Slot,
        /// Migration target.
        to: NodeRef,
    },
    /// `-CROSSSLOT`: keys in different slots.
    CrossSlot,
    /// `-TRYAGAIN`: several keys during a migration, only some of them here.
    TryAgain,
    /// `-CLUSTERDOWN …`.
    Down(DownReason),
}

impl Route {
    /// Whether the request is served here.
    #[inline]
    pub fn is_local(&self) -> bool {
        matches!(self, Route::Local)
    }

    /// The error reply for a refused request (`clusterRedirectClient`), or `None` for
    /// [`Route::Local`]. `endpoint` gives the (host, client port) to print for a node, already
    /// chosen per `cluster-preferred-endpoint-type` and the client's TLS-ness; it is called only
    /// for MOVED and ASK.
    pub fn to_error_reply<F, H>(&self, endpoint: F) -> Option<ErrorReply>
    where
        F: FnOnce(NodeRef) -> (H, u16),
        H: Into<String>,
    {
        Some(match *self {
            Route::Local => return None,
            Route::Moved { slot, to } => {
                let (host, port) = endpoint(to);
                ErrorReply::Moved {
                    slot: slot.get(),
                    host: host.into(),
                    port,
                }
            }
            Route::Ask { slot, to } => {
                let (host, port) = endpoint(to);
                ErrorReply::Ask {
                    slot: slot.get(),
                    host: host.into(),
                    port,
                }
            }
            Route::CrossSlot => ErrorReply::CrossSlot,
            Route::TryAgain => ErrorReply::TryAgain,
            Route::Down(DownReason::Unbound) => ErrorReply::ClusterDownUnbound,
            Route::Down(DownReason::ClusterDown) => ErrorReply::ClusterDown,
            Route::Down(DownReason::ReadOnly) => ErrorReply::ClusterDownReadOnly,
        })
    }
}

/// Decide where `req` is served (`getNodeByQuery`).
///
/// `key_exists(key)` is asked only while the first key's slot is migrating (from here) or
/// importing (to here), once per key, and never for sharded pub/sub. It must answer for DB 0
/// without side effects: no LRU/LFU touch, no stats, no keyspace events, and a logically expired
/// key counts as missing but is not deleted (`LOOKUP_NOTOUCH | LOOKUP_NOSTATS |
/// LOOKUP_NONOTIFY | LOOKUP_NOEXPIRE`).
///
/// Allocation-free; cost is one CRC per key plus one slot-map row read.
pub fn route<F>(
    map: &SlotMap,
    view: &ClusterView,
    req: &RouteRequest<'_>,
    mut key_exists: F,
) -> Route
where
    F: FnMut(&[u8]) -> bool,
{
    let Some((&first, rest)) = req.keys.split_first() else {
        // No key at all: serve it, whatever the cluster state.
        return Route::Local;
    };

    // 1. The first key fixes the slot and the owner.
    let slot = key_slot(first);
    let entry = map.entry(slot);
    let Some(owner) = entry.owner else {
        // Reported before looking at any other key.
        return Route::Down(DownReason::Unbound);
    };
    let migrating = owner == view.myself && entry.migrating_slots_to.is_some();
    let importing = !migrating && entry.importing_slots_from.is_some();
    let check_keys = (migrating || importing) && !req.is_pubsub_shard;

    let mut missing = 0usize;
    let mut existing = 0usize;
    let mut count = |key: &[u8]| {
        if key_exists(key) {
            existing += 1;
        } else {
            missing += 1;
        }
    };
    if check_keys {
        count(first);
    }

    // 2. Every further key must be in the same slot; a different key marks "multiple keys"
    //    (Redis records that only while importing, the only place it is read).
    let mut multiple_keys = false;
    for &key in rest {
        if key_slot(key) != slot {
            return Route::CrossSlot;
        }
        if importing && !multiple_keys && key != first {
            multiple_keys = true;
        }
        if check_keys {
            count(key);
        }
    }

    // 5. Cluster down: only non-writes may pass, and only if configured.
    if !view.state_ok {
        if req.is_pubsub_shard {
            if !view.allow_pubsubshard_when_down {
                return Route::Down(DownReason::ClusterDown);
            }
        } else if !view.allow_reads_when_down {
            return Route::Down(DownReason::ClusterDown);
        } else if req.is_write && !req.is_exec {
            return Route::Down(DownReason::ReadOnly);
        }
    }

    // 6. MIGRATE moves keys of an open slot from here, whatever their state.
    if (migrating || importing) && req.is_migrate {
        return Route::Local;
    }

    // 7. Migrating away and some keys are gone: all gone → ASK the target; mixed → TRYAGAIN.
    if migrating && missing > 0 {
        if existing > 0 {
            return Route::TryAgain;
        }
        if let Some(to) = entry.migrating_slots_to {
            return Route::Ask { slot, to };
        }
    }

    // 8. Importing, and the client was sent here by an ASK.
    if importing && req.asking {
        return if multiple_keys && missing > 0 {
            Route::TryAgain
        } else {
            Route::Local
        };
    }

    // 9. A READONLY client (or sharded pub/sub) reading from a replica of the slot's owner.
    if (req.readonly_client || req.is_pubsub_shard)
        && !req.is_write
        && view.my_master == Some(owner)
    {
        return Route::Local;
    }

    // 10. Base case.
    if owner == view.myself {
        Route::Local
    } else {
        Route::Moved { slot, to: owner }
    }
}

/// Whether a client blocked on `key` (BLPOP, BZPOPMIN, XREAD…) must be released with an error
/// because the cluster changed under it (`clusterRedirectBlockedClientIfNeeded`). Returns the
/// route to reply with, or `None` to keep it blocked.
///
/// All keys of a blocked client share a slot, so the first key is enough. `readonly_client` is
/// the connection's READONLY mode and `last_cmd_write` whether the blocking command writes.
pub fn route_blocked(
    map: &SlotMap,
    view: &ClusterView,
    key: &[u8],
    readonly_client: bool,
    last_cmd_write: bool,
) -> Option<Route> {
    // Released even when reads are allowed: only a write could unblock it, and none will come.
    if !view.state_ok {
        return Some(Route::Down(DownReason::ClusterDown));
    }
    let slot = key_slot(key);
    let entry = map.entry(slot);
    let mut owner = entry.owner;
    if readonly_client && !last_cmd_write && owner.is_some() && view.my_master == owner {
        owner = Some(view.myself);
    }
    if owner == Some(view.myself) || entry.importing_slots_from.is_some() {
        return None;
    }
    Some(match owner {
        None => Route::Down(DownReason::Unbound),
        Some(to) => Route::Moved { slot, to },
    })
}
