//! REPLCONF GETACK → REPLCONF ACK <offset before the GETACK>; the periodic ACK reports all.
mod common;
use common::*;
use hashslot_types::ConnId;
use std::time::Duration;

fn slave0_offset(net: &Net) -> i64 {
    let info = net.master.info(net.now);
    let line = field(&info, "slave0");
    line.split(',')
        .find_map(|kv| kv.strip_prefix("offset="))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn getack_and_periodic_ack_offsets() {
    let mut net = Net::disk();
    let r = net.add_replica(Default::default());
    net.write(0, &["SET", "k", "v"]);
    let before_getack = net.master.master_repl_offset();
    let now = net.now;
    net.master.handle_wait(
        now,
        ConnId(1),
        5,
        Some(Duration::from_secs(10)),
        before_getack,
    );
    net.pump();
    let getack = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".len() as i64;
    assert_eq!(net.master.master_repl_offset(), before_getack + getack);
    assert_eq!(
        slave0_offset(&net),
        before_getack,
        "the ACK excludes the GETACK itself"
    );
    assert_eq!(net.reps[r].sm.repl_offset(), before_getack + getack);
    net.advance(1_000);
    assert_eq!(slave0_offset(&net), net.master.master_repl_offset());
    assert_eq!(
        field(&net.master.info(net.now), "slave0")
            .rsplit(',')
            .next(),
        Some("lag=0")
    );
}

#[test]
fn ping_period_moves_the_offset() {
    let mut net = Net::disk();
    let r = net.add_replica(Default::default());
    let start = net.master.master_repl_offset();
    net.advance(10_000);
    let ping = b"*1\r\n$4\r\nPING\r\n".len() as i64;
    assert_eq!(net.master.master_repl_offset(), start + ping);
    assert_eq!(net.reps[r].sm.repl_offset(), start + ping);
    assert!(net.reps[r].applied.is_empty(), "PING is not applied");
}
