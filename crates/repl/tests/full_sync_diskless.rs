//! Diskless full sync: `$EOF:<mark>` framing, the start delay, and the stream held until the
//! replica's first ACK.
mod common;
use common::*;
use hashslot_repl::*;
use hashslot_types::ConnId;

#[test]
fn diskless_sync_waits_for_delay_and_uses_eof_mark() {
    let mut net = Net::new(MasterConfig::default());
    let r = net.add_replica(ReplicaConfig::default());
    assert_eq!(net.snapshots, 0, "diskless start is delayed 5 s");
    assert!(net.master.info(net.now).contains("state=wait_bgsave"));
    net.advance(4_000);
    assert_eq!(net.snapshots, 0);
    assert!(
        net.reps[r].received.ends_with(b"\n"),
        "newline keepalives while waiting"
    );
    net.advance(1_100);
    assert_eq!(net.snapshots, 1);
    assert_eq!(net.reps[r].loads, vec![net.rdb.clone()]);
    let text = String::from_utf8_lossy(&net.reps[r].received).into_owned();
    assert!(text.contains("+FULLRESYNC ") && text.contains("$EOF:"));
    net.write(0, &["SET", "k", "v"]);
    assert_eq!(
        net.reps[r].applied.last().unwrap().argv,
        argv(&["SET", "k", "v"])
    );
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );
}

#[test]
fn diskless_stream_is_held_until_first_ack() {
    let now = t0();
    let config = MasterConfig {
        repl_diskless_sync_delay: std::time::Duration::ZERO,
        ..Default::default()
    };
    let mut m = ReplicationMaster::new(now, config, hashslot_types::Rng::from_seed(3));
    let c = ConnId(7);
    m.handle_replconf(
        now,
        c,
        "10.0.0.2",
        &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"],
    );
    m.handle_psync(now, c, "10.0.0.2", &[b"PSYNC", b"?", b"-1"]);
    let mut sent = Vec::new();
    let mut snap = None;
    while let Some(o) = m.poll_output() {
        match o {
            MasterOutput::Send { bytes, .. } => sent.extend_from_slice(&bytes),
            MasterOutput::StartSnapshot {
                id, target, offset, ..
            } => {
                assert_eq!((target, offset), (SnapshotTarget::Socket, 0));
                snap = Some(id);
            }
            o => panic!("{o:?}"),
        }
    }
    let id = snap.expect("snapshot started at once");
    m.handle_snapshot_chunk(now, id, b"REDIS0010");
    m.feed(0, &["SET", "during", "snapshot"]); // buffered, not sent
    m.handle_snapshot_chunk(now, id, b"rest");
    m.handle_snapshot_end(now, id);
    while let Some(MasterOutput::Send { bytes, .. }) = m.poll_output() {
        sent.extend_from_slice(&bytes);
    }
    let text = String::from_utf8_lossy(&sent).into_owned();
    let head = format!("+OK\r\n+FULLRESYNC {} 0\r\n$EOF:", m.history().replid);
    assert!(text.starts_with(&head), "{text}");
    let mark = &text[head.len()..head.len() + 40];
    assert!(
        text.ends_with(&format!("{mark}\r\nREDIS0010rest{mark}")),
        "{text}"
    );
    assert!(m.info(now).contains("state=online"));
    // The first ACK releases the stream.
    m.handle_replconf(now, c, "10.0.0.2", &[b"REPLCONF", b"ACK", b"0"]);
    let Some(MasterOutput::Send { bytes, .. }) = m.poll_output() else {
        panic!()
    };
    assert!(bytes.starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n"));
    assert_eq!(m.poll_output(), None);
}
