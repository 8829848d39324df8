//! LATENCY DOCTOR's report, in Redis 7.0.15's words. Ref: latency.c createLatencyReport.
//!
//! Two of Redis's inputs do not exist here: the fork rate (the node never forks, so there is no
//! `fork` event) and the process's transparent huge pages (read from /proc by Redis; a sans-IO
//! node reads no file), which never adds its advice.

use std::fmt::Write as _;

use super::monitor::Monitor;

/// What the report needs besides the samples.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub threshold_ms: u64,
    pub slowlog_slower_than: i64,
    pub fsync_always: bool,
    pub hz: u32,
}

/// One piece of advice, in the order Redis prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    SlowlogEnable,
    SlowlogTuning,
    SlowlogInspect,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    DiskContention,
    NoAppendfsync,
    RelaxFsync,
    WriteLoadInfo,
    Hz,
    LargeObjects,
    MassEviction,
}

/// The report for `monitor` at `now_secs`.
pub(crate) fn report(monitor: &Monitor, s: Settings, now_secs: i64) -> String {
    if monitor.is_empty() && s.threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
                instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" \
                in order to enable it. If we weren't in a deep space mission I'd suggest to take \
                a look at https://redis.io/topics/latency-monitor.\n"
            .to_owned();
    }
    let mut out = String::new();
    let mut advice: Vec<Advice> = Vec::new();
    // Redis counts advices (some more than once) only to choose the closing text.
    let mut advices = 0;
    let mut events = 0;
    for (event, series) in monitor.iter() {
        events += 1;
        if events == 1 {
            out.push_str(
                "Dave, I have observed latency spikes in this Redis instance. You don't mind \
                 talking about it, do you Dave?\n\n",
            );
        }
        let a = Monitor::analyze(series, now_secs);
        let period = if a.samples == 0 {
            f64::NAN
        } else {
            a.period as f64 / a.samples as f64
        };
        let _ = write!(
            out,
            "{events}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period \
             {period:.2} sec). Worst all time event {}ms.",
            a.samples, a.avg, a.mad, series.max
        );
        let mut add = |list: &[Advice], n: usize| {
            advice.extend_from_slice(list);
            advices += n;
        };
        match event.to_ascii_lowercase().as_str() {
            "command" => {
                if s.slowlog_slower_than < 0 {
                    add(&[Advice::SlowlogEnable], 1);
                } else if (s.slowlog_slower_than / 1000) as u64 > s.threshold_ms {
                    add(&[Advice::SlowlogTuning], 1);
                }
                add(&[Advice::SlowlogInspect, Advice::LargeObjects], 2);
            }
            "fast-command" => add(&[Advice::Scheduler], 1),
            "aof-write-pending-fsync" => add(
                &[
                    Advice::LocalDisk,
                    Advice::DiskContention,
                    Advice::Ssd,
                    Advice::DataWriteback,
                ],
                4,
            ),
            "aof-write-active-child" => add(
                &[Advice::NoAppendfsync, Advice::DataWriteback, Advice::Ssd],
                3,
            ),
            "aof-write-alone" => add(&[Advice::LocalDisk, Advice::DataWriteback, Advice::Ssd], 3),
            "aof-fsync-always" => add(&[Advice::RelaxFsync], 1),
            "aof-fstat" | "rdb-unlink-temp-file" => {
                add(&[Advice::DiskContention, Advice::LocalDisk], 2)
            }
            "aof-rewrite-diff-write" | "aof-rename" => add(
                &[
                    Advice::WriteLoadInfo,
                    Advice::DataWriteback,
                    Advice::Ssd,
                    Advice::LocalDisk,
                ],
                4,
            ),
            "expire-cycle" => add(&[Advice::Hz, Advice::LargeObjects], 2),
            "eviction-del" => add(&[Advice::LargeObjects], 1),
            "eviction-cycle" => add(&[Advice::MassEviction], 1),
            _ => {}
        }
        out.push('\n');
    }
    if events == 0 && advices == 0 {
        out.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not \
             in the slightest bit. I honestly think you ought to sit down calmly, take a stress \
             pill, and think things over.\n",
        );
        return out;
    }
    if advices == 0 {
        out.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. \
             Please use the Redis community to get some help, providing this report in your \
             help request.\n",
        );
        return out;
    }
    out.push_str("\nI have a few advices for you:\n\n");
    advice.sort();
    advice.dedup();
    let us = s.threshold_ms.saturating_mul(1000);
    for a in advice {
        let text = match a {
            Advice::SlowlogEnable => format!(
                "- There are latency issues with potentially slow commands you are using. Try to \
                 enable the Slow Log Redis feature using the command 'CONFIG SET \
                 slowlog-log-slower-than {us}'. If the Slow log is disabled Redis is not able to \
                 log slow commands execution for you.\n"
            ),
            Advice::SlowlogTuning => format!(
                "- Your current Slow Log configuration only logs events that are slower than \
                 your configured latency monitor threshold. Please use 'CONFIG SET \
                 slowlog-log-slower-than {us}'.\n"
            ),
            Advice::SlowlogInspect => "- Check your Slow Log to understand what are the commands \
                you are running which are too slow to execute. Please check \
                https://redis.io/commands/slowlog for more information.\n"
                .to_owned(),
            Advice::Scheduler => "- The system is slow to execute Redis code paths not \
                containing system calls. This usually means the system does not provide Redis \
                CPU time to run for long periods. You should try to:\n  1) Lower the system \
                load.\n  2) Use a computer / VM just for Redis if you are running other \
                software in the same system.\n  3) Check if you have a \"noisy neighbour\" \
                problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the \
                intrinsic latency in your system.\n  5) Check if the problem is \
                allocator-related by recompiling Redis with MALLOC=libc, if you are using \
                Jemalloc. However this may create fragmentation problems.\n"
                .to_owned(),
            Advice::LocalDisk => "- It is strongly advised to use local disks for persistence, \
                especially if you are using AOF. Remote disks provided by platform-as-a-service \
                providers are known to be slow.\n"
                .to_owned(),
            Advice::Ssd => "- SSD disks are able to reduce fsync latency, and total time needed \
                for snapshotting and AOF log rewriting (resulting in smaller memory usage). With \
                extremely high write load SSD disks can be a good option. However Redis should \
                perform reasonably with high load using normal disks. Use this advice as a last \
                resort.\n"
                .to_owned(),
            Advice::DataWriteback => "- Mounting ext3/4 filesystems with data=writeback can \
                provide a performance boost compared to data=ordered, however this mode of \
                operation provides less guarantees, and sometimes it can happen that after a \
                hard crash the AOF file will have a half-written command at the end and will \
                require to be repaired before Redis restarts.\n"
                .to_owned(),
            Advice::DiskContention => "- Try to lower the disk contention. This is often caused \
                by other disk intensive processes running in the same computer (including other \
                Redis instances).\n"
                .to_owned(),
            Advice::NoAppendfsync => "- Assuming from the point of view of data safety this is \
                viable in your environment, you could try to enable the \
                'no-appendfsync-on-rewrite' option, so that fsync will not be performed while \
                there is a child rewriting the AOF file or producing an RDB file (the moment \
                where there is high disk contention).\n"
                .to_owned(),
            Advice::RelaxFsync if s.fsync_always => "- Your fsync policy is set to 'always'. It \
                is very hard to get good performances with such a setup, if possible try to \
                relax the fsync policy to 'onesec'.\n"
                .to_owned(),
            Advice::WriteLoadInfo => "- Latency during the AOF atomic rename operation or when \
                the final difference is flushed to the AOF file at the end of the rewrite, \
                sometimes is caused by very high write load, causing the AOF buffer to get very \
                large. If possible try to send less commands to accomplish the same work, or use \
                Lua scripts to group multiple operations into a single EVALSHA call.\n"
                .to_owned(),
            Advice::Hz if s.hz < 100 => "- In order to make the Redis keys expiring process more \
                incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG \
                SET hz 100'.\n"
                .to_owned(),
            Advice::LargeObjects => "- Deleting, expiring or evicting (because of maxmemory \
                policy) large objects is a blocking operation. If you have very large objects \
                that are often deleted, expired, or evicted, try to fragment those objects into \
                multiple smaller objects.\n"
                .to_owned(),
            Advice::MassEviction => "- Sudden changes to the 'maxmemory' setting via 'CONFIG \
                SET', or allocation of large objects via sets or sorted sets intersections, \
                STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may \
                create sudden memory pressure forcing the server to block trying to evict keys. \
                \n"
            .to_owned(),
            Advice::RelaxFsync | Advice::Hz => String::new(),
        };
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            threshold_ms: 1,
            slowlog_slower_than: 10000,
            fsync_always: false,
            hz: 10,
        }
    }

    #[test]
    fn disabled_and_quiet_reports() {
        let m = Monitor::default();
        let off = Settings {
            threshold_ms: 0,
            ..settings()
        };
        assert!(report(&m, off, 0).starts_with("I'm sorry, Dave"));
        assert!(report(&m, settings(), 0).starts_with("Dave, no latency spike"));
    }

    #[test]
    fn command_event_advice() {
        let mut m = Monitor::default();
        m.add_sample("command", 10, 100);
        let r = report(&m, settings(), 100);
        assert!(r.contains(
            "1. command: 1 latency spikes (average 10ms, mean deviation 0ms, period 1.00 sec). \
             Worst all time event 10ms.\n"
        ));
        assert!(r.contains("'CONFIG SET slowlog-log-slower-than 1000'"));
        assert!(r.contains("- Check your Slow Log"));
        assert!(r.contains("- Deleting, expiring or evicting"));
        assert!(r.find("- Your current Slow Log") < r.find("- Check your Slow Log"));
    }
}
