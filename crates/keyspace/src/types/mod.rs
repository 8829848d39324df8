//! The collection types, one module each. Each type owns its representation (compact encodings
//! for small values, the way Redis uses listpacks and intsets) and reports its encoding name.

pub(crate) mod hash;
pub(crate) mod list;
pub(crate) mod set;
pub(crate) mod zset;

pub use hash::{Hash, HashLimits};
pub use list::List;
pub use set::{Set, SetLimits};
pub use zset::{ZSet, ZSetLimits};
