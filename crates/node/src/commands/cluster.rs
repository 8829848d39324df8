//! CLUSTER and its subcommands (`clusterCommand`), over the node's [`Cluster`]. Reply shapes
//! and error texts are Redis 7.0's; see the cluster spec §8.4–8.8.
//!
//! Replies of subcommands that change nodes.conf are held until it is on disk (see the
//! `cluster` module).

use hashslot_gossip::{Cluster, ClusterError};
use hashslot_keyspace::flags::*;
use hashslot_keyspace::CommandSpec;
use hashslot_resp::{ErrorReply, Reply};
use hashslot_slots::key_slot;
use hashslot_types::{Now, Slot};

use super::{parse_i64, NodeHandler, ADMIN_ACL};
use crate::session::Client;
use crate::Node;

type Spec = CommandSpec<NodeHandler>;

#[path = "cluster_failover.rs"]
mod cluster_failover;
use cluster_failover::failover;

const DISABLED: &str = "ERR This instance has cluster support disabled";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const BAD_SLOT: &str = "ERR Invalid or out of range slot";

const fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    summary: &'static str,
    h: NodeHandler,
) -> Spec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        key_step: 0,
        get_keys: None,
        acl_categories: if flags & ADMIN != 0 {
            ADMIN_ACL
        } else {
            &["@slow"]
        },
        group: "cluster",
        summary,
        since: "3.0.0",
        complexity: "O(1)",
        subcommands: &[],
        handler: Some(h),
    }
}

const ADM: u32 = NO_ASYNC | ADMIN | STALE;
const RO: u32 = LOADING | STALE;
/// Placeholder for Redis's `NO_ASYNC_LOADING` (not modelled).
const NO_ASYNC: u32 = 0;

/// The subcommands, as in Redis 7.0's command table (`commands/cluster-*.json`).
pub(crate) static SUBCOMMANDS: &[Spec] = &[
    sub(
        "cluster|addslots",
        -3,
        ADM,
        "Assign new hash slots to receiving node",
        addslots,
    ),
    sub(
        "cluster|addslotsrange",
        -4,
        ADM,
        "Assign new hash slots to receiving node",
        addslotsrange,
    ),
    sub(
        "cluster|bumpepoch",
        2,
        ADM,
        "Advance the cluster config epoch",
        bumpepoch,
    ),
    sub(
        "cluster|count-failure-reports",
        3,
        ADMIN | STALE,
        "Return the number of failure reports active for a given node",
        count_failure_reports,
    ),
    sub(
        "cluster|countkeysinslot",
        3,
        STALE,
        "Return the number of local keys in the specified hash slot",
        countkeysinslot,
    ),
    sub(
        "cluster|delslots",
        -3,
        ADM,
        "Set hash slots as unbound in receiving node",
        delslots,
    ),
    sub(
        "cluster|delslotsrange",
        -4,
        ADM,
        "Set hash slots as unbound in receiving node",
        delslotsrange,
    ),
    sub(
        "cluster|failover",
        -2,
        ADM,
        "Forces a replica to perform a manual failover of its master.",
        failover,
    ),
    sub(
        "cluster|flushslots",
        2,
        ADM,
        "Delete a node's own slots information",
        flushslots,
    ),
    sub(
        "cluster|forget",
        3,
        ADM,
        "Remove a node from the nodes table",
        forget,
    ),
    sub(
        "cluster|getkeysinslot",
        4,
        STALE,
        "Return local key names in the specified hash slot",
        getkeysinslot,
    ),
    sub(
        "cluster|help",
        2,
        RO,
        "Show helpful text about the different subcommands",
        help,
    ),
    sub(
        "cluster|info",
        2,
        STALE,
        "Provides info about Redis Cluster node state",
        info,
    ),
    sub(
        "cluster|keyslot",
        3,
        STALE,
        "Returns the hash slot of the specified key",
        keyslot,
    ),
    sub(
        "cluster|links",
        2,
        STALE,
        "Returns a list of all TCP links to and from peer nodes in cluster",
        links,
    ),
    sub(
        "cluster|meet",
        -4,
        ADM,
        "Force a node cluster to handshake with another node",
        meet,
    ),
    super::cluster_migrateslots::MIGRATESLOTS,
    sub("cluster|myid", 2, STALE, "Return the node id", myid),
    sub(
        "cluster|myshardid",
        2,
        STALE,
        "Return the node shard id",
        myshardid,
    ),
    sub(
        "cluster|nodes",
        2,
        STALE,
        "Get Cluster config for the node",
        nodes,
    ),
    sub(
        "cluster|replicas",
        3,
        ADMIN | STALE,
        "List replica nodes of the specified master node",
        replicas,
    ),
    sub(
        "cluster|replicate",
        3,
        ADM,
        "Reconfigure a node as a replica of the specified master node",
        replicate,
    ),
    sub(
        "cluster|reset",
        -2,
        ADMIN | STALE | NOSCRIPT,
        "Reset a Redis Cluster node",
        reset,
    ),
    sub(
        "cluster|saveconfig",
        2,
        ADM,
        "Forces the node to save cluster state on disk",
        saveconfig,
    ),
    sub(
        "cluster|set-config-epoch",
        3,
        ADM,
        "Set the configuration epoch in a new node",
        set_config_epoch,
    ),
    sub(
        "cluster|setslot",
        -4,
        ADM,
        "Bind a hash slot to a specific node",
        setslot,
    ),
    sub(
        "cluster|shards",
        2,
        STALE,
        "Get array of cluster slots to node mappings",
        shards,
    ),
    sub(
        "cluster|slaves",
        3,
        ADMIN | STALE,
        "List replica nodes of the specified master node",
        replicas,
    ),
    sub(
        "cluster|slots",
        2,
        STALE,
        "Get array of Cluster slot to node mappings",
        slots,
    ),
];

/// The cluster, or the "disabled" error.
fn cluster<'a>(node: &'a mut Node, c: &mut Client) -> Option<&'a mut Cluster> {
    match node.cluster.as_mut() {
        Some(cm) => Some(&mut cm.cluster),
        None => {
            c.reply().error(&ErrorReply::msg(DISABLED));
            None
        }
    }
}

fn err(c: &mut Client, text: impl Into<String>) {
    c.reply().error(&ErrorReply::msg(text.into()));
}

fn cluster_err(c: &mut Client, e: &ClusterError) {
    err(c, format!("ERR {e}"));
}

fn syntax_sub(c: &mut Client, args: &[&[u8]]) {
    err(
        c,
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLUSTER HELP.",
            String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
        ),
    );
}

/// `getSlotOrReply`.
fn slot_arg(c: &mut Client, a: &[u8]) -> Option<Slot> {
    let s = parse_i64(a)
        .and_then(|v| u16::try_from(v).ok())
        .and_then(Slot::new);
    if s.is_none() {
        err(c, BAD_SLOT);
    }
    s
}

/// Run a config-changing step, drain the cluster, and hold the reply until saved.
fn finish(node: &mut Node, now: Now, c: &mut Client, start: usize, saveconfig: bool) {
    let gen = node
        .cluster
        .as_ref()
        .map_or(0, |cm| cm.cluster.config_generation());
    node.cluster_drain(now);
    if c.out.get(start) != Some(&b'-') || saveconfig {
        node.hold_reply_until_saved(c, start, gen, saveconfig);
    }
}

fn help(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    if cluster(node, c).is_none() {
        return;
    }
    let mut r = c.reply();
    r.array_len(HELP.len() + 1);
    r.simple(b"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    for l in HELP {
        r.simple(l.as_bytes());
    }
}

fn info(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let text = cl.info_text();
    c.reply().verbatim(b"txt", text.as_bytes());
}

fn nodes(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let text = cl.nodes_text();
    c.reply().verbatim(b"txt", text.as_bytes());
}

fn myid(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let id = cl.myself_id();
    c.reply().bulk(id.as_bytes());
}

/// 7.2's MYSHARDID: we have no shard ids on the 7.0 wire, so the shard is named by its master.
fn myshardid(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let me = cl.myself_ref();
    let id = match cl.node(me).and_then(|n| n.slaveof) {
        Some(m) if cl.is_replica() => cl.node(m).map_or(cl.myself_id(), |n| n.name),
        _ => cl.myself_id(),
    };
    c.reply().bulk(id.as_bytes());
}

fn keyslot(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if cluster(node, c).is_none() {
        return;
    }
    c.reply().int(i64::from(key_slot(args[2]).get()));
}

fn countkeysinslot(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if cluster(node, c).is_none() {
        return;
    }
    let Some(v) = parse_i64(args[2]) else {
        return err(c, NOT_INTEGER);
    };
    let Some(slot) = u16::try_from(v).ok().and_then(Slot::new) else {
        return err(c, "ERR Invalid slot");
    };
    let n = node.dbs[0].count_keys_in_slot(slot);
    c.reply().int(n as i64);
}

fn getkeysinslot(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if cluster(node, c).is_none() {
        return;
    }
    let (Some(slot), Some(max)) = (parse_i64(args[2]), parse_i64(args[3])) else {
        return err(c, NOT_INTEGER);
    };
    let slot = u16::try_from(slot).ok().and_then(Slot::new);
    let (Some(slot), true) = (slot, max >= 0) else {
        return err(c, "ERR Invalid slot or number of keys");
    };
    let keys = node.dbs[0].keys_in_slot(slot, usize::try_from(max).unwrap_or(usize::MAX));
    let mut r = c.reply();
    r.array_len(keys.len());
    for k in &keys {
        r.bulk(k);
    }
}

fn count_failure_reports(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    match cl.lookup_str(args[2]) {
        Some(r) => {
            let n = cl.failure_report_count(r);
            c.reply().int(n as i64);
        }
        None => err(
            c,
            format!("ERR Unknown node {}", String::from_utf8_lossy(args[2])),
        ),
    }
}

fn replicas(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let Some(r) = cl.lookup_str(args[2]) else {
        return err(
            c,
            format!("ERR Unknown node {}", String::from_utf8_lossy(args[2])),
        );
    };
    if cl.node(r).is_some_and(|n| n.is_replica()) {
        return err(c, "ERR The specified node is not a master");
    }
    let lines = cl.replica_lines(r);
    let mut rep = c.reply();
    rep.array_len(lines.len());
    for l in &lines {
        rep.bulk(l.as_bytes());
    }
}

fn meet(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if cluster(node, c).is_none() {
        return;
    }
    if args.len() != 4 && args.len() != 5 {
        return syntax_sub(c, args);
    }
    let text = |a: &[u8]| String::from_utf8_lossy(a).into_owned();
    let Some(port) = parse_i64(args[3]) else {
        return err(
            c,
            format!("ERR Invalid TCP base port specified: {}", text(args[3])),
        );
    };
    let cport = match args.get(4) {
        Some(a) => match parse_i64(a) {
            Some(p) => p,
            None => {
                return err(
                    c,
                    format!("ERR Invalid TCP bus port specified: {}", text(a)),
                )
            }
        },
        None => port + 10000,
    };
    let ip = text(args[2]);
    let addr = format!("{ip}:{}", text(args[3]));
    let Some(cl) = cluster(node, c) else { return };
    match cl.meet(now, &ip, port, cport, &addr) {
        Ok(()) => c.reply().ok(),
        Err(e) => cluster_err(c, &e),
    }
    node.cluster_drain(now);
}

fn forget(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let start = c.out.len();
    let Some(cl) = cluster(node, c) else { return };
    match cl.forget(now, args[2]) {
        Ok(()) => c.reply().ok(),
        Err(e) => cluster_err(c, &e),
    }
    finish(node, now, c, start, false);
}

/// The slots of ADDSLOTS/DELSLOTS (one per argument) or of the RANGE forms (pairs).
fn slot_args(c: &mut Client, args: &[&[u8]], ranges: bool) -> Option<Vec<Slot>> {
    let mut out = Vec::new();
    if ranges {
        if args.len() % 2 == 1 {
            c.reply().error(&ErrorReply::WrongArity(
                String::from_utf8_lossy(args[0]).to_lowercase()
                    + "|"
                    + &String::from_utf8_lossy(args[1]).to_lowercase(),
            ));
            return None;
        }
        let mut pairs = Vec::new();
        for pair in args[2..].chunks(2) {
            let a = slot_arg(c, pair[0])?;
            let b = slot_arg(c, pair[1])?;
            if a > b {
                err(
                    c,
                    format!("ERR start slot number {a} is greater than end slot number {b}"),
                );
                return None;
            }
            pairs.push((a, b));
        }
        for (a, b) in pairs {
            out.extend((a.get()..=b.get()).map(Slot::from_masked));
        }
    } else {
        for a in &args[2..] {
            out.push(slot_arg(c, a)?);
        }
    }
    Some(out)
}

fn change_slots(
    node: &mut Node,
    now: Now,
    c: &mut Client,
    args: &[&[u8]],
    ranges: bool,
    del: bool,
) {
    let start = c.out.len();
    if cluster(node, c).is_none() {
        return;
    }
    let Some(slots) = slot_args(c, args, ranges) else {
        return;
    };
    let Some(cl) = cluster(node, c) else { return };
    let r = if del {
        cl.del_slots(now, &slots)
    } else {
        cl.add_slots(now, &slots)
    };
    match r {
        Ok(()) => c.reply().ok(),
        Err(e) => cluster_err(c, &e),
    }
    finish(node, now, c, start, false);
}

fn addslots(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    change_slots(node, now, c, args, false, false);
}

fn addslotsrange(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    change_slots(node, now, c, args, true, false);
}

fn delslots(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    change_slots(node, now, c, args, false, true);
}

fn delslotsrange(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    change_slots(node, now, c, args, true, true);
}

fn flushslots(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let start = c.out.len();
    if cluster(node, c).is_none() {
        return;
    }
    if !node.dbs[0].is_empty() {
        return err(c, "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
    }
    if let Some(cl) = cluster(node, c) {
        cl.flush_slots(now);
        c.reply().ok();
    }
    finish(node, now, c, start, false);
}

fn setslot(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let start = c.out.len();
    let Some(cl) = cluster(node, c) else { return };
    if cl.is_replica() {
        return err(c, "ERR Please use SETSLOT only with masters.");
    }
    let Some(slot) = slot_arg(c, args[2]) else {
        return;
    };
    let action = args[3].to_ascii_lowercase();
    let keys = node.dbs[0].count_keys_in_slot(slot);
    let Some(cl) = cluster(node, c) else { return };
    let r = match (action.as_slice(), args.len()) {
        (b"migrating", 5) => cl.set_slot_migrating(now, slot, args[4]),
        (b"importing", 5) => cl.set_slot_importing(now, slot, args[4]),
        (b"stable", 4) => cl.set_slot_stable(now, slot),
        (b"node", 5) => cl.set_slot_node(now, slot, args[4], keys),
        _ => {
            return err(
                c,
                "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
            )
        }
    };
    match r {
        Ok(()) => c.reply().ok(),
        Err(e) => cluster_err(c, &e),
    }
    finish(node, now, c, start, false);
}

fn replicate(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let start = c.out.len();
    let empty = node.dbs[0].is_empty();
    let Some(cl) = cluster(node, c) else { return };
    match cl.replicate(now, args[2], empty) {
        Ok(()) => c.reply().ok(),
        Err(e) => cluster_err(c, &e),
    }
    finish(node, now, c, start, false);
}

fn set_config_epoch(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let start = c.out.len();
    let Some(cl) = cluster(node, c) else { return };
    let Some(epoch) = parse_i64(args[2]) else {
        return err(c, NOT_INTEGER);
    };
    match cl.set_config_epoch(now, epoch) {
        Ok(()) => c.reply().ok(),
        Err(e) => cluster_err(c, &e),
    }
    finish(node, now, c, start, false);
}

fn bumpepoch(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let start = c.out.len();
    let Some(cl) = cluster(node, c) else { return };
    let (bumped, epoch) = cl.bump_epoch(now);
    let word = if bumped { "BUMPED" } else { "STILL" };
    c.reply().simple(format!("{word} {}", epoch.0).as_bytes());
    finish(node, now, c, start, false);
}

fn saveconfig(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let start = c.out.len();
    let Some(cl) = cluster(node, c) else { return };
    let gen = cl.save_config(now);
    c.reply().ok();
    node.cluster_drain(now);
    node.hold_reply_until_saved(c, start, gen, true);
}

fn reset(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let start = c.out.len();
    if cluster(node, c).is_none() {
        return;
    }
    if args.len() > 3 {
        return syntax_sub(c, args);
    }
    let hard = match args.get(2).map(|a| a.to_ascii_lowercase()) {
        None => false,
        Some(a) if a == b"hard" => true,
        Some(a) if a == b"soft" => false,
        Some(_) => return c.reply().error(&ErrorReply::Syntax),
    };
    let replica = node
        .cluster
        .as_ref()
        .is_some_and(|cm| cm.cluster.is_replica());
    if !replica && !node.dbs[0].is_empty() {
        return err(
            c,
            "ERR CLUSTER RESET can't be called with master nodes containing keys",
        );
    }
    if replica {
        // Ref: clusterReset: a replica turns master and drops its (replicated) data.
        for db in &mut node.dbs {
            db.clear();
        }
    }
    if let Some(cl) = cluster(node, c) {
        cl.reset(now, hard);
        c.reply().ok();
    }
    finish(node, now, c, start, false);
}

fn node_entry(r: &mut Reply<'_>, n: &hashslot_gossip::NodeInfo) {
    r.array_len(4);
    r.bulk(n.ip.as_bytes());
    r.int(i64::from(n.port));
    r.bulk(n.id.as_bytes());
    if n.hostname.is_empty() {
        r.map_len(0);
    } else {
        r.map_len(1);
        r.bulk(b"hostname");
        r.bulk(n.hostname.as_bytes());
    }
}

fn slots(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let view = cl.slots_view();
    let mut r = c.reply();
    r.array_len(view.len());
    for e in &view {
        r.array_len(2 + e.nodes.len());
        r.int(i64::from(e.start));
        r.int(i64::from(e.end));
        for n in &e.nodes {
            node_entry(&mut r, n);
        }
    }
}

fn shards(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let view = cl.shards_view();
    let mut r = c.reply();
    r.array_len(view.len());
    for sh in &view {
        r.map_len(2);
        r.bulk(b"slots");
        r.array_len(sh.slots.len() * 2);
        for (a, b) in &sh.slots {
            r.int(i64::from(*a));
            r.int(i64::from(*b));
        }
        r.bulk(b"nodes");
        r.array_len(sh.nodes.len());
        for n in &sh.nodes {
            let mut pairs = 6;
            if n.port != 0 {
                pairs += 1;
            }
            if !n.hostname.is_empty() {
                pairs += 1;
            }
            r.map_len(pairs);
            r.bulk(b"id");
            r.bulk(n.id.as_bytes());
            if n.port != 0 {
                r.bulk(b"port");
                r.int(i64::from(n.port));
            }
            r.bulk(b"ip");
            r.bulk(n.ip.as_bytes());
            r.bulk(b"endpoint");
            r.bulk(n.ip.as_bytes());
            if !n.hostname.is_empty() {
                r.bulk(b"hostname");
                r.bulk(n.hostname.as_bytes());
            }
            r.bulk(b"role");
            r.bulk(if n.is_master {
                b"master" as &[u8]
            } else {
                b"replica"
            });
            r.bulk(b"replication-offset");
            r.int(n.repl_offset);
            r.bulk(b"health");
            let health: &[u8] = if n.failed {
                b"fail"
            } else if !n.is_master && n.repl_offset == 0 {
                b"loading"
            } else {
                b"online"
            };
            r.bulk(health);
        }
    }
}

fn links(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(cl) = cluster(node, c) else { return };
    let view = cl.links_view();
    let mut r = c.reply();
    r.array_len(view.len());
    for l in &view {
        r.map_len(6);
        r.bulk(b"direction");
        r.bulk(l.direction.as_bytes());
        r.bulk(b"node");
        r.bulk(l.node.as_bytes());
        r.bulk(b"create-time");
        r.int(l.create_time);
        r.bulk(b"events");
        r.bulk(b"r");
        r.bulk(b"send-buffer-allocated");
        r.int(0);
        r.bulk(b"send-buffer-used");
        r.int(0);
    }
}

/// `CLUSTER HELP` lines after the first, as Redis 7.0 prints them.
const HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
    "HELP",
    "    Prints this help.",
];
