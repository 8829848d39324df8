//! MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP. Ref: object.c memoryCommand,
//! getMemoryOverheadData, getMemoryDoctorReport (7.0).
//!
//! The replies have Redis's shape (the same fields in the same order, the same report texts),
//! with this node's own numbers. What they count:
//!
//! - `MEMORY USAGE key`: the bytes this node holds for the key: the glibc malloc chunk of its
//!   packed entry (tag, LRU, TTL if any, key length, key, and the string bytes or an object
//!   index), its slot in the hash table (a 16-byte entry and a control byte), its node in the
//!   expiry index when it has a TTL, and for collections the object's slot and its heap bytes
//!   (the same per-object count `used_memory` adds up, exact and O(1): SAMPLES is validated as
//!   Redis does and otherwise not needed). Like Redis it neither expires the key lazily nor
//!   counts a keyspace hit or miss.
//! - `MEMORY STATS`: `total.allocated` is INFO's `used_memory` (dataset estimate plus client
//!   buffers); `startup.allocated` the empty databases; `clients.normal` the client buffers;
//!   per database the hash table slots (`overhead.hashtable.main`) and expiry index
//!   (`overhead.hashtable.expires`) within the dataset estimate; replication backlog, replica
//!   buffers, cluster links, AOF buffer and script caches are reported as 0, as INFO memory
//!   does. The allocator fields follow what Redis reports when built without jemalloc:
//!   allocated = used memory, active = resident = the process RSS.
//! - `MEMORY MALLOC-STATS`: Redis's reply for an allocator without statistics (libc).
//! - `MEMORY PURGE`: nothing to purge without jemalloc; `+OK` as Redis on libc.

use hashslot_keyspace::flags::{LOADING, READONLY, STALE};
use hashslot_keyspace::{CommandSpec, Db, StrRef, ValueRef};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{help_reply, parse_i64, NodeHandler, Spec};
use crate::keyspace_ext;
use crate::session::Client;
use crate::Node;

/// A MEMORY subcommand: the node's leaf-command shape with MEMORY's group, release and ACL.
const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    complexity: &'static str,
    summary: &'static str,
    h: NodeHandler,
) -> Spec {
    super::cmd(
        name,
        arity,
        flags,
        &["@slow"],
        "server",
        "4.0.0",
        complexity,
        summary,
        h,
    )
}

const ALLOC_COMPLEXITY: &str = "Depends on how much memory is allocated, could be slow";

/// MEMORY's subcommands (`COMMAND INFO memory|…` as Redis 7.0.15).
pub(super) static SUBCOMMANDS: &[Spec] = &[
    sub(
        "memory|doctor",
        2,
        0,
        "O(1)",
        "Outputs memory problems report",
        doctor,
    ),
    sub(
        "memory|help",
        2,
        LOADING | STALE,
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
    sub(
        "memory|malloc-stats",
        2,
        0,
        ALLOC_COMPLEXITY,
        "Show allocator internal stats",
        malloc_stats,
    ),
    sub(
        "memory|purge",
        2,
        0,
        ALLOC_COMPLEXITY,
        "Ask the allocator to release memory",
        purge,
    ),
    sub(
        "memory|stats",
        2,
        0,
        "O(1)",
        "Show memory usage details",
        stats,
    ),
    CommandSpec {
        name: "memory|usage",
        arity: -3,
        flags: READONLY,
        first_key: 2,
        last_key: 2,
        key_step: 1,
        get_keys: None,
        acl_categories: &["@read", "@slow"],
        group: "server",
        summary: "Estimate the memory usage of a key",
        since: "4.0.0",
        complexity: "O(N) where N is the number of samples.",
        subcommands: &[],
        handler: Some(usage),
    },
];

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
];

fn help(_node: &mut Node, _now: Now, c: &mut Client, _args: &[&[u8]]) {
    help_reply(c, "MEMORY", HELP);
}

// ----- USAGE -----

/// glibc malloc's chunk for a request of `n` bytes (8 bytes of header, 16-byte granules, 32
/// bytes at least), as the keyspace counts its entries.
fn malloc_chunk(n: usize) -> usize {
    ((n + 8 + 15) & !15).max(32)
}

/// Bytes of an unsigned LEB128 length.
fn leb128_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Bytes an integer-encoded string's payload takes: the fewest little-endian bytes that
/// sign-extend back to the value.
fn int_payload_len(v: i64) -> usize {
    (1..8)
        .find(|&n| {
            let shift = 64 - 8 * n as u32;
            (v << shift) >> shift == v
        })
        .unwrap_or(8)
}

/// A table slot: the 16-byte entry pointer and length, and one control byte.
const TABLE_SLOT_BYTES: usize = 17;
/// A key with a TTL in the expiry index (a B-tree node share, as `used_memory` counts it).
const EXPIRE_ENTRY_BYTES: usize = 40;

/// The bytes key `key` of `db` takes (see the module docs), `None` if it does not exist.
pub(crate) fn key_usage(db: &Db, key: &[u8]) -> Option<usize> {
    let value = db.peek(key)?;
    let ttl = db.expire_time(key).is_some();
    let (payload, object) = match value {
        ValueRef::Str(StrRef::Bytes(b), _) => (b.len(), 0),
        ValueRef::Str(StrRef::Int(v), _) => (int_payload_len(v), 0),
        ValueRef::Obj(o) => (
            4,
            std::mem::size_of::<Option<hashslot_keyspace::Object>>() + o.heap_size(),
        ),
    };
    let entry = 1 + 4 + if ttl { 8 } else { 0 } + leb128_len(key.len()) + key.len() + payload;
    Some(malloc_chunk(entry) + TABLE_SLOT_BYTES + if ttl { EXPIRE_ENTRY_BYTES } else { 0 } + object)
}

fn usage(node: &mut Node, _now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut j = 3;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"samples") && j + 1 < args.len() {
            let Some(samples) = parse_i64(args[j + 1]) else {
                return c.reply().error(&ErrorReply::NotInteger);
            };
            if samples < 0 {
                return c.reply().error(&ErrorReply::Syntax);
            }
            j += 1;
        } else {
            return c.reply().error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    match key_usage(&node.dbs[c.db], args[2]) {
        Some(n) => c.reply().int(n as i64),
        None => c.reply().null(),
    }
}

// ----- STATS / DOCTOR -----

/// Redis's `redisMemOverhead`, with this node's numbers.
struct Overhead {
    peak_allocated: u64,
    total_allocated: u64,
    startup_allocated: u64,
    clients_normal: u64,
    /// `(db index, hash table bytes, expiry index bytes)` of each non-empty database.
    dbs: Vec<(usize, u64, u64)>,
    overhead_total: u64,
    total_keys: u64,
    bytes_per_key: u64,
    dataset: u64,
    dataset_perc: f32,
    peak_perc: f32,
    rss: u64,
    /// `process_rss / total_allocated` (Redis's `total_frag`) and its bytes.
    total_frag: f32,
    total_frag_bytes: i64,
}

fn ratio(a: u64, b: u64) -> f32 {
    if b == 0 {
        0.0
    } else {
        a as f32 / b as f32
    }
}

fn overhead(node: &Node) -> Overhead {
    let total = node.used_memory();
    let peak = node.used_memory_peak.max(total);
    let dataset_estimate = keyspace_ext::memory(&node.dbs);
    let clients_normal = total - dataset_estimate.min(total);
    let startup = (Db::new().used_memory() * node.dbs.len()) as u64;
    let dbs: Vec<(usize, u64, u64)> = node
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.is_empty())
        .map(|(i, db)| {
            (
                i,
                (db.len() * TABLE_SLOT_BYTES) as u64,
                (db.expires_len() * EXPIRE_ENTRY_BYTES) as u64,
            )
        })
        .collect();
    let overhead_total = startup + clients_normal + dbs.iter().map(|&(_, m, e)| m + e).sum::<u64>();
    let total_keys: u64 = node.dbs.iter().map(|db| db.len() as u64).sum();
    let net = total.saturating_sub(startup);
    let rss = node.proc_stats.rss_bytes;
    Overhead {
        peak_allocated: peak,
        total_allocated: total,
        startup_allocated: startup,
        clients_normal,
        dbs,
        overhead_total,
        total_keys,
        bytes_per_key: net.checked_div(total_keys).unwrap_or(0),
        dataset: total.saturating_sub(overhead_total),
        dataset_perc: ratio(total.saturating_sub(overhead_total), net) * 100.0,
        peak_perc: ratio(total, peak) * 100.0,
        rss,
        total_frag: ratio(rss, total),
        total_frag_bytes: rss as i64 - total as i64,
    }
}

fn stats(node: &mut Node, _now: Now, c: &mut Client, _args: &[&[u8]]) {
    let mh = overhead(node);
    let mut r = c.reply();
    r.map_len(27 + mh.dbs.len());
    let int = |r: &mut hashslot_resp::Reply<'_>, k: &str, v: i64| {
        r.bulk(k.as_bytes());
        r.int(v);
    };
    int(&mut r, "peak.allocated", mh.peak_allocated as i64);
    int(&mut r, "total.allocated", mh.total_allocated as i64);
    int(&mut r, "startup.allocated", mh.startup_allocated as i64);
    int(&mut r, "replication.backlog", 0);
    int(&mut r, "clients.slaves", 0);
    int(&mut r, "clients.normal", mh.clients_normal as i64);
    int(&mut r, "cluster.links", 0);
    int(&mut r, "aof.buffer", 0);
    int(&mut r, "lua.caches", 0);
    int(&mut r, "functions.caches", 0);
    for &(id, main, expires) in &mh.dbs {
        r.bulk(format!("db.{id}").as_bytes());
        r.map_len(3);
        int(&mut r, "overhead.hashtable.main", main as i64);
        int(&mut r, "overhead.hashtable.expires", expires as i64);
        int(&mut r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(&mut r, "overhead.total", mh.overhead_total as i64);
    int(&mut r, "keys.count", mh.total_keys as i64);
    int(&mut r, "keys.bytes-per-key", mh.bytes_per_key as i64);
    int(&mut r, "dataset.bytes", mh.dataset as i64);
    let double = |r: &mut hashslot_resp::Reply<'_>, k: &str, v: f32| {
        r.bulk(k.as_bytes());
        r.double(f64::from(v));
    };
    double(&mut r, "dataset.percentage", mh.dataset_perc);
    double(&mut r, "peak.percentage", mh.peak_perc);
    // Without jemalloc Redis reports the allocator as holding `used_memory`, active and
    // resident as the RSS.
    int(&mut r, "allocator.allocated", mh.total_allocated as i64);
    int(&mut r, "allocator.active", mh.rss as i64);
    int(&mut r, "allocator.resident", mh.rss as i64);
    double(
        &mut r,
        "allocator-fragmentation.ratio",
        ratio(mh.rss, mh.total_allocated),
    );
    int(&mut r, "allocator-fragmentation.bytes", mh.total_frag_bytes);
    double(&mut r, "allocator-rss.ratio", ratio(mh.rss, mh.rss));
    int(&mut r, "allocator-rss.bytes", 0);
    double(&mut r, "rss-overhead.ratio", ratio(mh.rss, mh.rss));
    int(&mut r, "rss-overhead.bytes", 0);
    double(&mut r, "fragmentation", mh.total_frag);
    int(&mut r, "fragmentation.bytes", mh.total_frag_bytes);
}

const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_FINE: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_HEAD: &str =
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const DOCTOR_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const DOCTOR_FRAG: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n";
const DOCTOR_CLIENTS: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";
const DOCTOR_TAIL: &str = "I'm here to keep you safe, Sam. I want to help you.\n";

/// Redis's `getMemoryDoctorReport` over this node's numbers. The allocator checks (external
/// fragmentation, allocator and process RSS overhead) compare values that are equal by
/// construction here (no jemalloc), and there are no replicas' buffers or scripts to count,
/// so those reports never appear.
fn doctor_report(mh: &Overhead, clients: u64) -> String {
    if mh.total_allocated < 5 * 1024 * 1024 {
        return DOCTOR_EMPTY.to_string();
    }
    let big_peak = ratio(mh.peak_allocated, mh.total_allocated) > 1.5;
    let high_frag = mh.total_frag > 1.4 && mh.total_frag_bytes > 10 << 20;
    let big_client_buf = clients > 0 && mh.clients_normal / clients > 1024 * 200;
    if !(big_peak || high_frag || big_client_buf) {
        return DOCTOR_FINE.to_string();
    }
    let mut s = DOCTOR_HEAD.to_string();
    for (on, text) in [
        (big_peak, DOCTOR_PEAK),
        (high_frag, DOCTOR_FRAG),
        (big_client_buf, DOCTOR_CLIENTS),
    ] {
        if on {
            s.push_str(text);
        }
    }
    s.push_str(DOCTOR_TAIL);
    s
}

fn doctor(node: &mut Node, _now: Now, c: &mut Client, _args: &[&[u8]]) {
    let mh = overhead(node);
    // The running client is out of the session map while its command runs.
    let clients = node.sessions.len() as u64 + 1;
    let report = doctor_report(&mh, clients);
    c.reply().verbatim(b"txt", report.as_bytes());
}

fn malloc_stats(_node: &mut Node, _now: Now, c: &mut Client, _args: &[&[u8]]) {
    c.reply()
        .bulk(b"Stats not supported for the current allocator");
}

fn purge(_node: &mut Node, _now: Now, c: &mut Client, _args: &[&[u8]]) {
    c.reply().ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_payload_is_minimal() {
        assert_eq!(int_payload_len(0), 1);
        assert_eq!(int_payload_len(127), 1);
        assert_eq!(int_payload_len(128), 2);
        assert_eq!(int_payload_len(-128), 1);
        assert_eq!(int_payload_len(i64::MAX), 8);
        assert_eq!(int_payload_len(i64::MIN), 8);
    }

    #[test]
    fn leb128_lengths() {
        assert_eq!(leb128_len(0), 1);
        assert_eq!(leb128_len(127), 1);
        assert_eq!(leb128_len(128), 2);
        assert_eq!(leb128_len(1 << 14), 3);
    }

    #[test]
    fn doctor_says_empty_below_5mb() {
        let mh = Overhead {
            peak_allocated: 1000,
            total_allocated: 1000,
            startup_allocated: 0,
            clients_normal: 0,
            dbs: Vec::new(),
            overhead_total: 0,
            total_keys: 0,
            bytes_per_key: 0,
            dataset: 0,
            dataset_perc: 0.0,
            peak_perc: 100.0,
            rss: 0,
            total_frag: 0.0,
            total_frag_bytes: 0,
        };
        assert_eq!(doctor_report(&mh, 1), DOCTOR_EMPTY);
        let big = Overhead {
            peak_allocated: 20 << 20,
            total_allocated: 10 << 20,
            ..mh
        };
        let r = doctor_report(&big, 1);
        assert!(
            r.starts_with(DOCTOR_HEAD) && r.contains("Peak memory") && r.ends_with(DOCTOR_TAIL)
        );
    }
}
