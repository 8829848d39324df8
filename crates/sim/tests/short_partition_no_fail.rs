//! A master cut off from everyone for less than the node timeout comes back without any node
//! ever marking it FAIL.

use hashslot_sim::{run_seeds, Failure, PathState, Sim, SimConfig};

#[test]
fn partition_shorter_than_node_timeout_heals_without_fail() {
    let nt = 2_000;
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = Sim::new(SimConfig::new(seed, 6, nt));
        sim.form_cluster(3, 1, 60_000)?;
        // Let the first post-setup pings settle, then cut master 0 off for 40% of the timeout.
        sim.run_for(nt);
        sim.isolate(0, PathState::Drop);
        let healed_at = sim.now_ms() + nt * 4 / 10;
        let end = sim.now_ms() + 4 * nt;
        while sim.now_ms() < end {
            sim.run_for(100);
            if sim.now_ms() >= healed_at {
                sim.heal();
            }
            for i in 1..6 {
                let v = sim
                    .view(i)
                    .ok_or_else(|| Failure::new(&sim, format!("n{i} down")))?;
                if v.lines.iter().any(|l| l.index == Some(0) && l.has("fail")) {
                    return Err(Failure::new(&sim, format!("n{i} marked n0 FAIL")));
                }
            }
        }
        hashslot_sim::converged(&mut sim).map_err(|e| Failure::new(&sim, e))
    });
}
