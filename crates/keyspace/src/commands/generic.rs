//! Generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME, RENAMENX, COPY, MOVE, SWAPDB,
//! RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, KEYS, SCAN.

use hashslot_resp::ErrorReply;

use super::{
    c_int_arg, eq_ic, err, ev, expire_lazily, int_arg, keeps_expired, lookup_read, lookup_write,
    sync_notify, value, NOTOUCH,
};
use crate::util::parse_cursor;
use crate::{glob_match, Ctx};

fn del_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let now = ctx.now.wall;
    let mut deleted = 0;
    sync_notify(ctx);
    // Ref: db.c delGenericCommand: `expireIfNeeded` first (a master deletes an expired key as
    // expired: counted there, not here), then the delete; where expiry deletes nothing (a
    // pause, a replica, the master's stream) the key is deleted, and counted, as any other.
    let expire_first = !keeps_expired(ctx) && !ctx.from_master;
    for key in &argv[1..] {
        let db = &mut ctx.dbs[ctx.db_index];
        if expire_first && db.expire_if_needed(key, now) {
            ctx.stats.expired_keys += 1;
        } else if db.remove(key) {
            deleted += 1;
            ctx.notify(ev::GENERIC, "del", key);
        }
    }
    ctx.dirty += deleted;
    ctx.reply.int(deleted as i64);
}

/// DEL key [key ...]
pub(crate) fn del_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    del_generic(ctx, argv);
}

/// UNLINK key [key ...] (freeing is never deferred here: values are freed in O(size) anyway)
pub(crate) fn unlink_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    del_generic(ctx, argv);
}

/// EXISTS key [key ...]
pub(crate) fn exists_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let n = argv[1..]
        .iter()
        .filter(|k| lookup_read(ctx, k, NOTOUCH).is_some())
        .count();
    ctx.reply.int(n as i64);
}

/// TOUCH key [key ...]
pub(crate) fn touch_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let n = argv[1..]
        .iter()
        .filter(|k| lookup_read(ctx, k, 0).is_some())
        .count();
    ctx.reply.int(n as i64);
}

/// TYPE key
pub(crate) fn type_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let name = match lookup_read(ctx, argv[1], NOTOUCH) {
        Some(f) => value(&ctx.dbs[ctx.db_index], f).value_type().name(),
        None => "none",
    };
    ctx.reply.simple(name.as_bytes());
}

fn rename_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], nx: bool) {
    let (from, to) = (argv[1], argv[2]);
    if lookup_write(ctx, from).is_none() {
        ctx.reply.error(&ErrorReply::NoSuchKey);
        return;
    }
    if from == to {
        if nx {
            ctx.reply.int(0);
        } else {
            ctx.reply.ok();
        }
        return;
    }
    if lookup_write(ctx, to).is_some() {
        if nx {
            ctx.reply.int(0);
            return;
        }
        ctx.dbs[ctx.db_index].remove(to);
    }
    ctx.dbs[ctx.db_index].rename(from, to);
    ctx.notify(ev::GENERIC, "rename_from", from);
    ctx.notify(ev::GENERIC, "rename_to", to);
    ctx.dirty += 1;
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
}

/// RENAME key newkey
pub(crate) fn rename_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    rename_generic(ctx, argv, false);
}

/// RENAMENX key newkey
pub(crate) fn renamenx_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    rename_generic(ctx, argv, true);
}

/// A database index argument checked against the configured databases.
fn db_index_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<usize> {
    let id = c_int_arg(ctx, arg, None)?;
    match usize::try_from(id) {
        Ok(i) if i < ctx.dbs.len() => Some(i),
        _ => {
            err(ctx, "ERR DB index is out of range");
            None
        }
    }
}

/// COPY source destination [DB destination-db] [REPLACE]
pub(crate) fn copy_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (src, dst_key) = (argv[1], argv[2]);
    let (mut dst, mut replace) = (ctx.db_index, false);
    let mut j = 3;
    while j < argv.len() {
        if eq_ic(argv[j], b"replace") {
            replace = true;
        } else if eq_ic(argv[j], b"db") && j + 1 < argv.len() {
            let Some(i) = db_index_arg(ctx, argv[j + 1]) else {
                return;
            };
            dst = i;
            j += 1;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
        j += 1;
    }
    if ctx.cluster_enabled && (ctx.db_index != 0 || dst != 0) {
        err(
            ctx,
            "ERR Copying to another database is not allowed in cluster mode",
        );
        return;
    }
    if dst == ctx.db_index && src == dst_key {
        err(ctx, "ERR source and destination objects are the same");
        return;
    }
    if lookup_read(ctx, src, 0).is_none() {
        ctx.reply.int(0);
        return;
    }
    let src_db = ctx.db_index;
    ctx.db_index = dst;
    let exists = lookup_write(ctx, dst_key).is_some();
    ctx.db_index = src_db;
    if exists && !replace {
        ctx.reply.int(0);
        return;
    }
    let now = ctx.now.wall;
    let x = ctx.dbs[src_db]
        .export_copy(src, now)
        .expect("source looked up");
    if exists {
        ctx.dbs[dst].remove(dst_key);
    }
    ctx.dbs[dst].import(dst_key, x);
    ctx.notify_in(dst, ev::GENERIC, "copy_to", dst_key);
    ctx.dirty += 1;
    ctx.reply.int(1);
}

/// MOVE key db
pub(crate) fn move_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if ctx.cluster_enabled {
        err(ctx, "ERR MOVE is not allowed in cluster mode");
        return;
    }
    let Some(dst) = db_index_arg(ctx, argv[2]) else {
        return;
    };
    if dst == ctx.db_index {
        err(ctx, "ERR source and destination objects are the same");
        return;
    }
    let key = argv[1];
    if lookup_write(ctx, key).is_none() {
        ctx.reply.int(0);
        return;
    }
    let src = ctx.db_index;
    ctx.db_index = dst;
    let exists = lookup_write(ctx, key).is_some();
    ctx.db_index = src;
    if exists {
        ctx.reply.int(0);
        return;
    }
    let x = ctx.dbs[src].export_take(key).expect("key looked up");
    ctx.dbs[dst].import(key, x);
    ctx.notify_in(src, ev::GENERIC, "move_from", key);
    ctx.notify_in(dst, ev::GENERIC, "move_to", key);
    ctx.dirty += 1;
    ctx.reply.int(1);
}

/// SWAPDB index1 index2
pub(crate) fn swapdb_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if ctx.cluster_enabled {
        err(ctx, "ERR SWAPDB is not allowed in cluster mode");
        return;
    }
    let Some(a) = c_int_arg(ctx, argv[1], Some("ERR invalid first DB index")) else {
        return;
    };
    let Some(b) = c_int_arg(ctx, argv[2], Some("ERR invalid second DB index")) else {
        return;
    };
    let n = ctx.dbs.len();
    match (usize::try_from(a), usize::try_from(b)) {
        (Ok(a), Ok(b)) if a < n && b < n => {
            ctx.dbs.swap(a, b);
            ctx.dirty += 1;
            ctx.reply.ok();
        }
        _ => err(ctx, "ERR DB index is out of range"),
    }
}

/// RANDOMKEY
pub(crate) fn randomkey_command(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) {
    let now = ctx.now.wall;
    if ctx.from_master {
        // Never sent by a master (RANDOMKEY writes nothing), but every key is live there.
        match ctx.dbs[ctx.db_index].random_key(ctx.rng) {
            Some(key) => ctx.reply.bulk(&key),
            None => ctx.reply.null(),
        }
        return;
    }
    if keeps_expired(ctx) {
        // Expired picks cannot be deleted now, so drawing again until a live key comes up
        // could spin (Redis 7.0 does, when every key is expired): a bounded pick instead.
        match ctx.dbs[ctx.db_index].random_unexpired_key(ctx.rng, now) {
            Some(key) => ctx.reply.bulk(&key),
            None => ctx.reply.null(),
        }
        return;
    }
    loop {
        sync_notify(ctx);
        let db = &mut ctx.dbs[ctx.db_index];
        let Some(key) = db.random_key(ctx.rng) else {
            ctx.reply.null();
            return;
        };
        // Like Redis, delete expired picks and draw again.
        if db.expire_if_needed(&key, now) {
            ctx.stats.expired_keys += 1;
            continue;
        }
        ctx.reply.bulk(&key);
        return;
    }
}

/// DBSIZE
pub(crate) fn dbsize_command(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) {
    let n = ctx.dbs[ctx.db_index].len();
    ctx.reply.int(n as i64);
}

/// Redis's `getFlushCommandFlags`: nothing, SYNC or ASYNC (both flush at once here).
fn flush_args_ok(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> bool {
    let ok = argv.len() == 1
        || (argv.len() == 2 && (eq_ic(argv[1], b"sync") || eq_ic(argv[1], b"async")));
    if !ok {
        ctx.reply.error(&ErrorReply::Syntax);
    }
    ok
}

/// FLUSHDB [ASYNC|SYNC]
pub(crate) fn flushdb_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if flush_args_ok(ctx, argv) {
        let db = &mut ctx.dbs[ctx.db_index];
        ctx.dirty += db.len() as u64;
        db.clear();
        ctx.reply.ok();
    }
}

/// FLUSHALL [ASYNC|SYNC]
pub(crate) fn flushall_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if flush_args_ok(ctx, argv) {
        for db in ctx.dbs.iter_mut() {
            ctx.dirty += db.len() as u64;
            db.clear();
        }
        // Redis counts a FLUSHALL as a change even on an empty dataset (it forces a save).
        ctx.dirty += 1;
        ctx.reply.ok();
    }
}

/// KEYS pattern
pub(crate) fn keys_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let pattern = argv[1];
    let all = pattern == b"*";
    let hide = !ctx.from_master;
    let now = ctx.now.wall;
    let db = &ctx.dbs[ctx.db_index];
    let d = ctx.reply.deferred_array();
    let mut n = 0;
    for key in db.keys() {
        if (all || glob_match(pattern, key, false)) && !(hide && db.is_expired(key, now)) {
            ctx.reply.bulk(key);
            n += 1;
        }
    }
    ctx.reply.set_deferred_array(d, n);
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(crate) fn scan_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sync_notify(ctx);
    let Some(cursor) = parse_cursor(argv[1]) else {
        err(ctx, "ERR invalid cursor");
        return;
    };
    let (mut count, mut pattern, mut type_name) = (10i64, None, None);
    let mut i = 2;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if eq_ic(argv[i], b"count") && more {
            let Some(c) = int_arg(ctx, argv[i + 1]) else {
                return;
            };
            if c < 1 {
                ctx.reply.error(&ErrorReply::Syntax);
                return;
            }
            count = c;
        } else if eq_ic(argv[i], b"match") && more {
            pattern = (argv[i + 1] != b"*").then_some(argv[i + 1]);
        } else if eq_ic(argv[i], b"type") && more {
            type_name = Some(argv[i + 1]);
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
        i += 2;
    }
    let mut keys = Vec::new();
    let next = ctx.dbs[ctx.db_index].scan(cursor, count as usize, &mut keys);
    keys.retain(|key| {
        if pattern.is_some_and(|p| !glob_match(p, key, false)) {
            return false;
        }
        if let Some(t) = type_name {
            // Redis looks the key up here (counting a hit or miss) and compares its type name.
            let found = match lookup_read(ctx, key, NOTOUCH) {
                Some(f) => value(&ctx.dbs[ctx.db_index], f).value_type().name(),
                None => "none",
            };
            if !t.eq_ignore_ascii_case(found.as_bytes()) {
                return false;
            }
        }
        !expire_lazily(ctx, key)
    });
    ctx.reply.array_len(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array_len(keys.len());
    for k in &keys {
        ctx.reply.bulk(k);
    }
}
