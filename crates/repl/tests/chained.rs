//! Chained replication in process: master → replica → sub-replica, the sub-replica served by
//! the replica's [`ReplicationReplica::downstream`] with the bytes the replica reads.
//!
//! - the sub-replica gets the master's stream byte for byte, with the same id and offsets;
//! - a transaction of the stream is held until its EXEC: split across reads, nothing of it is
//!   applied, proxied or counted before the EXEC arrives, and a link cut inside it drops it;
//! - the replica's history changing (a `+CONTINUE` with a new id, a promotion) disconnects the
//!   sub-replica, which continues at once through `replid2`.
mod common;
use common::*;
use hashslot_repl::*;
use hashslot_resp::{Limits, RequestParser};
use hashslot_types::{ConnId, Rng};

/// A sub-replica of `net.reps[mid]`, driven by hand.
struct Sub {
    sm: ReplicationReplica,
    conn: ConnId,
    link: bool,
    inbox: Vec<u8>,
    applied: Vec<Vec<Vec<u8>>>,
    received: Vec<u8>,
    closed: usize,
}

impl Sub {
    fn new(net: &Net) -> Sub {
        let history = ReplHistory::new(&mut Rng::from_seed(77));
        let sm = ReplicationReplica::new(net.now, ReplicaConfig::default(), history, "r", 1);
        Sub {
            sm,
            conn: ConnId(9_000),
            link: false,
            inbox: Vec::new(),
            applied: Vec::new(),
            received: Vec::new(),
            closed: 0,
        }
    }
}

fn quick_downstream(net: &mut Net, mid: usize) {
    net.reps[mid].sm.set_master_config(MasterConfig {
        repl_diskless_sync_delay: std::time::Duration::ZERO,
        ..MasterConfig::default()
    });
}

/// Move the sub-replica and the middle's downstream machine until nothing happens.
fn pump_sub(net: &mut Net, mid: usize, sub: &mut Sub) {
    let now = net.now;
    for _ in 0..1000 {
        let mut busy = false;
        while let Some(o) = sub.sm.poll_output() {
            busy = true;
            match o {
                ReplicaOutput::ConnectToMaster { .. } => {
                    sub.conn = ConnId(sub.conn.0 + 1);
                    sub.link = true;
                    sub.sm.handle_connected(now);
                }
                ReplicaOutput::SendToMaster(b) if sub.link => sub.inbox.extend_from_slice(&b),
                ReplicaOutput::CloseMasterLink => {
                    sub.link = false;
                    let m = net.reps[mid].sm.downstream();
                    m.handle_conn_closed(now, sub.conn);
                }
                ReplicaOutput::LoadRdb { .. } => sub.sm.handle_rdb_loaded(now, true),
                ReplicaOutput::ApplyCommand { argv, .. } => {
                    sub.applied.push(argv.iter().map(|a| a.to_vec()).collect())
                }
                _ => {}
            }
        }
        while !sub.inbox.is_empty() {
            busy = true;
            let mut p = RequestParser::new(Limits::default());
            let n = p.parse(&sub.inbox).unwrap().unwrap();
            let argv: Vec<Vec<u8>> = p.args(&sub.inbox).map(|a| a.to_vec()).collect();
            sub.inbox.drain(..n);
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let r = &mut net.reps[mid].sm;
            match argv[0].to_ascii_uppercase().as_slice() {
                b"PING" => sub.sm.handle_read(now, b"+PONG\r\n"),
                b"REPLCONF" => r
                    .downstream()
                    .handle_replconf(now, sub.conn, "10.0.0.2", &refs),
                _ => r.handle_psync(now, sub.conn, "10.0.0.2", &refs),
            }
        }
        while let Some(o) = net.reps[mid].sm.downstream().poll_output() {
            busy = true;
            match o {
                MasterOutput::Send { conn, bytes } if conn == sub.conn && sub.link => {
                    sub.received.extend_from_slice(&bytes);
                    sub.sm.handle_read(now, &bytes);
                }
                MasterOutput::Close { conn } if conn == sub.conn && sub.link => {
                    sub.closed += 1;
                    sub.link = false;
                    sub.sm.handle_disconnected(now);
                }
                MasterOutput::StartSnapshot { id, .. } => {
                    let mut snap = BytesSnapshot::new(empty_rdb(), 5);
                    pump_snapshot(net.reps[mid].sm.downstream(), now, id, &mut snap).unwrap();
                }
                _ => {}
            }
        }
        if !busy {
            return;
        }
    }
    panic!("no quiescence");
}

/// A synced chain: master (disk-style), its replica 0, and a sub-replica of that replica.
fn chain() -> (Net, Sub) {
    let mut net = Net::disk();
    let mid = net.add_replica(ReplicaConfig::default());
    quick_downstream(&mut net, mid);
    net.write(0, &["SET", "a", "1"]);
    let mut sub = Sub::new(&net);
    pump_sub(&mut net, mid, &mut sub);
    // The diskless snapshot waits for the next cron tick.
    net.advance(1_100);
    pump_sub(&mut net, mid, &mut sub);
    assert_eq!(sub.sm.state(), LinkState::Connected);
    (net, sub)
}

#[test]
fn the_sub_replica_gets_the_masters_stream_byte_for_byte() {
    let (mut net, mut sub) = chain();
    let mid_before = net.reps[0].received.len();
    let sub_before = sub.received.len();
    net.write(0, &["SET", "b", "2"]);
    net.write(3, &["DEL", "c"]);
    pump_sub(&mut net, 0, &mut sub);
    assert_eq!(
        sub.received[sub_before..],
        net.reps[0].received[mid_before..],
        "proxied as read"
    );
    assert_eq!(sub.applied, [argv(&["SET", "b", "2"]), argv(&["DEL", "c"])]);
    let top = net.master.history().replid;
    assert_eq!(net.reps[0].sm.history().replid, top);
    assert_eq!(sub.sm.history().replid, top);
    assert_eq!(sub.sm.repl_offset(), net.master.master_repl_offset());
    let info = net.reps[0].sm.info(net.now);
    assert_eq!(field(&info, "role"), "slave");
    assert_eq!(field(&info, "connected_slaves"), "1");
    let line = field(&info, "slave0");
    assert!(line.starts_with("ip=10.0.0.2,port="), "{line}");
    assert!(line.contains(",state=online,"), "{line}");
}

#[test]
fn a_transaction_is_held_until_its_exec() {
    let (mut net, mut sub) = chain();
    let mid_offset = net.reps[0].sm.repl_offset();
    let mid_applied = net.reps[0].applied.len();
    let mut multi = Vec::new();
    for cmd in [&["MULTI"][..], &["SET", "x", "1"], &["INCR", "y"]] {
        encode_command(cmd, &mut multi);
    }
    let now = net.now;
    net.reps[0].sm.handle_read(now, &multi);
    net.pump();
    pump_sub(&mut net, 0, &mut sub);
    assert_eq!(net.reps[0].sm.repl_offset(), mid_offset, "not counted yet");
    assert_eq!(net.reps[0].applied.len(), mid_applied, "not applied yet");
    let sub_applied = sub.applied.len();
    let mut exec = Vec::new();
    encode_command(&["EXEC"], &mut exec);
    net.reps[0].sm.handle_read(now, &exec);
    net.pump();
    pump_sub(&mut net, 0, &mut sub);
    let applied: Vec<_> = net.reps[0].applied[mid_applied..]
        .iter()
        .map(|a| a.argv.clone())
        .collect();
    let want = [
        argv(&["MULTI"]),
        argv(&["SET", "x", "1"]),
        argv(&["INCR", "y"]),
        argv(&["EXEC"]),
    ];
    assert_eq!(applied, want);
    assert_eq!(sub.applied[sub_applied..], want);
    let total = (multi.len() + exec.len()) as i64;
    assert_eq!(net.reps[0].sm.repl_offset(), mid_offset + total);
    assert_eq!(sub.sm.repl_offset(), mid_offset + total);

    // Cut inside a transaction: it is dropped, and the PSYNC offset is before its MULTI.
    let mut multi = Vec::new();
    encode_command(&["MULTI"], &mut multi);
    encode_command(&["SET", "z", "1"], &mut multi);
    net.reps[0].sm.handle_read(now, &multi);
    let before = net.reps[0].sm.repl_offset();
    net.break_link(0);
    assert_eq!(net.reps[0].sm.repl_offset(), before);
    assert_eq!(net.reps[0].applied.len(), mid_applied + 4);
}

/// A SELECT inside the master's transaction is queued, as Redis queues it: while the
/// transaction is held (and if it is dropped) the stream's db is still the MULTI's; after
/// EXEC it is the SELECTed one, and each command ran on the db in force at its place.
#[test]
fn a_select_inside_a_held_transaction_takes_effect_at_exec() {
    let (mut net, mut sub) = chain();
    let now = net.now;
    let start = net.reps[0].applied.len();
    let mut multi = Vec::new();
    for cmd in [
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["SELECT", "2"],
        &["SET", "b", "1"],
    ] {
        encode_command(cmd, &mut multi);
    }
    net.reps[0].sm.handle_read(now, &multi);
    assert_eq!(net.reps[0].sm.stream_db(), 0, "held: the MULTI's db");
    let mut exec = Vec::new();
    encode_command(&["EXEC"], &mut exec);
    net.reps[0].sm.handle_read(now, &exec);
    net.pump();
    pump_sub(&mut net, 0, &mut sub);
    let dbs: Vec<(i64, Vec<Vec<u8>>)> = net.reps[0].applied[start..]
        .iter()
        .map(|a| (a.db, a.argv.clone()))
        .collect();
    assert_eq!(
        dbs,
        [
            (0, argv(&["MULTI"])),
            (0, argv(&["SET", "a", "1"])),
            (2, argv(&["SET", "b", "1"])),
            (2, argv(&["EXEC"])),
        ]
    );
    assert_eq!(net.reps[0].sm.stream_db(), 2);

    // Cut inside a transaction that selects another db: the db stays.
    let mut multi = Vec::new();
    encode_command(&["MULTI"], &mut multi);
    encode_command(&["SELECT", "5"], &mut multi);
    encode_command(&["SET", "c", "1"], &mut multi);
    net.reps[0].sm.handle_read(now, &multi);
    net.break_link(0);
    assert_eq!(
        net.reps[0].sm.stream_db(),
        2,
        "a dropped transaction selects nothing"
    );
}

#[test]
fn a_new_id_from_the_master_sends_the_sub_replica_through_replid2() {
    let (mut net, mut sub) = chain();
    // A sibling of the middle replica is promoted (a failover): the middle follows it.
    let sibling = net.add_replica(ReplicaConfig::default());
    net.write(0, &["SET", "b", "2"]);
    pump_sub(&mut net, 0, &mut sub);
    let old_id = net.master.history().replid;
    net.break_link(0);
    net.break_link(sibling);
    let now = net.now;
    let promoted = net.reps.pop().unwrap().sm;
    let promoted = promoted.promote(now, MasterConfig::default(), Rng::from_seed(4));
    let new_id = promoted.history().replid;
    let mut mid = net.reps.pop().unwrap().sm;
    mid.set_master(now, "127.0.0.1", 6379);
    let mut net2 = Net::with_master(now, promoted);
    net2.push(mid);
    assert_eq!(net2.reps[0].sm.history().replid, new_id);
    assert_eq!(net2.reps[0].sm.history().replid2, old_id);
    assert_eq!(net2.snapshots, 0, "the middle continued");
    pump_sub(&mut net2, 0, &mut sub);
    assert_eq!(sub.closed, 1, "disconnected to learn the new id");
    // The sub-replica's cron reconnects it.
    net2.advance(1_100);
    sub.sm.handle_timeout(net2.now);
    pump_sub(&mut net2, 0, &mut sub);
    let text = String::from_utf8_lossy(&sub.received).into_owned();
    assert!(text.contains(&format!("+CONTINUE {new_id}")), "{text}");
    assert_eq!(sub.sm.history().replid, new_id);
    net2.write(0, &["SET", "after", "1"]);
    pump_sub(&mut net2, 0, &mut sub);
    assert_eq!(sub.applied.last(), Some(&argv(&["SET", "after", "1"])));
    assert_eq!(sub.sm.repl_offset(), net2.master.master_repl_offset());
}

#[test]
fn a_promoted_replica_disconnects_its_sub_replicas_which_continue() {
    let (mut net, mut sub) = chain();
    net.break_link(0);
    let now = net.now;
    let mid = net.reps.pop().unwrap().sm;
    let old_id = mid.history().replid;
    let mut promoted = mid.promote(now, MasterConfig::default(), Rng::from_seed(3));
    assert_eq!(promoted.history().replid2, old_id);
    let closes: Vec<_> = std::iter::from_fn(|| promoted.poll_output()).collect();
    assert_eq!(closes, [MasterOutput::Close { conn: sub.conn }]);
    sub.link = false;
    sub.sm.handle_disconnected(now);
    // The sub-replica asks the promoted node to continue the old id.
    let mut net2 = Net::with_master(now, promoted);
    sub.sm.set_master(now, "127.0.0.1", 6379);
    let s = net2.push(sub.sm);
    let text = String::from_utf8_lossy(&net2.reps[s].received).into_owned();
    let new_id = net2.master.history().replid;
    assert!(text.contains(&format!("+CONTINUE {new_id}")), "{text}");
    assert_eq!(net2.snapshots, 0);
    net2.write(0, &["SET", "p", "1"]);
    assert_eq!(
        net2.reps[s].applied.last().unwrap().argv,
        argv(&["SET", "p", "1"])
    );
}
