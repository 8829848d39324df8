//! LOLWUT [VERSION version]. Ref: lolwut.c lolwutCommand (7.0).
//!
//! Redis 7.0 has no art of its own version: by default (and for any version other than 5 and
//! 6) it replies `Redis ver. <version>\n`, which this node does. Versions 5 and 6 draw
//! generative art from C's `rand()` (Georg Nees' "Schotter", skyscrapers), whose output no
//! client can rely on; those are refused with a clear error rather than imitated.

use hashslot_keyspace::flags::{FAST, READONLY};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, parse_i64, Spec};
use crate::session::Client;
use crate::{Node, REDIS_VERSION};

/// LOLWUT's table entry (`COMMAND INFO lolwut`: arity -1, readonly fast, @read @fast).
/// Redis documents no complexity for it.
pub(super) const LOLWUT: Spec = cmd(
    "lolwut",
    -1,
    READONLY | FAST,
    &["@read", "@fast"],
    "server",
    "5.0.0",
    "",
    "Display some computer art and the Redis version",
    lolwut,
);

fn lolwut(_node: &mut Node, _now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut version = REDIS_VERSION.to_string();
    if args.len() >= 3 && args[1].eq_ignore_ascii_case(b"version") {
        // `getLongFromObjectOrReply`, then `%u.0.0` of the value cast to unsigned int.
        let Some(v) = parse_i64(args[2]) else {
            return c.reply().error(&ErrorReply::NotInteger);
        };
        version = format!("{}.0.0", v as u32);
    }
    let v = version.as_bytes();
    let art = matches!(v, [b'5', b'.', x, ..] if *x != b'9')
        || matches!(v, [b'4', b'.', b'9', ..])
        || matches!(v, [b'6', b'.', x, ..] if *x != b'9')
        || matches!(v, [b'5', b'.', b'9', ..]);
    if art {
        return c.reply().error(&ErrorReply::msg(
            "ERR LOLWUT versions 5 and 6 (random art) are not supported by this server",
        ));
    }
    let text = format!("Redis ver. {REDIS_VERSION}\n");
    c.reply().verbatim(b"txt", text.as_bytes());
}
