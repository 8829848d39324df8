//! Unit tests of the configuration table.

use super::*;

fn args(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn apply(c: &mut Config, name: &str, a: &[&str]) -> Result<Applied, ConfigError> {
    c.apply_startup(name, &args(a))
}

fn err(c: &mut Config, name: &str, a: &[&str]) -> String {
    apply(c, name, a).unwrap_err().to_string()
}

#[test]
fn defaults_match_the_table() {
    let c = Config::default();
    for (idx, p) in PARAMS.iter().enumerate() {
        if p.name != "dir" {
            assert_eq!(c.load(idx), p.default, "{}", p.name);
        }
    }
}

#[test]
fn aliases_reach_their_parameter() {
    let mut c = Config::default();
    assert_eq!(
        apply(&mut c, "slave-read-only", &["no"]),
        Ok(Applied::Ignored)
    );
    assert_eq!(c.get("replica-read-only").as_deref(), Some("no"));
    apply(&mut c, "hash-max-ziplist-entries", &["7"]).unwrap();
    assert_eq!(c.get("hash-max-listpack-entries").as_deref(), Some("7"));
    apply(&mut c, "LUA-TIME-LIMIT", &["9"]).unwrap();
    assert_eq!(c.get("busy-reply-threshold").as_deref(), Some("9"));
    apply(&mut c, "slaveof", &["10.0.0.1", "6380"]).unwrap();
    assert_eq!(c.replicaof, Some(("10.0.0.1".into(), 6380)));
    assert_eq!(c.get("slaveof").as_deref(), Some("10.0.0.1 6380"));
}

#[test]
fn typed_fields_follow_directives() {
    let mut c = Config::default();
    assert_eq!(apply(&mut c, "port", &["7000"]), Ok(Applied::Acted));
    assert_eq!(
        apply(&mut c, "proto-max-bulk-len", &["1gb"]),
        Ok(Applied::Acted)
    );
    assert_eq!(
        apply(&mut c, "requirepass", &["s3cret"]),
        Ok(Applied::Acted)
    );
    assert_eq!(apply(&mut c, "appendonly", &["yes"]), Ok(Applied::Acted));
    apply(&mut c, "loglevel", &["WARNING"]).unwrap();
    apply(&mut c, "cluster-node-timeout", &["5000"]).unwrap();
    apply(&mut c, "maxmemory", &["100mb"]).unwrap();
    assert_eq!(c.port, 7000);
    assert_eq!(c.proto_max_bulk_len, 1 << 30);
    assert_eq!(c.requirepass.as_deref(), Some(&b"s3cret"[..]));
    assert!(c.appendonly);
    assert_eq!(c.loglevel, crate::LogLevel::Warning);
    assert_eq!(c.get("loglevel").as_deref(), Some("warning"));
    assert_eq!(c.cluster_node_timeout, 5000);
    assert_eq!(c.get("maxmemory").as_deref(), Some("104857600"));
}

#[test]
fn save_lines_add_up_in_a_file_and_replace_at_runtime() {
    let mut c = Config::default();
    apply(&mut c, "save", &["900", "1"]).unwrap();
    apply(&mut c, "save", &["300 10"]).unwrap();
    assert_eq!(c.get("save").as_deref(), Some("900 1 300 10"));
    c.set_runtime(&[(b"save", b"60 5")]).unwrap();
    assert_eq!(c.save, vec![(60, 5)]);
    let mut c = Config::default();
    apply(&mut c, "save", &[""]).unwrap();
    assert_eq!(c.get("save").as_deref(), Some(""));
}

#[test]
fn special_values_print_as_redis() {
    let mut c = Config::default();
    apply(
        &mut c,
        "client-output-buffer-limit",
        &["replica", "256mb", "64mb", "60"],
    )
    .unwrap();
    apply(
        &mut c,
        "client-output-buffer-limit",
        &["pubsub", "1kb", "2", "3"],
    )
    .unwrap();
    assert_eq!(
        c.get("client-output-buffer-limit").as_deref(),
        Some("normal 0 0 0 slave 268435456 67108864 60 pubsub 1024 2 3")
    );
    apply(&mut c, "notify-keyspace-events", &["KEA"]).unwrap();
    assert_eq!(c.get("notify-keyspace-events").as_deref(), Some("AKE"));
    apply(&mut c, "notify-keyspace-events", &["Ex$"]).unwrap();
    assert_eq!(c.get("notify-keyspace-events").as_deref(), Some("$xE"));
    apply(&mut c, "oom-score-adj", &["relative"]).unwrap();
    assert_eq!(c.get("oom-score-adj").as_deref(), Some("yes"));
    apply(&mut c, "shutdown-on-sigterm", &["now", "save", "force"]).unwrap();
    assert_eq!(
        c.get("shutdown-on-sigterm").as_deref(),
        Some("save now force")
    );
    apply(&mut c, "unixsocketperm", &["700"]).unwrap();
    assert_eq!(c.get("unixsocketperm").as_deref(), Some("700"));
    apply(&mut c, "maxmemory-clients", &["10%"]).unwrap();
    assert_eq!(c.get("maxmemory-clients").as_deref(), Some("10%"));
    apply(
        &mut c,
        "latency-tracking-info-percentiles",
        &["50", "99.99"],
    )
    .unwrap();
    assert_eq!(
        c.get("latency-tracking-info-percentiles").as_deref(),
        Some("50 99.99")
    );
    apply(&mut c, "bind", &["127.0.0.1", "-::1"]).unwrap();
    assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
    apply(&mut c, "dir", &["/var/lib/redis"]).unwrap();
    assert_eq!(c.get("dir").as_deref(), Some("/var/lib/redis"));
    c.set_dir_absolute("/abs");
    assert_eq!(c.get("dir").as_deref(), Some("/abs"));
}

#[test]
fn startup_errors_are_redis_texts() {
    let mut c = Config::default();
    assert_eq!(
        apply(&mut c, "nosuch", &["1"]),
        Err(ConfigError::BadDirective)
    );
    assert_eq!(
        err(&mut c, "nosuch", &["1"]),
        "Bad directive or wrong number of arguments"
    );
    assert_eq!(
        err(&mut c, "include", &[]),
        "Bad directive or wrong number of arguments"
    );
    assert_eq!(
        err(&mut c, "list-max-ziplist-entries", &["1", "2"]),
        "Bad directive or wrong number of arguments"
    );
    assert_eq!(
        err(&mut c, "port", &["1", "2"]),
        "wrong number of arguments"
    );
    assert_eq!(
        err(&mut c, "port", &["abc"]),
        "argument couldn't be parsed into an integer"
    );
    assert_eq!(
        err(&mut c, "port", &["70000"]),
        "argument must be between 0 and 65535 inclusive"
    );
    assert_eq!(
        err(&mut c, "daemonize", &["maybe"]),
        "argument must be 'yes' or 'no'"
    );
    assert_eq!(
        err(&mut c, "maxmemory", &["1x"]),
        "argument must be a memory value"
    );
    assert_eq!(err(&mut c, "save", &["1"]), "Invalid save parameters");
    assert_eq!(err(&mut c, "save", &["0", "1"]), "Invalid save parameters");
    assert_eq!(
        err(&mut c, "loglevel", &["loud"]),
        "argument(s) must be one of the following: debug, verbose, notice, warning"
    );
    assert_eq!(
        err(&mut c, "maxclients", &["-1"]),
        "argument must be between 1 and 4294967295 inclusive"
    );
    assert_eq!(
        err(&mut c, "slowlog-max-len", &["-1"]),
        "argument must be between 0 and 9223372036854775807 inclusive"
    );
    assert_eq!(
        err(&mut c, "unixsocketperm", &["999"]),
        "argument couldn't be parsed as an octal number"
    );
    assert_eq!(
        err(&mut c, "unixsocketperm", &["1000"]),
        "argument must be between 0 and 777 inclusive"
    );
    assert_eq!(
        err(&mut c, "maxmemory-clients", &["-200%"]),
        "argument must be a memory or percent value"
    );
    assert_eq!(
        err(&mut c, "maxmemory-clients", &["101%"]),
        "percentage argument must be less or equal to 100"
    );
    assert_eq!(
        err(&mut c, "oom-score-adj-values", &["1", "2"]),
        "wrong number of arguments"
    );
    assert_eq!(
        err(&mut c, "shutdown-on-sigint", &["save", "nosave"]),
        "shutdown options SAVE and NOSAVE can't be used simultaneously"
    );
    assert_eq!(
        err(&mut c, "notify-keyspace-events", &["Q"]),
        "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    );
    assert_eq!(
        err(&mut c, "foo.bar", &[]),
        "Module config specified without value"
    );
    assert_eq!(
        err(&mut c, "dbfilename", &["a/b"]),
        "dbfilename can't be a path, just a filename"
    );
    assert_eq!(err(&mut c, "replicaof", &["h", "x"]), "Invalid master port");
    assert_eq!(
        err(
            &mut c,
            "client-output-buffer-limit",
            &["master", "1", "1", "1"]
        ),
        "Invalid client class specified in buffer limit configuration."
    );
    assert_eq!(
        err(&mut c, "proc-title-template", &["{nope}"]),
        "template format is invalid or contains unknown variables"
    );
    assert_eq!(
        apply(&mut c, "proc-title-template", &["{title} x}"]),
        Ok(Applied::Ignored)
    );
    assert_eq!(
        err(&mut c, "proc-title-template", &["{title}"]),
        "template format is invalid or contains unknown variables"
    );
    assert!(err(&mut c, "activedefrag", &["yes"])
        .starts_with("Active defragmentation cannot be enabled"));
    assert_eq!(apply(&mut c, "bind", &[]), Ok(Applied::Acted));
    assert_eq!(
        apply(&mut c, "lua-replicate-commands", &["yes"]),
        Ok(Applied::Ignored)
    );
    assert_eq!(apply(&mut c, "sentinel", &[]), Ok(Applied::Ignored));
}

#[test]
fn finish_startup_checks_like_redis() {
    let mut c = Config::default();
    apply(&mut c, "hz", &["1000"]).unwrap();
    c.finish_startup().unwrap();
    assert_eq!(c.hz, 500);
    apply(&mut c, "cluster-enabled", &["yes"]).unwrap();
    apply(&mut c, "replicaof", &["127.0.0.1", "6379"]).unwrap();
    assert_eq!(
        c.finish_startup().unwrap_err().to_string(),
        "replicaof directive not allowed in cluster mode"
    );
}

fn set_err(c: &mut Config, pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(a, b)| (a.as_bytes(), b.as_bytes()))
        .collect();
    c.set_runtime(&pairs).unwrap_err().to_string()
}

#[test]
fn config_set_errors_are_redis_replies() {
    let mut c = Config::default();
    let before = c.get_matching(&[b"*"]);
    assert_eq!(
        set_err(&mut c, &[("foo", "bar")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        set_err(&mut c, &[("daemonize", "yes")]),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("maxmemory", "1mb"), ("MAXMEMORY", "2mb")]),
        "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"
    );
    assert_eq!(
        set_err(&mut c, &[("dir", "/tmp")]),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    );
    assert_eq!(
        set_err(
            &mut c,
            &[("maxmemory", "1"), ("foo", "2"), ("daemonize", "yes")]
        ),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        set_err(&mut c, &[("daemonize", "yes"), ("foo", "2")]),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    );
    assert_eq!(
        set_err(&mut c, &[("port", "7001"), ("TIMEOUT", "x")]),
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"
    );
    assert_eq!(
        set_err(&mut c, &[("Lua-Time-Limit", "x")]),
        "ERR CONFIG SET failed (possibly related to argument 'lua-time-limit') - argument couldn't be parsed into an integer"
    );
    assert_eq!(
        set_err(&mut c, &[("save", "1 2  3 4")]),
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
    );
    // Nothing changed: all or nothing.
    assert_eq!(c.get_matching(&[b"*"]), before);
    assert_eq!(c.port, 6379);
}

#[test]
fn config_set_applies_all_pairs() {
    let mut c = Config::default();
    c.set_runtime(&[
        (b"port", b"7001"),
        (b"hz", b"1000"),
        (b"save", b""),
        (b"bind", b"127.0.0.1 ::1"),
    ])
    .unwrap();
    assert_eq!((c.port, c.hz), (7001, 500));
    assert!(c.save.is_empty());
    assert_eq!(c.get("bind").as_deref(), Some("127.0.0.1 ::1"));
    c.set_runtime(&[(b"slave-read-only", b"no"), (b"replica-read-only", b"yes")])
        .unwrap();
    assert_eq!(c.get("replica-read-only").as_deref(), Some("yes"));
    apply(&mut c, "enable-protected-configs", &["local"]).unwrap();
    assert!(c.set_runtime(&[(b"dir", b"/tmp")]).is_err());
    c.set_runtime_from(&[(b"dir", b"/tmp")], true).unwrap();
    assert_eq!(c.dir, "/tmp");
}

#[test]
fn config_get_patterns() {
    let c = Config::default();
    let got = c.get_matching(&[b"PORT", b"port", b"po*t"]);
    assert_eq!(got, vec![("PORT".to_string(), "6379".to_string())]);
    let names: Vec<String> = c
        .get_matching(&[b"slave-read*"])
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["slave-read-only"]);
    assert!(c
        .get_matching(&[b"*"])
        .iter()
        .all(|(n, _)| n != "key-load-delay"));
    assert_eq!(c.get_matching(&[b"key-load-delay"]).len(), 1);
    assert!(c.get_matching(&[b"nosuch"]).is_empty());
}

#[test]
fn rewrite_keeps_structure_and_updates_values() {
    let mut c = Config::default();
    let original =
        "# my redis\nport 6379\nslave-read-only yes\nsave 900 1\nsave 300 10\n\n\nbogus 1\n";
    for line in original.lines() {
        let a = split_args(line.as_bytes()).unwrap();
        if let Some((name, rest)) = a.split_first() {
            if !name.starts_with(b"#") {
                let _ = c.apply_startup(&String::from_utf8_lossy(name), rest);
            }
        }
    }
    c.set_runtime(&[
        (b"port", b"7000"),
        (b"maxmemory", b"1gb"),
        (b"save", b"60 1"),
    ])
    .unwrap();
    c.set_dir_absolute("/data");
    let out = c.rewrite(original);
    assert_eq!(
        out,
        "# my redis\nport 7000\nreplica-read-only yes\nsave 60 1\n\n# ??? bogus 1\n\
         # Generated by CONFIG REWRITE\nmaxmemory 1gb\ndir \"/data\"\n\
         latency-tracking-info-percentiles 50 99 99.9\n"
    );
}

#[test]
fn generation_moves_with_every_accepted_change_only() {
    let mut c = Config::default();
    let g0 = c.generation();
    apply(&mut c, "cluster-node-timeout", &["5000"]).unwrap();
    c.finish_startup().unwrap();
    let g1 = c.generation();
    assert_ne!(g1, g0);
    c.set_runtime(&[(b"cluster-node-timeout", b"6000")])
        .unwrap();
    let g2 = c.generation();
    assert_ne!(g2, g1);
    // Refused: nothing changed, so nothing needs pushing.
    assert!(c.set_runtime(&[(b"cluster-node-timeout", b"x")]).is_err());
    assert!(c.set_runtime(&[(b"no-such-option", b"1")]).is_err());
    assert_eq!(c.generation(), g2);
    c.set_dir_absolute("/tmp");
    assert_ne!(c.generation(), g2);
}
