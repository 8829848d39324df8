//! Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
//!
//! Redis 7.0 keeps one HdrHistogram per command: values in nanoseconds, tracked from 1 ns to
//! 1 s with 2 significant figures (`LATENCY_HISTOGRAM_MIN_VALUE`, `_MAX_VALUE`, `_PRECISION`).
//! With those settings HdrHistogram's layout is: 256 sub-buckets per bucket (the smallest power
//! of two above 2·10²), the first bucket holding 0..255 one by one and each following bucket
//! the next power-of-two range at half the resolution of the one before, 3,072 counters in all.
//! What Redis reports depends only on which counter a value lands in:
//!
//! - a percentile (INFO latencystats) is the *highest equivalent value* of the counter where the
//!   cumulative count reaches `percentile·total` (rounded half up, at least 1);
//! - LATENCY HISTOGRAM walks HdrHistogram's logarithmic iterator from 1,024 ns doubling, and at
//!   each level `L` reports the cumulative count of the counters up to `L`'s own counter, labelled
//!   `highest_equivalent(L) / 1000` µs (1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113…),
//!   only when it grew; counts past the last level inside the range (2^29 ns) come out under
//!   the label of the last counter, 1,073,741 µs.
//!
//! This module reproduces that counter layout exactly (so both reports match Redis to the unit)
//! but stores only the counters in use, in an ordered map: a command whose latency stays within
//! a few counters costs a few dozen bytes instead of 24 KiB.

use std::collections::BTreeMap;

/// Smallest value recorded, in ns (Redis's `LATENCY_HISTOGRAM_MIN_VALUE`).
const MIN_VALUE: u64 = 1;
/// Largest value recorded, in ns (Redis's `LATENCY_HISTOGRAM_MAX_VALUE`).
const MAX_VALUE: u64 = 1_000_000_000;
/// log2 of half the sub-bucket count (256 sub-buckets for 2 significant figures).
const HALF_MAGNITUDE: u32 = 7;
/// Half the sub-bucket count.
const HALF_COUNT: u64 = 1 << HALF_MAGNITUDE;
/// Counters HdrHistogram allocates for 1 ns..1 s at 2 significant figures: 23 buckets.
const COUNTS_LEN: u32 = 24 << HALF_MAGNITUDE;
/// First reporting level of LATENCY HISTOGRAM, in ns (`hdr_iter_log_init(…, 1024, 2)`).
const FIRST_LEVEL: u64 = 1024;

/// Bucket of `v`: the power-of-two range it is in, above the first 256 values.
fn bucket_index(v: u64) -> u32 {
    let pow2ceiling = 64 - (v | (2 * HALF_COUNT - 1)).leading_zeros();
    pow2ceiling - (HALF_MAGNITUDE + 1)
}

/// The counter `v` is counted in.
fn counts_index(v: u64) -> u32 {
    let b = bucket_index(v);
    let sub = (v >> b) as u32;
    ((b + 1) << HALF_MAGNITUDE) + sub - HALF_COUNT as u32
}

/// The smallest value counted in counter `idx`.
fn value_at_index(idx: u32) -> u64 {
    let mut bucket = (idx >> HALF_MAGNITUDE) as i64 - 1;
    let mut sub = u64::from(idx & (HALF_COUNT as u32 - 1)) + HALF_COUNT;
    if bucket < 0 {
        sub -= HALF_COUNT;
        bucket = 0;
    }
    sub << bucket
}

/// The smallest value that shares `v`'s counter.
fn lowest_equivalent(v: u64) -> u64 {
    let b = bucket_index(v);
    (v >> b) << b
}

/// The largest value that shares `v`'s counter.
fn highest_equivalent(v: u64) -> u64 {
    lowest_equivalent(v) + (1u64 << bucket_index(v)) - 1
}

/// One command's latency distribution, in Redis's HdrHistogram counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Histogram {
    /// Counter index → count; only counters in use.
    counts: BTreeMap<u16, u64>,
    total: u64,
}

impl Histogram {
    /// Record one duration in nanoseconds, clamped to 1 ns..1 s as Redis does.
    pub(crate) fn record(&mut self, ns: u64) {
        let v = ns.clamp(MIN_VALUE, MAX_VALUE);
        // Below COUNTS_LEN (3,072) for every clamped value, so it fits.
        let idx = counts_index(v) as u16;
        *self.counts.entry(idx).or_insert(0) += 1;
        self.total += 1;
    }

    /// Values recorded (`calls` of LATENCY HISTOGRAM).
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// HdrHistogram's `hdr_value_at_percentile`, in ns.
    pub(crate) fn value_at_percentile(&self, percentile: f64) -> u64 {
        let p = percentile.min(100.0);
        let wanted = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (&idx, &n) in &self.counts {
            seen += n;
            if seen >= wanted {
                let v = value_at_index(u32::from(idx));
                return if percentile == 0.0 {
                    lowest_equivalent(v)
                } else {
                    highest_equivalent(v)
                };
            }
        }
        0
    }

    /// LATENCY HISTOGRAM's `histogram_usec` pairs: (bucket label in µs, cumulative count), for
    /// the levels where the cumulative count grew.
    pub(crate) fn cdf(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut prev = 0;
        let mut level = FIRST_LEVEL;
        let mut counts = self.counts.iter().peekable();
        let mut cum = 0;
        while counts_index(level) < COUNTS_LEN {
            let limit = counts_index(level);
            while let Some((_, &n)) = counts.next_if(|(&i, _)| u32::from(i) <= limit) {
                cum += n;
            }
            if cum > prev {
                out.push((highest_equivalent(level) / 1000, cum));
                prev = cum;
            }
            level *= 2;
        }
        if self.total > prev {
            let last = highest_equivalent(value_at_index(COUNTS_LEN - 1));
            out.push((last / 1000, self.total));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdr_histogram_for_1ns_to_1s_2_figures() {
        // The first bucket counts 0..255 one by one.
        assert_eq!(counts_index(255), 255);
        assert_eq!(value_at_index(200), 200);
        // 1024 ns: bucket 3, counters 8 ns wide.
        assert_eq!(counts_index(1024), 512);
        assert_eq!(highest_equivalent(1024), 1031);
        assert_eq!(value_at_index(512), 1024);
        // The largest value recorded is inside the 3,072 counters.
        assert!(counts_index(MAX_VALUE) < COUNTS_LEN);
        assert_eq!(
            highest_equivalent(value_at_index(COUNTS_LEN - 1)),
            (1 << 30) - 1
        );
        for v in [1u64, 77, 256, 1000, 4097, 123_456, 999_999_999] {
            let i = counts_index(v);
            assert!(lowest_equivalent(v) <= v && v <= highest_equivalent(v));
            assert_eq!(value_at_index(i), lowest_equivalent(v));
        }
    }

    #[test]
    fn cdf_labels_are_redis_bucket_boundaries() {
        let mut h = Histogram::default();
        // Every level once: the labels are Redis's (1, 2, 4, 8, 16, 33, 66, 132…).
        for k in 0..20 {
            h.record(FIRST_LEVEL << k);
        }
        let labels: Vec<u64> = h.cdf().iter().map(|p| p.0).collect();
        assert_eq!(
            labels,
            vec![
                1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633,
                135266, 270532, 541065
            ]
        );
        let counts: Vec<u64> = h.cdf().iter().map(|p| p.1).collect();
        assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
    }

    #[test]
    fn cdf_of_microsecond_durations() {
        let mut h = Histogram::default();
        // 0 µs (clamped to 1 ns) and 1 µs both land under "1"; 3 µs under "4"; a second under
        // the overflow label.
        for us in [0u64, 1, 1, 3, 3, 3, 1_000_000] {
            h.record(us * 1000);
        }
        assert_eq!(h.cdf(), vec![(1, 3), (4, 6), (1_073_741, 7)]);
        assert_eq!(h.total(), 7);
    }

    #[test]
    fn percentiles_are_highest_equivalent_values() {
        let mut h = Histogram::default();
        for us in 1..=100u64 {
            h.record(us * 1000);
        }
        // p50: the 50th value (50 µs) → its counter's top: 50,000 ns is in a 256 ns wide
        // counter starting at 49,920.
        assert_eq!(h.value_at_percentile(50.0), 50_175);
        assert_eq!(h.value_at_percentile(100.0), highest_equivalent(100_000));
        assert_eq!(h.value_at_percentile(0.0), lowest_equivalent(1000));
        assert_eq!(Histogram::default().value_at_percentile(50.0), 0);
    }
}
