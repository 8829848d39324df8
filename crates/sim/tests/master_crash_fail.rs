//! A crashed master is flagged PFAIL (`fail?`) and then FAIL by every other node, within the
//! node timeout plus a bound (gossip of the failure reports and the FAIL broadcast).

use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

/// Time allowed beyond `cluster-node-timeout` for PFAIL → FAIL to reach every node.
const BOUND_MS: u64 = 3_000;

#[test]
fn crashed_master_goes_pfail_then_fail_everywhere() {
    let nt = 2_000;
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = Sim::new(SimConfig::new(seed, 6, nt));
        sim.form_cluster(3, 1, 60_000)?;
        sim.run_for(nt);
        let victim = (seed % 3) as usize;
        sim.crash(victim);
        let crashed_at = sim.now_ms();
        let (mut pfail_seen, mut all_fail) = (None, None);
        while sim.now_ms() < crashed_at + nt + BOUND_MS && all_fail.is_none() {
            sim.run_for(50);
            let mut failed = 0;
            for i in (0..6).filter(|&i| i != victim) {
                let v = sim
                    .view(i)
                    .ok_or_else(|| Failure::new(&sim, format!("n{i} down")))?;
                let line = v.lines.iter().find(|l| l.index == Some(victim));
                let line =
                    line.ok_or_else(|| Failure::new(&sim, format!("n{i} forgot n{victim}")))?;
                if line.has("fail?") && pfail_seen.is_none() {
                    pfail_seen = Some(sim.now_ms());
                }
                if line.has("fail") {
                    failed += 1;
                }
            }
            if failed == 5 {
                all_fail = Some(sim.now_ms());
            }
        }
        let Some(done) = all_fail else {
            return Err(Failure::new(
                &sim,
                format!("n{victim} not FAIL everywhere within {} ms", nt + BOUND_MS),
            ));
        };
        let Some(p) = pfail_seen.filter(|&p| p <= done) else {
            return Err(Failure::new(&sim, "FAIL without a PFAIL first"));
        };
        if done - crashed_at < nt {
            return Err(Failure::new(
                &sim,
                format!(
                    "FAIL after {} ms, before the node timeout",
                    done - crashed_at
                ),
            ));
        }
        eprintln!(
            "seed {seed}: PFAIL after {} ms, FAIL everywhere after {} ms",
            p - crashed_at,
            done - crashed_at
        );
        Ok(())
    });
}
