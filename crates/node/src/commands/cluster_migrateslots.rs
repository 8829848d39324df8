//! `CLUSTER MIGRATESLOTS`: whole-slot migration run by the source node, beyond Redis 7.0 (in
//! the spirit of Valkey 9's and Redis 8.4's server-side slot migration).
//!
//! # Syntax
//!
//! ```text
//! CLUSTER MIGRATESLOTS SLOTSRANGE <start> <end> [<start> <end> …] NODE <target-id>
//!                      [TIMEOUT <ms>] [BATCH <keys>] [AUTH <pw> | AUTH2 <user> <pw>]
//! CLUSTER MIGRATESLOTS STATUS
//! CLUSTER MIGRATESLOTS CANCEL
//! ```
//!
//! Sent to the slots' owner (a master). It checks everything it can before anything changes —
//! I own each slot (or the target already does: then only its final `SETSLOT NODE` is sent
//! again, so a retry of a half-done command moves only what is left and repairs a finish the
//! target lost in a crash), no slot is open towards another node, the
//! target is a known master other than me — replies `+OK` and moves the slots in the
//! background: one job per node at a time. `STATUS` answers `field:value` lines as CLUSTER
//! INFO does (`state` running/done/failed/cancelled, slots done, keys moved, the last error);
//! `CANCEL` stops the job after its op in flight and leaves the open slots open (a later
//! `MIGRATESLOTS` or `redis-cli --cluster fix` finishes them). `TIMEOUT` bounds each connect
//! and each wait for the target (default 10 s), `BATCH` the keys per round trip (default
//! 256), and `AUTH`/`AUTH2` authenticate to a password-protected target as MIGRATE's do.
//!
//! # Design
//!
//! The job (`crate::migrate::job`) is the legacy path minus the client round trips: it sends
//! the target the very `CLUSTER SETSLOT … IMPORTING` / `… NODE` commands redis-cli sends, over
//! the connection a client's MIGRATE uses (`crate::migrate`), makes the same SETSLOT
//! transitions locally, and moves keys with the same op MIGRATE runs (`RESTORE-ASKING`, then one
//! `DEL` of the acknowledged keys, no client command in between). So the two paths share the
//! state machine: slot states are only ever MIGRATING/IMPORTING/owned as SETSLOT leaves them,
//! and any slot the job leaves open (target or connection lost, source killed) is exactly a
//! slot a killed redis-cli leaves open. See `crate::migrate::job` for the failure analysis.

use hashslot_keyspace::flags::*;
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::{Now, Slot};

use super::{parse_i64, NodeHandler, ADMIN_ACL};
use crate::migrate::job::{JobSpec, DEFAULT_BATCH, DEFAULT_TIMEOUT_MS};
use crate::session::Client;
use crate::Node;

/// The `CLUSTER MIGRATESLOTS` subcommand entry.
pub(crate) const MIGRATESLOTS: CommandSpec<NodeHandler> = CommandSpec {
    name: "cluster|migrateslots",
    arity: -3,
    flags: ADMIN | STALE,
    first_key: 0,
    last_key: 0,
    key_step: 0,
    get_keys: None,
    acl_categories: ADMIN_ACL,
    group: "cluster",
    summary: "Move hash slots with their keys to another master, driven by this node",
    since: "3.0.0",
    complexity: "O(N) where N is the number of keys in the slots",
    subcommands: &[],
    handler: Some(migrateslots),
};

fn err(c: &mut Client, text: impl Into<String>) {
    c.reply().error(&ErrorReply::msg(text.into()));
}

fn migrateslots(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if node.cluster.is_none() {
        return err(c, "ERR This instance has cluster support disabled");
    }
    let sub = args[2].to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"status", 3) => {
            let text = match node.migrate_job() {
                Some(job) => job.status_text(now),
                None => "state:none\r\n".to_owned(),
            };
            c.reply().verbatim(b"txt", text.as_bytes());
        }
        (b"cancel", 3) => {
            if node.migrate_job_cancel(now) {
                c.reply().ok();
            } else {
                err(c, "ERR No slot migration in progress");
            }
        }
        (b"slotsrange", _) => match parse(node, args) {
            Ok(spec) => match node.migrate_job_start(now, spec) {
                Ok(()) => c.reply().ok(),
                Err(e) => err(c, e),
            },
            Err(e) => err(c, e),
        },
        _ => err(
            c,
            "ERR Syntax error. Use CLUSTER MIGRATESLOTS SLOTSRANGE <start> <end> [...] NODE \
             <node-id> [TIMEOUT <ms>] [BATCH <keys>] [AUTH <pw> | AUTH2 <user> <pw>], STATUS \
             or CANCEL",
        ),
    }
}

fn slot_of(a: &[u8]) -> Result<u16, String> {
    parse_i64(a)
        .and_then(|v| u16::try_from(v).ok())
        .filter(|&v| Slot::new(v).is_some())
        .ok_or_else(|| "ERR Invalid or out of range slot".to_owned())
}

fn positive(a: &[u8], what: &str) -> Result<u64, String> {
    parse_i64(a)
        .filter(|&v| v > 0)
        .map(|v| v as u64)
        .ok_or_else(|| format!("ERR {what} must be a positive integer"))
}

/// Parse `SLOTSRANGE … NODE id [options]` and check it against the cluster.
fn parse(node: &Node, args: &[&[u8]]) -> Result<JobSpec, String> {
    let syntax = || "ERR syntax error".to_owned();
    let mut wanted = vec![false; hashslot_types::SLOT_COUNT];
    let mut i = 3;
    let mut any = false;
    // Pairs of slots until NODE.
    while i < args.len() && !args[i].eq_ignore_ascii_case(b"node") {
        if i + 1 >= args.len() {
            return Err(syntax());
        }
        let (a, b) = (slot_of(args[i])?, slot_of(args[i + 1])?);
        if a > b {
            return Err(format!(
                "ERR start slot number {a} is greater than end slot number {b}"
            ));
        }
        for s in a..=b {
            wanted[s as usize] = true;
        }
        any = true;
        i += 2;
    }
    if !any || i + 1 >= args.len() {
        return Err(syntax());
    }
    let target = args[i + 1];
    i += 2;
    let (mut batch, mut timeout, mut auth) = (DEFAULT_BATCH, DEFAULT_TIMEOUT_MS, None);
    while i < args.len() {
        let more = args.len() - i - 1;
        let a = args[i];
        if a.eq_ignore_ascii_case(b"timeout") && more >= 1 {
            timeout = positive(args[i + 1], "TIMEOUT")?;
            i += 2;
        } else if a.eq_ignore_ascii_case(b"batch") && more >= 1 {
            batch = positive(args[i + 1], "BATCH")?.min(1 << 20) as usize;
            i += 2;
        } else if a.eq_ignore_ascii_case(b"auth") && more >= 1 {
            auth = Some((None, args[i + 1].to_vec()));
            i += 2;
        } else if a.eq_ignore_ascii_case(b"auth2") && more >= 2 {
            auth = Some((Some(args[i + 1].to_vec()), args[i + 2].to_vec()));
            i += 3;
        } else {
            return Err(syntax());
        }
    }
    let cm = node.cluster.as_ref().expect("cluster mode");
    let cl = &cm.cluster;
    if cl.is_replica() {
        return Err("ERR Please use MIGRATESLOTS only with masters.".into());
    }
    let to = cl.lookup_str(target).ok_or_else(|| {
        format!(
            "ERR I don't know about node {}",
            String::from_utf8_lossy(target)
        )
    })?;
    let me = cl.myself_ref();
    if to == me {
        return Err("ERR Can't migrate slots to myself".into());
    }
    let info = cl.node(to).expect("looked up");
    if !info.is_master() {
        return Err("ERR The target node is not a master".into());
    }
    let (host, port) = cl.endpoint(to);
    if host.is_empty() || port == 0 {
        return Err("ERR The target node has no known address yet".into());
    }
    let map = cl.slot_map();
    let mut slots = Vec::new();
    // Slots the target owns already go first: only their `SETSLOT NODE` is sent again.
    let mut owned = Vec::new();
    for (s, _) in wanted.iter().enumerate().filter(|(_, w)| **w) {
        let slot = Slot::new(s as u16).expect("checked");
        let owner = map.owner(slot);
        if owner == Some(to) {
            owned.push(slot);
            continue;
        }
        if owner != Some(me) {
            return Err(format!("ERR I'm not the owner of hash slot {s}"));
        }
        if map.migrating_slots_to(slot).is_some_and(|n| n != to) {
            return Err(format!("ERR Slot {s} is already migrating to another node"));
        }
        if map.importing_slots_from(slot).is_some() {
            return Err(format!("ERR Slot {s} is being imported by this node"));
        }
        slots.push(slot);
    }
    let skipped = owned.len();
    owned.extend(slots);
    Ok(JobSpec {
        target: info.name.as_str().to_owned(),
        host: host.to_owned(),
        port,
        slots: owned,
        skipped,
        batch_keys: batch,
        timeout_ms: timeout,
        auth,
    })
}
