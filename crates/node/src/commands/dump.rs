//! DUMP, RESTORE and RESTORE-ASKING. Ref: cluster.c dumpCommand/restoreCommand (7.0).

use hashslot_keyspace::flags::*;
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{parse_i64, NodeHandler, Spec};
use crate::session::Client;
use crate::Node;

#[allow(clippy::too_many_arguments)]
const fn keyed(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    since: &'static str,
    complexity: &'static str,
    summary: &'static str,
    h: NodeHandler,
) -> Spec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        get_keys: None,
        acl_categories: acl,
        group: "generic",
        summary,
        since,
        complexity,
        subcommands: &[],
        handler: Some(h),
    }
}

const RESTORE_ACL: &[&str] = &["@keyspace", "@write", "@slow", "@dangerous"];
const RESTORE_COMPLEXITY: &str = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).";

pub(super) const DUMP: Spec = keyed("dump", 2, READONLY, &["@keyspace", "@read", "@slow"], "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "Return a serialized version of the value stored at the specified key.", dump);
pub(super) const RESTORE: Spec = keyed(
    "restore",
    -4,
    WRITE | DENYOOM,
    RESTORE_ACL,
    "2.6.0",
    RESTORE_COMPLEXITY,
    "Create a key using the provided serialized value, previously obtained using DUMP.",
    restore,
);
pub(super) const RESTORE_ASKING: Spec = keyed(
    "restore-asking",
    -4,
    WRITE | DENYOOM | ASKING,
    RESTORE_ACL,
    "3.0.0",
    RESTORE_COMPLEXITY,
    "An internal command for migrating keys in a cluster",
    restore,
);

fn dump(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    // A key found expired is deleted (and counted in `expired_keys`), except while clients
    // are paused (see `Pauses::keep_dataset`) and on a replica, where expiry belongs to the
    // master: it is only hidden then. The master's own stream sees it live.
    // Ref: db.c expireIfNeeded (7.0).
    let replica = node.repl.is_replica();
    let keep = node.repl.pauses.keep_dataset(now, c.conn) || replica;
    let from_master = replica && c.conn == crate::replication::MASTER_CLIENT_CONN;
    let db = &mut node.dbs[c.db];
    let expired = !from_master && db.expire_lazily(args[1], now.wall, keep, &mut node.ks_stats);
    let payload = match expired {
        true => None,
        false => db.peek(args[1]).map(hashslot_persist::dump_payload),
    };
    node.drain_expired(now);
    match payload {
        None => c.reply().null(),
        Some(Ok(p)) => c.reply().bulk(&p),
        Some(Err(e)) => c.reply().error(&ErrorReply::msg(format!("ERR {e}"))),
    }
}

fn restore(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (None::<i64>, None::<i64>);
    let mut j = 4;
    while j < args.len() {
        let a = args[j];
        let more = args.len() - j - 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && more >= 1 && freq.is_none() {
            let Some(v) = parse_i64(args[j + 1]) else {
                return c.reply().error(&ErrorReply::NotInteger);
            };
            if v < 0 {
                return c
                    .reply()
                    .error(&ErrorReply::msg("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && more >= 1 && idle.is_none() {
            let Some(v) = parse_i64(args[j + 1]) else {
                return c.reply().error(&ErrorReply::NotInteger);
            };
            if !(0..=255).contains(&v) {
                return c.reply().error(&ErrorReply::msg(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(v);
            j += 1;
        } else {
            return c.reply().error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    let key = args[1];
    let dbi = c.db;
    node.dbs[dbi].expire_if_needed(key, now.wall);
    node.drain_expired(now);
    if !replace && node.dbs[dbi].contains_key_raw(key) {
        return c
            .reply()
            .error(&ErrorReply::msg("BUSYKEY Target key name already exists."));
    }
    let Some(mut ttl) = parse_i64(args[2]) else {
        return c.reply().error(&ErrorReply::NotInteger);
    };
    if ttl < 0 {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR Invalid TTL value, must be >= 0"));
    }
    let value = match hashslot_persist::restore_payload(args[3]) {
        Ok(v) => v,
        Err(e) => return c.reply().error(&ErrorReply::msg(e.to_string())),
    };
    // The key's slot is saved by a BGSAVE under way before it changes.
    let idx = node.table.find(b"restore").unwrap_or(0);
    node.before_write(now, dbi, idx, args);
    let pre = node.watched_before_flush(dbi, idx);
    let deleted = replace && node.dbs[dbi].remove(key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now.wall.0);
    }
    let ttl_s = ttl.to_string();
    if ttl != 0 && ttl <= now.wall.0 {
        // Already expired: nothing is created (the old key, if replaced, is gone).
        if deleted {
            node.dirty += 1;
            node.after_write(now, dbi, idx, args, pre);
            node.propagate(now, dbi, &[b"DEL", key], b"");
        }
        return c.reply().ok();
    }
    node.dbs[dbi].insert(key, value, (ttl != 0).then_some(ttl), now.wall);
    // Ref: objectSetLRUOrLFU: with no LFU maxmemory policy (we have none) IDLETIME sets the
    // access time OBJECT IDLETIME reports and FREQ is ignored, as OBJECT FREQ then refuses.
    let _ = freq;
    let idle_s = idle.map(|i| i.to_string());
    if let Some(i) = idle {
        node.dbs[dbi].set_idle_secs(key, i as u64, now.wall);
    }
    node.dirty += 1;
    node.after_write(now, dbi, idx, args, pre);
    // Propagated with an absolute TTL (Ref: restoreCommand rewrites argv to ABSTTL).
    let mut prop: Vec<&[u8]> = vec![b"RESTORE", key, ttl_s.as_bytes(), args[3], b"REPLACE"];
    if ttl != 0 {
        prop.push(b"ABSTTL");
    }
    if let Some(i) = &idle_s {
        prop.extend([b"IDLETIME".as_slice(), i.as_bytes()]);
    }
    // To the AOF and to replicas alike: a key MIGRATEd in must reach this master's replicas.
    node.propagate(now, dbi, &prop, b"");
    c.reply().ok();
}
