//! A configuration written with Redis 4.0's directive names (our own text; the names and value
//! syntax are those 4.0 accepted) loads: 7.0 keeps them as aliases or ignores the ones it dropped.

use hashslot_node::{Applied, Config};

const REDIS40_STYLE: &str = r#"
bind 127.0.0.1
protected-mode yes
port 6380
tcp-backlog 511
timeout 0
tcp-keepalive 300
daemonize no
supervised no
pidfile /var/run/redis_6380.pid
loglevel notice
logfile ""
databases 16
always-show-logo yes
save 900 1
save 300 10
save 60 10000
stop-writes-on-bgsave-error yes
rdbcompression yes
rdbchecksum yes
dbfilename dump.rdb
dir ./
slaveof 10.1.1.1 6379
masterauth secret
slave-serve-stale-data yes
slave-read-only yes
repl-diskless-sync no
repl-diskless-sync-delay 5
repl-ping-slave-period 10
repl-timeout 60
repl-disable-tcp-nodelay no
repl-backlog-size 1mb
repl-backlog-ttl 3600
slave-priority 100
slave-announce-ip 5.5.5.5
slave-announce-port 1234
min-slaves-to-write 0
min-slaves-max-lag 10
requirepass foobared
rename-command CONFIG ""
maxclients 10000
maxmemory 2gb
maxmemory-policy noeviction
maxmemory-samples 5
lazyfree-lazy-eviction no
lazyfree-lazy-expire no
lazyfree-lazy-server-del no
slave-lazy-flush no
appendonly no
appendfilename "appendonly.aof"
appendfsync everysec
no-appendfsync-on-rewrite no
auto-aof-rewrite-percentage 100
auto-aof-rewrite-min-size 64mb
aof-load-truncated yes
aof-use-rdb-preamble no
lua-time-limit 5000
cluster-config-file nodes-6380.conf
cluster-node-timeout 15000
cluster-slave-validity-factor 10
cluster-migration-barrier 1
cluster-require-full-coverage yes
cluster-slave-no-failover no
cluster-announce-ip 10.1.1.5
cluster-announce-port 6380
cluster-announce-bus-port 16380
slowlog-log-slower-than 10000
slowlog-max-len 128
latency-monitor-threshold 0
notify-keyspace-events ""
hash-max-ziplist-entries 512
hash-max-ziplist-value 64
list-max-ziplist-size -2
list-max-ziplist-entries 512
list-max-ziplist-value 64
list-compress-depth 0
set-max-intset-entries 512
zset-max-ziplist-entries 128
zset-max-ziplist-value 64
hll-sparse-max-bytes 3000
activerehashing yes
client-output-buffer-limit normal 0 0 0
client-output-buffer-limit slave 256mb 64mb 60
client-output-buffer-limit pubsub 32mb 8mb 60
client-query-buffer-limit 1gb
proto-max-bulk-len 512mb
hz 10
aof-rewrite-incremental-fsync yes
lfu-log-factor 10
lfu-decay-time 1
activedefrag no
active-defrag-ignore-bytes 100mb
active-defrag-threshold-lower 10
active-defrag-threshold-upper 100
active-defrag-cycle-min 25
active-defrag-cycle-max 75
syslog-enabled no
syslog-ident redis
syslog-facility local0
unixsocket /tmp/redis.sock
unixsocketperm 700
"#;

#[test]
fn redis40_style_conf_loads() {
    let mut c = Config::default();
    let mut ignored = Vec::new();
    for line in REDIS40_STYLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let mut words: Vec<Vec<u8>> = Vec::new();
        for w in line.split_whitespace() {
            words.push(w.trim_matches('"').as_bytes().to_vec());
        }
        let name = String::from_utf8(words.remove(0)).unwrap();
        match c.apply_startup(&name, &words) {
            Ok(Applied::Ignored) => ignored.push(name),
            Ok(Applied::Acted) => {}
            Err(e) => panic!("{line}: {e}"),
        }
    }
    c.finish_startup().unwrap();
    assert_eq!(c.get("save").as_deref(), Some("900 1 300 10 60 10000"));
    assert_eq!(c.get("replicaof").as_deref(), Some("10.1.1.1 6379"));
    assert_eq!(c.get("replica-announce-ip").as_deref(), Some("5.5.5.5"));
    assert_eq!(c.get("hash-max-listpack-entries").as_deref(), Some("512"));
    assert_eq!(c.get("maxmemory").as_deref(), Some("2147483648"));
    assert_eq!(c.get("unixsocketperm").as_deref(), Some("700"));
    assert_eq!(c.cluster_config_file, "nodes-6380.conf");
    assert_eq!(c.cluster_announce_ip.as_deref(), Some("10.1.1.5"));
    assert_eq!(c.rename_commands, vec![(b"CONFIG".to_vec(), Vec::new())]);
    assert!(ignored.iter().any(|n| n == "list-max-ziplist-entries"));
    assert!(!ignored
        .iter()
        .any(|n| n == "port" || n == "cluster-node-timeout"));
}
