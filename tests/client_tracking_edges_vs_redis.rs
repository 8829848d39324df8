//! Two edges of client-side caching (`CLIENT TRACKING`) beside redis-server 7.0.15:
//!
//! - DEL and UNLINK signal only the keys they actually delete (db.c `delGenericCommand` calls
//!   `signalModifiedKey` per deleted key): a tracked key that did not exist gets no
//!   invalidation, neither in the default mode nor in a broadcast.
//! - A client closed by `CLIENT KILL` stops counting in INFO's `tracking_clients` at once
//!   (Redis frees it inside the command), even for a command pipelined right behind the kill.
//!
//! Each connection's frames are logged in order (pushes collected by a `PING` afterwards, as
//! in client_tracking_vs_redis.rs) and the two transcripts must be equal.
// Real processes: deadlines from the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use support::{encode_command, escape, Client, Flavor, Server};

/// A named connection; what it receives goes to the shared transcript.
struct Conn {
    name: &'static str,
    c: Client,
}

impl Conn {
    fn open(server: &Server, name: &'static str, resp3: bool) -> Conn {
        let mut c = server.connect();
        if resp3 {
            // HELLO's reply names the server and its version: not compared.
            c.cmd(&["HELLO", "3"]);
        }
        Conn { name, c }
    }

    fn run(&mut self, log: &mut Vec<String>, args: &[&str]) {
        let r = self.c.cmd(args);
        log.push(format!("{}: {}", self.name, escape(&r)));
    }

    /// Everything sent to the connection before a `PING` it sends now, then the pong.
    fn sync(&mut self, log: &mut Vec<String>) {
        self.c.send(&["PING"]).expect("send");
        loop {
            let r = self.c.read_reply().expect("frames up to the pong");
            log.push(format!("{}: {}", self.name, escape(&r)));
            if r == b"+PONG\r\n" {
                return;
            }
        }
    }

    fn id(&mut self) -> String {
        let r = self.c.cmd(&["CLIENT", "ID"]);
        String::from_utf8_lossy(&r)
            .trim()
            .trim_start_matches(':')
            .to_owned()
    }
}

/// `tracking_clients:<n>` from an INFO reply.
fn tracking_clients(info: &[u8]) -> String {
    String::from_utf8_lossy(info)
        .lines()
        .find(|l| l.starts_with("tracking_clients:"))
        .unwrap_or("no tracking_clients field")
        .to_owned()
}

fn deletes_signal_only_deleted_keys(server: &Server, log: &mut Vec<String>) {
    let mut a = Conn::open(server, "a", true);
    let mut b = Conn::open(server, "b", true);
    let mut w = Conn::open(server, "w", false);
    a.run(log, &["CLIENT", "TRACKING", "on"]);
    b.run(log, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "k"]);
    for cmd in ["DEL", "UNLINK"] {
        w.run(log, &["SET", "k1", "1"]);
        a.sync(log);
        b.sync(log);
        // Read while present and while missing: both are tracked.
        a.run(log, &["GET", "k1"]);
        a.run(log, &["GET", "kmissing"]);
        w.run(log, &[cmd, "kmissing", "k1", "kmissing2"]);
        a.sync(log);
        b.sync(log);
        // Nothing deleted, nothing signalled.
        a.run(log, &["GET", "k1"]);
        w.run(log, &[cmd, "kmissing", "k1"]);
        a.sync(log);
        b.sync(log);
    }
    // `kmissing` is still tracked: a write that creates it is signalled.
    w.run(log, &["SET", "kmissing", "now"]);
    a.sync(log);
    b.sync(log);
}

fn killed_clients_stop_counting_at_once(server: &Server, log: &mut Vec<String>) {
    let mut w = Conn::open(server, "w", false);
    let mut t1 = Conn::open(server, "t1", true);
    let mut t2 = Conn::open(server, "t2", true);
    t1.run(log, &["CLIENT", "TRACKING", "on"]);
    t2.run(log, &["CLIENT", "TRACKING", "on", "BCAST"]);
    let before_tracking = tracking_clients(&w.c.cmd(&["INFO", "clients"]));
    log.push(format!("w: {before_tracking}"));
    for (victim, id) in [("t1", t1.id()), ("t2", t2.id())] {
        // The kill and INFO in one write: INFO runs right after the kill, before the server
        // has even tried to write to the killed connection.
        let mut req = encode_command(&["CLIENT", "KILL", "ID", id.as_str()]);
        req.extend_from_slice(&encode_command(&["INFO", "clients"]));
        w.c.send_raw(&req).expect("send");
        let killed = w.c.read_reply().expect("CLIENT KILL reply");
        let info = w.c.read_reply().expect("INFO reply");
        log.push(format!(
            "w: kill {victim}: {} then {}",
            escape(&killed),
            tracking_clients(&info)
        ));
    }
}

fn run(flavor: Flavor) -> Vec<String> {
    let server = Server::start(flavor, &[]);
    let mut log = Vec::new();
    deletes_signal_only_deleted_keys(&server, &mut log);
    killed_clients_stop_counting_at_once(&server, &mut log);
    log
}

#[test]
fn tracking_edges_match_redis() {
    let ours = run(Flavor::Node);
    // Our own transcript shows the invalidations that must be there (also without redis).
    assert!(
        ours.iter()
            .any(|l| l.starts_with("a: ") && l.contains("invalidate\\r\\n*1\\r\\n$2\\r\\nk1")),
        "{ours:#?}"
    );
    assert!(
        ours.iter()
            .any(|l| l.starts_with("w: kill t2: ") && l.ends_with(" then tracking_clients:0")),
        "{ours:#?}"
    );
    if support::require_tool("redis-server").is_some() {
        let theirs = run(Flavor::Redis);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                a,
                b,
                "line {i} differs (ours, redis); context:\n{:#?}",
                &theirs[i.saturating_sub(6)..i + 1]
            );
        }
        assert_eq!(ours.len(), theirs.len(), "{ours:#?}\n{theirs:#?}");
    }
}
