//! Client-side caching (`CLIENT TRACKING`) beside redis-server 7.0.15: the same scripted
//! sessions on several connections — a RESP3 client, a RESP2 client redirecting to a RESP2
//! subscriber of `__redis__:invalidate`, broadcasting clients with prefixes, OPTIN/OPTOUT with
//! `CLIENT CACHING`, NOLOOP, FLUSHALL/FLUSHDB, RESTORE, keys that expire (lazily and actively),
//! a full tracking table, a redirect target that leaves, RESET, and every error — give every
//! connection the same bytes on both servers. Only client ids are normalized.
//!
//! Pushes sent to a connection by another connection's command are collected by a `PING` on
//! that connection afterwards: both servers queue the push before they answer the command that
//! caused it, so everything up to the `PONG` is what the connection was sent.
// Real processes: deadlines from the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::{Duration, Instant};

use support::{escape, Client, Flavor, Server};

/// What every connection received, in order, as escaped frames tagged with the connection.
#[derive(Default)]
struct Log {
    lines: Vec<String>,
    /// Client id → stable name, for normalizing ids where they show.
    ids: Vec<(i64, String)>,
}

impl Log {
    fn note(&mut self, who: &str, frame: &[u8]) {
        let mut text = escape(frame);
        for (id, name) in &self.ids {
            text = text
                .replace(
                    &format!("tracking-redir-broken\\r\\n:{id}\\r\\n"),
                    &format!("tracking-redir-broken\\r\\n:<{name}>\\r\\n"),
                )
                .replace(&format!("redir={id} "), &format!("redir=<{name}> "));
        }
        self.lines.push(format!("{who}: {text}"));
    }
}

/// A named connection of a session.
struct Conn {
    name: String,
    c: Client,
}

fn int(frame: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(frame);
    s.trim()
        .trim_start_matches(':')
        .parse()
        .unwrap_or_else(|_| panic!("not an integer reply: {s:?}"))
}

impl Conn {
    fn open(server: &Server, log: &mut Log, name: &str, resp3: bool) -> Conn {
        let mut c = server.connect();
        c.stream()
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        if resp3 {
            // HELLO's reply names the server and its version: not compared.
            c.cmd(&["HELLO", "3"]);
        }
        let id = int(&c.cmd(&["CLIENT", "ID"]));
        log.ids.push((id, name.to_owned()));
        Conn {
            name: name.to_owned(),
            c,
        }
    }

    /// Send `args` and log the one frame that comes back.
    fn run(&mut self, log: &mut Log, args: &[&str]) {
        let r = self.c.cmd(args);
        log.note(&self.name, &r);
    }

    /// Send `args` and log `n` frames.
    fn run_n(&mut self, log: &mut Log, args: &[&str], n: usize) {
        self.c.send(args).expect("send");
        for _ in 0..n {
            let r = self.c.read_reply().expect("reply");
            log.note(&self.name, &r);
        }
    }

    /// `args` with `<id of name>` in place of `@name` arguments.
    fn run_ids(&mut self, log: &mut Log, args: &[&str]) {
        let args: Vec<String> = args
            .iter()
            .map(|a| match a.strip_prefix('@') {
                Some(n) => log
                    .ids
                    .iter()
                    .find(|(_, m)| m == n)
                    .map(|(id, _)| id.to_string())
                    .unwrap_or_else(|| panic!("no connection {n}")),
                None => (*a).to_owned(),
            })
            .collect();
        let r = self.c.cmd(&args);
        let mut text = r.clone();
        // A GETREDIR/TRACKINGINFO id: `:<id>\r\n` as a whole frame or an element.
        for (id, name) in &log.ids {
            let from = format!(":{id}\r\n");
            if let Some(p) = find(&text, from.as_bytes()) {
                let mut t = text[..p].to_vec();
                t.extend_from_slice(format!(":<{name}>\r\n").as_bytes());
                t.extend_from_slice(&text[p + from.len()..]);
                text = t;
            }
        }
        log.note(&self.name, &text);
    }

    /// Everything the connection was sent before a `PING` it sends now, then the pong.
    fn sync(&mut self, log: &mut Log) {
        self.c.send(&["PING"]).expect("send");
        loop {
            let r = self.c.read_reply().expect("frames up to the pong");
            log.note(&self.name, &r);
            if r == b"+PONG\r\n" || r == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
                return;
            }
        }
    }

    /// `flags=` and `redir=` of CLIENT INFO.
    fn flags(&mut self, log: &mut Log) {
        let r = self.c.cmd(&["CLIENT", "INFO"]);
        let text = String::from_utf8_lossy(&r).into_owned();
        let kept: Vec<&str> = text
            .split_whitespace()
            .filter(|f| f.starts_with("flags=") || f.starts_with("redir="))
            .collect();
        log.note(&self.name, format!("{} ", kept.join(" ")).as_bytes());
    }

    /// The `tracking_*` fields of INFO.
    fn info(&mut self, log: &mut Log) {
        let r = self.c.cmd(&["INFO", "everything"]);
        let text = String::from_utf8_lossy(&r).into_owned();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("tracking_"))
            .collect();
        assert_eq!(kept.len(), 4, "{text}");
        log.note(&self.name, kept.join(" ").as_bytes());
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Poll `args` on `c` until the reply is `want` (a wait on the server's state, not a sleep).
fn wait_for(c: &mut Client, args: &[&str], want: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if c.cmd(args) == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{args:?} never replied {}",
            escape(want)
        );
        std::thread::sleep(Duration::from_millis(5)); // polling interval, not synchronisation
    }
}

/// The server's clock in milliseconds (`TIME`).
fn server_ms(c: &mut Client) -> i64 {
    let r = c.cmd(&["TIME"]);
    let text = String::from_utf8_lossy(&r).into_owned();
    let nums: Vec<i64> = text.split("\r\n").filter_map(|l| l.parse().ok()).collect();
    nums[0] * 1000 + nums[1] / 1000
}

fn default_mode_resp3(server: &Server, log: &mut Log) {
    let mut a = Conn::open(server, log, "a", true);
    let mut w = Conn::open(server, log, "w", false);
    a.run(log, &["CLIENT", "TRACKING", "on"]);
    a.run(log, &["GET", "k1"]);
    a.run(log, &["MGET", "k1", "k2"]);
    a.run(log, &["HGET", "h", "f"]);
    w.run(log, &["SET", "k1", "1"]);
    a.sync(log);
    // No longer tracked until read again.
    w.run(log, &["SET", "k1", "2"]);
    w.run(log, &["HSET", "h", "f", "v"]);
    a.sync(log);
    // Its own write: the push follows its reply.
    a.run(log, &["SET", "k2", "own"]);
    a.sync(log);
    // A transaction: one push after EXEC's reply.
    for cmd in [
        &["MULTI"][..],
        &["GET", "t"],
        &["SET", "t", "1"],
        &["GET", "t"],
    ] {
        a.run(log, cmd);
    }
    a.run(log, &["EXEC"]);
    a.sync(log);
    a.run_ids(log, &["CLIENT", "GETREDIR"]);
    a.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    w.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    w.run_ids(log, &["CLIENT", "GETREDIR"]);
    a.flags(log);
    w.flags(log);
    // RESTORE rewrites a tracked key.
    a.run(log, &["GET", "k1"]);
    let dump = w.c.cmd(&["DUMP", "k1"]);
    let payload = &dump[dump.iter().position(|&b| b == b'\n').unwrap() + 1..dump.len() - 2];
    let mut restore: Vec<&[u8]> = vec![b"RESTORE", b"k1", b"0"];
    restore.push(payload);
    restore.push(b"REPLACE");
    let r = w.c.cmd(&restore);
    log.note("w", &r);
    a.sync(log);
    // Store commands invalidate their destination only.
    a.run(log, &["SMEMBERS", "s1"]);
    a.run(log, &["SMEMBERS", "dst"]);
    w.run(log, &["SADD", "s1", "x"]);
    a.sync(log);
    a.run(log, &["SMEMBERS", "s1"]);
    w.run(log, &["SUNIONSTORE", "dst", "s1"]);
    a.sync(log);
    w.info(log);
    // FLUSHALL: a null for every tracking client; its own after its reply.
    a.run(log, &["GET", "k1"]);
    w.run(log, &["FLUSHALL"]);
    a.sync(log);
    a.run(log, &["FLUSHDB"]);
    a.sync(log);
    w.info(log);
    a.run(log, &["CLIENT", "TRACKING", "off"]);
    a.run(log, &["GET", "k1"]);
    w.run(log, &["SET", "k1", "3"]);
    a.sync(log);
    w.info(log);
}

fn redirect_resp2(server: &Server, log: &mut Log) {
    let mut s = Conn::open(server, log, "s", false);
    let mut r = Conn::open(server, log, "r", false);
    let mut q = Conn::open(server, log, "q", true);
    let mut w = Conn::open(server, log, "w2", false);
    s.run(log, &["SUBSCRIBE", "__redis__:invalidate"]);
    // RESP2 without a redirect: tracked, but nothing can be sent.
    w.run(log, &["CLIENT", "TRACKING", "on"]);
    w.run(log, &["GET", "x"]);
    r.run_ids(log, &["CLIENT", "TRACKING", "on", "REDIRECT", "@s"]);
    q.run_ids(log, &["CLIENT", "TRACKING", "on", "REDIRECT", "@s"]);
    r.run(log, &["GET", "x"]);
    q.run(log, &["GET", "y"]);
    w.run(log, &["SET", "x", "1"]);
    w.run(log, &["SET", "y", "1"]);
    s.sync(log);
    w.sync(log);
    r.run_ids(log, &["CLIENT", "GETREDIR"]);
    r.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    r.flags(log);
    // FLUSHDB: a null in the tracking client's own protocol.
    w.run(log, &["FLUSHDB"]);
    s.sync(log);
    w.sync(log);
    // The redirect target leaves.
    drop(s);
    let sid = log
        .ids
        .iter()
        .find(|(_, n)| n == "s")
        .unwrap()
        .0
        .to_string();
    wait_for(&mut w.c, &["CLIENT", "LIST", "ID", &sid], b"$0\r\n\r\n");
    r.run(log, &["GET", "x"]);
    q.run(log, &["GET", "y"]);
    w.run(log, &["MSET", "x", "2", "y", "2"]);
    r.sync(log);
    q.sync(log);
    r.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    q.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    r.flags(log);
    q.flags(log);
    w.run_ids(log, &["CLIENT", "TRACKING", "on", "REDIRECT", "@s"]);
    // Re-enabling clears the broken flag.
    q.run(log, &["CLIENT", "TRACKING", "on"]);
    q.flags(log);
    w.info(log);
}

/// The redirect target writes a key its redirecting client read: Redis writes the message to
/// it while the write runs, before the write's own reply.
fn redirect_to_the_writer(server: &Server, log: &mut Log) {
    let mut x = Conn::open(server, log, "x", true);
    let mut y = Conn::open(server, log, "y", true);
    x.run_ids(log, &["CLIENT", "TRACKING", "on", "REDIRECT", "@y"]);
    x.run(log, &["GET", "rk"]);
    y.run(log, &["SET", "rk", "1"]);
    y.sync(log);
    x.sync(log);
    // And inside a transaction of the target.
    x.run(log, &["GET", "rk"]);
    for cmd in [&["MULTI"][..], &["SET", "rk", "2"], &["EXEC"]] {
        y.run(log, cmd);
    }
    y.sync(log);
    x.run(log, &["CLIENT", "TRACKING", "off"]);
}

fn bcast(server: &Server, log: &mut Log) {
    let mut p = Conn::open(server, log, "p", true);
    let mut n = Conn::open(server, log, "n", true);
    let mut e = Conn::open(server, log, "e", true);
    let mut w = Conn::open(server, log, "w3", false);
    p.run(
        log,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:",
        ],
    );
    p.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    p.flags(log);
    n.run(log, &["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]);
    w.run(log, &["SET", "user:1", "a"]);
    w.run(log, &["SET", "obj:1", "b"]);
    w.run(log, &["SET", "other", "c"]);
    w.run(log, &["MSET", "user:3", "x", "user:2", "y", "obj:2", "z"]);
    p.sync(log);
    n.sync(log);
    // NOLOOP: its own writes are left out, a write of both in one turn keeps the other's.
    n.run(log, &["SET", "mine", "1"]);
    n.sync(log);
    p.run(log, &["SET", "user:9", "1"]);
    p.sync(log);
    n.sync(log);
    w.info(log);
    // Errors.
    p.run(log, &["CLIENT", "TRACKING", "on"]);
    p.run(
        log,
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:x"],
    );
    p.run(log, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "us"]);
    e.run(
        log,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab",
        ],
    );
    e.run(log, &["CLIENT", "TRACKING", "on", "PREFIX", "a"]);
    e.run(log, &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"]);
    e.run(log, &["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"]);
    // Redis 7.0.15 answers an overlap of two later prefixes with an error and then +OK.
    e.run_n(
        log,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "b", "PREFIX", "bc",
        ],
        2,
    );
    e.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    // More prefixes while on: added to the ones it has.
    p.run(log, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "zz"]);
    p.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    w.info(log);
    p.run(log, &["CLIENT", "TRACKING", "off"]);
    p.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    w.run(log, &["SET", "user:1", "b"]);
    p.sync(log);
    w.info(log);
}

fn optin_optout_noloop(server: &Server, log: &mut Log) {
    let mut i = Conn::open(server, log, "i", true);
    let mut o = Conn::open(server, log, "o", true);
    let mut l = Conn::open(server, log, "l", true);
    let mut w = Conn::open(server, log, "w4", false);
    i.run(log, &["CLIENT", "TRACKING", "on", "OPTIN"]);
    i.run(log, &["GET", "i1"]);
    i.run(log, &["CLIENT", "CACHING", "yes"]);
    i.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    i.run(log, &["GET", "i2"]);
    i.run(log, &["GET", "i3"]);
    i.run(log, &["CLIENT", "CACHING", "yes"]);
    // Another CLIENT subcommand keeps CACHING for the next command.
    i.run_ids(log, &["CLIENT", "GETREDIR"]);
    i.run(log, &["GET", "i4"]);
    i.run(log, &["CLIENT", "CACHING", "yes"]);
    for cmd in [&["MULTI"][..], &["GET", "i5"], &["GET", "i6"], &["EXEC"]] {
        i.run(log, cmd);
    }
    i.run(log, &["GET", "i7"]);
    w.run(
        log,
        &[
            "MSET", "i1", "1", "i2", "2", "i3", "3", "i4", "4", "i5", "5", "i6", "6", "i7", "7",
        ],
    );
    i.sync(log);
    i.run(log, &["CLIENT", "CACHING", "no"]);
    i.run(log, &["CLIENT", "TRACKING", "on", "OPTOUT"]);

    o.run(log, &["CLIENT", "TRACKING", "on", "OPTOUT"]);
    o.run(log, &["GET", "o1"]);
    o.run(log, &["CLIENT", "CACHING", "no"]);
    o.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    o.run(log, &["GET", "o2"]);
    o.run(log, &["GET", "o3"]);
    w.run(log, &["MSET", "o1", "1", "o2", "2", "o3", "3"]);
    o.sync(log);
    o.run(log, &["CLIENT", "CACHING", "yes"]);
    o.run(log, &["CLIENT", "CACHING", "maybe"]);
    o.run(log, &["CLIENT", "TRACKING", "on", "OPTIN"]);
    w.run(log, &["CLIENT", "CACHING", "yes"]);

    l.run(log, &["CLIENT", "TRACKING", "on", "NOLOOP"]);
    l.run(log, &["GET", "l1"]);
    l.run(log, &["SET", "l1", "x"]);
    l.sync(log);
    l.run(log, &["GET", "l1"]);
    w.run(log, &["SET", "l1", "y"]);
    l.sync(log);
    l.run_ids(log, &["CLIENT", "TRACKINGINFO"]);

    // Errors of CLIENT TRACKING itself.
    for bad in [
        &["CLIENT", "TRACKING", "maybe"][..],
        &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "abc"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "0"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "-3"],
        &["CLIENT", "TRACKING", "on", "REDIRECT"],
        &["CLIENT", "TRACKING", "on", "FOO"],
        &["CLIENT", "TRACKING", "off", "REDIRECT", "999999"],
        &["CLIENT", "TRACKING"],
        &["CLIENT", "CACHING"],
        &["CLIENT", "GETREDIR", "x"],
        &["CLIENT", "TRACKINGINFO", "x"],
    ] {
        w.run(log, bad);
    }
    w.run_ids(
        log,
        &[
            "CLIENT", "TRACKING", "on", "REDIRECT", "@l", "REDIRECT", "@l",
        ],
    );
    w.run_ids(
        log,
        &[
            "CLIENT", "TRACKING", "off", "REDIRECT", "@l", "BCAST", "OPTIN",
        ],
    );
    w.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    // RESET turns tracking off.
    l.run(log, &["RESET"]);
    l.run_ids(log, &["CLIENT", "TRACKINGINFO"]);
    w.info(log);
}

fn expiry_and_limit(server: &Server, log: &mut Log) {
    let mut t = Conn::open(server, log, "t", true);
    let mut w = Conn::open(server, log, "w5", false);
    w.run(log, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    t.run(log, &["CLIENT", "TRACKING", "on"]);
    let at = (server_ms(&mut w.c) + 1000).to_string();
    for k in ["e1", "e2", "e3"] {
        w.run(log, &["SET", k, "v"]);
        w.run(log, &["PEXPIREAT", k, &at]);
        t.run(log, &["GET", k]);
    }
    let at: i64 = at.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server_ms(&mut w.c) <= at {
        assert!(
            Instant::now() < deadline,
            "the server clock did not pass {at}"
        );
        std::thread::sleep(Duration::from_millis(5)); // polling interval, not synchronisation
    }
    // Lazy expiry by the tracking client itself: the push follows its reply.
    t.run(log, &["GET", "e1"]);
    t.sync(log);
    // Lazy expiry by another client.
    w.run(log, &["EXISTS", "e2"]);
    t.sync(log);
    // Active expiry.
    // DBSIZE counts expired keys still there: it drops by one when the cycle deletes e3.
    let n = int(&w.c.cmd(&["DBSIZE"]));
    w.run(log, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    wait_for(&mut w.c, &["DBSIZE"], format!(":{}\r\n", n - 1).as_bytes());
    t.sync(log);
    w.info(log);

    // A full table: one of the two keys is evicted with an invalidation (which one is random).
    w.run(log, &["FLUSHALL"]);
    t.sync(log);
    w.run(log, &["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    t.run(log, &["GET", "m1"]);
    t.run(log, &["GET", "m2"]);
    let before = log.lines.len();
    t.sync(log);
    for line in &mut log.lines[before..] {
        *line = line
            .replace("$2\\r\\nm1", "$2\\r\\nm?")
            .replace("$2\\r\\nm2", "$2\\r\\nm?");
    }
    w.info(log);
    w.run(log, &["CONFIG", "SET", "tracking-table-max-keys", "0"]);
}

fn run(flavor: Flavor) -> Vec<String> {
    let server = Server::start(flavor, &["--enable-debug-command", "yes"]);
    let mut log = Log::default();
    default_mode_resp3(&server, &mut log);
    redirect_resp2(&server, &mut log);
    redirect_to_the_writer(&server, &mut log);
    bcast(&server, &mut log);
    optin_optout_noloop(&server, &mut log);
    expiry_and_limit(&server, &mut log);
    log.lines
}

#[test]
fn client_tracking_matches_redis() {
    let ours = run(Flavor::Node);
    // Our own transcript must show the invalidations at all (also when redis-server is absent).
    assert!(
        ours.iter()
            .any(|l| l.starts_with("a: ") && l.contains("invalidate\\r\\n*1\\r\\n$2\\r\\nk1")),
        "{ours:#?}"
    );
    if support::require_tool("redis-server").is_some() {
        let theirs = run(Flavor::Redis);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                a,
                b,
                "line {i} differs (ours, redis); context:\n{:#?}",
                &theirs[i.saturating_sub(5)..i + 1]
            );
        }
        assert_eq!(ours.len(), theirs.len(), "{ours:#?}\n{theirs:#?}");
    }
}
