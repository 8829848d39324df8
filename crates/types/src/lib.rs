//! Shared vocabulary of hashslot: typed ids, slots, epochs, the two kinds of time, and seeded
//! randomness.
//!
//! Every other crate speaks in these types. Nothing here does I/O or reads a clock: the driver
//! (a server, a simulator, a test) builds a [`Now`] and passes it in.
//!
//! ```
//! use hashslot_types::{Instant, Now, Rng, Slot, UnixMillis};
//! let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
//! let later = now.advance_millis(100);
//! assert_eq!(later.wall.0 - now.wall.0, 100);
//! let mut rng = Rng::from_seed(7);
//! let _ = rng.next_u64();
//! assert!(Slot::new(16384).is_none());
//! ```
#![warn(missing_docs)]

mod ids;
mod int_hasher;
mod rng;
mod slot;
mod time;

pub use ids::{ConnId, Epoch, LinkId, NodeId, ReplOffset, ShardId};
pub use int_hasher::IntHasher;
pub use rng::Rng;
pub use slot::{Slot, SlotSet, SLOT_COUNT};
pub use time::{Instant, Now, UnixMillis};
