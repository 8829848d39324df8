//! The data commands, by family, and the lookup helpers they share.
//!
//! The helpers mirror Redis's `lookupKeyRead`/`lookupKeyWrite`: lazy expiry (counted in
//! `expired_keys`), the LRU touch, and `keyspace_hits`/`keyspace_misses` for read lookups only.

pub(crate) mod bitfield;
pub(crate) mod bitmap;
pub(crate) mod expire;
pub(crate) mod generic;
pub(crate) mod geo;
pub(crate) mod hash;
pub(crate) mod hll;
pub(crate) mod hyperloglog;
pub(crate) mod incr;
pub(crate) mod lcs;
pub(crate) mod list;
pub(crate) mod object;
pub(crate) mod set;
pub(crate) mod sort;
pub(crate) mod stream;
pub(crate) mod stream_group;
mod stream_info;
pub(crate) mod stream_propagate;
mod stream_table;
pub(crate) mod string;
pub(crate) mod table;
mod table_bitfield;
mod table_bitmap;
mod table_expire;
mod table_generic;
mod table_geo;
mod table_hash;
mod table_hyperloglog;
mod table_incr;
mod table_lcs;
mod table_list;
mod table_object;
mod table_set;
mod table_sort;
mod table_string;
mod table_zset;
pub(crate) mod zset;

use hashslot_resp::{ErrorReply, Reply};

/// Keyspace notification classes, for `ctx.notify(ev::STRING, "set", key)`.
pub(crate) use crate::notify::class as ev;

use crate::db::Loc;
use crate::util::parse_i64;
use crate::value::{StrRef, ValueRef};
use crate::{Ctx, Db};

/// Largest string a command may build (`proto-max-bulk-len`'s default, 512 MB).
pub(crate) const PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

/// A live key found by a lookup: where its entry is.
#[derive(Clone, Copy)]
pub(crate) struct Found {
    pub(crate) loc: Loc,
    pub(crate) pos: usize,
}

/// Don't update the LRU clock (`LOOKUP_NOTOUCH`).
pub(crate) const NOTOUCH: u8 = 1;

/// Redis's `lookupKeyReadWithFlags`: expire lazily, count a hit or a miss, touch.
pub(crate) fn lookup_read(ctx: &mut Ctx<'_>, key: &[u8], flags: u8) -> Option<Found> {
    let found = lookup(ctx, key, flags & NOTOUCH == 0);
    if found.is_some() {
        ctx.stats.keyspace_hits += 1;
    } else {
        ctx.stats.keyspace_misses += 1;
        ctx.notify(crate::notify::class::KEY_MISS, "keymiss", key);
    }
    found
}

/// Redis's `lookupKeyWrite`: expire lazily and touch, no hit/miss counting. A write deletes an
/// expired key even under `keep_expired` or on a (writable) replica (it changes the dataset
/// anyway: Redis's `EXPIRE_FORCE_DELETE_EXPIRED`), so the new value never lands beside a hidden
/// expired entry. The master's stream still sees every key as live (`from_master`).
pub(crate) fn lookup_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<Found> {
    let keep = std::mem::replace(&mut ctx.keep_expired, false);
    let replica = std::mem::replace(&mut ctx.replica, false);
    let found = lookup(ctx, key, true);
    ctx.keep_expired = keep;
    ctx.replica = replica;
    found
}

/// Whether expired keys only hide (nothing deleted): a client pause, or a replica's own reads.
pub(crate) fn keeps_expired(ctx: &Ctx<'_>) -> bool {
    ctx.keep_expired || ctx.replica
}

/// Lazy expiry of `key` in the selected database under the context's mode: whether it is
/// expired (see [`Db::expire_lazily`]). Never, for the master's stream on a replica; without
/// deleting it, under `keep_expired` or on a replica.
pub(crate) fn expire_lazily(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    if ctx.from_master {
        return false;
    }
    let (now, keep) = (ctx.now.wall, keeps_expired(ctx));
    ctx.dbs[ctx.db_index].expire_lazily(key, now, keep, ctx.stats)
}

/// Hand the selected database this command's `notify-keyspace-events` flags, so that a key it
/// expires lazily records `expired` under them (CONFIG SET takes effect at once).
pub(crate) fn sync_notify(ctx: &mut Ctx<'_>) {
    let (flags, id) = (ctx.limits.notify_keyspace_events, ctx.db_index);
    ctx.dbs[id].set_notify(id, flags);
}

fn lookup(ctx: &mut Ctx<'_>, key: &[u8], touch: bool) -> Option<Found> {
    let now = ctx.now.wall;
    sync_notify(ctx);
    if expire_lazily(ctx, key) {
        return None;
    }
    let db = &mut ctx.dbs[ctx.db_index];
    let (loc, pos) = db.find(key)?;
    if touch {
        crate::entry::set_lru(db.entry_at_mut(loc, pos), now.as_secs() as u32);
    }
    Some(Found { loc, pos })
}

/// The value of a found key.
pub(crate) fn value<'a>(db: &'a Db, f: Found) -> ValueRef<'a> {
    db.value_of(db.entry_at(f.loc, f.pos))
}

/// Reply with a string value as a bulk string.
pub(crate) fn reply_str(reply: &mut Reply<'_>, s: StrRef<'_>) {
    match s {
        StrRef::Bytes(b) => reply.bulk(b),
        StrRef::Int(n) => reply.bulk_i64(n),
    }
}

/// ASCII case-insensitive comparison with a lowercase literal.
pub(crate) fn eq_ic(arg: &[u8], lower: &[u8]) -> bool {
    arg.eq_ignore_ascii_case(lower)
}

/// Reply with an error given as its whole text.
pub(crate) fn err(ctx: &mut Ctx<'_>, text: &'static str) {
    ctx.reply.error(&ErrorReply::msg(text));
}

/// Redis's `getLongLongFromObjectOrReply` with the default message.
pub(crate) fn int_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<i64> {
    let v = parse_i64(arg);
    if v.is_none() {
        ctx.reply.error(&ErrorReply::NotInteger);
    }
    v
}

/// Redis's `getIntFromObjectOrReply`: an i64 that must fit an `int`. `msg` replaces both errors
/// when given (SWAPDB's "invalid first DB index").
pub(crate) fn c_int_arg(ctx: &mut Ctx<'_>, arg: &[u8], msg: Option<&'static str>) -> Option<i32> {
    let Some(v) = parse_i64(arg) else {
        ctx.reply
            .error(&msg.map_or(ErrorReply::NotInteger, ErrorReply::msg));
        return None;
    };
    match i32::try_from(v) {
        Ok(v) => Some(v),
        Err(_) => {
            err(
                ctx,
                msg.unwrap_or(
                    "ERR value is out of range, value must between -2147483648 and 2147483647",
                ),
            );
            None
        }
    }
}

/// The name of the running command for error texts: Redis uses the registered (lowercase) name.
pub(crate) fn cmd_name(argv: &[&[u8]]) -> String {
    String::from_utf8_lossy(argv[0]).to_ascii_lowercase()
}
