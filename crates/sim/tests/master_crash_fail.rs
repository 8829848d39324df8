//! A crashed master is flagged FAIL by every other node, within the node timeout plus a bound
//! (gossip of the failure reports and the FAIL broadcast), never before the node timeout, and
//! by a quorum: some node that had it PFAIL (`fail?`) gathered a majority of masters' reports
//! ("Marking node … as failing (quorum reached)"). The PFAIL window may be shorter than the
//! polling step, so the quorum is read from the node's log rather than sampled.

use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

/// Time allowed beyond `cluster-node-timeout` for PFAIL → FAIL to reach every node.
const BOUND_MS: u64 = 3_000;

#[test]
fn crashed_master_goes_pfail_then_fail_everywhere() {
    let nt = 2_000;
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 6, nt);
        cfg.keep_trace = true;
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 1, 60_000)?;
        sim.run_for(nt);
        let victim = (seed % 3) as usize;
        let victim_id = sim
            .view(victim)
            .and_then(|v| v.myself().map(|m| m.id.clone()))
            .ok_or_else(|| Failure::new(&sim, "victim down"))?;
        sim.crash(victim);
        let crashed_at = sim.now_ms();
        let (mut pfail_seen, mut all_fail) = (None, None);
        while sim.now_ms() < crashed_at + nt + BOUND_MS && all_fail.is_none() {
            // Fine-grained: PFAIL can turn into FAIL within tens of milliseconds.
            sim.run_for(10);
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
        let quorum = format!("Marking node {victim_id} as failing (quorum reached)");
        let by_quorum = sim
            .trace()
            .lines()
            .unwrap_or_default()
            .iter()
            .any(|l| l.contains(&quorum));
        if !by_quorum {
            return Err(Failure::new(&sim, "FAIL without a quorum of PFAIL reports"));
        }
        if done - crashed_at < nt {
            return Err(Failure::new(
                &sim,
                format!(
                    "FAIL after {} ms, before the node timeout",
                    done - crashed_at
                ),
            ));
        }
        let pfail = pfail_seen.map(|p| format!("{} ms", p - crashed_at));
        eprintln!(
            "seed {seed}: PFAIL sampled after {}, FAIL everywhere after {} ms",
            pfail.unwrap_or("(not sampled)".into()),
            done - crashed_at
        );
        Ok(())
    });
}
