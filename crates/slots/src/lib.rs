//! Redis Cluster key hashing, the slot map, and request routing.
//!
//! ```
//! use hashslot_slots::key_slot;
//! assert_eq!(key_slot(b"id2").get(), 5125);
//! assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
//! ```
#![warn(missing_docs)]

mod hash;

pub use hash::key_slot;
