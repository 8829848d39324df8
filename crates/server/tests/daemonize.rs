//! `daemonize yes` with `pidfile` and `logfile`: the parent exits 0 at once, the daemon writes
//! its pid and its log where configured (relative to `dir`) and serves clients.
mod common;

use common::*;

#[test]
fn daemon_writes_pidfile_and_logfile_and_serves() {
    let dir = Scratch::new("daemonize");
    let port = free_port();
    let conf = dir.path("node.conf");
    std::fs::write(
        &conf,
        format!(
            "# a daemon\nport {port}\nbind 127.0.0.1\ndaemonize yes\ndir \"{}\"\n\
             pidfile node.pid\nlogfile node.log\n",
            dir.0.display()
        ),
    )
    .unwrap();
    let mut node = NodeProcess::spawn(&[conf.to_str().unwrap()], &std::env::temp_dir());
    let status = node.wait_exit();
    assert!(
        status.success(),
        "the parent exits 0: {status:?} {:?}",
        node.output()
    );

    let pid: u32 = wait_for("the pidfile", || {
        let text = std::fs::read_to_string(dir.path("node.pid")).ok()?;
        text.strip_suffix('\n')?.parse().ok()
    });
    node.daemon_pid = Some(pid);
    assert!(alive(pid));
    assert_ne!(
        Some(pid),
        node.child.as_ref().map(|c| c.id()),
        "the daemon is a new process"
    );

    let mut conn = connect(port);
    expect_reply(&mut conn, b"PING\r\n", b"+PONG\r\n");
    let log = wait_for("the ready line in the log", || {
        let log = std::fs::read_to_string(dir.path("node.log")).ok()?;
        log.contains("Ready to accept connections").then_some(log)
    });
    // Redis's line shape: `<pid>:M <date> <mark> <message>`.
    let first = log.lines().next().unwrap();
    assert!(first.starts_with(&format!("{pid}:M ")), "{first}");

    signal(pid, "TERM");
    wait_for("the daemon to exit", || (!alive(pid)).then_some(()));
    assert!(
        !dir.path("node.pid").exists(),
        "pidfile removed at shutdown"
    );
}
