//! DEBUG: the subcommands that mean something for this node. Ref: debug.c debugCommand (7.0).
//!
//! - `DIGEST` and `DIGEST-VALUE key…` give Redis's digests bit for bit
//!   ([`hashslot_keyspace::digest`]), which is what `redis-cli --cluster fix` compares before it
//!   deletes a key's duplicate on a migration's two sides.
//! - `OBJECT key` gives the fields we have honestly: the value's address, the refcount OBJECT
//!   REFCOUNT reports, encoding, serialized length (our DUMP encoding, which is Redis's),
//!   LRU clock and idle seconds. The quicklist details (`ql_nodes`…) are left out: our lists do
//!   not keep Redis's node layout.
//! - `SLEEP <seconds>`: Redis stops its whole process. A sans-IO node cannot stop its driver, so
//!   it stops itself on its own clock: until the deadline it holds every input (clients, bus,
//!   replication, completions) and runs no timer, then replies `+OK` and handles what it held,
//!   in order (see `Sleep` in `node.rs`). Zero, negative or unparsable (Redis's `strtod` reads 0)
//!   returns at once, as in Redis.
//! - `SET-ACTIVE-EXPIRE <0|1>`: the cron's active expiry off (0) or on (anything C's `atoi`
//!   reads as non-zero), as Redis's `active_expire_enabled`; lazy expiry on access stays.
//! - `CHANGE-REPL-ID`: a new replication id and no secondary id, logged as Redis does.
//! - `RELOAD [MERGE] [NOFLUSH] [NOSAVE]`: save, empty, load back (see
//!   `crate::persistence::reload`).
//! - Every other subcommand gets Redis's unknown-subcommand error.
//!
//! Like Redis 7.0 the command runs only when `enable-debug-command` is `yes`, or `local` and the
//! client connected over loopback; the default (`no`) refuses it with Redis's words. Redis checks
//! this in `processCommand`, so inside MULTI it refuses at queue time (EXECABORT); here the
//! handler checks it, so a queued DEBUG is refused when EXEC runs it.

use hashslot_keyspace::digest::{dataset_digest, digest_hex, value_digest};
use hashslot_keyspace::{Encoding, StrRef, ValueRef};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, help_reply, protected_refusal, Spec, ADMIN_ACL, ADMIN_FLAGS};
use crate::session::Client;
use crate::Node;

/// The DEBUG command's table entry (`COMMAND INFO debug` as Redis 7.0: arity -2, admin,
/// noscript, loading, stale).
pub(super) const DEBUG: Spec = cmd(
    "debug",
    -2,
    ADMIN_FLAGS,
    ADMIN_ACL,
    "server",
    "1.0.0",
    "Depends on subcommand.",
    "A container for debugging commands",
    debug,
);

/// Redis's `OBJ_SHARED_REFCOUNT`, reported for the shared integers 0..=9999 (as OBJECT REFCOUNT).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// Redis's `LRU_CLOCK_MAX`: the LRU clock is 24 bits of seconds.
const LRU_CLOCK_MAX: u64 = (1 << 24) - 1;

/// The bytes a DUMP payload adds around the value's RDB encoding: the type byte, the 2-byte RDB
/// version and the 8-byte CRC64. `serializedlength` is the encoding alone (`rdbSavedObjectLen`).
const DUMP_FRAMING: usize = 1 + 2 + 8;

fn debug(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if let Some(refusal) = protected_refusal(node, c, "DEBUG", "enable-debug-command") {
        return c.reply().error(&refusal);
    }
    let sub = args[1].to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"help", 2) => help_reply(c, "DEBUG", HELP),
        (b"digest", 2) => {
            let d = dataset_digest(&node.dbs);
            c.reply().simple(digest_hex(&d).as_bytes());
        }
        (b"digest-value", _) => {
            let db = &node.dbs[c.db];
            let mut r = c.reply();
            r.array_len(args.len() - 2);
            for key in &args[2..] {
                r.simple(digest_hex(&value_digest(db, key)).as_bytes());
            }
        }
        (b"object", 3) => object(node, now, c, args[2]),
        (b"reload", _) => match crate::persistence::reload::Reload::parse(&args[2..]) {
            Ok(opts) => node.debug_reload(now, c, opts),
            Err(e) => c.reply().error(&e),
        },
        (b"sleep", 3) => {
            // Ref: `strtod` then `dtime*1000000` to whole microseconds; zero or less sleeps
            // not at all.
            let micros = strtod_prefix(args[2]) * 1_000_000.0;
            if micros >= 1.0 {
                // `as` saturates: an absurd time sleeps "forever", as Redis's would.
                let d = std::time::Duration::from_micros(micros as u64);
                node.start_sleep(now, c, d);
            } else {
                c.reply().ok();
            }
        }
        (b"set-active-expire", 3) => {
            node.active_expire_enabled = atoi(args[2]) != 0;
            c.reply().ok();
        }
        (b"change-repl-id", 2) => {
            node.log(
                crate::LogLevel::Warning,
                "Changing replication IDs after receiving DEBUG change-repl-id".to_owned(),
            );
            node.repl_change_replication_id();
            c.reply().ok();
        }
        _ => c.reply().error(&ErrorReply::msg(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
        ))),
    }
}

/// The lines of DEBUG HELP for the subcommands we have, in Redis's words and order.
const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
];

/// DEBUG OBJECT key. It looks the key up without expiring it, as Redis's `dictFind`.
fn object(node: &mut Node, now: Now, c: &mut Client, key: &[u8]) {
    let db = &node.dbs[c.db];
    let Some(v) = db.peek(key) else {
        return c.reply().error(&ErrorReply::NoSuchKey);
    };
    let payload = match hashslot_persist::dump_payload(v) {
        Ok(p) => p,
        Err(e) => return c.reply().error(&ErrorReply::msg(format!("ERR {e}"))),
    };
    let address = match v {
        ValueRef::Obj(o) => format!("{:p}", o as *const _),
        ValueRef::Str(StrRef::Bytes(b), _) => format!("{:p}", b.as_ptr()),
        // An integer kept inline in its entry has no object of its own: glibc's `%p` of NULL.
        ValueRef::Str(StrRef::Int(_), _) => "(nil)".to_string(),
    };
    let refcount = match v {
        ValueRef::Str(StrRef::Int(n), Encoding::Int) if (0..10_000).contains(&n) => SHARED_REFCOUNT,
        _ => 1,
    };
    let idle = db.idle_secs(key, now.wall).unwrap_or(0);
    let lru = (now.wall.as_secs() as u64).wrapping_sub(idle) & LRU_CLOCK_MAX;
    let text = format!(
        "Value at:{address} refcount:{refcount} encoding:{} serializedlength:{} lru:{lru} \
         lru_seconds_idle:{idle}",
        v.encoding().name(),
        payload.len().saturating_sub(DUMP_FRAMING),
    );
    c.reply().simple(text.as_bytes());
}

/// The number C's `atoi` reads at the start of `s`: optional spaces and sign, then digits
/// (0 when there are none). Overflow wraps as glibc's `(int) strtol` does for the values a
/// test would pass; only zero versus non-zero matters here.
fn atoi(s: &[u8]) -> i64 {
    let s = &s[s.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = s
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'))
        });
    if neg {
        n.wrapping_neg()
    } else {
        n
    }
}

/// The number C's `strtod` reads at the start of `s`: optional spaces and sign, digits, a
/// fraction and an exponent; 0 when nothing is a number. (`inf`/`nan`/hex forms are read as 0:
/// for SLEEP they would only be refused anyway.)
fn strtod_prefix(s: &[u8]) -> f64 {
    let s = &s[s.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let mut end = 0;
    let digits =
        |s: &[u8], from: usize| from + s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    if matches!(s.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    let int_end = digits(s, end);
    let mut mant_end = int_end;
    if s.get(int_end) == Some(&b'.') {
        mant_end = digits(s, int_end + 1);
    }
    // A mantissa needs at least one digit before or after the point.
    if mant_end - end - usize::from(mant_end > int_end) == 0 {
        return 0.0;
    }
    end = mant_end;
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let mut e = end + 1;
        if matches!(s.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        let e_end = digits(s, e);
        if e_end > e {
            end = e_end;
        }
    }
    std::str::from_utf8(&s[..end])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::{atoi, strtod_prefix};

    #[test]
    fn atoi_reads_a_prefix() {
        for (s, want) in [
            (&b"0"[..], 0),
            (b"1", 1),
            (b" 2x", 2),
            (b"-3", -3),
            (b"+4", 4),
            (b"abc", 0),
            (b"", 0),
            (b"-", 0),
        ] {
            assert_eq!(atoi(s), want, "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn strtod_reads_a_prefix() {
        for (s, want) in [
            (&b"0"[..], 0.0),
            (b"1.5", 1.5),
            (b" 2", 2.0),
            (b"-3", -3.0),
            (b"0.000001", 0.000001),
            (b".5x", 0.5),
            (b"5.", 5.0),
            (b"1e3s", 1000.0),
            (b"1e", 1.0),
            (b"abc", 0.0),
            (b".", 0.0),
            (b"-", 0.0),
            (b"", 0.0),
        ] {
            assert_eq!(strtod_prefix(s), want, "{}", String::from_utf8_lossy(s));
        }
    }
}
