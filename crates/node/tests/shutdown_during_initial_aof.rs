//! SHUTDOWN while the first AOF rewrite after `CONFIG SET appendonly yes` runs, as
//! redis-server 7.0.15 (checked by hand with `rdb-key-save-delay` slowing the rewrite): the
//! dataset is in no AOF yet, so SHUTDOWN and SHUTDOWN NOSAVE reply
//! `-ERR Errors trying to SHUTDOWN. Check logs.` after logging "Writing initial AOF, can't
//! exit.", SIGTERM is ignored the same way, and SHUTDOWN … FORCE exits ("Writing initial AOF.
//! Exit anyway."). Once the rewrite is done, SHUTDOWN goes on.
mod common;
use common::*;

use hashslot_node::{Output, PersistToken};
use hashslot_types::ConnId;

fn logged(outs: &[Output], text: &str) -> bool {
    outs.iter()
        .any(|o| matches!(o, Output::Log { message, .. } if message == text))
}

fn shut(outs: &[Output]) -> bool {
    outs.iter().any(|o| matches!(o, Output::Shutdown))
}

/// A node with a few keys whose AOF was just turned on at runtime; the tokens of the file
/// steps of the rewrite it started (none completed yet).
fn turning_on() -> (Harness, ConnId, Vec<PersistToken>) {
    let mut h = Harness::with_config(config(&[("save", "")]));
    h.node
        .load_data(h.now, &mut |_: &str| Ok(None))
        .expect("empty start");
    let c = h.connect();
    for k in ["a", "b", "c"] {
        assert_eq!(h.cmd_str(c, &["SET", k, "v"]), "+OK\r\n");
    }
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "appendonly", "yes"]),
        "+OK\r\n"
    );
    let outs = h.advance(500);
    let tokens = outs
        .iter()
        .filter_map(|o| match o {
            Output::FileCommit { token, .. } | Output::FileSync { token, .. } => Some(*token),
            _ => None,
        })
        .collect();
    let info = bulk_text(&h.cmd(c, &["INFO", "persistence"]));
    assert!(info.contains("\r\naof_rewrite_in_progress:1\r\n"), "{info}");
    (h, c, tokens)
}

#[test]
fn shutdown_is_refused_without_force_while_the_initial_aof_is_written() {
    let (mut h, c, _) = turning_on();
    let refused = "-ERR Errors trying to SHUTDOWN. Check logs.\r\n";
    for args in [
        &["SHUTDOWN"][..],
        &["SHUTDOWN", "NOSAVE"],
        &["SHUTDOWN", "SAVE"],
    ] {
        let outs = h.feed(c, &encode(args));
        assert_eq!(String::from_utf8_lossy(&sent_to(&outs, c)), refused);
        assert!(!shut(&outs), "{args:?}: {outs:?}");
        assert!(
            logged(&outs, "Writing initial AOF, can't exit."),
            "{outs:?}"
        );
    }
    h.node.handle_shutdown_signal(h.now);
    let mut outs = Vec::new();
    while let Some(o) = h.node.poll_output() {
        outs.push(o);
    }
    assert!(!shut(&outs), "{outs:?}");
    assert!(
        logged(&outs, "Writing initial AOF, can't exit."),
        "{outs:?}"
    );
    assert_eq!(h.cmd_str(c, &["GET", "a"]), "$1\r\nv\r\n");

    let outs = h.feed(c, &encode(&["SHUTDOWN", "NOSAVE", "FORCE"]));
    assert!(shut(&outs), "{outs:?}");
    assert!(
        logged(&outs, "Writing initial AOF. Exit anyway."),
        "{outs:?}"
    );
}

#[test]
fn shutdown_goes_on_once_the_initial_aof_is_written() {
    let (mut h, c, mut tokens) = turning_on();
    // Complete every file step (and those they lead to) until the rewrite is done.
    while let Some(t) = tokens.pop() {
        h.node.handle_persist_done(h.now, t, Ok(()));
        while let Some(o) = h.node.poll_output() {
            if let Output::FileCommit { token, .. } | Output::FileSync { token, .. } = o {
                tokens.push(token);
            }
        }
        let more = h.advance(100);
        tokens.extend(more.iter().filter_map(|o| match o {
            Output::FileCommit { token, .. } | Output::FileSync { token, .. } => Some(*token),
            _ => None,
        }));
    }
    let info = bulk_text(&h.cmd(c, &["INFO", "persistence"]));
    assert!(info.contains("\r\naof_rewrite_in_progress:0\r\n"), "{info}");
    let outs = h.feed(c, &encode(&["SHUTDOWN", "NOSAVE"]));
    let mut all = outs;
    while let Some(o) = h.node.poll_output() {
        all.push(o);
    }
    assert!(!logged(&all, "Writing initial AOF, can't exit."), "{all:?}");
    assert!(shut(&all), "{all:?}");
}
