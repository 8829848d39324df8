//! A bad directive stops startup with exit code 1 and Redis's fatal report naming the line.
mod common;

use common::*;

const HEADER: &str = "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n";

#[test]
fn bad_directive_in_file_is_fatal_with_its_line() {
    let dir = Scratch::new("bad-directive");
    let conf = dir.path("node.conf");
    std::fs::write(&conf, "# comment\n\nport 0\nno-such-directive 1 \"two\"\n").unwrap();
    let mut node = NodeProcess::spawn(&[conf.to_str().unwrap()], &dir.0);
    let status = node.wait_exit();
    let (_, err) = node.output();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.starts_with(HEADER), "{err}");
    assert!(
        err.contains("Reading the configuration file, at line 4 (in '"),
        "{err}"
    );
    assert!(
        err.contains("node.conf')\n>>> 'no-such-directive 1 \"two\"'\n"),
        "{err}"
    );
    assert!(
        err.ends_with("\nBad directive or wrong number of arguments\n"),
        "{err}"
    );
}

#[test]
fn bad_option_on_command_line_is_fatal() {
    let dir = Scratch::new("bad-option");
    let mut node = NodeProcess::spawn(&["--port", "1", "--no-such-directive", "x"], &dir.0);
    let status = node.wait_exit();
    let (_, err) = node.output();
    assert_eq!(status.code(), Some(1), "{err}");
    // As Redis: options follow an empty first line, values quoted back.
    assert!(err.contains("at line 3 (from the command line)\n"), "{err}");
    assert!(err.contains(">>> 'no-such-directive \"x\"'\n"), "{err}");
}

#[test]
fn unbalanced_quotes_are_fatal() {
    let dir = Scratch::new("unbalanced");
    let conf = dir.path("node.conf");
    std::fs::write(&conf, "requirepass \"open\n").unwrap();
    let mut node = NodeProcess::spawn(&[conf.to_str().unwrap()], &dir.0);
    assert_eq!(node.wait_exit().code(), Some(1));
    let (_, err) = node.output();
    assert!(err.contains("at line 1 (in '"), "{err}");
    assert!(
        err.ends_with("\nUnbalanced quotes in configuration line\n"),
        "{err}"
    );
}
