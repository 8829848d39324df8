//! A replica that reconnects within the backlog continues with `+CONTINUE`.
mod common;
use common::*;
use hashslot_repl::*;

#[test]
fn short_disconnect_continues_from_backlog() {
    let mut net = Net::disk();
    let r = net.add_replica(ReplicaConfig::default());
    net.write(0, &["SET", "a", "1"]);
    net.break_link(r);
    assert_eq!(field(&net.replica_info(r), "master_link_status"), "down");
    net.write(0, &["SET", "b", "2"]);
    net.write(0, &["SET", "c", "3"]);
    let before = net.reps[r].received.len();
    net.advance(1_000); // the replica reconnects from its cron
    let after = String::from_utf8_lossy(&net.reps[r].received[before..]).into_owned();
    let replid = net.master.history().replid;
    assert!(
        after.starts_with(&format!("+PONG\r\n+OK\r\n+OK\r\n+CONTINUE {replid}\r\n")),
        "{after}"
    );
    assert_eq!(net.snapshots, 1, "no second snapshot");
    let got: Vec<_> = net.reps[r].applied.iter().map(|a| a.argv.clone()).collect();
    assert_eq!(
        got,
        vec![
            argv(&["SET", "a", "1"]),
            argv(&["SET", "b", "2"]),
            argv(&["SET", "c", "3"])
        ]
    );
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );
    assert_eq!(field(&net.replica_info(r), "master_link_status"), "up");
}
