//! A simulated node with `aclfile` set loads it at boot from its simulated disk, as Redis's
//! `ACLLoadUsersAtStartup` does (crates/sim/src/host.rs `Sim::boot`):
//!
//! - the users of a file written on the disk before the first boot exist once it is up;
//! - users saved with ACL SAVE and written back by the kernel survive a crash and restart;
//! - a bad file (a syntax error) or a missing one stops the process at startup, as Redis's
//!   `exit(1)`: the node stays down, the exit and Redis's log line are reported
//!   ([`Sim::violations`], the trace), nothing panics; fixed, a restart brings it up.

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

const ACL: &str = "users.acl";

fn config(seed: u64) -> SimConfig {
    let mut cfg = SimConfig::new(seed, 1, 1_000);
    cfg.node_config = vec![("aclfile".into(), ACL.into())];
    cfg.keep_trace = true;
    cfg
}

/// The user names in ACL LIST's lines (`user <name> …`), through a simulated client.
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

fn expect_users(sim: &mut Sim, want: &[&str], when: &str) -> Result<(), Failure> {
    let got = users(sim).map_err(|e| Failure::new(sim, format!("{when}: {e}")))?;
    if got != want {
        return Err(Failure::new(sim, format!("{when}: users {got:?}")));
    }
    Ok(())
}

#[test]
fn users_of_the_aclfile_exist_after_boot_and_saved_ones_after_a_crash() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let file = b"user alice on >pw ~* +get\n";
        let mut sim = Sim::with_disk_files(config(seed), &[(ACL, file)]);
        expect_users(&mut sim, &["alice", "default"], "after the first boot")?;
        // alice's rules came from the file too: she may GET, not SET.
        let r = sim.command(0, &["AUTH", "alice", "pw"], 1_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return Err(Failure::new(&sim, format!("AUTH alice: {r:?}")));
        }
        let r = sim.command(0, &["SET", "k", "v"], 1_000);
        if !matches!(&r, Ok(Frame::Error(e)) if e.starts_with(b"NOPERM")) {
            return Err(Failure::new(&sim, format!("SET as alice: {r:?}")));
        }
        let r = sim.command(0, &["AUTH", "default", "x"], 1_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return Err(Failure::new(&sim, format!("AUTH default: {r:?}")));
        }

        // bob saved and written back: a crash keeps him.
        let r = sim.command(0, &["ACL", "SETUSER", "bob", "on", ">pw", "+ping"], 1_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return Err(Failure::new(&sim, format!("ACL SETUSER: {r:?}")));
        }
        let r = sim.command(0, &["ACL", "SAVE"], 1_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return Err(Failure::new(&sim, format!("ACL SAVE: {r:?}")));
        }
        sim.run_for(1_000);
        // carol is not saved: a crash forgets her.
        let r = sim.command(0, &["ACL", "SETUSER", "carol", "on"], 1_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return Err(Failure::new(&sim, format!("ACL SETUSER carol: {r:?}")));
        }
        sim.crash(0);
        sim.run_for(100);
        sim.restart(0);
        if !sim.is_up(0) {
            return Err(Failure::new(&sim, "n0 did not come back"));
        }
        expect_users(
            &mut sim,
            &["alice", "bob", "default"],
            "after crash+restart",
        )?;
        if !sim.violations().is_empty() {
            return Err(Failure::new(&sim, format!("{:?}", sim.violations())));
        }
        Ok(())
    });
}

#[test]
fn a_bad_or_missing_aclfile_stops_the_node_at_boot() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        // A syntax error on line 2: Redis names it and refuses to start.
        let bad = b"user alice on >pw\nuser bob on +nosuchcommand\n";
        let mut sim = Sim::with_disk_files(config(seed), &[(ACL, bad)]);
        if sim.is_up(0) {
            return Err(Failure::new(&sim, "n0 came up with a bad aclfile"));
        }
        let exit = "n0 exited with status 1 at startup: Aborting Redis startup because of ACL \
                    errors: ";
        let reported = sim.violations().iter().any(|v| {
            v.starts_with(exit) && v.contains("users.acl:2: ") && v.contains("+nosuchcommand")
        });
        if !reported {
            let v = sim.violations();
            return Err(Failure::new(&sim, format!("exit not reported: {v:?}")));
        }
        let traced = sim.trace().lines().is_some_and(|l| {
            l.iter()
                .any(|l| l.contains("n0 log Aborting Redis startup because of ACL errors"))
        });
        if !traced {
            return Err(Failure::new(
                &sim,
                "the exit's log line is not in the trace",
            ));
        }
        if sim.command(0, &["PING"], 1_000).is_ok() {
            return Err(Failure::new(&sim, "a node that did not start answered"));
        }

        // Fixed by the operator: a restart brings it up with the file's users.
        sim.put_disk_file(0, ACL, b"user alice on >pw ~* +@all\n");
        sim.restart(0);
        if !sim.is_up(0) {
            return Err(Failure::new(&sim, "n0 did not start with a good aclfile"));
        }
        expect_users(&mut sim, &["alice", "default"], "after the fix")?;

        // The file gone: Redis cannot open it and refuses to start.
        sim.remove_disk_file(0, ACL);
        sim.crash(0);
        let before = sim.violations().len();
        sim.restart(0);
        let missing = "n0 exited with status 1 at startup: Aborting Redis startup because of \
                       ACL errors: Error loading ACLs, opening file 'users.acl': No such file or \
                       directory";
        if sim.is_up(0) || sim.violations().get(before).map(String::as_str) != Some(missing) {
            let v = &sim.violations()[before..];
            return Err(Failure::new(&sim, format!("missing file: {v:?}")));
        }
        Ok(())
    });
}
