//! SHUTDOWN emits Output::Shutdown after the batch's replies.
mod common;
use common::*;
use hashslot_node::Output;

#[test]
fn shutdown_emits_shutdown() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["SHUTDOWN", "SAVE", "NOSAVE"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["SHUTDOWN", "bogus"]),
        "-ERR syntax error\r\n"
    );
    let out = h.feed(c, b"PING\r\nSHUTDOWN NOSAVE\r\nPING\r\n");
    assert_eq!(
        sent_to(&out, c),
        b"+PONG\r\n",
        "nothing runs after SHUTDOWN"
    );
    let send_at = out
        .iter()
        .position(|o| matches!(o, Output::Send { .. }))
        .unwrap();
    let stop_at = out
        .iter()
        .position(|o| matches!(o, Output::Shutdown))
        .expect("Shutdown");
    assert!(send_at < stop_at);
}
