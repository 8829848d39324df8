//! A SIGTERM from the driver takes SHUTDOWN's path: the node logs `User requested shutdown...`
//! (the driver logs the signal line, and the goodbye after removing the pidfile), runs no
//! further commands, and emits `Output::Shutdown` — at once without save points, after the final
//! RDB save completes with them.
mod common;
use common::*;
use hashslot_node::{Config, Output};

/// A node with no save points (`save ""`), so shutdown needs no final save.
fn no_save_points() -> Harness {
    let mut config = Config::default();
    config.apply_startup("save", &[Vec::new()]).unwrap();
    Harness::with_config(config)
}

fn logs(out: &[Output]) -> Vec<&str> {
    out.iter()
        .filter_map(|o| match o {
            Output::Log { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn signal_shuts_down() {
    let mut h = no_save_points();
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
    let mut h = no_save_points();
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

#[test]
fn with_save_points_the_final_save_comes_first() {
    // Redis's default config has save points: SHUTDOWN saves, and exits only once the save is
    // on disk.
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"SHUTDOWN\r\n");
    assert_eq!(
        logs(&out),
        [
            "User requested shutdown...",
            "Saving the final RDB snapshot before exiting."
        ]
    );
    assert!(
        !out.contains(&Output::Shutdown),
        "not before the save completes"
    );
    let commit = out.iter().find_map(|o| match o {
        Output::FileCommit { token, .. } => Some(*token),
        _ => None,
    });
    let token = commit.expect("the final save commits a file");
    h.node.handle_persist_done(h.now, token, Ok(()));
    let mut after = Vec::new();
    while let Some(o) = h.node.poll_output() {
        after.push(o);
    }
    assert!(after.contains(&Output::Shutdown));
}
