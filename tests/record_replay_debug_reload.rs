//! A real `hashslot-node` recording its inputs (`--hashslot-record-file`) replays DEBUG
//! RELOAD NOSAVE without divergence: the RDB file the driver reads for it (present, then
//! missing) reaches the node as a recorded input (`rdb file read`), so the replay loads the
//! same data and gives the same replies instead of leaving the client waiting.
// A process test: it reads the wall clock for deadlines and polls with short sleeps.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::{Duration, Instant};

use hashslot::sim::replay::{EndReason, Replay};
use support::{unique_dir, Flavor, Server};

#[test]
fn a_recorded_debug_reload_nosave_replays_without_divergence() {
    let files = unique_dir("record-debug-reload");
    let rec = files.join("node.hsrec");
    let dir = files.join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let mut node = Server::start(
        Flavor::Node,
        &[
            "--dir",
            dir.to_str().unwrap(),
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--hashslot-record-file",
            rec.to_str().unwrap(),
        ],
    );
    let mut c = node.connect();
    let mut expect = |args: &[&str], want: &[u8]| {
        let got = c.cmd(args);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "{args:?}"
        );
    };
    expect(&["SET", "kept", "1"], b"+OK\r\n");
    expect(&["SAVE"], b"+OK\r\n");
    // Written after the save: NOSAVE loads the file, so this key goes.
    expect(&["SET", "lost", "2"], b"+OK\r\n");
    expect(&["DEBUG", "RELOAD", "NOSAVE"], b"+OK\r\n");
    expect(&["GET", "kept"], b"$1\r\n1\r\n");
    expect(&["EXISTS", "lost"], b":0\r\n");
    // The file gone: Redis's error, and the dataset emptied first.
    std::fs::remove_file(dir.join("dump.rdb")).unwrap();
    expect(
        &["DEBUG", "RELOAD", "NOSAVE"],
        b"-ERR Error trying to load the RDB dump\r\n",
    );
    expect(&["DBSIZE"], b":0\r\n");
    drop(c);

    hashslot::server::supervise::terminate(node.pid()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.is_alive() {
        assert!(Instant::now() < deadline, "the node ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }

    let log = std::fs::read(&rec).expect("the log exists");
    let mut replay = Replay::new(&log[..]).expect("the header reads");
    let mut reads = 0u64;
    let mut steps = 0u64;
    loop {
        match replay.step() {
            Ok(Some(step)) => {
                steps += 1;
                reads += u64::from(step.input.starts_with("rdb file read"));
            }
            Ok(None) => break,
            Err(e) => panic!("replay failed after {steps} inputs: {e}"),
        }
    }
    assert_eq!(reads, 2, "one recorded read per DEBUG RELOAD NOSAVE");
    let report = Replay::new(&log[..]).unwrap().run().expect("no divergence");
    assert_eq!(report.inputs, steps);
    assert_eq!(report.checked, steps, "{report}");
    assert_eq!(report.end, Some(EndReason::Closed));
    let _ = std::fs::remove_dir_all(&files);
}
