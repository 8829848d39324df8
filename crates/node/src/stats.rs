//! Counters for INFO stats, commandstats and errorstats, and the instantaneous metrics sampled
//! by the cron (Redis's `trackInstantaneousMetric`).

use std::collections::BTreeMap;

use hashslot_types::Instant;

/// Samples kept per instantaneous metric (Redis's `STATS_METRIC_SAMPLES`).
const SAMPLES: usize = 16;

/// Distinct error prefixes counted before errorstats stops adding new ones (Redis's
/// `ERROR_STATS_NUMBER`), so error replies cannot grow the table without bound.
const MAX_ERROR_KINDS: usize = 128;

/// One instantaneous metric: per-second rates over the last [`SAMPLES`] cron ticks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metric {
    samples: [u64; SAMPLES],
    idx: usize,
    last_time: Option<Instant>,
    last_count: u64,
}

impl Metric {
    /// Record `count` (a running total) at `now`.
    pub(crate) fn sample(&mut self, now: Instant, count: u64) {
        if let Some(t) = self.last_time {
            let ms = now.saturating_duration_since(t).as_millis() as u64;
            let delta = count.saturating_sub(self.last_count);
            self.samples[self.idx] = delta.saturating_mul(1000).checked_div(ms).unwrap_or(0);
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.last_time = Some(now);
        self.last_count = count;
    }

    /// The mean rate per second.
    pub(crate) fn per_sec(&self) -> u64 {
        self.samples.iter().sum::<u64>() / SAMPLES as u64
    }
}

/// Calls of one command (`cmdstat_<name>`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CmdStat {
    pub calls: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Node-wide counters. CONFIG RESETSTAT zeroes them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    pub total_commands_processed: u64,
    pub total_connections_received: u64,
    pub rejected_connections: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub total_error_replies: u64,
    /// Error replies by their first word (`ERR`, `WRONGTYPE`…), ordered as Redis's rax.
    pub errorstats: BTreeMap<String, u64>,
    pub ops: Metric,
    pub net_input: Metric,
    pub net_output: Metric,
}

impl Stats {
    /// Count one error reply whose text (after the `-`) is `text` (Redis's `afterErrorReply`:
    /// the prefix is the text up to the first space within 32 bytes, else `ERR`).
    pub(crate) fn count_error(&mut self, text: &[u8]) {
        self.total_error_replies += 1;
        let head = &text[..text.len().min(32)];
        let prefix = match head.iter().position(|&b| b == b' ') {
            Some(i) => &text[..i],
            None => b"ERR",
        };
        let prefix = String::from_utf8_lossy(prefix);
        if let Some(n) = self.errorstats.get_mut(prefix.as_ref()) {
            *n += 1;
        } else if self.errorstats.len() < MAX_ERROR_KINDS {
            self.errorstats.insert(prefix.into_owned(), 1);
        }
    }

    /// Sample the instantaneous metrics (from the cron).
    pub(crate) fn sample(&mut self, now: Instant) {
        self.ops.sample(now, self.total_commands_processed);
        self.net_input.sample(now, self.total_net_input_bytes);
        self.net_output.sample(now, self.total_net_output_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_error_prefixes() {
        let mut m = Metric::default();
        m.sample(Instant::from_nanos(0), 0);
        m.sample(Instant::from_nanos(100_000_000), 160);
        assert_eq!(m.per_sec(), 1600 / 16);
        let mut s = Stats::default();
        s.count_error(b"ERR syntax error");
        s.count_error(b"WRONGTYPE Operation");
        s.count_error(b"NOSPACE");
        assert_eq!(s.errorstats["ERR"], 2);
        assert_eq!(s.errorstats["WRONGTYPE"], 1);
        assert_eq!(s.total_error_replies, 3);
    }
}
