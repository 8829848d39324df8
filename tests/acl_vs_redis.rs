//! Redis 7.0 ACL, side by side with redis-server 7.0.15: one script of ACL SETUSER rules (every
//! form, every error), AUTH / HELLO AUTH, NOPERM refusals of commands, keys and channels,
//! EXEC's re-check, DELUSER closing the user's clients, `requirepass` as the default user's
//! password, and every ACL subcommand. Replies are compared byte for byte after normalising
//! only what is random or per-process (see `normalise`). `redis-cli --user --pass` is run
//! against our node once.
// Real processes: deadlines and polling read the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::Duration;

use support::{Client, Flavor, Server, Value};

/// The script: `<connection> [@tag] <command…>`. Connections are opened on first use.
/// Pseudo-commands: `CLOSED` (the server closed this connection: `+closed`), `REDISCLI
/// <args…>` (run redis-cli with these arguments: `+<its stdout>`).
const SCRIPT: &[&str] = &[
    // The default user and a new user.
    "1 ACL LIST",
    "1 ACL USERS",
    "1 ACL WHOAMI",
    "1 ACL GETUSER default",
    "1 ACL GETUSER nosuch",
    "1 ACL SETUSER alice",
    "1 ACL GETUSER alice",
    "1 ACL LIST",
    "1 ACL SETUSER alice reset",
    "1 ACL LIST",
    // Every rule form.
    "1 ACL SETUSER alice on >p1 >p2 >p1 ~cached:* %R~ro:* %W~wo:* %RW~rw:* %wR~both &news.* &news.* +get +set +@hash -hdel +multi +exec +publish +subscribe",
    "1 @rules ACL GETUSER alice",
    "1 @rules ACL LIST",
    "1 ACL SETUSER alice <p2 skip-sanitize-payload",
    "1 @rules ACL GETUSER alice",
    "1 ACL SETUSER alice #1b58ee375b42e41f0e48ef2ff27d10a5b1f6924a9acdcdba7cae868e7adce6bf sanitize-payload",
    "1 @rules ACL GETUSER alice",
    "1 ACL SETUSER alice !1b58ee375b42e41f0e48ef2ff27d10a5b1f6924a9acdcdba7cae868e7adce6bf",
    "1 ACL SETUSER bob on nopass allkeys allchannels allcommands",
    "1 ACL GETUSER bob",
    "1 ACL SETUSER bob resetpass resetkeys resetchannels nocommands",
    "1 ACL GETUSER bob",
    "1 ACL SETUSER bob +@all -@dangerous",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob nocommands +@read -get",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob +@all -config|set",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob nocommands +config|get +select|0 +select|1",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob nocommands +client",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob -@all +@pubsub +@transaction",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob +@all -@write -@admin",
    "1 @rules ACL GETUSER bob",
    "1 ACL SETUSER bob ~a* allkeys",
    "1 ACL SETUSER bob &a* allchannels",
    "1 ACL GETUSER bob",
    "1 ACL SETUSER bob resetkeys ~k1 ~k2 resetchannels &c1 &c2",
    "1 @rules ACL LIST",
    // Every error.
    "1 ACL SETUSER err bogus",
    "1 ACL SETUSER err +nosuch",
    "1 ACL SETUSER err -nosuch",
    "1 ACL SETUSER err +@nosuch",
    "1 ACL SETUSER err -@nosuch",
    "1 ACL SETUSER err +config|get|x",
    "1 ACL SETUSER err +select|",
    "1 ACL SETUSER err -get|x",
    "1 ACL SETUSER err +config|nosuch",
    "1 ACL SETUSER err %X~a",
    "1 ACL SETUSER err %RR~a",
    "1 ACL SETUSER err \"~a b\"",
    "1 ACL SETUSER err \"&a b\"",
    "1 ACL SETUSER err allkeys ~x",
    "1 ACL SETUSER err allchannels &x",
    "1 ACL SETUSER err <nope",
    "1 ACL SETUSER err #abc",
    "1 ACL SETUSER err !abc",
    "1 ACL SETUSER err (~x +get",
    "1 ACL SETUSER \"a b\" on",
    "1 ACL SETUSER err %~x",
    "1 ACL SETUSER err %",
    "1 ACL SETUSER err %RWX~a",
    "1 ACL SETUSER odd %R %W ~ & \"\"",
    "1 ACL GETUSER odd",
    "1 ACL SETUSER err on >x bogus",
    "1 ACL GETUSER err",
    "1 ACL USERS",
    // Selectors.
    "1 ACL SETUSER sel on nopass +get ~a* (~b* +set) \"(%R~c* +get\" \"+mget)\"",
    "1 @rules ACL GETUSER sel",
    "1 @rules ACL LIST",
    "1 ACL DRYRUN sel SET b1 v",
    "1 ACL DRYRUN sel SET a1 v",
    "1 ACL DRYRUN sel MGET c1 c2",
    "1 ACL DRYRUN sel GET zz",
    "1 ACL SETUSER sel clearselectors",
    "1 @rules ACL GETUSER sel",
    // AUTH and what alice may do.
    "2 AUTH alice p1",
    "2 ACL WHOAMI",
    "2 GET cached:1",
    "2 SET cached:1 v",
    "2 GET other",
    "2 SET ro:1 v",
    "2 GET ro:1",
    "2 GET wo:1",
    "2 SET wo:1 v",
    "2 SET rw:1 v",
    "2 GET both",
    "2 SET both v",
    "2 HSET cached:h f v",
    "2 HDEL cached:h f",
    "2 DEL cached:1",
    "2 PUBLISH news.1 m",
    "2 PUBLISH other m",
    "2 AUTH alice wrong",
    "2 ACL WHOAMI",
    "2 AUTH nosuch x",
    "2 AUTH onlypass",
    "2 AUTH a b c",
    "2 AUTH default anything",
    "2 ACL WHOAMI",
    "2 AUTH alice p1",
    "2 CONFIG GET x",
    "2 MULTI",
    "2 AUTH alice wrong",
    "2 EXEC",
    "1 ACL SETUSER empty on > ~* +@all",
    "15 AUTH empty \"\"",
    "15 ACL WHOAMI",
    "15 AUTH empty x",
    "1 ACL SETUSER Alice on nopass +PING +Config|Get ALLKEYS",
    "1 @rules ACL GETUSER Alice",
    "1 @rules ACL GETUSER alice",
    // A disabled user cannot authenticate; its connections go on.
    "1 ACL SETUSER alice off",
    "3 AUTH alice p1",
    "2 GET cached:1",
    "1 ACL SETUSER alice on",
    // HELLO AUTH.
    "4 @hello HELLO 3 AUTH alice p1",
    "4 ACL WHOAMI",
    "4 HELLO 2 AUTH alice wrong",
    "4 HELLO 3 AUTH alice",
    "4 HELLO 4",
    "4 HELLO x",
    "5 HELLO 2 SETNAME before AUTH alice wrong",
    "5 CLIENT GETNAME",
    // MULTI: a refused command flags the transaction; EXEC checks again.
    "2 MULTI",
    "2 DEL x",
    "2 EXEC",
    "2 MULTI",
    "2 GET cached:1",
    "2 SET wo:2 v",
    "1 ACL SETUSER alice -get %R~wo:*",
    "2 EXEC",
    "1 ACL SETUSER alice +get",
    // Channels.
    "1 ACL SETUSER dan on nopass resetchannels &news.* +subscribe +psubscribe +publish +ping",
    "6 AUTH dan x",
    "6 SUBSCRIBE other",
    "6 PSUBSCRIBE news.1",
    "6 PSUBSCRIBE news.*",
    "6 SUBSCRIBE news.1",
    "7 AUTH dan x",
    "7 PUBLISH news.2 m",
    "7 PUBLISH other m",
    "1 ACL SETUSER dan &more",
    "7 PING",
    "1 ACL SETUSER dan resetchannels &more",
    "6 CLOSED",
    "7 PING",
    // DRYRUN.
    "1 ACL DRYRUN alice GET cached:1",
    "1 ACL DRYRUN alice GET x",
    "1 ACL DRYRUN alice DEL x",
    "1 ACL DRYRUN alice CONFIG GET x",
    "1 ACL DRYRUN dan PUBLISH x m",
    "1 ACL DRYRUN nosuch GET x",
    "1 ACL DRYRUN alice NOSUCH",
    "1 ACL DRYRUN alice GET",
    "1 ACL DRYRUN alice CONFIG NOSUCH",
    // Shard channels, and a default user that is off.
    "1 ACL SETUSER shard on nopass resetchannels &s.* +ssubscribe +spublish",
    "3 AUTH shard x",
    "3 SPUBLISH s.1 m",
    "3 SPUBLISH t.1 m",
    "3 SSUBSCRIBE t.1",
    "3 SSUBSCRIBE s.1",
    "1 ACL SETUSER default off",
    "16 PING",
    "16 AUTH default x",
    "16 AUTH x",
    "1 ACL SETUSER default on",
    "16 PING",
    // The log, newest first; similar events folded.
    "1 @log ACL LOG",
    "1 @log ACL LOG 2",
    "1 ACL LOG x",
    "1 ACL LOG -1",
    "1 ACL LOG RESET",
    "1 ACL LOG",
    "2 GET nope",
    "2 GET nope",
    "1 @log ACL LOG",
    "1 CONFIG SET acllog-max-len 2",
    "2 GET nope1",
    "2 GET nope2",
    "2 GET nope3",
    "1 @log ACL LOG",
    "1 CONFIG SET acllog-max-len 128",
    // DELUSER closes the user's connections, also the caller's after its reply.
    "1 ACL SETUSER carol on >pw +acl +ping",
    "8 AUTH carol pw",
    "9 AUTH carol pw",
    "1 ACL DELUSER default",
    "1 ACL DELUSER nosuch alice-nope",
    "9 ACL DELUSER carol",
    "9 CLOSED",
    "8 CLOSED",
    "1 ACL USERS",
    // requirepass is the default user's password.
    "1 CONFIG SET requirepass secret",
    "1 ACL GETUSER default",
    "1 @rules ACL LIST",
    "10 PING",
    "10 HELLO 3",
    "10 AUTH wrong",
    "10 AUTH secret",
    "10 PING",
    "11 AUTH default secret",
    "11 ACL WHOAMI",
    "11 RESET",
    "11 PING",
    "1 CONFIG SET requirepass \"\"",
    "1 ACL GETUSER default",
    "12 PING",
    "1 ACL SETUSER default >other",
    "13 PING",
    "13 AUTH other",
    "1 CONFIG GET requirepass",
    "1 ACL SETUSER default nopass",
    // CLIENT INFO / LIST show the user.
    "1 ACL SETUSER alice +client|info",
    "2 @clientinfo CLIENT INFO",
    "1 @clientinfo CLIENT INFO",
    // RESP3 shapes (GETUSER's flags are a set, its fields a map; LOG's age a double).
    "14 @hello HELLO 3",
    "14 @rules ACL GETUSER alice",
    "14 @rules ACL GETUSER sel",
    "14 ACL GETUSER nosuch",
    "14 @log ACL LOG 1",
    "14 ACL WHOAMI",
    // The other subcommands.
    "1 ACL CAT",
    "1 @sort ACL CAT hash",
    "1 @sort ACL CAT Stream",
    "1 @sort ACL CAT pubsub",
    "1 ACL CAT nosuch",
    "1 ACL CAT a b",
    "1 @genpass ACL GENPASS",
    "1 @genpass ACL GENPASS 5",
    "1 @genpass ACL GENPASS 4096",
    "1 ACL GENPASS 0",
    "1 ACL GENPASS 4097",
    "1 ACL GENPASS x",
    "1 ACL GENPASS 1 2",
    "1 ACL HELP",
    "1 ACL LOAD",
    "1 ACL SAVE",
    "1 ACL",
    "1 ACL NOSUCH",
    "1 ACL WHOAMI x",
    "2 ACL LIST",
    // CLIENT KILL USER: an unknown user (reported before a later option's syntax error), the
    // user's clients only, with another filter, and SKIPME.
    "1 CLIENT KILL USER nosuch",
    "1 CLIENT KILL USER nosuch SKIPME",
    "1 CLIENT KILL USER killme SKIPME",
    "1 CLIENT KILL ID 0 USER nosuch",
    "1 CLIENT KILL USER",
    "1 ACL SETUSER killme on nopass +@all ~* &*",
    "16 AUTH killme x",
    "17 AUTH killme x",
    "18 PING",
    "1 CLIENT KILL USER killme TYPE pubsub",
    "1 CLIENT KILL user killme type normal",
    "16 CLOSED",
    "17 CLOSED",
    "18 PING",
    "19 AUTH killme x",
    "19 CLIENT KILL USER killme",
    "19 CLIENT KILL USER killme SKIPME no",
    "19 CLOSED",
    "18 PING",
];

/// Keep only these CLIENT INFO fields: ids, addresses, ages and buffer sizes differ.
const INFO_FIELDS: &[&str] = &[
    "name", "flags", "db", "sub", "psub", "multi", "cmd", "user", "resp",
];

fn filter_client_info(s: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(s);
    let kept: Vec<&str> = text
        .trim_end()
        .split(' ')
        .filter(|f| INFO_FIELDS.iter().any(|k| f.starts_with(&format!("{k}="))))
        .collect();
    kept.join(" ").into_bytes()
}

/// Sort each run of single-command rules (`+get -set`): Redis lists them in its command
/// dict's order, which is seeded at random per process. A selector's closing `)` stays last.
fn sort_rule_runs(s: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(s);
    let single = |t: &str| {
        (t.starts_with('+') || t.starts_with('-')) && t.len() > 1 && !t[1..].starts_with('@')
    };
    let toks: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !single(toks[i]) {
            out.push(toks[i].to_owned());
            i += 1;
            continue;
        }
        let mut run = Vec::new();
        let mut close = false;
        while i < toks.len() && single(toks[i]) {
            let t = toks[i];
            i += 1;
            if let Some(core) = t.strip_suffix(')') {
                run.push(core.to_owned());
                close = true;
                break;
            }
            run.push(t.to_owned());
        }
        run.sort();
        if close {
            if let Some(last) = run.last_mut() {
                last.push(')');
            }
        }
        out.extend(run);
    }
    out.join(" ").into_bytes()
}

fn map_strings(v: &mut Value, f: &dyn Fn(&[u8]) -> Vec<u8>) {
    match v {
        Value::Blob(_, Some(b)) => *b = f(b),
        Value::Line(b'+', t) => *t = f(t),
        Value::Agg(_, Some(items)) => items.iter_mut().for_each(|i| map_strings(i, f)),
        _ => {}
    }
}

/// Replace the value after each key named `key` in a flat pairs list.
fn replace_after(items: &mut [Value], key: &[u8], f: &dyn Fn(&Value) -> Value) {
    let mut i = 0;
    while i + 1 < items.len() {
        if items[i].bytes() == Some(key) {
            items[i + 1] = f(&items[i + 1]);
        }
        i += 2;
    }
}

/// Normalise what legitimately differs, by tag; a reply of another shape stays as it is.
fn normalise(tag: Option<&str>, raw: Vec<u8>) -> Vec<u8> {
    let Some(tag) = tag else { return raw };
    let Ok(mut v) = Value::parse(&raw) else {
        return raw;
    };
    match tag {
        "@rules" => map_strings(&mut v, &sort_rule_runs),
        "@sort" => {
            if let Value::Agg(_, Some(items)) = &mut v {
                items.sort();
            }
        }
        "@genpass" => {
            if let Value::Blob(_, Some(b)) = &mut v {
                let hex = b
                    .iter()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
                *b = format!("<{} hex: {hex}>", b.len()).into_bytes();
            }
        }
        "@clientinfo" => map_strings(&mut v, &filter_client_info),
        "@hello" => {
            if let Value::Agg(_, Some(items)) = &mut v {
                replace_after(items, b"id", &|_| Value::Line(b':', b"<id>".to_vec()));
            }
        }
        "@log" => {
            if let Value::Agg(_, Some(entries)) = &mut v {
                for e in entries {
                    if let Value::Agg(_, Some(items)) = e {
                        replace_after(items, b"age-seconds", &|_| {
                            Value::Line(b'+', b"<age>".to_vec())
                        });
                        replace_after(items, b"client-info", &|ci| match ci.bytes() {
                            Some(b) => Value::Blob(b'$', Some(filter_client_info(b))),
                            None => ci.clone(),
                        });
                    }
                }
            }
        }
        other => panic!("unknown tag {other}"),
    }
    v.encode()
}

/// Run the script on `flavor`; every (line, normalised reply).
fn run(flavor: Flavor) -> Vec<(String, Vec<u8>)> {
    let server = Server::start(flavor, &[]);
    let mut conns: Vec<Option<Client>> = (0..20).map(|_| None).collect();
    let mut out = Vec::new();
    for line in SCRIPT {
        let (n, rest) = line.split_once(' ').expect("connection number");
        let n: usize = n.parse().expect("connection number");
        let (tag, args) = support::diff::tokenize(rest);
        let conn = conns[n].get_or_insert_with(|| server.connect());
        let reply = match args[0].as_slice() {
            b"CLOSED" => match conn.read_until_close(Duration::from_secs(10)).1 {
                e if e.is_closed() => b"+closed\r\n".to_vec(),
                other => format!("+still open: {other:?}\r\n").into_bytes(),
            },
            _ => conn.cmd(&args),
        };
        out.push((line.to_string(), normalise(tag.as_deref(), reply)));
    }
    // redis-cli authenticating as a user with --user / --pass.
    let cli = support::redis_cli(
        server.port(),
        &[
            "--user",
            "alice",
            "--pass",
            "p1",
            "--no-auth-warning",
            "SET",
            "wo:cli",
            "v",
        ],
        b"",
    );
    out.push((
        "redis-cli --user alice --pass p1 SET wo:cli v".into(),
        cli.stdout.clone(),
    ));
    let cli = support::redis_cli(
        server.port(),
        &[
            "--user",
            "alice",
            "--pass",
            "bad",
            "--no-auth-warning",
            "PING",
        ],
        b"",
    );
    out.push((
        "redis-cli --user alice --pass bad PING".into(),
        [cli.stdout, cli.stderr].concat(),
    ));
    out
}

/// `user` lines of the configuration (here as command-line options), after `requirepass`.
const CONFIG_USERS: &[&str] = &[
    "--requirepass",
    "rp",
    "--user",
    "cfg",
    "on",
    ">cp",
    "~k*",
    "+get",
    "(",
    "~x*",
    "+set",
    ")",
    "--user",
    "default",
    "on",
    ">dp",
    "~*",
    "&*",
    "+@all",
    "--user",
    "off_user",
];

const CONFIG_SCRIPT: &[&str] = &[
    "1 PING",
    "1 AUTH rp",
    "1 AUTH dp",
    "1 @rules ACL LIST",
    "2 AUTH cfg cp",
    "2 GET k1",
    "2 GET x1",
    "2 SET x1 v",
    "2 SET k1 v",
    "3 AUTH off_user x",
];

/// Run `script` on a fresh `flavor` server started with `extra`; every (line, normalised
/// reply).
fn run_script(flavor: Flavor, extra: &[&str], script: &[&str]) -> Vec<(String, Vec<u8>)> {
    let server = Server::start(flavor, extra);
    let mut conns: Vec<Option<Client>> = (0..20).map(|_| None).collect();
    let mut out = Vec::new();
    for line in script {
        let (n, rest) = line.split_once(' ').expect("connection number");
        let n: usize = n.parse().expect("connection number");
        let (tag, args) = support::diff::tokenize(rest);
        let conn = conns[n].get_or_insert_with(|| server.connect());
        let reply = match args[0].as_slice() {
            b"CLOSED" => match conn.read_until_close(Duration::from_secs(10)).1 {
                e if e.is_closed() => b"+closed\r\n".to_vec(),
                other => format!("+still open: {other:?}\r\n").into_bytes(),
            },
            _ => conn.cmd(&args),
        };
        out.push((line.to_string(), normalise(tag.as_deref(), reply)));
    }
    out
}

/// The lines whose replies differ.
fn mismatches(ours: &[(String, Vec<u8>)], theirs: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut bad = Vec::new();
    for ((line, o), (_, t)) in ours.iter().zip(theirs) {
        if o != t {
            bad.push(format!(
                "{line}\n  redis: {}\n  ours:  {}",
                support::escape(t),
                support::escape(o)
            ));
        }
    }
    assert_eq!(ours.len(), theirs.len());
    bad
}

#[test]
fn config_user_lines_behave_as_redis() {
    let ours = run_script(Flavor::Node, CONFIG_USERS, CONFIG_SCRIPT);
    if support::require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run_script(Flavor::Redis, CONFIG_USERS, CONFIG_SCRIPT);
    let bad = mismatches(&ours, &theirs);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Exit status of `flavor` started with a broken `user` line (it must exit by itself).
fn exit_status(flavor: Flavor, extra: &[&str]) -> Option<i32> {
    let dir = support::unique_dir("acl-bad-user");
    let status =
        support::exit_status_of_start(&flavor.program(), &dir, extra, std::process::Stdio::null());
    let _ = std::fs::remove_dir_all(&dir);
    status
}

#[test]
fn a_bad_user_line_stops_the_server() {
    for extra in [
        &["--user", "a", "on", "+nosuch"][..],
        &["--user", "a", "on", "bogus"],
        &["--user", "a", "on", "--user", "a", "off"],
    ] {
        assert_eq!(exit_status(Flavor::Node, extra), Some(1), "{extra:?}");
        if support::which("redis-server").is_some() {
            assert_eq!(exit_status(Flavor::Redis, extra), Some(1), "{extra:?}");
        }
    }
}

#[test]
fn acl_behaves_as_redis() {
    let ours = run(Flavor::Node);
    let Some(_) = support::require_tool("redis-server") else {
        return;
    };
    if support::require_tool("redis-cli").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    let mut bad = Vec::new();
    for ((line, o), (_, t)) in ours.iter().zip(&theirs) {
        if o != t {
            bad.push(format!(
                "{line}\n  redis: {}\n  ours:  {}",
                support::escape(t),
                support::escape(o)
            ));
        }
    }
    assert_eq!(ours.len(), theirs.len());
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
