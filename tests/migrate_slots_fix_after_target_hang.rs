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
    all_logs, create_cluster, have_tools, plain, redis_cli, start_nodes, wait_agree, wait_for,
    wait_state_ok, Kind, Node, Reply, TempDir, NODE_TIMEOUT_MS,
};
use migrate_support::{run_all, slot_tags, status_field, ClusterClient};

const SLOTS: u16 = 100;
const PER_SLOT: usize = 40;

fn open_marks(n: &Node) -> Vec<String> {
    n.nodes()
        .into_iter()
        .find(|l| l.has("myself"))
        .unwrap()
        .slots
        .into_iter()
        .filter(|s| s.starts_with('['))
        .collect()
}

#[test]
fn redis_cli_fix_finishes_a_cut_migrateslots_job() {
    if Kind::Ours.program() == std::path::Path::new("redis-server") || !have_tools(&["redis-cli"]) {
        return; // Redis 7.0 has no CLUSTER MIGRATESLOTS.
    }
    let root = TempDir::new("migrateslots-fix");
    let nodes = start_nodes(Kind::Ours, 2, &root.0, NODE_TIMEOUT_MS);
    create_cluster(&nodes, 2);
    let (src, dst) = (&nodes[0], &nodes[1]);
    let (src_id, dst_id) = (src.myid(), dst.myid());
    let tags = slot_tags();
    let mut data = Vec::new();
    for slot in 0..SLOTS {
        for j in 0..PER_SLOT {
            let k = format!("{{{}}}:k{j}", tags[slot as usize]);
            data.push(vec!["SET".to_string(), k, format!("value-{slot}-{j}")]);
        }
    }
    run_all(src.port, &data);

    let end = (SLOTS - 1).to_string();
    let migrate = [
        "CLUSTER",
        "MIGRATESLOTS",
        "SLOTSRANGE",
        "0",
        &end,
        "NODE",
        &dst_id,
        "BATCH",
        "5",
        "TIMEOUT",
        "1000",
    ];
    assert_eq!(src.cmd(&migrate), Reply::Status("OK".into()));
    wait_for("some keys moved", Duration::from_secs(60), || {
        let moved: u64 = status_field(src.port, "keys_moved")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if moved >= 200 {
            Ok(())
        } else {
            Err(format!("{moved} moved"))
        }
    });
    // The target hangs (SIGSTOP) longer than the job's TIMEOUT: the job gives up. Once the
    // target runs again it executes the RESTOREs it had read: copies of keys the source kept.
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &dst.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    let failed = wait_for(
        "the job to fail",
        Duration::from_secs(30),
        || match status_field(src.port, "state").as_deref() {
            Some("running") => Err("running".into()),
            Some(s) => Ok(s.to_string()),
            None => Err("no STATUS".into()),
        },
    );
    signal("-CONT");
    assert_eq!(failed, "failed");
    let error = status_field(src.port, "last_error").unwrap_or_default();
    assert!(error.contains("IOERR"), "{error}");
    let done: u16 = status_field(src.port, "slots_done")
        .unwrap()
        .parse()
        .unwrap();
    assert!(done < SLOTS - 1, "the job finished before it was cut");
    // Open and consistent: at most the slot in progress and the next one (when the target's
    // reply to `NODE s` + `IMPORTING s+1` was lost), MIGRATING here towards the target and
    // IMPORTING there from here (or already the target's).
    let here = open_marks(src);
    let there = open_marks(dst);
    assert!(!here.is_empty() || !there.is_empty(), "no open slot");
    for m in &here {
        let ok = [done, done + 1]
            .iter()
            .any(|s| *m == format!("[{s}->-{dst_id}]"));
        assert!(ok, "source shows {m} (slot {done} in progress)");
    }
    for m in &there {
        let ok = [done, done + 1]
            .iter()
            .any(|s| *m == format!("[{s}-<-{src_id}]"));
        assert!(ok, "target shows {m} (slot {done} in progress)");
    }
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
