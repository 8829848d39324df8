//! A SIGTERM from the driver takes SHUTDOWN's path: the node logs `User requested shutdown...`
//! (the driver logs the signal line, and the goodbye after removing the pidfile), runs no
//! further commands, and emits `Output::Shutdown`.
mod common;
use common::*;
use hashslot_node::Output;

#[test]
fn signal_shuts_down() {
    let mut h = Harness::new();
    let c = h.connect();
    h.node.handle_shutdown_signal(h.now);
    let mut out = Vec::new();
    while let Some(o) = h.node.poll_output() {
        out.push(o);
    }
    let logs: Vec<&str> = out
        .iter()
        .filter_map(|o| match o {
            Output::Log { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(logs, ["User requested shutdown..."]);
    assert_eq!(out.last(), Some(&Output::Shutdown));
    assert!(
        h.feed(c, b"PING\r\n").is_empty(),
        "no command runs any more"
    );
    h.node.handle_shutdown_signal(h.now);
    assert!(
        h.node.poll_output().is_none(),
        "a second signal does nothing more"
    );
}

#[test]
fn shutdown_command_logs_no_goodbye() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"SHUTDOWN\r\n");
    let logs: Vec<&str> = out
        .iter()
        .filter_map(|o| match o {
            Output::Log { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(logs, ["User requested shutdown..."]);
    assert!(out.contains(&Output::Shutdown));
}
