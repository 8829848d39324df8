//! `CLUSTER MIGRATESLOTS` moves 500 slots with their keys from one of our masters to
//! another, by itself (no redis-cli), while a cluster client keeps writing and reading:
//! `STATUS` reports the job running then done, the target owns the slots in every node's view
//! with none left open, no key is lost or found twice, every value is the last one written, and
//! every error the client saw was a redirect (MOVED/ASK) or TRYAGAIN it followed.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;
mod migrate_support;

use std::time::{Duration, Instant};

use cluster_support::{
    all_logs, create_cluster, have_tools, plain, redis_cli, start_nodes, wait_agree, wait_for,
    wait_state_ok, Kind, Reply, TempDir, NODE_TIMEOUT_MS,
};
use migrate_support::{assert_each_key_once, run_all, slot_tags, status_field, Load};

const SLOTS: u16 = 500;
const PER_SLOT: usize = 3;

#[test]
fn migrateslots_moves_slots_under_load() {
    if Kind::Ours.program() == std::path::Path::new("redis-server") {
        // Redis 7.0 has no CLUSTER MIGRATESLOTS.
        return;
    }
    let root = TempDir::new("migrateslots-load");
    let nodes = start_nodes(Kind::Ours, 3, &root.0, NODE_TIMEOUT_MS);
    create_cluster(&nodes, 3);
    let (src, dst) = (&nodes[0], &nodes[1]);
    let tags = slot_tags();
    let mut data = Vec::new();
    for slot in 0..SLOTS {
        for j in 0..PER_SLOT {
            let k = format!("{{{}}}:k{j}", tags[slot as usize]);
            data.push(vec!["SET".to_string(), k.clone(), format!("value-{k}")]);
        }
    }
    run_all(src.port, &data);

    // The load's keys: half in the slots that move (so it meets ASK), half anywhere.
    let mut names: Vec<String> = (0..SLOTS)
        .step_by(4)
        .map(|s| format!("{{{}}}:load", tags[s as usize]))
        .collect();
    names.extend((0..names.len()).map(|i| format!("load:{i}")));
    let load = Load::start_on(src.port, names);
    std::thread::sleep(Duration::from_millis(200));
    let dst_id = dst.myid();
    let started = Instant::now();
    let end = (SLOTS - 1).to_string();
    let r = src.cmd(&[
        "CLUSTER",
        "MIGRATESLOTS",
        "SLOTSRANGE",
        "0",
        &end,
        "NODE",
        &dst_id,
        "BATCH",
        "50",
    ]);
    assert_eq!(r, Reply::Status("OK".into()));
    let state = wait_for(
        "the job to end",
        Duration::from_secs(120),
        || match status_field(src.port, "state").as_deref() {
            Some("running") => Err("running".into()),
            Some(s) => Ok(s.to_string()),
            None => Err("no STATUS".into()),
        },
    );
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    let res = load.stop();
    assert_eq!(
        state,
        "done",
        "error: {:?}\n{}",
        status_field(src.port, "last_error"),
        all_logs(&nodes)
    );
    assert_eq!(
        status_field(src.port, "slots_done"),
        Some(SLOTS.to_string())
    );
    assert!(
        res.problems.is_empty(),
        "load problems: {:#?}",
        res.problems
    );
    eprintln!(
        "MIGRATESLOTS of {SLOTS} slots ({} data keys + load keys): {:.2} s; STATUS keys_moved {:?}; \
         load: {} ops, {} MOVED, {} ASK, {} TRYAGAIN",
        data.len(),
        took.as_secs_f64(),
        status_field(src.port, "keys_moved"),
        res.ops,
        res.moved,
        res.ask,
        res.tryagain
    );

    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    for n in &nodes {
        let lines = n.nodes();
        let t = lines.iter().find(|l| l.id == dst_id).unwrap();
        assert!(
            t.slots.iter().any(|s| s == &format!("0-{end}")),
            "{}: {t:?}",
            n.port
        );
        for l in &lines {
            assert!(l.slots.iter().all(|s| !s.starts_with('[')), "{l:?}");
        }
    }
    // Every key once, with its value.
    assert_each_key_once(&nodes, src.port, &data, &res.model);
    if have_tools(&["redis-cli"]) {
        let run = redis_cli(&["--cluster", "check", &src.addr()], within);
        let out = plain(&run.stdout);
        assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
        assert!(
            !out.contains("[WARNING]") && !out.contains("[ERR]"),
            "{out}"
        );
    }
}
