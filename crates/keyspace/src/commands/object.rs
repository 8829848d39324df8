//! OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ and HELP. `argv[0]` is `object`, `argv[1]` the
//! subcommand; the node dispatches the container to these handlers.

use super::{err, lookup_read, value, Found, NOTOUCH};
use crate::value::{Encoding, StrRef, ValueRef};
use crate::Ctx;

/// Redis's `objectCommandLookup`: a read lookup that neither touches nor notifies.
fn lookup(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Option<Found> {
    let f = lookup_read(ctx, argv[2], NOTOUCH);
    if f.is_none() {
        ctx.reply.null();
    }
    f
}

/// OBJECT ENCODING key
pub(crate) fn encoding_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = lookup(ctx, argv) {
        let name = value(&ctx.dbs[ctx.db_index], f).encoding().name();
        ctx.reply.bulk(name.as_bytes());
    }
}

/// Redis's `OBJ_SHARED_REFCOUNT`: what shared objects (integers 0..10000) report.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// OBJECT REFCOUNT key
pub(crate) fn refcount_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = lookup(ctx, argv) {
        // Redis shares the objects of the integers 0..=9999 (OBJ_SHARED_INTEGERS) when no
        // maxmemory policy needs per-key LRU data; every other value has one reference.
        let n = match value(&ctx.dbs[ctx.db_index], f) {
            ValueRef::Str(StrRef::Int(n), Encoding::Int) if (0..10_000).contains(&n) => {
                SHARED_REFCOUNT
            }
            _ => 1,
        };
        ctx.reply.int(n);
    }
}

/// OBJECT IDLETIME key
pub(crate) fn idletime_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if lookup(ctx, argv).is_some() {
        let now = ctx.now.wall;
        let idle = ctx.dbs[ctx.db_index].idle_secs(argv[2], now).unwrap_or(0);
        ctx.reply.int(idle as i64);
    }
}

/// OBJECT FREQ key: no LFU policy exists here, so this is always Redis's error for that case.
pub(crate) fn freq_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if lookup(ctx, argv).is_some() {
        err(
            ctx,
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take \
             some time to adjust.",
        );
    }
}

const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// OBJECT HELP
pub(crate) fn help_command(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) {
    ctx.reply.array_len(HELP.len());
    for line in HELP {
        ctx.reply.simple(line.as_bytes());
    }
}
