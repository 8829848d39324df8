//! Two nodes wired back to back in-process (virtual time, no sockets): a replica follows a
//! master through `Output::ReplConnect`/`ReplSend` and `handle_repl_*`, applies its stream,
//! refuses writes, unblocks WAIT with its ACKs, and is promoted by REPLICAOF NO ONE; DEBUG
//! CHANGE-REPL-ID on either side.
mod common;
use common::*;

use std::collections::BTreeMap;

use hashslot_node::Output;
use hashslot_types::ConnId;

/// Master `a`, replica-to-be `b`, and the master-side connection of each replica link.
struct Pair {
    a: Harness,
    b: Harness,
    links: BTreeMap<u64, ConnId>,
    /// Bytes `a` sent to its ordinary clients.
    a_sent: BTreeMap<ConnId, Vec<u8>>,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            a: Harness::with_config(config(&[
                ("repl-diskless-sync-delay", "0"),
                ("enable-debug-command", "yes"),
            ])),
            b: Harness::with_config(config(&[("enable-debug-command", "yes")])),
            links: BTreeMap::new(),
            a_sent: BTreeMap::new(),
        }
    }

    fn drain(h: &mut Harness) -> Vec<Output> {
        while let Some(o) = h.node.poll_output() {
            h.pending.push(o);
        }
        std::mem::take(&mut h.pending)
    }

    /// Move bytes between the two until both are quiet.
    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            for o in Self::drain(&mut self.b) {
                match o {
                    Output::ReplConnect { link, .. } => {
                        let conn = self.a.connect();
                        self.links.insert(link, conn);
                        self.b.node.handle_repl_connected(self.b.now, link);
                        moved = true;
                    }
                    Output::ReplSend { link, data } => {
                        let conn = self.links[&link];
                        self.a.node.handle_read(self.a.now, conn, &data);
                        moved = true;
                    }
                    Output::ReplClose { link } => {
                        if let Some(conn) = self.links.remove(&link) {
                            self.a.node.handle_closed(self.a.now, conn);
                        }
                    }
                    _ => {}
                }
            }
            for o in Self::drain(&mut self.a) {
                match o {
                    Output::Send { conn, data } => {
                        match self.links.iter().find(|(_, c)| **c == conn) {
                            Some((&link, _)) => {
                                self.b.node.handle_repl_read(self.b.now, link, &data);
                                moved = true;
                            }
                            None => self.a_sent.entry(conn).or_default().extend(&data),
                        }
                    }
                    Output::Close { conn } => {
                        if let Some((&link, _)) = self.links.iter().find(|(_, c)| **c == conn) {
                            self.links.remove(&link);
                            self.a.node.handle_closed(self.a.now, conn);
                            self.b.node.handle_repl_closed(self.b.now, link);
                            moved = true;
                        }
                    }
                    _ => {}
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the pair never went quiet");
    }

    /// Advance both clocks by `ms` (timers fire), then pump.
    fn advance(&mut self, ms: u64) {
        let out = self.a.advance(ms);
        self.a.pending.extend(out);
        let out = self.b.advance(ms);
        self.b.pending.extend(out);
        self.pump();
    }

    /// A command on `b` from `conn`, pumped; returns what `conn` got (other outputs, such as
    /// the link's, stay with the pair).
    fn b_cmd(&mut self, conn: ConnId, args: &[&str]) -> String {
        let outs = self.b.feed(conn, &encode(args));
        let reply = sent_to(&outs, conn);
        self.b.pending.extend(
            outs.into_iter()
                .filter(|o| !matches!(o, Output::Send { conn: c, .. } if *c == conn)),
        );
        self.pump();
        String::from_utf8_lossy(&reply).into_owned()
    }

    /// A command on `a` from `conn`, pumped; returns what `conn` got.
    fn a_cmd(&mut self, conn: ConnId, args: &[&str]) -> String {
        self.a.node.handle_read(self.a.now, conn, &encode(args));
        self.pump();
        let got = self.a_sent.remove(&conn).unwrap_or_default();
        String::from_utf8_lossy(&got).into_owned()
    }
}

fn field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(str::to_owned)
}

#[test]
fn replica_follows_applies_and_acks() {
    let mut p = Pair::new();
    let ac = p.a.connect();
    let bc = p.b.connect();
    assert_eq!(p.a_cmd(ac, &["SET", "early", "1"]), "+OK\r\n");
    // A replica whose link is down refuses PSYNC (the link's outputs are held back here).
    let outs = p.b.feed(bc, &encode(&["REPLICAOF", "127.0.0.1", "6379"]));
    assert_eq!(sent_to(&outs, bc), b"+OK\r\n");
    let psync = p.b.cmd_str(bc, &["PSYNC", "?", "-1"]);
    assert_eq!(
        psync,
        "-NOMASTERLINK Can't SYNC while not connected with my master\r\n"
    );
    p.b.pending.extend(
        outs.into_iter()
            .filter(|o| !matches!(o, Output::Send { conn, .. } if *conn == bc)),
    );
    // The cron connects; the full sync and the stream follow.
    p.advance(1000);
    let info = p.b_cmd(bc, &["INFO", "replication"]);
    assert_eq!(field(&info, "role").as_deref(), Some("slave"), "{info}");
    assert_eq!(
        field(&info, "master_link_status").as_deref(),
        Some("up"),
        "{info}"
    );
    assert_eq!(p.b_cmd(bc, &["GET", "early"]), "$1\r\n1\r\n");
    assert_eq!(p.a_cmd(ac, &["SET", "later", "2", "EX", "100"]), "+OK\r\n");
    assert_eq!(p.a_cmd(ac, &["SADD", "s", "a", "b", "c"]), ":3\r\n");
    let popped = p.a_cmd(ac, &["SPOP", "s"]);
    assert!(popped.starts_with("$1\r\n"), "{popped}");
    assert_eq!(p.b_cmd(bc, &["GET", "later"]), "$1\r\n2\r\n");
    assert_eq!(p.b_cmd(bc, &["PTTL", "later"]), ":100000\r\n");
    assert_eq!(p.b_cmd(bc, &["SCARD", "s"]), ":2\r\n");
    assert_eq!(
        p.b_cmd(bc, &["SISMEMBER", "s", &popped[4..5]]),
        ":0\r\n",
        "the popped member is gone on the replica too"
    );
    assert_eq!(
        p.b_cmd(bc, &["SET", "x", "1"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );

    // WAIT blocks until the replica's ACK (sent each second) covers the client's write.
    p.a.node
        .handle_read(p.a.now, ac, &encode(&["SET", "w", "1"]));
    p.a.node
        .handle_read(p.a.now, ac, &encode(&["WAIT", "1", "0"]));
    p.pump();
    assert_eq!(
        String::from_utf8_lossy(&p.a_sent.remove(&ac).unwrap_or_default()),
        "+OK\r\n:1\r\n"
    );
    // WAIT for more replicas than exist times out with the count.
    p.a.node
        .handle_read(p.a.now, ac, &encode(&["WAIT", "2", "100"]));
    p.pump();
    assert!(!p.a_sent.contains_key(&ac), "WAIT 2 answered early");
    p.advance(200);
    assert_eq!(
        String::from_utf8_lossy(&p.a_sent.remove(&ac).unwrap_or_default()),
        ":1\r\n"
    );
    let info = p.a_cmd(ac, &["INFO", "replication"]);
    assert_eq!(
        field(&info, "connected_slaves").as_deref(),
        Some("1"),
        "{info}"
    );
    assert_eq!(p.a_cmd(ac, &["ROLE"]).lines().nth(2), Some("master"));

    // Promotion keeps the data, shifts the history, and accepts writes.
    assert_eq!(p.b_cmd(bc, &["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    p.pump();
    let info = p.b_cmd(bc, &["INFO", "replication"]);
    assert_eq!(field(&info, "role").as_deref(), Some("master"), "{info}");
    let a_info = p.a_cmd(ac, &["INFO", "replication"]);
    assert_eq!(
        field(&info, "master_replid2"),
        field(&a_info, "master_replid")
    );
    assert_eq!(p.b_cmd(bc, &["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(p.b_cmd(bc, &["GET", "w"]), "$1\r\n1\r\n");
    p.advance(2000);
    let a_info = p.a_cmd(ac, &["INFO", "replication"]);
    assert_eq!(
        field(&a_info, "connected_slaves").as_deref(),
        Some("0"),
        "{a_info}"
    );
}

/// As two redis-server 7.0.15 (same steps by hand): DEBUG CHANGE-REPL-ID on the replica changes
/// its own id but not the one it offers its master, so after the link breaks it continues
/// (`sync_partial_ok`) and keeps its new id; on the master, the replica's next PSYNC names an
/// id the master no longer has, so it is fully resynchronized and takes the master's new id.
#[test]
fn change_repl_id_on_replica_continues_on_master_resyncs() {
    let mut p = Pair::new();
    let ac = p.a.connect();
    let bc = p.b.connect();
    assert_eq!(p.a_cmd(ac, &["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(p.b_cmd(bc, &["REPLICAOF", "127.0.0.1", "6379"]), "+OK\r\n");
    p.advance(1000);
    let id = |p: &mut Pair, on_a: bool| {
        let info = if on_a {
            p.a_cmd(ac, &["INFO", "replication"])
        } else {
            p.b_cmd(bc, &["INFO", "replication"])
        };
        assert_eq!(
            field(&info, "master_link_status")
                .as_deref()
                .unwrap_or("up"),
            "up",
            "{info}"
        );
        field(&info, "master_replid").expect("master_replid")
    };
    let stats = |p: &mut Pair| {
        let info = p.a_cmd(ac, &["INFO", "stats"]);
        let f = |n| field(&info, n).expect("sync field");
        (f("sync_full"), f("sync_partial_ok"))
    };
    let master_id = id(&mut p, true);
    assert_eq!(id(&mut p, false), master_id);
    assert_eq!(stats(&mut p), ("1".to_owned(), "0".to_owned()));

    assert_eq!(p.b_cmd(bc, &["DEBUG", "CHANGE-REPL-ID"]), "+OK\r\n");
    let replica_id = id(&mut p, false);
    assert_ne!(replica_id, master_id);
    assert_eq!(
        p.a_cmd(ac, &["CLIENT", "KILL", "TYPE", "replica"]),
        ":1\r\n"
    );
    p.advance(1000);
    assert_eq!(stats(&mut p), ("1".to_owned(), "1".to_owned()));
    assert_eq!(id(&mut p, false), replica_id);
    assert_eq!(p.a_cmd(ac, &["SET", "y", "2"]), "+OK\r\n");
    assert_eq!(p.b_cmd(bc, &["GET", "y"]), "$1\r\n2\r\n");

    assert_eq!(p.a_cmd(ac, &["DEBUG", "CHANGE-REPL-ID"]), "+OK\r\n");
    let new_master_id = id(&mut p, true);
    assert_ne!(new_master_id, master_id);
    assert_eq!(
        p.a_cmd(ac, &["CLIENT", "KILL", "TYPE", "replica"]),
        ":1\r\n"
    );
    p.advance(1000);
    assert_eq!(stats(&mut p), ("2".to_owned(), "1".to_owned()));
    assert_eq!(id(&mut p, false), new_master_id);
}
