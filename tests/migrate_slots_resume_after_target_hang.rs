//! A `CLUSTER MIGRATESLOTS` job whose target stops answering mid-way (SIGSTOP for longer than
//! the job's TIMEOUT) stops with the error in `STATUS`, leaving the slot in progress MIGRATING
//! on the source and IMPORTING on the target (what `redis-cli --cluster fix` repairs), every
//! key still readable through redirects; the same command again skips the slots already moved and
//! finishes the rest: then every key is on the target exactly once, with its value. A client
//! keeps writing and reading throughout and sees only redirects it can follow.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;
mod migrate_support;

use std::time::Duration;

use cluster_support::{
    all_logs, create_cluster, start_nodes, wait_agree, wait_for, wait_state_ok, Kind, Reply,
    TempDir, NODE_TIMEOUT_MS,
};
use migrate_support::cut_job::{cut_by_target_hang, fill_slots, open_marks, start_job};
use migrate_support::{assert_each_key_once, status_field, ClusterClient, Load};

const SLOTS: u16 = 100;
const PER_SLOT: usize = 40;

#[test]
fn migrateslots_resumes_after_the_target_hung() {
    if Kind::Ours.program() == std::path::Path::new("redis-server") {
        return; // Redis 7.0 has no CLUSTER MIGRATESLOTS.
    }
    let root = TempDir::new("migrateslots-resume");
    let nodes = start_nodes(Kind::Ours, 2, &root.0, NODE_TIMEOUT_MS);
    create_cluster(&nodes, 2);
    let (src, dst) = (&nodes[0], &nodes[1]);
    let data = fill_slots(src, SLOTS, PER_SLOT);
    let load = Load::start(src.port, 200);
    let done = cut_by_target_hang(src, dst, SLOTS);
    // Every key is still readable (ASK for the moved ones).
    let mut c = ClusterClient::new(src.port);
    for cmd in data.iter().step_by(7) {
        let r = c.keyed(&["GET", &cmd[1]]).unwrap();
        assert_eq!(
            r,
            Reply::Bulk(Some(cmd[2].clone().into_bytes())),
            "{}",
            cmd[1]
        );
    }

    // The same command again: the finished slots are skipped, the rest move.
    assert_eq!(start_job(src, dst, SLOTS), Reply::Status("OK".into()));
    let state = wait_for(
        "the retry to end",
        Duration::from_secs(120),
        || match status_field(src.port, "state").as_deref() {
            Some("running") => Err("running".into()),
            Some(s) => Ok(s.to_string()),
            None => Err("no STATUS".into()),
        },
    );
    assert_eq!(
        state,
        "done",
        "{:?}\n{}",
        status_field(src.port, "last_error"),
        all_logs(&nodes)
    );
    // The slot in progress may already be the target's: it took `SETSLOT NODE` just before it
    // was stopped and the reply never reached the source. The retry then skips it too.
    let skipped = status_field(src.port, "slots_skipped");
    assert!(
        [done, done + 1]
            .iter()
            .any(|d| skipped == Some(d.to_string())),
        "skipped {skipped:?}, {done} slots done before the cut"
    );
    let res = load.stop();
    assert!(
        res.problems.is_empty(),
        "load problems: {:#?}",
        res.problems
    );

    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    assert!(open_marks(src).is_empty() && open_marks(dst).is_empty());
    for slot in 0..SLOTS {
        let s = slot.to_string();
        assert_eq!(
            src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]),
            Reply::Int(0),
            "slot {slot} on the source"
        );
    }
    assert_each_key_once(&nodes, src.port, &data, &res.model);
}
