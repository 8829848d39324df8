//! A `CLUSTER MIGRATESLOTS` job cut mid-way (the target hangs longer than the job's TIMEOUT)
//! leaves exactly what a killed `redis-cli --cluster reshard` leaves — the slot in progress
//! MIGRATING on the source and IMPORTING on the target, some keys possibly on both sides — and
//! `redis-cli --cluster fix` repairs it with no key lost or left on both sides.
//! (The job's own retry is `migrate_slots_resume_after_target_hang`.)
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;
mod migrate_support;

use std::time::Duration;

use cluster_support::{
    all_logs, create_cluster, have_tools, plain, redis_cli, start_nodes, wait_agree, wait_state_ok,
    Kind, Reply, TempDir, NODE_TIMEOUT_MS,
};
use migrate_support::cut_job::{cut_by_target_hang, fill_slots, open_marks};
use migrate_support::ClusterClient;

const SLOTS: u16 = 100;
const PER_SLOT: usize = 40;

#[test]
fn redis_cli_fix_finishes_a_cut_migrateslots_job() {
    if Kind::Ours.program() == std::path::Path::new("redis-server") || !have_tools(&["redis-cli"]) {
        return; // Redis 7.0 has no CLUSTER MIGRATESLOTS.
    }
    let root = TempDir::new("migrateslots-fix");
    let nodes = start_nodes(Kind::Ours, 2, &root.0, NODE_TIMEOUT_MS);
    create_cluster(&nodes, 2);
    let (src, dst) = (&nodes[0], &nodes[1]);
    let data = fill_slots(src, SLOTS, PER_SLOT);
    cut_by_target_hang(src, dst, SLOTS);
    // With keys on both sides redis-cli compares their values with DEBUG DIGEST-VALUE (the
    // nodes run with `enable-debug-command local`) and, finding them equal, moves the slot on;
    // no `--cluster-replace`, which would skip that check.
    let run = redis_cli(
        &["--cluster", "fix", &src.addr(), "--cluster-yes"],
        Duration::from_secs(120),
    );
    if run.success != Some(true) {
        panic!(
            "fix failed\n{}\n{}\n{}",
            plain(&run.stdout),
            run.stderr,
            all_logs(&nodes)
        );
    }
    // When copies were found on both sides, fix compared their digests and found them equal
    // (a digest mismatch or a failed DEBUG would have stopped it before "Replacing").
    let fix_out = plain(&run.stdout);
    if fix_out.contains("*** Target key exists") {
        assert!(
            fix_out.contains("*** Checking key values on both nodes...")
                && fix_out.contains("*** Replacing target keys..."),
            "{fix_out}"
        );
        eprintln!("fix compared the values of keys found on both sides");
    }
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    assert!(open_marks(src).is_empty() && open_marks(dst).is_empty());
    let check = redis_cli(&["--cluster", "check", &src.addr()], within);
    let out = plain(&check.stdout);
    assert!(
        out.contains("[OK] All 16384 slots covered.") && !out.contains("[WARNING]"),
        "{out}"
    );
    // Every key once, with its value, wherever fix put the open slot.
    let mut c = ClusterClient::new(src.port);
    for cmd in &data {
        let r = c.keyed(&["GET", &cmd[1]]).unwrap();
        assert_eq!(
            r,
            Reply::Bulk(Some(cmd[2].clone().into_bytes())),
            "{}",
            cmd[1]
        );
    }
    let total: i64 = nodes
        .iter()
        .map(|n| match n.cmd(&["DBSIZE"]) {
            Reply::Int(k) => k,
            r => panic!("{r:?}"),
        })
        .sum();
    assert_eq!(total as usize, data.len(), "a key on both sides");
}
