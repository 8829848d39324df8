//! A `CLUSTER MIGRATESLOTS` job cut half-way by a hung target, shared by the tests that then
//! finish it (by a retry of the command, or by `redis-cli --cluster fix`).

use std::time::Duration;

use crate::cluster_support::{wait_for, Node, Reply};

use super::{run_all, slot_tags, status_field};

/// The slots `0..slots` filled with `per_slot` string keys each, written on `src`; the SET
/// commands, for the caller's checks.
pub fn fill_slots(src: &Node, slots: u16, per_slot: usize) -> Vec<Vec<String>> {
    let tags = slot_tags();
    let mut data = Vec::new();
    for slot in 0..slots {
        for j in 0..per_slot {
            let k = format!("{{{}}}:k{j}", tags[slot as usize]);
            data.push(vec!["SET".to_string(), k, format!("value-{slot}-{j}")]);
        }
    }
    run_all(src.port, &data);
    data
}

/// The slot markers (`[s->-id]`, `[s-<-id]`) node `n` shows for itself.
pub fn open_marks(n: &Node) -> Vec<String> {
    n.nodes()
        .into_iter()
        .find(|l| l.has("myself"))
        .unwrap()
        .slots
        .into_iter()
        .filter(|s| s.starts_with('['))
        .collect()
}

/// Send `CLUSTER MIGRATESLOTS SLOTSRANGE 0 <slots-1> NODE <dst> BATCH 5 TIMEOUT 1000` to
/// `src` (small batches, so a fault finds the job under way); its reply.
pub fn start_job(src: &Node, dst: &Node, slots: u16) -> Reply {
    let dst_id = dst.myid();
    let end = (slots - 1).to_string();
    src.cmd(&[
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
    ])
}

/// Start `CLUSTER MIGRATESLOTS 0..slots` from `src` to `dst` (small batches), let it move
/// 200 keys, then hang the target (SIGSTOP) longer than the job's TIMEOUT so the job fails
/// with IOERR; resume the target (it then runs the RESTOREs it had read: copies of keys the
/// source kept). Checks the slots are open consistently — at most the slot in progress and
/// the next one (when the target's reply to `NODE s` + `IMPORTING s+1` was lost), MIGRATING
/// on the source towards the target and IMPORTING on the target from the source — and
/// returns the job's `slots_done`.
pub fn cut_by_target_hang(src: &Node, dst: &Node, slots: u16) -> u16 {
    let (src_id, dst_id) = (src.myid(), dst.myid());
    assert_eq!(start_job(src, dst, slots), Reply::Status("OK".into()));
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
    assert!(done < slots - 1, "the job finished before it was cut");
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
    done
}
