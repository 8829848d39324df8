//! Full sync with the disk-style `$<len>` framing, then the command stream with offsets.
mod common;
use common::*;
use hashslot_repl::*;

#[test]
fn disk_full_sync_then_stream() {
    let mut net = Net::disk();
    net.write(0, &["SET", "before", "replica"]); // no replica, no backlog: not kept
    assert_eq!(net.master.master_repl_offset(), 0);
    let r = net.add_replica(ReplicaConfig::default());
    assert_eq!(net.snapshots, 1);
    assert_eq!(net.reps[r].loads, vec![net.rdb.clone()]);
    let text = String::from_utf8_lossy(&net.reps[r].received).into_owned();
    let head = format!(
        "+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC {} 0\r\n$18\r\nREDIS0010",
        net.master.history().replid
    );
    assert!(text.starts_with(&head), "{text}");
    assert_eq!(net.reps[r].sm.history().replid, net.master.history().replid);

    net.write(0, &["SET", "k", "v"]);
    net.write(3, &["INCR", "n"]);
    let applied = &net.reps[r].applied;
    assert_eq!(applied.len(), 2);
    assert_eq!(
        (applied[0].db, &applied[0].argv),
        (0, &argv(&["SET", "k", "v"]))
    );
    assert_eq!(
        (applied[1].db, &applied[1].argv),
        (3, &argv(&["INCR", "n"]))
    );
    // The stream after a full sync starts with SELECT; offsets count every byte.
    let select0 = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n".len() as i64;
    let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".len() as i64;
    assert_eq!(applied[0].offset, select0 + set);
    assert_eq!(applied[1].offset, net.master.master_repl_offset());
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );

    let info = net.replica_info(r);
    assert_eq!(field(&info, "role"), "slave");
    assert_eq!(field(&info, "master_link_status"), "up");
    assert_eq!(field(&info, "master_sync_in_progress"), "0");
    assert_eq!(
        field(&info, "slave_repl_offset"),
        net.master.master_repl_offset().to_string()
    );
    let minfo = net.master.info(net.now);
    assert_eq!(field(&minfo, "connected_slaves"), "1");
    assert!(field(&minfo, "slave0").starts_with("ip=127.0.0.1,port=6379,state=online,offset="));
    assert_eq!(field(&minfo, "repl_backlog_active"), "1");
    assert_eq!(field(&minfo, "repl_backlog_first_byte_offset"), "1");
}
