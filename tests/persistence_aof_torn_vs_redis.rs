//! A torn AOF tail, side by side with redis-server: for cuts around every record boundary of a
//! small incr file (one with a MULTI/EXEC block), redis-server and our node are started on the
//! same appendonly dir with `aof-load-truncated yes` and `no`. Both must agree on whether they
//! start and, when they do, on the data; when they refuse, the files are left byte for byte.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use persistence_support::{snapshot, try_spawn};
use support::{encode_command, require_tool, unique_dir, Flavor};

fn records() -> Vec<Vec<u8>> {
    let cmds: &[&[&str]] = &[
        &["SELECT", "0"],
        &["SET", "a", "1"],
        &["MULTI"],
        &["SET", "b", "2"],
        &["INCR", "a"],
        &["EXEC"],
        &["RPUSH", "l", "x", "y"],
        &["SET", "c", "3"],
    ];
    cmds.iter().map(|c| encode_command(c)).collect()
}

/// Start `flavor` on a fresh dir holding a manifest and `incr`: `Some(data)` when it serves,
/// `None` when it exits (then the files must be as they were).
fn outcome(
    flavor: Flavor,
    incr: &[u8],
    truncated_ok: bool,
) -> Option<persistence_support::Snapshot> {
    let dir = unique_dir("torn");
    let aof = dir.join("appendonlydir");
    std::fs::create_dir_all(&aof).unwrap();
    let manifest = b"file appendonly.aof.1.incr.aof seq 1 type i\n".to_vec();
    std::fs::write(aof.join("appendonly.aof.manifest"), &manifest).unwrap();
    std::fs::write(aof.join("appendonly.aof.1.incr.aof"), incr).unwrap();
    let yes = if truncated_ok { "yes" } else { "no" };
    let args = [
        "--save",
        "",
        "--appendonly",
        "yes",
        "--aof-load-truncated",
        yes,
    ];
    let r = match try_spawn(flavor, &dir, &args) {
        Ok(p) => {
            let s = snapshot(&mut p.client(), 1);
            drop(p);
            Some(s)
        }
        Err(log) => {
            assert!(
                log.contains("Unexpected end of file reading the append only file"),
                "{}: {log}",
                flavor.label()
            );
            assert_eq!(
                std::fs::read(aof.join("appendonly.aof.1.incr.aof")).unwrap(),
                incr,
                "{}: the refused file was changed",
                flavor.label()
            );
            assert_eq!(
                std::fs::read(aof.join("appendonly.aof.manifest")).unwrap(),
                manifest
            );
            None
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[test]
fn torn_tails_load_as_redis_loads_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let recs = records();
    let file: Vec<u8> = recs.concat();
    let mut cuts = vec![1, file.len()];
    let mut end = 0;
    for r in &recs {
        end += r.len();
        cuts.extend([end - 1, end, end + 3]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.retain(|&c| c <= file.len());
    for cut in cuts {
        for truncated_ok in [true, false] {
            let theirs = outcome(Flavor::Redis, &file[..cut], truncated_ok);
            let ours = outcome(Flavor::Node, &file[..cut], truncated_ok);
            assert_eq!(ours, theirs, "cut {cut}, aof-load-truncated {truncated_ok}");
        }
    }
}
