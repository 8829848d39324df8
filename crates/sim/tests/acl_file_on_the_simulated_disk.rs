//! ACL LOAD and ACL SAVE on a simulated node (`aclfile` set) are answered by the host's disk
//! (crates/sim/src/disk.rs): LOAD of a missing file is refused with the OS error, SAVE writes
//! the file the running process then reads back with LOAD (and the platter gets it once
//! written back), and a failing disk refuses SAVE leaving the old file. The client is answered
//! each time (without the host's answer it would wait forever).

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

fn ok(r: &Result<Frame, String>) -> bool {
    matches!(r, Ok(Frame::Simple(s)) if s == "OK")
}

/// The user names in ACL LIST's lines (`user <name> …`).
fn users(sim: &mut Sim) -> Result<Vec<String>, String> {
    match sim.command(0, &["ACL", "LIST"], 1_000)? {
        Frame::Array(lines) => Ok(lines
            .iter()
            .filter_map(|l| match l {
                Frame::Bulk(b) => String::from_utf8_lossy(b)
                    .split(' ')
                    .nth(1)
                    .map(str::to_owned),
                _ => None,
            })
            .collect()),
        other => Err(format!("ACL LIST: {other:?}")),
    }
}

#[test]
fn acl_load_and_save_use_the_simulated_disk() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 1, 1_000);
        cfg.node_config = vec![("aclfile".into(), "users.acl".into())];
        // Redis refuses to start without its aclfile: an empty one, removed once it is up.
        let mut sim = Sim::with_disk_files(cfg, &[("users.acl", b"")]);
        sim.remove_disk_file(0, "users.acl");
        let fail = |sim: &Sim, what: String| Err(Failure::new(sim, what));

        let r = sim.command(0, &["ACL", "LOAD"], 1_000);
        let missing = "ERR Error loading ACLs, opening file 'users.acl': No such file or directory";
        if r != Ok(Frame::Error(missing.into())) {
            return fail(&sim, format!("ACL LOAD of a missing file: {r:?}"));
        }
        let r = sim.command(
            0,
            &["ACL", "SETUSER", "alice", "on", ">pw", "~*", "+get"],
            1_000,
        );
        if !ok(&r) {
            return fail(&sim, format!("ACL SETUSER: {r:?}"));
        }
        let r = sim.command(0, &["ACL", "SAVE"], 1_000);
        if !ok(&r) {
            return fail(&sim, format!("ACL SAVE: {r:?}"));
        }
        let r = sim.command(0, &["ACL", "DELUSER", "alice"], 1_000);
        if r != Ok(Frame::Integer(1)) {
            return fail(&sim, format!("ACL DELUSER: {r:?}"));
        }
        let r = sim.command(0, &["ACL", "LOAD"], 1_000);
        if !ok(&r) {
            return fail(&sim, format!("ACL LOAD of the saved file: {r:?}"));
        }
        let names = users(&mut sim).map_err(|e| Failure::new(&sim, e))?;
        if names != ["alice", "default"] {
            return fail(&sim, format!("users after ACL LOAD: {names:?}"));
        }

        // A failing disk: SAVE is refused, and the file keeps the users saved before.
        sim.fail_disk(0, "users");
        let _ = sim.command(0, &["ACL", "SETUSER", "bob", "on"], 1_000);
        let r = sim.command(0, &["ACL", "SAVE"], 1_000);
        let refused = "ERR There was an error trying to save the ACLs. Please check the server \
                       logs for more information";
        if r != Ok(Frame::Error(refused.into())) {
            return fail(&sim, format!("ACL SAVE on a failing disk: {r:?}"));
        }
        sim.repair_disk(0);
        let r = sim.command(0, &["ACL", "LOAD"], 1_000);
        if !ok(&r) {
            return fail(&sim, format!("ACL LOAD after the failed save: {r:?}"));
        }
        let names = users(&mut sim).map_err(|e| Failure::new(&sim, e))?;
        if names != ["alice", "default"] {
            return fail(&sim, format!("users after the failed save: {names:?}"));
        }
        // Written back by the kernel some time after the save: on the platter by now.
        sim.run_for(1_000);
        if sim
            .disk_file(0, "users.acl")
            .is_none_or(|f| !f.starts_with(b"user alice on"))
        {
            let f = sim.disk_file(0, "users.acl").map(String::from_utf8_lossy);
            return fail(&sim, format!("the platter's users.acl: {f:?}"));
        }
        Ok(())
    });
}
