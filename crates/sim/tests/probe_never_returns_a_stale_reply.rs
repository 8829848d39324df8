//! `Sim::probe` answers the command it was given, or `None`: never the late reply of an
//! earlier probe. While `CLUSTER MIGRATESLOTS` runs, the source node holds client input
//! behind each batch (as Redis blocks on MIGRATE), so a probe may get no reply at once; the
//! reply that comes later must not be taken for the answer to the next probe.
//!
//! A probe that gets no complete reply gives its connection up, so the late reply is dropped.

mod migration_support;

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure};
use migration_support::{cluster, fill, start, wait_moved};

#[test]
fn probe_answers_its_own_command() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = cluster(seed, &[])?;
        fill(&mut sim)?;
        start(&mut sim, 0, 1)?;
        wait_moved(&mut sim, 0, 1)?;
        let mut held = 0;
        for k in 0..2_000u32 {
            let tag = format!("probe-{k}");
            match sim.probe(0, &[b"ECHO", tag.as_bytes()]) {
                None => held += 1,
                Some(Frame::Bulk(b)) if b == tag.as_bytes() => {}
                other => {
                    return Err(Failure::new(
                        &sim,
                        format!("ECHO {tag} answered {other:?} ({held} probes held before)"),
                    ))
                }
            }
            sim.run_for(1);
        }
        eprintln!("seed {seed}: {held} probes held, none answered by another's reply");
        Ok(())
    });
}
