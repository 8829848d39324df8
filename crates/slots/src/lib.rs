//! Redis Cluster key hashing, the slot map, and request routing.
//!
//! Three layers, each usable alone:
//!
//! * [`key_slot`]: CRC16 of a key (or its `{hash tag}`) modulo 16384, as `keyHashSlot`.
//! * [`SlotMap`]: per slot, the owner and the open migration (`migrating_slots_to`,
//!   `importing_slots_from`). Nodes are [`NodeRef`] handles into the gossip layer's node table.
//! * [`route`]: the redirection decision of `getNodeByQuery` for one request, returning a
//!   [`Route`] that maps to the exact Redis error text with [`Route::to_error_reply`].
//!
//! Nothing here does I/O or allocates on the routing path; key existence during a migration is
//! asked through a callback, so the same code runs in the node, the simulator and a proxy.
//!
//! ```
//! use hashslot_slots::{key_slot, route, ClusterView, NodeRef, Route, RouteRequest, SlotMap};
//! use hashslot_types::Slot;
//!
//! let (me, other) = (NodeRef::new(0), NodeRef::new(1));
//! let mut map = SlotMap::new();
//! for n in 0..16384u16 {
//!     let slot = Slot::new(n).unwrap();
//!     map.assign(slot, if n < 8192 { me } else { other });
//! }
//! let view = ClusterView::new(me);
//! let no_keys_here = |_: &[u8]| false;
//!
//! // `id` hashes to slot 7568 (mine), `foo` to 12182 (the other node's).
//! assert_eq!(key_slot(b"id").get(), 7568);
//! let get_id = RouteRequest::new(&[b"id"]);
//! assert_eq!(route(&map, &view, &get_id, no_keys_here), Route::Local);
//!
//! let set_foo = RouteRequest { is_write: true, ..RouteRequest::new(&[b"foo"]) };
//! let r = route(&map, &view, &set_foo, no_keys_here);
//! let reply = r.to_error_reply(|_node| ("127.0.0.1", 7001)).unwrap();
//! assert_eq!(reply.to_string(), "MOVED 12182 127.0.0.1:7001");
//!
//! let mget = RouteRequest::new(&[b"id", b"foo"]);
//! assert_eq!(route(&map, &view, &mget, no_keys_here), Route::CrossSlot);
//! ```
#![warn(missing_docs)]

mod hash;
mod route;
mod runs;
mod slot_map;

pub use hash::{crc16_xmodem, hash_tag, key_slot};
pub use route::{route, route_blocked, ClusterView, DownReason, Route, RouteRequest};
pub use slot_map::{NodeRef, SlotMap, SlotRange};
