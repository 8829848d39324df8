//! Command timing: what Redis's `call()` does with a command's duration. The slow log, the
//! latency monitor's `command` / `fast-command` / `command-unblocking` events, the per-command
//! `usec` of INFO commandstats and the per-command histograms of LATENCY HISTOGRAM and INFO
//! latencystats. The duration comes from the injected [`Stopwatch`] (see `stopwatch.rs` for why
//! the node takes one).
//!
//! Ref: server.c call(), blocked.c updateStatsOnUnblock (7.0.15). As there:
//! - every call adds its duration to the command's `usec` and may add a latency sample;
//! - a call that leaves its client blocked (BLPOP with nothing to pop, WAIT) is neither logged
//!   nor put in the histogram then; a parked command that is later *served* is, with the
//!   duration of its first call plus that of the serving run (Redis adds the first call's
//!   duration to `usec` twice, once in `call()` and once when serving: so do we), and the
//!   serving run is a `command-unblocking` sample. A parked command that times out or is
//!   released by CLIENT UNBLOCK is not logged;
//! - EXEC is flagged `skip_slowlog`: its queued commands are logged one by one instead.
//!
//! CONFIG RESETSTAT zeroes the per-command calls (`cmd_stats`); the timing kept here is
//! noticed stale by comparing call counts (see [`CmdTiming`]), so that RESETSTAT empties
//! `usec`, latencystats and LATENCY HISTOGRAM as in Redis without this module being told.
//!
//! Not measured: AOF write/fsync latency events (the driver does the I/O and reports no
//! durations), expiry and eviction cycles, fork.

mod doctor;
mod histogram;
mod monitor;

pub(crate) use doctor::{report, Settings};
pub(crate) use histogram::Histogram;
pub(crate) use monitor::{graph, Monitor};

use hashslot_keyspace::flags;
use hashslot_types::Now;

use crate::session::Client;
use crate::slowlog::{self, Candidate, SlowLog};
use crate::stopwatch::Stopwatch;
use crate::Node;

/// The timing of one command table entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct CmdTiming {
    /// Total µs (`cmdstat_<name>:usec`).
    pub usec: u64,
    /// `cmd_stats[idx].calls` when this was last updated: a smaller count there later means
    /// CONFIG RESETSTAT ran, and what is here is stale.
    pub calls_seen: u64,
    /// Latency distribution (allocated at the first sample, as Redis does).
    pub hist: Option<Box<Histogram>>,
}

/// A parked command's first call, kept until it is served (Redis keeps `c->duration` and the
/// original argv of a blocked client for `updateStatsOnUnblock`).
#[derive(Debug, Clone)]
pub(crate) struct BlockedCall {
    /// Table entry.
    pub idx: usize,
    /// µs of the first call.
    pub duration: u64,
    /// The arguments as the slow log would keep them (bounded, redacted).
    pub argv: Vec<Vec<u8>>,
}

/// The cached settings (read from the config at start and after each CONFIG SET).
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub slowlog_slower_than: i64,
    pub slowlog_max_len: u64,
    pub threshold_ms: u64,
    pub tracking: bool,
    /// `latency-tracking-info-percentiles`: (label as INFO prints it, value).
    pub percentiles: Vec<(String, f64)>,
}

impl Default for Knobs {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        Knobs {
            slowlog_slower_than: 10000,
            slowlog_max_len: 128,
            threshold_ms: 0,
            tracking: true,
            percentiles: ["50", "99", "99.9"]
                .iter()
                .map(|s| (s.to_string(), s.parse().unwrap_or(0.0)))
                .collect(),
        }
    }
}

/// Everything the node keeps about command durations.
#[derive(Debug, Default)]
pub(crate) struct Timing {
    pub stopwatch: Stopwatch,
    pub slowlog: SlowLog,
    pub monitor: Monitor,
    pub knobs: Knobs,
    /// Per table entry; grown on first use.
    pub cmds: Vec<CmdTiming>,
}

impl Timing {
    /// Timing seeded with `config`'s settings.
    pub(crate) fn new(config: &crate::Config) -> Self {
        Timing {
            knobs: knobs(config),
            ..Timing::default()
        }
    }

    /// The entry of `idx`, made fresh if CONFIG RESETSTAT zeroed `calls` since.
    fn cmd(&mut self, idx: usize, calls: u64) -> &mut CmdTiming {
        if self.cmds.len() <= idx {
            self.cmds.resize_with(idx + 1, CmdTiming::default);
        }
        let c = &mut self.cmds[idx];
        if calls < c.calls_seen {
            *c = CmdTiming::default();
        }
        c.calls_seen = calls;
        c
    }

    /// The live (not stale) timing of `idx`, given its current call count.
    pub(crate) fn live(&self, idx: usize, calls: u64) -> Option<&CmdTiming> {
        self.cmds.get(idx).filter(|c| calls >= c.calls_seen)
    }

    /// Redis's `latencyAddSampleIfNeeded`.
    pub(crate) fn sample(&mut self, event: &str, ms: u64, now: Now) {
        if self.knobs.threshold_ms > 0 && ms >= self.knobs.threshold_ms {
            self.monitor.add_sample(event, ms, now.wall.as_secs());
        }
    }
}

/// Read the settings from `config`.
fn knobs(config: &crate::Config) -> Knobs {
    let num = |name: &str, default: i64| {
        config
            .get(name)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(default)
    };
    let d = Knobs::default();
    let percentiles = match config.get("latency-tracking-info-percentiles") {
        Some(text) => text
            .split_whitespace()
            .filter_map(|s| s.parse::<f64>().ok().map(|v| (s.to_owned(), v)))
            .collect(),
        None => d.percentiles,
    };
    Knobs {
        slowlog_slower_than: num("slowlog-log-slower-than", d.slowlog_slower_than),
        slowlog_max_len: num("slowlog-max-len", 128).max(0) as u64,
        threshold_ms: num("latency-monitor-threshold", 0).max(0) as u64,
        tracking: config.get("latency-tracking").as_deref() != Some("no"),
        percentiles,
    }
}

impl Node {
    /// Refresh the cached timing settings (after CONFIG SET).
    pub(crate) fn timing_config_changed(&mut self) {
        self.timing.knobs = knobs(&self.config);
    }

    /// A stopwatch reading, for [`Node::after_call`].
    pub(crate) fn call_started(&self) -> u64 {
        self.timing.stopwatch.micros()
    }

    /// The end of Redis's `call()` for table entry `idx` run by `client` with `args`, which
    /// started at stopwatch reading `started` and whose counters `cmd_stats` were just updated.
    /// `was_sleeping`: a DEBUG SLEEP was already under way before the command.
    pub(crate) fn after_call(
        &mut self,
        now: Now,
        client: &mut Client,
        idx: usize,
        args: &[&[u8]],
        started: u64,
        was_sleeping: bool,
    ) {
        let mut duration = self.timing.stopwatch.micros().saturating_sub(started);
        if !was_sleeping {
            // DEBUG SLEEP stops the node in virtual time: its length is the command's run time.
            if let (true, Some(until)) = (self.sleep.is_some(), self.poll_timeout()) {
                let d = until.saturating_duration_since(now.mono);
                duration += u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            }
        }
        let entry = &self.table.entries[idx];
        let (name, eflags) = (entry.name, entry.flags);
        let event = if eflags & flags::FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        self.timing.sample(event, duration / 1000, now);
        let blocked = client.blocked_on_keys || (client.blocked && name == "wait");
        let calls = self.cmd_stats[idx].calls;
        let tracking = self.timing.knobs.tracking;
        let t = self.timing.cmd(idx, calls);
        t.usec = t.usec.saturating_add(duration);
        if tracking && !blocked {
            t.hist
                .get_or_insert_with(Default::default)
                .record(duration.saturating_mul(1000));
        }
        if !blocked && client.blocked_call.is_some() {
            // Left by a parked command that timed out or was unblocked: not logged (as Redis).
            client.blocked_call = None;
        }
        if eflags & flags::SKIP_SLOWLOG != 0 {
            return;
        }
        if blocked {
            if client.blocked_on_keys {
                let argv = slowlog::entry_argv(args, &slowlog::redacted(name, args));
                client.blocked_call = Some(Box::new(BlockedCall {
                    idx,
                    duration,
                    argv,
                }));
            }
            return;
        }
        let k = &self.timing.knobs;
        if !SlowLog::wants(k.slowlog_slower_than, duration) {
            // Still trims, so that a lowered slowlog-max-len applies now, as in Redis.
            if k.slowlog_slower_than >= 0 {
                let m = k.slowlog_max_len;
                self.timing.slowlog.trim(m);
            }
            return;
        }
        let argv = slowlog::entry_argv(args, &slowlog::redacted(name, args));
        self.push_slowlog(now, client, duration, argv);
    }

    /// A parked client's command was served by a run that started at stopwatch reading
    /// `started` (Redis's `updateStatsOnUnblock` after serving a key).
    pub(crate) fn blocked_served(&mut self, now: Now, client: &mut Client, started: u64) {
        let reply_us = self.timing.stopwatch.micros().saturating_sub(started);
        let Some(first) = client.blocked_call.take() else {
            return;
        };
        let total = first.duration.saturating_add(reply_us);
        let calls = self.cmd_stats[first.idx].calls;
        let tracking = self.timing.knobs.tracking;
        let t = self.timing.cmd(first.idx, calls);
        t.usec = t.usec.saturating_add(total);
        if tracking {
            t.hist
                .get_or_insert_with(Default::default)
                .record(total.saturating_mul(1000));
        }
        self.push_slowlog(now, client, total, first.argv);
        self.timing
            .sample("command-unblocking", reply_us / 1000, now);
    }

    /// CLIENT UNBLOCK released parked client `conn` (Redis 7.0.15 calls `updateStatsOnUnblock`
    /// with errors for it after `unblockClient` has reset the client's arguments): the first
    /// call's duration goes to `usec` and the histogram again, `failed_calls` grows, and the
    /// slow log gets an entry with an empty argument vector.
    pub(crate) fn unblocked_by_client(&mut self, now: Now, conn: hashslot_types::ConnId) {
        let Some(client) = self.sessions.get_mut(&conn).map(|s| &mut s.client) else {
            return;
        };
        let Some(first) = client.blocked_call.take() else {
            return;
        };
        let (peer, name) = (client.addr.peer, client.name.clone());
        self.cmd_stats[first.idx].failed_calls += 1;
        let calls = self.cmd_stats[first.idx].calls;
        let tracking = self.timing.knobs.tracking;
        let t = self.timing.cmd(first.idx, calls);
        t.usec = t.usec.saturating_add(first.duration);
        if tracking {
            t.hist
                .get_or_insert_with(Default::default)
                .record(first.duration.saturating_mul(1000));
        }
        let k = &self.timing.knobs;
        let (s, m) = (k.slowlog_slower_than, k.slowlog_max_len);
        let c = Candidate {
            time: now.wall.as_secs(),
            duration: first.duration,
            argv: Vec::new(),
            peer: peer.to_string(),
            name: name.unwrap_or_default(),
        };
        self.timing.slowlog.push_if_needed(s, m, c);
    }

    fn push_slowlog(&mut self, now: Now, client: &Client, duration: u64, argv: Vec<Vec<u8>>) {
        let k = &self.timing.knobs;
        let (s, m) = (k.slowlog_slower_than, k.slowlog_max_len);
        let c = Candidate {
            time: now.wall.as_secs(),
            duration,
            argv,
            peer: client.addr.peer.to_string(),
            name: client.name.clone().unwrap_or_default(),
        };
        self.timing.slowlog.push_if_needed(s, m, c);
    }

    /// `cmdstat_<name>`'s `usec` for table entry `idx`.
    pub(crate) fn cmd_usec(&self, idx: usize) -> u64 {
        self.timing
            .live(idx, self.cmd_stats[idx].calls)
            .map_or(0, |t| t.usec)
    }

    /// The latency histogram of table entry `idx`, if it has samples since the last reset.
    pub(crate) fn cmd_histogram(&self, idx: usize) -> Option<&Histogram> {
        self.timing
            .live(idx, self.cmd_stats[idx].calls)
            .and_then(|t| t.hist.as_deref())
    }

    /// INFO's `# Latencystats` body: `latency_percentiles_usec_<name>:p50=…,p99=…` for each
    /// command with a histogram, when `latency-tracking` is on.
    pub(crate) fn info_latencystats(&self, s: &mut String) {
        use std::fmt::Write as _;
        if !self.timing.knobs.tracking {
            return;
        }
        for idx in 0..self.table.entries.len() {
            let Some(h) = self.cmd_histogram(idx) else {
                continue;
            };
            let _ = write!(
                s,
                "latency_percentiles_usec_{}:",
                self.table.entries[idx].name
            );
            for (i, (label, p)) in self.timing.knobs.percentiles.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let v = h.value_at_percentile(*p) as f64 / 1000.0;
                let _ = write!(s, "p{label}={v:.3}");
            }
            s.push_str("\r\n");
        }
    }

    /// What LATENCY DOCTOR needs besides the samples.
    pub(crate) fn doctor_settings(&self) -> Settings {
        Settings {
            threshold_ms: self.timing.knobs.threshold_ms,
            slowlog_slower_than: self.timing.knobs.slowlog_slower_than,
            fsync_always: self.config.appendfsync == crate::AppendFsync::Always,
            hz: self.config.hz,
        }
    }
}
