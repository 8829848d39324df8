//! The directive table: every parameter Redis 7.0.15 knows (`static_configs[]` in `config.c`,
//! including the TLS block Debian's build has), with alias, type, bounds, default as CONFIG GET
//! prints it, flags, and whether hashslot acts on it. Data only.

/// How a numeric parameter is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Num {
    /// A plain integer (`string2ll`).
    Plain,
    /// A byte count with optional unit (`1gb`, `64k`); printed as bytes.
    Memory,
    /// A byte count or a percentage (`10%`, stored negative as Redis does).
    MemoryPercent,
    /// An octal number (`unixsocketperm 700`).
    Octal,
}

/// String checks Redis runs before accepting a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrCheck {
    None,
    DbFilename,
    AofFilename,
    AofDirname,
    Hostname,
    ProcTitle,
}

/// Parameters with their own syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyPercentiles,
}

/// The type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    /// `unsigned`: Redis bound-checks the value as unsigned (uint, unsigned long long, size_t).
    Int {
        min: i128,
        max: i128,
        unsigned: bool,
        num: Num,
    },
    /// `multi`: several names OR-ed together (bit flags), as `shutdown-on-sigint`.
    Enum {
        values: &'static [(&'static str, u32)],
        multi: bool,
    },
    Str {
        check: StrCheck,
    },
    Special(Special),
}

/// Startup only: CONFIG SET refuses it.
pub(crate) const IMMUTABLE: u8 = 1;
/// Not matched by CONFIG GET patterns, only by its exact name.
pub(crate) const HIDDEN: u8 = 2;
/// CONFIG SET needs `enable-protected-configs`.
pub(crate) const PROTECTED: u8 = 4;

/// One parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub flags: u8,
    /// hashslot acts on it (`Applied::Acted`); otherwise stored only.
    pub acted: bool,
    /// The default as CONFIG GET prints it.
    pub default: &'static str,
}

impl Param {
    /// Whether the parameter takes several arguments (split on spaces in CONFIG SET).
    pub(crate) fn is_multi(&self) -> bool {
        match self.kind {
            Kind::Enum { multi, .. } => multi,
            Kind::Special(s) => !matches!(s, Special::Dir | Special::NotifyKeyspaceEvents),
            _ => false,
        }
    }
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

pub(crate) const MAXMEMORY_POLICY: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
pub(crate) const SYSLOG_FACILITY: &[(&str, u32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
/// Values are `LogLevel` order: debug 0 … warning 3.
pub(crate) const LOGLEVEL: &[(&str, u32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
pub(crate) const SUPERVISED: &[(&str, u32)] =
    &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
/// Values are `AppendFsync` order: everysec 0, always 1, no 2.
pub(crate) const AOF_FSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
/// Bit flags: save 1, nosave 2, now 4, force 8.
pub(crate) const SHUTDOWN_ON_SIG: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
pub(crate) const REPL_DISKLESS_LOAD: &[(&str, u32)] =
    &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
pub(crate) const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
pub(crate) const OOM_SCORE_ADJ: &[(&str, u32)] =
    &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
pub(crate) const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 1), ("resetchannels", 0)];
pub(crate) const SANITIZE_DUMP_PAYLOAD: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// Values: no 0, yes 1, local 2.
pub(crate) const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
pub(crate) const ENDPOINT_TYPE: &[(&str, u32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
pub(crate) const PROPAGATION_ERROR: &[(&str, u32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

/// Names Redis 7.0 still accepts (with one argument) and ignores.
pub(crate) const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

const fn b(name: &'static str, alias: Option<&'static str>, flags: u8, default: bool) -> Param {
    Param {
        name,
        alias,
        kind: Kind::Bool,
        flags,
        acted: false,
        default: yn(default),
    }
}
const fn yn(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}
const fn s(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        kind: Kind::Str {
            check: StrCheck::None,
        },
        flags,
        acted: false,
        default,
    }
}
const fn e(
    name: &'static str,
    flags: u8,
    values: &'static [(&'static str, u32)],
    default: &'static str,
) -> Param {
    Param {
        name,
        alias: None,
        kind: Kind::Enum {
            values,
            multi: false,
        },
        flags,
        acted: false,
        default,
    }
}
#[allow(clippy::too_many_arguments)]
const fn n(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    unsigned: bool,
    num: Num,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        kind: Kind::Int {
            min,
            max,
            unsigned,
            num,
        },
        flags,
        acted: false,
        default,
    }
}
const fn i(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Param {
    n(name, alias, flags, min, max, false, Num::Plain, default)
}
const fn sp(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    s: Special,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        kind: Kind::Special(s),
        flags,
        acted: false,
        default,
    }
}
const fn act(mut p: Param) -> Param {
    p.acted = true;
    p
}
const fn check(mut p: Param, c: StrCheck) -> Param {
    p.kind = Kind::Str { check: c };
    p
}
const fn multi(mut p: Param) -> Param {
    if let Kind::Enum { values, .. } = p.kind {
        p.kind = Kind::Enum {
            values,
            multi: true,
        };
    }
    p
}

const I: u8 = IMMUTABLE;
const M: u8 = 0;
const H: u8 = HIDDEN;
const P: u8 = PROTECTED;
const U: bool = true;
const S: bool = false;

/// Every parameter, in `static_configs[]` order.
pub(crate) static PARAMS: &[Param] = &[
    // Bool
    act(b("rdbchecksum", None, I, true)),
    act(b("daemonize", None, I, false)),
    b("io-threads-do-reads", None, I, false),
    b("always-show-logo", None, I, false),
    act(b("protected-mode", None, M, true)),
    act(b("rdbcompression", None, M, true)),
    b("rdb-del-sync-files", None, M, false),
    b("activerehashing", None, M, true),
    b("stop-writes-on-bgsave-error", None, M, true),
    b("set-proc-title", None, I, true),
    b("dynamic-hz", None, M, true),
    b("lazyfree-lazy-eviction", None, M, false),
    b("lazyfree-lazy-expire", None, M, false),
    b("lazyfree-lazy-server-del", None, M, false),
    b("lazyfree-lazy-user-del", None, M, false),
    b("lazyfree-lazy-user-flush", None, M, false),
    b("repl-disable-tcp-nodelay", None, M, false),
    b("repl-diskless-sync", None, M, true),
    b("aof-rewrite-incremental-fsync", None, M, true),
    b("no-appendfsync-on-rewrite", None, M, false),
    b("cluster-require-full-coverage", None, M, true),
    b("rdb-save-incremental-fsync", None, M, true),
    act(b("aof-load-truncated", None, M, true)),
    b("aof-use-rdb-preamble", None, M, true),
    b("aof-timestamp-enabled", None, M, false),
    b(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        M,
        false,
    ),
    b("replica-lazy-flush", Some("slave-lazy-flush"), M, false),
    b(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        M,
        true,
    ),
    b("replica-read-only", Some("slave-read-only"), M, true),
    b(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        M,
        true,
    ),
    b("jemalloc-bg-thread", None, M, true),
    b("activedefrag", None, M, false),
    b("syslog-enabled", None, I, false),
    act(b("cluster-enabled", None, I, false)),
    act(b("appendonly", None, M, false)),
    b("cluster-allow-reads-when-down", None, M, false),
    b("cluster-allow-pubsubshard-when-down", None, M, true),
    b("crash-log-enabled", None, M, true),
    b("crash-memcheck-enabled", None, M, true),
    b("use-exit-on-panic", None, M | H, false),
    b("disable-thp", None, I, true),
    b("cluster-allow-replica-migration", None, M, true),
    b("replica-announced", None, M, true),
    b("latency-tracking", None, M, true),
    b("aof-disable-auto-gc", None, M, false),
    b("replica-ignore-disk-write-errors", None, M, false),
    // String
    act(s("aclfile", None, I, "")),
    s("unixsocket", None, I, ""),
    act(s("pidfile", None, I, "")),
    s("replica-announce-ip", Some("slave-announce-ip"), M, ""),
    s("masteruser", None, M, ""),
    act(s("cluster-announce-ip", None, M, "")),
    act(s("cluster-config-file", None, I, "nodes.conf")),
    act(check(
        s("cluster-announce-hostname", None, M, ""),
        StrCheck::Hostname,
    )),
    s("syslog-ident", None, I, "redis"),
    act(check(
        s("dbfilename", None, M | P, "dump.rdb"),
        StrCheck::DbFilename,
    )),
    act(check(
        s("appendfilename", None, I, "appendonly.aof"),
        StrCheck::AofFilename,
    )),
    act(check(
        s("appenddirname", None, I, "appendonlydir"),
        StrCheck::AofDirname,
    )),
    s("server_cpulist", None, I, ""),
    s("bio_cpulist", None, I, ""),
    s("aof_rewrite_cpulist", None, I, ""),
    s("bgsave_cpulist", None, I, ""),
    s("ignore-warnings", None, M, ""),
    check(
        s(
            "proc-title-template",
            None,
            M,
            "{title} {listen-addr} {server-mode}",
        ),
        StrCheck::ProcTitle,
    ),
    s("bind-source-addr", None, M, ""),
    act(s("logfile", None, I, "")),
    s("masterauth", None, M, ""),
    act(s("requirepass", None, M, "")),
    // Enum
    e("supervised", I, SUPERVISED, "no"),
    e("syslog-facility", I, SYSLOG_FACILITY, "local0"),
    e("repl-diskless-load", M, REPL_DISKLESS_LOAD, "disabled"),
    act(e("loglevel", M, LOGLEVEL, "notice")),
    e("maxmemory-policy", M, MAXMEMORY_POLICY, "noeviction"),
    act(e("appendfsync", M, AOF_FSYNC, "everysec")),
    e("oom-score-adj", M, OOM_SCORE_ADJ, "no"),
    e("acl-pubsub-default", M, ACL_PUBSUB_DEFAULT, "resetchannels"),
    e("sanitize-dump-payload", M, SANITIZE_DUMP_PAYLOAD, "no"),
    e("enable-protected-configs", I, PROTECTED_ACTION, "no"),
    act(e("enable-debug-command", I, PROTECTED_ACTION, "no")),
    e("enable-module-command", I, PROTECTED_ACTION, "no"),
    e("cluster-preferred-endpoint-type", M, ENDPOINT_TYPE, "ip"),
    e("propagation-error-behavior", M, PROPAGATION_ERROR, "ignore"),
    multi(e("shutdown-on-sigint", M, SHUTDOWN_ON_SIG, "default")),
    multi(e("shutdown-on-sigterm", M, SHUTDOWN_ON_SIG, "default")),
    // int
    act(i("databases", None, I, 1, INT_MAX, "16")),
    act(i("port", None, M, 0, 65535, "6379")),
    i("io-threads", None, I, 1, 128, "1"),
    i("auto-aof-rewrite-percentage", None, M, 0, INT_MAX, "100"),
    i(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        M,
        0,
        INT_MAX,
        "10",
    ),
    i(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        M,
        INT_MIN,
        INT_MAX,
        "-2",
    ),
    act(i("tcp-keepalive", None, M, 0, INT_MAX, "300")),
    i("cluster-migration-barrier", None, M, 0, INT_MAX, "1"),
    i("active-defrag-cycle-min", None, M, 1, 99, "1"),
    i("active-defrag-cycle-max", None, M, 1, 99, "25"),
    i("active-defrag-threshold-lower", None, M, 0, 1000, "10"),
    i("active-defrag-threshold-upper", None, M, 0, 1000, "100"),
    i("lfu-log-factor", None, M, 0, INT_MAX, "10"),
    i("lfu-decay-time", None, M, 0, INT_MAX, "1"),
    i(
        "replica-priority",
        Some("slave-priority"),
        M,
        0,
        INT_MAX,
        "100",
    ),
    i("repl-diskless-sync-delay", None, M, 0, INT_MAX, "5"),
    i("maxmemory-samples", None, M, 1, INT_MAX, "5"),
    i("maxmemory-eviction-tenacity", None, M, 0, 100, "10"),
    act(i("timeout", None, M, 0, INT_MAX, "0")),
    i(
        "replica-announce-port",
        Some("slave-announce-port"),
        M,
        0,
        65535,
        "0",
    ),
    act(i("tcp-backlog", None, I, 0, INT_MAX, "511")),
    act(i("cluster-port", None, I, 0, 65535, "0")),
    act(i("cluster-announce-bus-port", None, M, 0, 65535, "0")),
    act(i("cluster-announce-port", None, M, 0, 65535, "0")),
    i("cluster-announce-tls-port", None, M, 0, 65535, "0"),
    i("repl-timeout", None, M, 1, INT_MAX, "60"),
    i(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        M,
        1,
        INT_MAX,
        "10",
    ),
    i("list-compress-depth", None, M, 0, INT_MAX, "0"),
    i("rdb-key-save-delay", None, M | H, INT_MIN, INT_MAX, "0"),
    i("key-load-delay", None, M | H, INT_MIN, INT_MAX, "0"),
    i("active-expire-effort", None, M, 1, 10, "1"),
    act(i("hz", None, M, 0, INT_MAX, "10")),
    i(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        M,
        0,
        INT_MAX,
        "0",
    ),
    i(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        M,
        0,
        INT_MAX,
        "10",
    ),
    i("watchdog-period", None, M | H, 0, INT_MAX, "0"),
    i("shutdown-timeout", None, M, 0, INT_MAX, "10"),
    i("repl-diskless-sync-max-replicas", None, M, 0, INT_MAX, "0"),
    // unsigned int
    act(n(
        "maxclients",
        None,
        M,
        1,
        UINT_MAX,
        U,
        Num::Plain,
        "10000",
    )),
    n("unixsocketperm", None, I, 0, 0o777, U, Num::Octal, "0"),
    n("socket-mark-id", None, I, 0, UINT_MAX, U, Num::Plain, "0"),
    // unsigned long
    i(
        "active-defrag-max-scan-fields",
        None,
        M,
        1,
        LONG_MAX,
        "1000",
    ),
    i("slowlog-max-len", None, M, 0, LONG_MAX, "128"),
    i("acllog-max-len", None, M, 0, LONG_MAX, "128"),
    // long long
    i(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        M,
        0,
        LONG_MAX,
        "5000",
    ),
    act(i("cluster-node-timeout", None, M, 0, LONG_MAX, "15000")),
    i("slowlog-log-slower-than", None, M, -1, LONG_MAX, "10000"),
    i("latency-monitor-threshold", None, M, 0, LONG_MAX, "0"),
    act(n(
        "proto-max-bulk-len",
        None,
        M,
        1 << 20,
        LONG_MAX,
        S,
        Num::Memory,
        "536870912",
    )),
    i("stream-node-max-entries", None, M, 0, LONG_MAX, "100"),
    n(
        "repl-backlog-size",
        None,
        M,
        1,
        LONG_MAX,
        S,
        Num::Memory,
        "1048576",
    ),
    // unsigned long long
    n("maxmemory", None, M, 0, ULLONG_MAX, U, Num::Memory, "0"),
    n(
        "cluster-link-sendbuf-limit",
        None,
        M,
        0,
        ULLONG_MAX,
        U,
        Num::Memory,
        "0",
    ),
    // size_t
    n(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        M,
        0,
        LONG_MAX,
        U,
        Num::Plain,
        "512",
    ),
    n(
        "set-max-intset-entries",
        None,
        M,
        0,
        LONG_MAX,
        U,
        Num::Plain,
        "512",
    ),
    n(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        M,
        0,
        LONG_MAX,
        U,
        Num::Plain,
        "128",
    ),
    n(
        "active-defrag-ignore-bytes",
        None,
        M,
        1,
        LONG_MAX,
        U,
        Num::Memory,
        "104857600",
    ),
    n(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        M,
        0,
        LONG_MAX,
        U,
        Num::Memory,
        "64",
    ),
    n(
        "stream-node-max-bytes",
        None,
        M,
        0,
        LONG_MAX,
        U,
        Num::Memory,
        "4096",
    ),
    n(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        M,
        0,
        LONG_MAX,
        U,
        Num::Memory,
        "64",
    ),
    n(
        "hll-sparse-max-bytes",
        None,
        M,
        0,
        LONG_MAX,
        U,
        Num::Memory,
        "3000",
    ),
    n(
        "tracking-table-max-keys",
        None,
        M,
        0,
        LONG_MAX,
        U,
        Num::Plain,
        "1000000",
    ),
    act(n(
        "client-query-buffer-limit",
        None,
        M,
        1 << 20,
        LONG_MAX,
        U,
        Num::Memory,
        "1073741824",
    )),
    n(
        "maxmemory-clients",
        None,
        M,
        -100,
        LONG_MAX,
        S,
        Num::MemoryPercent,
        "0",
    ),
    // time_t, off_t
    i("repl-backlog-ttl", None, M, 0, LONG_MAX, "3600"),
    n(
        "auto-aof-rewrite-min-size",
        None,
        M,
        0,
        LONG_MAX,
        S,
        Num::Memory,
        "67108864",
    ),
    i(
        "loading-process-events-interval-bytes",
        None,
        M | H,
        1024,
        INT_MAX,
        "2097152",
    ),
    // TLS (Debian builds with OpenSSL); hashslot has no TLS: stored only.
    i("tls-port", None, M, 0, 65535, "0"),
    i("tls-session-cache-size", None, M, 0, INT_MAX, "20480"),
    i("tls-session-cache-timeout", None, M, 0, INT_MAX, "300"),
    b("tls-cluster", None, M, false),
    b("tls-replication", None, M, false),
    e("tls-auth-clients", M, TLS_AUTH_CLIENTS, "yes"),
    b("tls-prefer-server-ciphers", None, M, false),
    b("tls-session-caching", None, M, true),
    s("tls-cert-file", None, M, ""),
    s("tls-key-file", None, M, ""),
    s("tls-key-file-pass", None, M, ""),
    s("tls-client-cert-file", None, M, ""),
    s("tls-client-key-file", None, M, ""),
    s("tls-client-key-file-pass", None, M, ""),
    s("tls-dh-params-file", None, M, ""),
    s("tls-ca-cert-file", None, M, ""),
    s("tls-ca-cert-dir", None, M, ""),
    s("tls-protocols", None, M, ""),
    s("tls-ciphers", None, M, ""),
    s("tls-ciphersuites", None, M, ""),
    // Special
    act(sp("dir", None, M | P, Special::Dir, "")),
    act(sp(
        "save",
        None,
        M,
        Special::Save,
        "3600 1 300 100 60 10000",
    )),
    sp(
        "client-output-buffer-limit",
        None,
        M,
        Special::ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    sp(
        "oom-score-adj-values",
        None,
        M,
        Special::OomScoreAdjValues,
        "0 200 800",
    ),
    sp(
        "notify-keyspace-events",
        None,
        M,
        Special::NotifyKeyspaceEvents,
        "",
    ),
    act(sp("bind", None, M, Special::Bind, "* -::*")),
    sp("replicaof", Some("slaveof"), I, Special::ReplicaOf, ""),
    sp(
        "latency-tracking-info-percentiles",
        None,
        M,
        Special::LatencyPercentiles,
        "50 99 99.9",
    ),
    // hashslot's own, not Redis's: record the node's inputs to a file that hashslot-sim can
    // replay (off while the path is empty). Hidden, so CONFIG GET * lists what Redis lists.
    act(s("hashslot-record-file", None, I | H, "")),
    act(n(
        "hashslot-record-max-bytes",
        None,
        I | H,
        4096,
        LONG_MAX,
        S,
        Num::Memory,
        "268435456",
    )),
];

/// A parameter found by name: its index, and whether the name was its alias.
pub(crate) fn lookup(name: &[u8]) -> Option<(usize, bool)> {
    PARAMS.iter().enumerate().find_map(|(idx, p)| {
        if p.name.as_bytes().eq_ignore_ascii_case(name) {
            Some((idx, false))
        } else if p
            .alias
            .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
        {
            Some((idx, true))
        } else {
            None
        }
    })
}
