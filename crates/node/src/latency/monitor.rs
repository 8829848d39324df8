//! The latency monitor: per event class (`command`, `fast-command`, `command-unblocking`…), the
//! latest 160 one-second samples of latencies at or above `latency-monitor-threshold`
//! milliseconds, and the all-time maximum. Ref: latency.c and latency.h (7.0).
//!
//! Redis keeps the classes in a hash table, so LATEST lists them in its table's order; we list
//! them in the order they first occurred (clients must not rely on either).

/// Samples kept per event (Redis's `LATENCY_TS_LEN`).
pub(crate) const TS_LEN: usize = 160;

/// One sample: the Unix second it fell in and the worst latency (ms) of that second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    pub time: i64,
    pub latency: u64,
}

/// One event class's samples, a ring over [`TS_LEN`] seconds.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// Where the next sample goes.
    idx: usize,
    /// Largest latency since the class was created or reset.
    pub max: u64,
    samples: Box<[Sample; TS_LEN]>,
}

impl Series {
    fn new() -> Self {
        Series {
            idx: 0,
            max: 0,
            samples: Box::new([Sample::default(); TS_LEN]),
        }
    }

    /// The samples oldest first (empty slots skipped).
    pub(crate) fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..TS_LEN)
            .map(move |j| self.samples[(self.idx + j) % TS_LEN])
            .filter(|s| s.time != 0)
    }

    /// The newest sample.
    pub(crate) fn latest(&self) -> Sample {
        self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

/// Every event class with samples.
#[derive(Debug, Default)]
pub(crate) struct Monitor {
    events: Vec<(String, Series)>,
}

/// Figures of one class for LATENCY DOCTOR (Redis's `struct latencyStats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Analysis {
    pub samples: u64,
    pub avg: u64,
    pub mad: u64,
    /// Seconds from the oldest sample to now, at least 1.
    pub period: i64,
}

impl Monitor {
    /// Redis's `latencyAddSample`: a sample in the same second as the previous one only raises
    /// it.
    pub(crate) fn add_sample(&mut self, event: &str, latency_ms: u64, now_secs: i64) {
        let pos = match self.events.iter().position(|(e, _)| e == event) {
            Some(p) => p,
            None => {
                self.events.push((event.to_owned(), Series::new()));
                self.events.len() - 1
            }
        };
        let ts = &mut self.events[pos].1;
        ts.max = ts.max.max(latency_ms);
        let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if ts.samples[prev].time == now_secs {
            let p = &mut ts.samples[prev];
            p.latency = p.latency.max(latency_ms);
            return;
        }
        ts.samples[ts.idx] = Sample {
            time: now_secs,
            latency: latency_ms,
        };
        ts.idx = (ts.idx + 1) % TS_LEN;
    }

    /// Redis's `latencyResetEvent`: drop `event` (case-insensitively) or, with `None`, every
    /// class; returns how many were dropped.
    pub(crate) fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        self.events
            .retain(|(e, _)| event.is_some_and(|x| !e.as_bytes().eq_ignore_ascii_case(x)));
        before - self.events.len()
    }

    /// The class named exactly `event` (HISTORY and GRAPH match case-sensitively, as Redis's
    /// table lookup does).
    pub(crate) fn get(&self, event: &[u8]) -> Option<(&str, &Series)> {
        self.events
            .iter()
            .find(|(e, _)| e.as_bytes() == event)
            .map(|(e, s)| (e.as_str(), s))
    }

    /// Every class, in first-occurrence order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Series)> {
        self.events.iter().map(|(e, s)| (e.as_str(), s))
    }

    /// Whether no class has samples.
    pub(crate) fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Redis's `analyzeLatencyForEvent`.
    pub(crate) fn analyze(series: &Series, now_secs: i64) -> Analysis {
        let mut a = Analysis::default();
        let (mut sum, mut oldest) = (0u64, 0i64);
        for s in series.samples() {
            a.samples += 1;
            sum += s.latency;
            if oldest == 0 || s.time < oldest {
                oldest = s.time;
            }
        }
        if a.samples == 0 {
            return a;
        }
        a.avg = sum / a.samples;
        a.period = (now_secs - oldest).max(0);
        if a.period == 0 {
            a.period = 1;
        }
        let dev: u64 = series.samples().map(|s| a.avg.abs_diff(s.latency)).sum();
        a.mad = dev / a.samples;
        a
    }
}

/// Columns of LATENCY GRAPH (Redis's `LATENCY_GRAPH_COLS`).
const GRAPH_COLS: usize = 80;
/// Rows of the sparkline.
const GRAPH_ROWS: usize = 4;
/// The filled sparkline's characters, lowest to highest within a row.
const FILL: &[u8] = b"_o#";

/// LATENCY GRAPH's text for `event`: a title, a rule, and the sparkline of its samples with
/// "how long ago" labels written vertically under each column. Ref: latency.c
/// latencyCommandGenSparkeline and sparkline.c (filled mode, 4 rows).
pub(crate) fn graph(event: &str, series: &Series, now_secs: i64) -> String {
    let samples: Vec<(f64, String)> = series
        .samples()
        .map(|s| {
            let elapsed = now_secs - s.time;
            let label = if elapsed < 60 {
                format!("{elapsed}s")
            } else if elapsed < 3600 {
                format!("{}m", elapsed / 60)
            } else if elapsed < 86400 {
                format!("{}h", elapsed / 3600)
            } else {
                format!("{}d", elapsed / 86400)
            };
            (s.latency as f64, label)
        })
        .collect();
    let lo = series.samples().map(|s| s.latency).min().unwrap_or(0);
    let hi = series.samples().map(|s| s.latency).max().unwrap_or(0);
    let mut out = format!(
        "{event} - high {hi} ms, low {lo} ms (all time high {} ms)\n",
        series.max
    );
    out.push_str(&"-".repeat(GRAPH_COLS));
    out.push('\n');
    let (min, max) = samples.iter().fold((f64::MAX, f64::MIN), |(a, b), (v, _)| {
        (a.min(*v), b.max(*v))
    });
    let mut first = true;
    for chunk in samples.chunks(GRAPH_COLS) {
        if !first {
            out.push('\n');
        }
        first = false;
        render_range(&mut out, chunk, min, max);
    }
    out
}

/// sparkline.c `sparklineRenderRange` in filled mode: rows top to bottom, then the labels.
fn render_range(out: &mut String, chunk: &[(f64, String)], min: f64, max: f64) {
    let steps = (FILL.len() * GRAPH_ROWS) as i64;
    let mut relmax = max - min;
    if relmax == 0.0 {
        relmax = 1.0;
    }
    let step_of = |v: f64| -> i64 {
        let step = (((v - min) * steps as f64) as i64 as f64 / relmax) as i64;
        step.clamp(0, steps - 1)
    };
    for row in 0..GRAPH_ROWS as i64 {
        let line: String = chunk
            .iter()
            .map(|(v, _)| {
                let idx = step_of(*v) - (GRAPH_ROWS as i64 - row - 1) * FILL.len() as i64;
                if (0..FILL.len() as i64).contains(&idx) {
                    FILL[idx as usize] as char
                } else if idx >= FILL.len() as i64 {
                    '|'
                } else {
                    ' '
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    // One blank line between the graph and the labels (the labels' top margin).
    if !chunk.is_empty() {
        out.push_str(&" ".repeat(chunk.len()));
        out.push('\n');
    }
    let tallest = chunk.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for i in 0..tallest {
        let line: String = chunk
            .iter()
            .map(|(_, l)| l.as_bytes().get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_per_second_and_ring() {
        let mut m = Monitor::default();
        m.add_sample("command", 5, 100);
        m.add_sample("command", 3, 100);
        m.add_sample("command", 9, 100);
        m.add_sample("fast-command", 2, 100);
        let (_, s) = m.get(b"command").unwrap();
        assert_eq!(s.samples().count(), 1);
        assert_eq!(
            s.latest(),
            Sample {
                time: 100,
                latency: 9
            }
        );
        for t in 0..200 {
            m.add_sample("command", t as u64, 1000 + t);
        }
        let (_, s) = m.get(b"command").unwrap();
        assert_eq!(s.samples().count(), TS_LEN);
        assert_eq!(s.samples().next().unwrap().time, 1040);
        assert_eq!(s.max, 199);
        assert!(m.get(b"COMMAND").is_none());
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert_eq!(m.reset(None), 1);
        assert!(m.is_empty());
    }

    #[test]
    fn analysis_as_redis() {
        let mut m = Monitor::default();
        for (t, l) in [(10, 10u64), (12, 20), (13, 30)] {
            m.add_sample("command", l, t);
        }
        let (_, s) = m.get(b"command").unwrap();
        let a = Monitor::analyze(s, 20);
        assert_eq!(
            a,
            Analysis {
                samples: 3,
                avg: 20,
                mad: 6,
                period: 10
            }
        );
    }

    #[test]
    fn graph_shape() {
        let mut m = Monitor::default();
        m.add_sample("command", 10, 95);
        m.add_sample("command", 20, 96);
        let (e, s) = m.get(b"command").unwrap();
        let g = graph(e, s, 100);
        let lines: Vec<&str> = g.split('\n').collect();
        assert_eq!(
            lines[0],
            "command - high 20 ms, low 10 ms (all time high 20 ms)"
        );
        assert_eq!(lines[1], "-".repeat(80));
        // Highest sample fills the top row; the lowest only the bottom one.
        assert_eq!(lines[2], " #");
        assert_eq!(lines[5], "_|");
        assert_eq!(lines[6], "  ");
        assert_eq!(lines[7], "54");
        assert_eq!(lines[8], "ss");
    }
}
