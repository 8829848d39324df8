//! A failed nodes.conf write makes the node exit, as Redis does (`clusterSaveConfigOrDie`:
//! "Fatal: can't update cluster config file.", before the reply of the command that changed
//! the configuration is written): here `CLUSTER BUMPEPOCH` on a node whose disk fails
//! (`Sim::fail_disk`) must not be answered, and the node must be down.
//!
//! The node does it in crates/node/src/persistence/mod.rs `cluster_save_failed_exits`.

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

#[test]
fn nodes_conf_write_error_exits() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = Sim::new(SimConfig::new(seed, 3, 2_000));
        sim.form_cluster(3, 0, 60_000)?;
        sim.fail_disk(0, "nodes.conf");
        let r = sim.command(0, &["CLUSTER", "BUMPEPOCH"], 5_000);
        if matches!(r, Ok(Frame::Simple(_))) {
            return Err(Failure::new(&sim, format!("answered {r:?}")));
        }
        if sim.is_up(0)
            || !sim
                .violations()
                .iter()
                .any(|v| v == "n0 exited with status 1")
        {
            return Err(Failure::new(&sim, format!("n0 did not exit: {r:?}")));
        }
        Ok(())
    });
}
