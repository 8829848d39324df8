//! A real `hashslot-node` started with `aclfile` and recording its inputs
//! (`--hashslot-record-file`) replays without divergence: the ACL file read at startup, ACL LOAD
//! (a good file, a bad file, a file changed behind the node's back) and ACL SAVE reach the node
//! as recorded inputs (`acl file at startup`, `acl file read`, `acl file saved`), so the replay
//! sees the same users and gives the same replies.
// A process test: it reads the wall clock for deadlines and polls with short sleeps.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::{Duration, Instant};

use hashslot::sim::replay::{EndReason, Replay};
use support::{unique_dir, Flavor, Server};

#[test]
fn a_recorded_node_with_an_aclfile_replays_without_divergence() {
    let files = unique_dir("record-aclfile");
    let acl = files.join("users.acl");
    let rec = files.join("node.hsrec");
    std::fs::write(
        &acl,
        "user default on nopass ~* &* +@all\nuser alice on >pw ~a* +get +set\n",
    )
    .unwrap();
    let mut node = Server::start(
        Flavor::Node,
        &[
            "--aclfile",
            acl.to_str().unwrap(),
            "--hashslot-record-file",
            rec.to_str().unwrap(),
        ],
    );
    let mut c = node.connect();
    let mut alice = node.connect();
    let expect = |c: &mut support::Client, args: &[&str], want: &[u8]| {
        let got = c.cmd(args);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "{args:?}"
        );
    };
    // Users from the file read at startup.
    expect(&mut alice, &["AUTH", "alice", "pw"], b"+OK\r\n");
    expect(&mut alice, &["SET", "a1", "v"], b"+OK\r\n");
    expect(
        &mut c,
        &["ACL", "SETUSER", "bob", "on", ">x", "~*", "+@all"],
        b"+OK\r\n",
    );
    expect(&mut c, &["ACL", "SAVE"], b"+OK\r\n");
    let saved = std::fs::read_to_string(&acl).unwrap();
    assert!(saved.contains("user bob on"), "{saved}");
    // Changed behind the node's back: LOAD picks it up, alice's connection is closed.
    std::fs::write(
        &acl,
        "user default on nopass ~* &* +@all\nuser carol on nopass +@all\n",
    )
    .unwrap();
    expect(&mut c, &["ACL", "LOAD"], b"+OK\r\n");
    expect(
        &mut c,
        &["ACL", "USERS"],
        b"*2\r\n$5\r\ncarol\r\n$7\r\ndefault\r\n",
    );
    // A bad file is refused and changes nothing.
    std::fs::write(&acl, "user carol on +nosuchcommand\n").unwrap();
    let bad = c.cmd(&["ACL", "LOAD"]);
    assert!(
        bad.starts_with(b"-ERR"),
        "{}",
        String::from_utf8_lossy(&bad)
    );
    std::fs::remove_file(&acl).unwrap();
    let missing = c.cmd(&["ACL", "LOAD"]);
    assert!(
        String::from_utf8_lossy(&missing).contains("No such file or directory"),
        "{}",
        String::from_utf8_lossy(&missing)
    );
    expect(&mut c, &["ACL", "SAVE"], b"+OK\r\n");
    expect(&mut c, &["ACL", "WHOAMI"], b"$7\r\ndefault\r\n");
    drop(alice);
    drop(c);

    // Stop it the way an operator does; the log ends with its marker.
    hashslot::server::supervise::terminate(node.pid()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.is_alive() {
        assert!(Instant::now() < deadline, "the node ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }

    let log = std::fs::read(&rec).expect("the log exists");
    let mut replay = Replay::new(&log[..]).expect("the header reads");
    let mut kinds = std::collections::BTreeMap::<String, u64>::new();
    let mut steps = 0u64;
    loop {
        match replay.step() {
            Ok(Some(step)) => {
                steps += 1;
                let kind: String = step
                    .input
                    .split([' ', '('])
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ");
                *kinds.entry(kind).or_default() += 1;
            }
            Ok(None) => break,
            Err(e) => panic!("replay failed after {steps} inputs: {e}\ninputs so far: {kinds:?}"),
        }
    }
    for (kind, n) in [
        ("acl file at", 1),
        ("acl file read", 3),
        ("acl file saved", 2),
    ] {
        assert_eq!(kinds.get(kind), Some(&n), "{kind:?} inputs: {kinds:?}");
    }
    let report = Replay::new(&log[..]).unwrap().run().expect("no divergence");
    assert_eq!(report.inputs, steps);
    assert_eq!(report.checked, steps, "{report}");
    assert_eq!(report.end, Some(EndReason::Closed));
    let _ = std::fs::remove_dir_all(&files);
}
