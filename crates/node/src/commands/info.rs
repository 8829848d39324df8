//! INFO: Redis 7.0's sections and field names, in its order. Fields we can measure carry our
//! numbers; fields for features we lack carry the value Redis shows when the feature is idle.

use std::fmt::Write as _;

use hashslot_types::Now;

use crate::session::Client;
use crate::{keyspace_ext, Node, REDIS_VERSION};

/// Every section, in output order, with whether `INFO` without arguments shows it.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

pub(super) fn info(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut wanted = [false; SECTIONS.len()];
    if args.len() == 1 {
        for (w, (_, default)) in wanted.iter_mut().zip(SECTIONS) {
            *w = *default;
        }
    }
    for a in &args[1..] {
        let a = a.to_ascii_lowercase();
        for (i, (name, default)) in SECTIONS.iter().enumerate() {
            wanted[i] |= match &a[..] {
                b"all" | b"everything" => true,
                b"default" => *default,
                s => s == name.as_bytes(),
            };
        }
    }
    let text = node.info_text(now, c, &wanted);
    c.reply().verbatim(b"txt", text.as_bytes());
}

/// Redis's `bytesToHuman`.
fn human(n: u64) -> String {
    const UNITS: [(u64, char); 5] = [
        (1 << 50, 'P'),
        (1 << 40, 'T'),
        (1 << 30, 'G'),
        (1 << 20, 'M'),
        (1 << 10, 'K'),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

macro_rules! field {
    ($s:expr, $($arg:tt)*) => {{
        let _ = write!($s, $($arg)*);
        $s.push_str("\r\n");
    }};
}

impl Node {
    fn info_text(&self, now: Now, cur: &Client, wanted: &[bool]) -> String {
        let mut s = String::with_capacity(4096);
        let mut first = true;
        for (i, (name, _)) in SECTIONS.iter().enumerate() {
            if !wanted[i] {
                continue;
            }
            if !first {
                s.push_str("\r\n");
            }
            first = false;
            let mut title = name.to_string();
            title[..1].make_ascii_uppercase();
            if *name == "cpu" {
                title = "CPU".into();
            }
            field!(s, "# {title}");
            match *name {
                "server" => self.info_server(now, &mut s),
                "clients" => self.info_clients(cur, &mut s),
                "memory" => self.info_memory(&mut s),
                "persistence" => self.info_persistence(&mut s),
                "stats" => self.info_stats(&mut s),
                "replication" => self.info_replication(now, &mut s),
                "cpu" => self.info_cpu(&mut s),
                "commandstats" => self.info_commandstats(&mut s),
                "errorstats" => {
                    for (prefix, n) in &self.stats.errorstats {
                        field!(s, "errorstat_{prefix}:count={n}");
                    }
                }
                "cluster" => field!(
                    s,
                    "cluster_enabled:{}",
                    u8::from(self.config.cluster_enabled)
                ),
                "keyspace" => self.info_keyspace(now, &mut s),
                "latencystats" => self.info_latencystats(&mut s),
                _ => {} // modules: nothing to report.
            }
        }
        s
    }

    fn info_server(&self, now: Now, s: &mut String) {
        let uptime = now
            .mono
            .saturating_duration_since(self.started.mono)
            .as_secs();
        let p = &self.process;
        let mode = if self.config.cluster_enabled {
            "cluster"
        } else {
            "standalone"
        };
        let mux = if cfg!(any(target_os = "linux", target_os = "android")) {
            "epoll"
        } else {
            "kqueue"
        };
        field!(s, "redis_version:{REDIS_VERSION}");
        field!(s, "hashslot_version:{}", env!("CARGO_PKG_VERSION"));
        field!(s, "redis_git_sha1:00000000");
        field!(s, "redis_git_dirty:0");
        field!(s, "redis_build_id:0");
        field!(s, "redis_mode:{mode}");
        field!(s, "os:{}", p.os);
        field!(s, "arch_bits:{}", p.arch_bits);
        field!(s, "monotonic_clock:POSIX clock_gettime");
        field!(s, "multiplexing_api:{mux}");
        field!(s, "atomicvar_api:c11-builtin");
        field!(s, "gcc_version:0.0.0");
        field!(s, "process_id:{}", p.pid);
        field!(s, "process_supervised:no");
        field!(s, "run_id:{}", self.run_id);
        field!(s, "tcp_port:{}", self.config.port);
        field!(
            s,
            "server_time_usec:{}",
            now.wall.0 * 1000 + i64::from(now.wall_micros)
        );
        field!(s, "uptime_in_seconds:{uptime}");
        field!(s, "uptime_in_days:{}", uptime / 86400);
        field!(s, "hz:{}", self.config.hz);
        field!(s, "configured_hz:{}", self.config.hz);
        field!(s, "lru_clock:{}", now.wall.as_secs() & ((1 << 24) - 1));
        field!(s, "executable:{}", p.executable);
        field!(s, "config_file:{}", p.config_file);
        field!(s, "io_threads_active:0");
    }

    fn info_clients(&self, cur: &Client, s: &mut String) {
        let clients = || {
            self.sessions
                .values()
                .map(|x| &x.client)
                .chain(std::iter::once(cur))
        };
        let max_in = self
            .sessions
            .values()
            .map(|x| x.qbuf.len())
            .max()
            .unwrap_or(0);
        let max_out = clients().map(|c| c.out.len()).max().unwrap_or(0);
        field!(s, "connected_clients:{}", self.sessions.len() + 1);
        field!(s, "cluster_connections:0");
        field!(s, "maxclients:{}", self.config.maxclients);
        field!(s, "client_recent_max_input_buffer:{max_in}");
        field!(s, "client_recent_max_output_buffer:{max_out}");
        field!(s, "blocked_clients:{}", self.blocking.len());
        field!(s, "tracking_clients:{}", self.tracking.clients());
        field!(s, "clients_in_timeout_table:{}", self.blocking.timed());
    }

    fn info_memory(&self, s: &mut String) {
        let used = self.used_memory();
        let peak = self.used_memory_peak.max(used);
        let rss = self.proc_stats.rss_bytes;
        let dataset = keyspace_ext::memory(&self.dbs);
        let maxmemory: u64 = self
            .config
            .get("maxmemory")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let policy = self
            .config
            .get("maxmemory-policy")
            .unwrap_or_else(|| "noeviction".into());
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        field!(s, "used_memory:{used}");
        field!(s, "used_memory_human:{}", human(used));
        field!(s, "used_memory_rss:{rss}");
        field!(s, "used_memory_rss_human:{}", human(rss));
        field!(s, "used_memory_peak:{peak}");
        field!(s, "used_memory_peak_human:{}", human(peak));
        field!(s, "used_memory_peak_perc:{:.2}%", ratio(used, peak) * 100.0);
        field!(s, "used_memory_overhead:{}", used - dataset.min(used));
        field!(s, "used_memory_dataset:{dataset}");
        field!(
            s,
            "used_memory_dataset_perc:{:.2}%",
            ratio(dataset, used) * 100.0
        );
        // Scripting (see `scripting`): the interpreters' memory and the caches.
        let sc = &self.scripting;
        let (lua, lua_fn) = (
            sc.used_memory() as u64,
            sc.libs.env.lua.used_memory() as u64,
        );
        let (eval_mem, fn_mem) = (sc.scripts_memory() as u64, sc.libs.code_memory() as u64);
        field!(s, "used_memory_lua:{lua}");
        field!(s, "used_memory_vm_eval:{lua}");
        field!(s, "used_memory_lua_human:{}", human(lua));
        field!(s, "used_memory_scripts_eval:{eval_mem}");
        field!(s, "number_of_cached_scripts:{}", sc.scripts.len());
        field!(s, "number_of_functions:{}", sc.libs.function_count());
        field!(s, "number_of_libraries:{}", sc.libs.len());
        field!(s, "used_memory_vm_functions:{lua_fn}");
        field!(s, "used_memory_vm_total:{}", lua + lua_fn);
        field!(s, "used_memory_vm_total_human:{}", human(lua + lua_fn));
        field!(s, "used_memory_functions:{fn_mem}");
        field!(s, "used_memory_scripts:{}", eval_mem + fn_mem);
        field!(s, "used_memory_scripts_human:{}", human(eval_mem + fn_mem));
        field!(s, "maxmemory:{maxmemory}");
        field!(s, "maxmemory_human:{}", human(maxmemory));
        field!(s, "maxmemory_policy:{policy}");
        field!(s, "mem_fragmentation_ratio:{:.2}", ratio(rss, used));
        field!(s, "mem_fragmentation_bytes:{}", rss as i64 - used as i64);
        field!(s, "mem_not_counted_for_evict:0");
        field!(s, "mem_replication_backlog:0");
        field!(s, "mem_total_replication_buffers:0");
        field!(s, "mem_clients_slaves:0");
        field!(s, "mem_clients_normal:{}", used - dataset.min(used));
        field!(s, "mem_cluster_links:0");
        field!(s, "mem_aof_buffer:0");
        field!(s, "mem_allocator:libc");
        field!(s, "active_defrag_running:0");
        field!(s, "lazyfree_pending_objects:0");
        field!(s, "lazyfreed_objects:0");
    }

    fn info_persistence(&self, s: &mut String) {
        // Filled in by the persistence module (RDB saves, BGSAVE, the AOF).
        self.info_persistence_fields(s);
    }

    fn info_stats(&self, s: &mut String) {
        let st = &self.stats;
        let ks = &self.ks_stats;
        let kbps = |m: &crate::stats::Metric| m.per_sec() as f64 / 1024.0;
        field!(
            s,
            "total_connections_received:{}",
            st.total_connections_received
        );
        field!(
            s,
            "total_commands_processed:{}",
            st.total_commands_processed
        );
        field!(s, "instantaneous_ops_per_sec:{}", st.ops.per_sec());
        field!(s, "total_net_input_bytes:{}", st.total_net_input_bytes);
        field!(s, "total_net_output_bytes:{}", st.total_net_output_bytes);
        field!(s, "total_net_repl_input_bytes:0");
        field!(s, "total_net_repl_output_bytes:0");
        field!(s, "instantaneous_input_kbps:{:.2}", kbps(&st.net_input));
        field!(s, "instantaneous_output_kbps:{:.2}", kbps(&st.net_output));
        field!(s, "instantaneous_input_repl_kbps:0.00");
        field!(s, "instantaneous_output_repl_kbps:0.00");
        field!(s, "rejected_connections:{}", st.rejected_connections);
        let sync = self.repl.sync_stats();
        field!(s, "sync_full:{}", sync.sync_full);
        field!(s, "sync_partial_ok:{}", sync.sync_partial_ok);
        field!(s, "sync_partial_err:{}", sync.sync_partial_err);
        field!(s, "expired_keys:{}", ks.expired_keys);
        for f in [
            "expired_stale_perc:0.00",
            "expired_time_cap_reached_count:0",
        ] {
            field!(s, "{f}");
        }
        for f in [
            "expire_cycle_cpu_milliseconds:0",
            "evicted_keys:0",
            "evicted_clients:0",
        ] {
            field!(s, "{f}");
        }
        field!(s, "total_eviction_exceeded_time:0");
        field!(s, "current_eviction_exceeded_time:0");
        field!(s, "keyspace_hits:{}", ks.keyspace_hits);
        field!(s, "keyspace_misses:{}", ks.keyspace_misses);
        use crate::pubsub::Kind;
        field!(s, "pubsub_channels:{}", self.pubsub.len(Kind::Channel));
        field!(s, "pubsub_patterns:{}", self.pubsub.len(Kind::Pattern));
        field!(s, "pubsubshard_channels:{}", self.pubsub.len(Kind::Shard));
        for f in ["latest_fork_usec:0", "total_forks:0"] {
            field!(s, "{f}");
        }
        field!(
            s,
            "migrate_cached_sockets:{}",
            self.migrate.cached_sockets()
        );
        for f in [
            "slave_expires_tracked_keys:0",
            "active_defrag_hits:0",
            "active_defrag_misses:0",
            "active_defrag_key_hits:0",
            "active_defrag_key_misses:0",
            "total_active_defrag_time:0",
            "current_active_defrag_time:0",
        ] {
            field!(s, "{f}");
        }
        let t = &self.tracking;
        field!(s, "tracking_total_keys:{}", t.total_keys());
        field!(s, "tracking_total_items:{}", t.total_items());
        field!(s, "tracking_total_prefixes:{}", t.total_prefixes());
        field!(s, "unexpected_error_replies:0");
        field!(s, "total_error_replies:{}", st.total_error_replies);
        field!(s, "dump_payload_sanitizations:0");
        field!(s, "total_reads_processed:{}", st.total_reads_processed);
        field!(s, "total_writes_processed:{}", st.total_writes_processed);
        field!(s, "io_threaded_reads_processed:0");
        field!(s, "io_threaded_writes_processed:0");
        field!(s, "reply_buffer_shrinks:0");
        field!(s, "reply_buffer_expands:0");
    }

    /// The replication machine's own section (`role:` … `repl_backlog_histlen:`).
    fn info_replication(&self, now: Now, s: &mut String) {
        s.push_str(&self.repl.info(now));
    }

    fn info_cpu(&self, s: &mut String) {
        let p = &self.proc_stats;
        field!(s, "used_cpu_sys:{:.6}", p.cpu_sys);
        field!(s, "used_cpu_user:{:.6}", p.cpu_user);
        field!(s, "used_cpu_sys_children:0.000000");
        field!(s, "used_cpu_user_children:0.000000");
        field!(s, "used_cpu_sys_main_thread:{:.6}", p.cpu_sys);
        field!(s, "used_cpu_user_main_thread:{:.6}", p.cpu_user);
    }

    /// `cmdstat_<name>`: `usec` is what the stopwatch measured (0 without one, see `stopwatch`).
    fn info_commandstats(&self, s: &mut String) {
        for (i, (e, st)) in self.table.entries.iter().zip(&self.cmd_stats).enumerate() {
            if st.calls + st.rejected_calls + st.failed_calls == 0 {
                continue;
            }
            let usec = self.cmd_usec(i);
            // Ref: genRedisInfoStringCommandStats: a float division printed with %.2f.
            let per_call = if st.calls == 0 {
                0.0
            } else {
                usec as f32 / st.calls as f32
            };
            field!(
                s,
                "cmdstat_{}:calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                e.name,
                st.calls,
                st.rejected_calls,
                st.failed_calls
            );
        }
    }

    fn info_keyspace(&self, now: Now, s: &mut String) {
        for (i, db) in self.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            let (expires, ttl) = (keyspace_ext::expires(db), keyspace_ext::avg_ttl(db, now));
            field!(s, "db{i}:keys={},expires={expires},avg_ttl={ttl}", db.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn human_sizes_as_redis() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(916232), "894.76K");
        assert_eq!(human(12181504), "11.62M");
        assert_eq!(human(25276063744), "23.54G");
    }
}
