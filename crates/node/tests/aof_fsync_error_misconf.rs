//! A failed AOF fsync under `appendfsync everysec`, in-process: as redis-server 7.0.15
//! (`writeCommandsDeniedByDiskError`, `processCommand`), writes, PING and an EXEC of queued
//! writes are refused with `-MISCONF Errors writing to the AOF file: <strerror>` (the EXEC as
//! EXECABORT), reads are served, INFO shows `aof_last_write_status:err`; the node does not
//! exit, and once an fsync succeeds (the cron asks again a second later) writes are accepted.
mod common;
use common::*;

use hashslot_node::{Output, PersistToken};

/// Every token of a file step the node asked for, from `outs`.
fn tokens(outs: &[Output]) -> Vec<(PersistToken, bool)> {
    outs.iter()
        .filter_map(|o| match o {
            Output::FileSync { token, .. } => Some((*token, true)),
            Output::FileCommit { token, .. } | Output::Persist { token, .. } => {
                Some((*token, false))
            }
            _ => None,
        })
        .collect()
}

/// Complete every step in `outs` successfully; returns the outputs that caused.
fn complete_ok(h: &mut Harness, outs: &[Output]) -> Vec<Output> {
    let mut more = Vec::new();
    for (t, _) in tokens(outs) {
        h.node.handle_persist_done(h.now, t, Ok(()));
        while let Some(o) = h.node.poll_output() {
            more.push(o);
        }
    }
    more
}

#[test]
fn fsync_error_under_everysec_refuses_writes_until_an_fsync_succeeds() {
    let mut h = Harness::with_config(config(&[
        ("appendonly", "yes"),
        ("appendfsync", "everysec"),
    ]));
    h.node
        .load_data(h.now, &mut |_: &str| Ok(None))
        .expect("empty start");
    let mut outs = h.advance(0);
    while !tokens(&outs).is_empty() {
        outs = complete_ok(&mut h, &outs);
    }
    let c = h.connect();
    let m = h.connect();
    assert_eq!(h.cmd_str(c, &["SET", "a", "v"]), "+OK\r\n");
    assert_eq!(h.cmd_str(m, &["MULTI"]), "+OK\r\n");
    assert_eq!(h.cmd_str(m, &["SET", "b", "v"]), "+QUEUED\r\n");

    // The everysec fsync fails.
    let outs = h.advance(1_100);
    let syncs: Vec<_> = tokens(&outs).into_iter().filter(|t| t.1).collect();
    assert_eq!(syncs.len(), 1, "{outs:?}");
    h.node
        .handle_persist_done(h.now, syncs[0].0, Err("Input/output error".into()));
    let mut after = Vec::new();
    while let Some(o) = h.node.poll_output() {
        after.push(o);
    }
    assert!(
        !after
            .iter()
            .any(|o| matches!(o, Output::Shutdown | Output::Exit { .. })),
        "{after:?}"
    );
    let misconf = "-MISCONF Errors writing to the AOF file: Input/output error\r\n";
    assert_eq!(h.cmd_str(c, &["SET", "b", "v"]), misconf);
    assert_eq!(h.cmd_str(c, &["PING"]), misconf);
    assert_eq!(h.cmd_str(c, &["GET", "a"]), "$1\r\nv\r\n");
    assert_eq!(
        h.cmd_str(m, &["EXEC"]),
        "-EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: \
         Input/output error\r\n"
    );
    let info = bulk_text(&h.cmd(c, &["INFO", "persistence"]));
    assert!(info.contains("\r\naof_last_write_status:err\r\n"), "{info}");
    assert!(
        info.contains("\r\naof_last_bgrewrite_status:ok\r\n"),
        "{info}"
    );

    // The cron asks for the fsync again; it succeeds and writes are accepted.
    let outs = h.advance(1_100);
    let syncs: Vec<_> = tokens(&outs).into_iter().filter(|t| t.1).collect();
    assert_eq!(syncs.len(), 1, "{outs:?}");
    complete_ok(&mut h, &outs);
    assert_eq!(h.cmd_str(c, &["SET", "b", "v"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
    let info = bulk_text(&h.cmd(c, &["INFO", "persistence"]));
    assert!(info.contains("\r\naof_last_write_status:ok\r\n"), "{info}");
}
