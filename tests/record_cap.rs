//! `hashslot-record-max-bytes` bounds the record log: at the cap the log is ended cleanly,
//! recording stops with one warning, the node keeps serving, and what was recorded replays.
// A process test: it reads the wall clock for deadlines and polls with short sleeps.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::{Duration, Instant};

use hashslot::sim::replay::{EndReason, Replay};
use support::{Flavor, Server};

const CAP: u64 = 8192;

#[test]
fn recording_stops_at_the_cap_and_the_node_runs_on() {
    let cap = CAP.to_string();
    let server = Server::start(
        Flavor::Node,
        &[
            "--hashslot-record-file",
            "capped.hsrec",
            "--hashslot-record-max-bytes",
            &cap,
        ],
    );
    let mut c = server.connect();
    // Well past the cap: each request is ~100 bytes of log.
    let value = "x".repeat(64);
    for i in 0..300 {
        let reply = c.cmd(&["SET", &format!("key:{i}"), &value]);
        assert_eq!(reply, b"+OK\r\n", "request {i}");
    }
    assert_eq!(c.cmd(&["DBSIZE"]), b":300\r\n");

    let path = server.dir().join("capped.hsrec");
    let warning = "Recording stopped (hashslot-record-max-bytes reached)";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.logs().contains(warning) {
        assert!(Instant::now() < deadline, "no warning\n{}", server.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.logs().matches(warning).count(),
        1,
        "{}",
        server.logs()
    );
    let log = std::fs::read(&path).unwrap();
    assert!(log.len() as u64 <= CAP, "{} bytes", log.len());

    let report = Replay::new(&log[..]).unwrap().run().expect("replays");
    assert_eq!(report.end, Some(EndReason::CapReached), "{report}");
    assert_eq!(report.checked, report.inputs, "{report}");
    assert!(report.inputs > 10, "{report}");
}
