//! DEBUG RELOAD NOSAVE on a simulated node is answered by the host's disk
//! (crates/sim/src/disk.rs): it loads the RDB file the running process sees (what SAVE wrote),
//! a missing file empties the dataset and is refused with Redis's error, and so is a file on a
//! failing disk. The client is answered each time (without the host's answer it would wait
//! forever).

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

#[test]
fn debug_reload_nosave_reads_the_simulated_disk() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 1, 1_000);
        cfg.node_config = vec![
            ("enable-debug-command".into(), "yes".into()),
            ("save".into(), "".into()),
        ];
        // One master holding every slot.
        let mut sim = Sim::preformed(cfg, 1, 0, 10_000)?;
        let expect = |sim: &mut Sim, args: &[&str], want: Frame| {
            let r = sim.command(0, args, 1_000);
            if r == Ok(want.clone()) {
                Ok(())
            } else {
                Err(Failure::new(sim, format!("{args:?}: {r:?}, want {want:?}")))
            }
        };
        let ok = || Frame::Simple("OK".into());
        let refused = || Frame::Error("ERR Error trying to load the RDB dump".into());
        expect(&mut sim, &["SET", "kept", "1"], ok())?;
        expect(&mut sim, &["SAVE"], ok())?;
        // Written after the save: NOSAVE loads the file, so this key goes.
        expect(&mut sim, &["SET", "lost", "2"], ok())?;
        expect(&mut sim, &["DEBUG", "RELOAD", "NOSAVE"], ok())?;
        expect(
            &mut sim,
            &["GET", "kept"],
            Frame::Bulk(b"1".to_vec().into()),
        )?;
        expect(&mut sim, &["EXISTS", "lost"], Frame::Integer(0))?;
        // A failing disk: refused.
        sim.fail_disk(0, "dump");
        expect(&mut sim, &["DEBUG", "RELOAD", "NOSAVE"], refused())?;
        sim.repair_disk(0);
        // The file gone: refused, and the dataset emptied first (as Redis).
        sim.remove_disk_file(0, "dump.rdb");
        expect(&mut sim, &["DEBUG", "RELOAD", "NOSAVE"], refused())?;
        expect(&mut sim, &["DBSIZE"], Frame::Integer(0))?;
        Ok(())
    });
}
