//! dump.rdb both ways, every type: our node's SAVE and BGSAVE files pass `redis-check-rdb` and
//! redis-server started on them holds exactly our data; our node started on the dump.rdb
//! redis-server wrote holds exactly Redis's data.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use persistence_support::{assert_same, fill_varied, ok, run_tool, snapshot, spawn};
use support::{require_tool, unique_dir, Flavor};

const NO_AOF: &[&str] = &["--save", "", "--appendonly", "no"];

#[test]
fn our_dump_rdb_is_redis_data_and_theirs_is_ours() {
    let (Some(redis), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-rdb"),
    ) else {
        return;
    };
    let _ = redis;
    // Ours → redis-check-rdb → redis-server, for SAVE and for BGSAVE.
    for save in ["SAVE", "BGSAVE"] {
        let dir = unique_dir("rdb-ours");
        let p = spawn(Flavor::Node, &dir, NO_AOF);
        let mut c = p.client();
        fill_varied(&mut c);
        let want = snapshot(&mut c, 3);
        assert_eq!(want.len(), 121, "the dataset");
        ok(&mut c, &[save]);
        if save == "BGSAVE" {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while !String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).contains("rdb_saves:1")
            {
                assert!(std::time::Instant::now() < deadline, "BGSAVE never ended");
                std::thread::sleep(std::time::Duration::from_millis(20)); // polling interval
            }
        }
        p.shutdown("NOSAVE");
        let (good, text) = run_tool(&check, &[&dir.join("dump.rdb")]);
        assert!(good && text.contains("RDB looks OK"), "{save}: {text}");
        let r = spawn(Flavor::Redis, &dir, NO_AOF);
        assert_same(save, &snapshot(&mut r.client(), 3), &want);
        drop(r);
        let _ = std::fs::remove_dir_all(&dir);
    }
    // Theirs → ours.
    let dir = unique_dir("rdb-theirs");
    let r = spawn(Flavor::Redis, &dir, NO_AOF);
    let mut c = r.client();
    fill_varied(&mut c);
    let want = snapshot(&mut c, 3);
    ok(&mut c, &["SAVE"]);
    drop(r);
    let p = spawn(Flavor::Node, &dir, NO_AOF);
    assert_same("redis's dump.rdb", &snapshot(&mut p.client(), 3), &want);
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}
