//! SIGTERM stops a node in order: it exits 0, says goodbye and removes its pidfile.
mod common;

use common::*;

#[test]
fn sigterm_exits_cleanly_and_removes_pidfile() {
    let dir = Scratch::new("sigterm");
    let port = free_port();
    let pidfile = dir.path("node.pid");
    let args = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--pidfile",
        pidfile.to_str().unwrap(),
    ];
    let mut node = NodeProcess::spawn(&args, &dir.0);
    let _conn = connect(port);
    // Redis writes the pidfile just after it starts listening.
    wait_for("the pidfile", || pidfile.exists().then_some(()));
    signal(node.pid(), "TERM");
    let status = node.wait_exit();
    let (out, _) = node.output();
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(!pidfile.exists(), "pidfile removed");
    assert!(
        out.contains("Received SIGTERM scheduling shutdown..."),
        "{out}"
    );
    assert!(out.contains("bye bye"), "{out}");
}
