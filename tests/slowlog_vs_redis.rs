//! SLOWLOG beside redis-server 7.0.15 with `slowlog-log-slower-than 0` (every command logged):
//! the same scripted commands on both servers give the same entries: ids, argument vectors
//! (more than 32 arguments, arguments longer than 128 bytes, `(redacted)` AUTH / HELLO AUTH /
//! CONFIG SET masterauth values, an AUTH too long to be redacted), client names, EXEC logging
//! its queued commands and not itself, rejected commands not logged, a served BLPOP logged
//! after the push that served it and a timed-out one not logged, `slowlog-max-len` trimming,
//! RESET, the disabled and high thresholds, and the errors and HELP of the subcommands.
//! Times, durations and the client ports are replaced by placeholders after checking them.
#![allow(clippy::disallowed_methods)] // Reads the wall clock to check entry times.

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{Client, Flavor, Server, Value};

const PW: &str = "pw";

/// A connection and the placeholder its port becomes in entries.
struct Conn {
    client: Client,
    label: String,
}

fn conn(server: &Server, label: &str) -> Conn {
    let mut client = server.connect();
    assert_eq!(client.cmd(&["AUTH", PW]), b"+OK\r\n");
    Conn {
        client,
        label: label.to_owned(),
    }
}

/// Replace times, durations and peer ports in a SLOWLOG GET reply, checking each first; any
/// other reply is kept as it is.
fn normalize(raw: &[u8], conns: &[(u16, &str)]) -> String {
    let Ok(Value::Agg(b'*', Some(entries))) = Value::parse(raw) else {
        return String::from_utf8_lossy(raw).into_owned();
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut out = String::new();
    for e in entries {
        let Value::Agg(b'*', Some(f)) = e else {
            return format!("bad entry in {}", String::from_utf8_lossy(raw));
        };
        assert_eq!(f.len(), 6, "{}", String::from_utf8_lossy(raw));
        let int = |v: &Value| -> i64 {
            match v {
                Value::Line(b':', t) => std::str::from_utf8(t).unwrap().parse().unwrap(),
                other => panic!("not an integer: {other:?}"),
            }
        };
        let (id, time, dur) = (int(&f[0]), int(&f[1]), int(&f[2]));
        assert!((now - 120..=now + 5).contains(&time), "entry time {time}");
        assert!(dur >= 0, "duration {dur}");
        let argv: Vec<String> = match &f[3] {
            Value::Agg(b'*', Some(a)) => a
                .iter()
                .map(|x| String::from_utf8_lossy(x.bytes().unwrap()).into_owned())
                .collect(),
            other => panic!("argv {other:?}"),
        };
        let peer = String::from_utf8_lossy(f[4].bytes().unwrap()).into_owned();
        let (ip, port) = peer.rsplit_once(':').unwrap();
        let port: u16 = port.parse().unwrap();
        let who = conns
            .iter()
            .find(|(p, _)| *p == port)
            .map_or("?", |(_, l)| l);
        let name = String::from_utf8_lossy(f[5].bytes().unwrap()).into_owned();
        out.push_str(&format!("[{id} <t> <d> {argv:?} {ip}:<{who}> {name:?}]\n"));
    }
    out
}

/// Poll INFO clients on `c` until one client is blocked.
fn wait_blocked(c: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "clients"])).into_owned();
        if info.contains("blocked_clients:1\r\n") {
            return;
        }
        assert!(Instant::now() < deadline, "BLPOP did not block: {info}");
        std::thread::sleep(Duration::from_millis(5)); // polling interval with a deadline
    }
}

fn run(flavor: Flavor) -> Vec<String> {
    let server = Server::start(
        flavor,
        &["--requirepass", PW, "--slowlog-log-slower-than", "0"],
    );
    let mut c1 = conn(&server, "c1");
    let mut c2 = conn(&server, "c2");
    let mut c3 = conn(&server, "c3");
    let ports: Vec<(u16, String)> = [&c1, &c2, &c3]
        .iter()
        .map(|c| {
            (
                c.client.stream().local_addr().unwrap().port(),
                c.label.clone(),
            )
        })
        .collect();
    let ports: Vec<(u16, &str)> = ports.iter().map(|(p, l)| (*p, l.as_str())).collect();
    let log = std::cell::RefCell::new(Vec::new());
    let step = |c: &mut Conn, args: &[&str], keep: bool| {
        let raw = c.client.cmd(args);
        let line = format!("{} {}", c.label, args.join(" "));
        let is_get = args.len() >= 2 && args[0] == "SLOWLOG" && args[1] == "GET";
        let shown = if keep && is_get && raw.first() == Some(&b'*') {
            normalize(&raw, &ports)
        } else if keep {
            String::from_utf8_lossy(&raw).into_owned()
        } else {
            "<not compared>".to_owned()
        };
        log.borrow_mut().push(format!("{line}\n{shown}"));
    };
    let big = "a".repeat(200);
    let mut many = vec!["RPUSH", "l"];
    let items: Vec<String> = (0..40).map(|i| format!("a{i}")).collect();
    many.extend(items.iter().map(String::as_str));
    step(&mut c1, &["CLIENT", "SETNAME", "slow1"], true);
    step(&mut c1, &["SET", "k", "v"], true);
    step(&mut c1, &["SET", "big", &big], true);
    step(&mut c1, &many, true);
    step(&mut c1, &["GET"], true);
    step(&mut c1, &["NOSUCHCOMMAND", "x"], true);
    step(&mut c1, &["MULTI"], true);
    step(&mut c1, &["INCR", "x"], true);
    step(&mut c1, &["GET", "k"], true);
    step(&mut c1, &["EXEC"], true);
    step(&mut c1, &["AUTH", "wrong"], true);
    step(&mut c1, &["AUTH", "default", PW], true);
    step(&mut c1, &["AUTH", "a", "b", "c"], true);
    // The HELLO reply carries ids and versions: only its slow log entry is compared.
    step(
        &mut c1,
        &["HELLO", "2", "AUTH", "default", PW, "SETNAME", "slow2"],
        false,
    );
    step(
        &mut c1,
        &[
            "CONFIG",
            "SET",
            "masterauth",
            "secret",
            "maxmemory-policy",
            "noeviction",
        ],
        true,
    );
    step(&mut c1, &["SLOWLOG", "GET", "100"], true);
    // A BLPOP served by a push: logged when served, after the push. The poll for it to block
    // runs with the log disabled, so that the number of polls does not show.
    step(
        &mut c1,
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        true,
    );
    c2.client.send(&["BLPOP", "bl", "0"]).unwrap();
    wait_blocked(&mut c1.client);
    step(
        &mut c1,
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        true,
    );
    step(&mut c1, &["RPUSH", "bl", "x"], true);
    let served = c2.client.read_reply().unwrap();
    assert_eq!(served, b"*2\r\n$2\r\nbl\r\n$1\r\nx\r\n");
    // A BLPOP that times out is not logged.
    step(&mut c3, &["BLPOP", "nothing", "0.01"], true);
    step(&mut c1, &["SLOWLOG", "GET", "4"], true);
    // A BLPOP released by CLIENT UNBLOCK: Redis 7.0.15 logs it with an empty argument vector
    // (its arguments were reset when it was unblocked) and counts it as failed.
    let id = String::from_utf8(c2.client.cmd(&["CLIENT", "ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_owned();
    step(
        &mut c1,
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        true,
    );
    c2.client.send(&["BLPOP", "unblocked", "0"]).unwrap();
    wait_blocked(&mut c1.client);
    step(
        &mut c1,
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        true,
    );
    // The two servers number clients differently: the id shows as a placeholder.
    assert_eq!(c1.client.cmd(&["CLIENT", "UNBLOCK", &id]), b":1\r\n");
    assert_eq!(c2.client.read_reply().unwrap(), b"*-1\r\n");
    let entries = normalize(&c1.client.cmd(&["SLOWLOG", "GET", "3"]), &ports);
    let entries = entries.replace(&format!("\"{id}\""), "\"<id2>\"");
    log.borrow_mut()
        .push(format!("c1 SLOWLOG GET 3\n{entries}"));
    let stats = String::from_utf8(c1.client.cmd(&["INFO", "commandstats"])).unwrap();
    let blpop = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_blpop:"))
        .map(|l| {
            let (calls, rest) = l.split_once(",usec=").unwrap();
            let failed = rest.split_once(",rejected").unwrap().1;
            format!("{calls},usec=<v>,rejected{failed}")
        });
    log.borrow_mut().push(format!("blpop stats {blpop:?}"));
    step(&mut c1, &["SLOWLOG", "LEN"], true);
    for bad in [
        &["SLOWLOG", "GET", "-2"][..],
        &["SLOWLOG", "GET", "abc"],
        &["SLOWLOG", "GET", "1", "2"],
        &["SLOWLOG", "NOSUCH"],
        &["SLOWLOG", "LEN", "x"],
        &["SLOWLOG"],
        &["SLOWLOG", "HELP"],
    ] {
        step(&mut c1, bad, true);
    }
    step(&mut c1, &["SLOWLOG", "GET", "0"], true);
    step(&mut c1, &["CONFIG", "SET", "slowlog-max-len", "3"], true);
    step(&mut c1, &["SLOWLOG", "LEN"], true);
    step(&mut c1, &["SLOWLOG", "GET", "-1"], true);
    step(&mut c1, &["SLOWLOG", "RESET"], true);
    step(&mut c1, &["SLOWLOG", "GET"], true);
    step(
        &mut c1,
        &["CONFIG", "SET", "slowlog-log-slower-than", "100000000"],
        true,
    );
    step(&mut c1, &["PING"], true);
    step(&mut c1, &["SLOWLOG", "GET", "-1"], true);
    step(
        &mut c1,
        &[
            "COMMAND",
            "INFO",
            "slowlog|get",
            "slowlog|len",
            "slowlog|reset",
            "slowlog|help",
        ],
        true,
    );
    log.into_inner()
}

#[test]
fn slowlog_matches_redis() {
    let ours = run(Flavor::Node);
    // Without Redis the script still checks itself: the log holds the expected entries.
    let all = ours.join("\n");
    assert!(
        all.contains(r#"["AUTH", "(redacted)", "(redacted)"]"#),
        "{all}"
    );
    assert!(all.contains("... (11 more arguments)"), "{all}");
    assert!(all.contains("... (72 more bytes)"), "{all}");
    if support::require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    if std::env::var_os("HASHSLOT_DIFF_VERBOSE").is_some() {
        eprintln!("{}", theirs.join("\n"));
    }
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o, t, "\nours:\n{o}\nredis:\n{t}");
    }
    assert_eq!(ours.len(), theirs.len());
}
