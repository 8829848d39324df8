//! The standalone FAILOVER round between two in-process nodes wired to each other (virtual
//! time, no sockets; either may connect to the other, as the round reverses the link): the
//! master pauses writes and waits for its replica's ACK, follows it with `PSYNC ... FAILOVER`,
//! and the replica takes over; `TIMEOUT` gives up when the ACK never comes, and `FORCE` goes on
//! anyway. Ref: replication.c failoverCommand / updateFailoverStatus (7.0).
mod common;
use common::*;

use std::collections::BTreeMap;

use hashslot_node::Output;
use hashslot_types::ConnId;

const PORTS: [u16; 2] = [7001, 7002];

/// Two nodes; links go from a node's `ReplConnect` to the node listening on that port.
struct Mesh {
    nodes: [Harness; 2],
    /// (node, link) -> (node serving it, connection there).
    links: BTreeMap<(usize, u64), (usize, ConnId)>,
    /// Replies to ordinary clients, by (node, connection).
    sent: BTreeMap<(usize, ConnId), Vec<u8>>,
    /// Drop what this node sends to its master (a replica whose ACKs never arrive).
    mute_acks: [bool; 2],
}

impl Mesh {
    fn new() -> Mesh {
        let node = |port: u16| {
            Harness::with_config(config(&[
                ("port", &port.to_string()),
                ("repl-diskless-sync-delay", "0"),
            ]))
        };
        Mesh {
            nodes: [node(PORTS[0]), node(PORTS[1])],
            links: BTreeMap::new(),
            sent: BTreeMap::new(),
            mute_acks: [false; 2],
        }
    }

    fn drain(&mut self, i: usize) -> Vec<Output> {
        let h = &mut self.nodes[i];
        while let Some(o) = h.node.poll_output() {
            h.pending.push(o);
        }
        std::mem::take(&mut h.pending)
    }

    /// Move bytes until both nodes are quiet.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for i in 0..2 {
                for o in self.drain(i) {
                    moved = true;
                    self.route(i, o);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the nodes never went quiet");
    }

    fn route(&mut self, i: usize, o: Output) {
        match o {
            Output::ReplConnect { link, port, .. } => {
                let now = self.nodes[i].now;
                match PORTS.iter().position(|p| *p == port) {
                    Some(j) if j != i => {
                        let conn = self.nodes[j].connect();
                        self.links.insert((i, link), (j, conn));
                        self.nodes[i].node.handle_repl_connected(now, link);
                    }
                    _ => self.nodes[i].node.handle_repl_closed(now, link),
                }
            }
            Output::ReplSend { link, data } => {
                if self.mute_acks[i] && data.windows(3).any(|w| w == b"ACK") {
                    return;
                }
                if let Some(&(j, conn)) = self.links.get(&(i, link)) {
                    let now = self.nodes[j].now;
                    self.nodes[j].node.handle_read(now, conn, &data);
                }
            }
            Output::ReplClose { link } => {
                if let Some((j, conn)) = self.links.remove(&(i, link)) {
                    let now = self.nodes[j].now;
                    self.nodes[j].node.handle_closed(now, conn);
                }
            }
            Output::Send { conn, data } => match self.link_of(i, conn) {
                Some((k, link)) => {
                    let now = self.nodes[k].now;
                    self.nodes[k].node.handle_repl_read(now, link, &data);
                }
                None => self.sent.entry((i, conn)).or_default().extend(&data[..]),
            },
            Output::Close { conn } => {
                if let Some((k, link)) = self.link_of(i, conn) {
                    self.links.remove(&(k, link));
                    let (now_i, now_k) = (self.nodes[i].now, self.nodes[k].now);
                    self.nodes[i].node.handle_closed(now_i, conn);
                    self.nodes[k].node.handle_repl_closed(now_k, link);
                }
            }
            _ => {}
        }
    }

    /// The link whose serving end is `conn` on node `i`.
    fn link_of(&self, i: usize, conn: ConnId) -> Option<(usize, u64)> {
        self.links
            .iter()
            .find(|(_, &(j, c))| j == i && c == conn)
            .map(|(&key, _)| key)
    }

    /// Advance both clocks by `ms`, 10 ms at a time, pumping between steps.
    fn advance(&mut self, ms: u64) {
        for _ in 0..ms / 10 {
            for i in 0..2 {
                let out = self.nodes[i].advance(10);
                self.nodes[i].pending.extend(out);
            }
            self.pump();
        }
    }

    /// Send a command from `conn` on node `i` without waiting for the reply.
    fn send(&mut self, i: usize, conn: ConnId, args: &[&str]) {
        let now = self.nodes[i].now;
        self.nodes[i].node.handle_read(now, conn, &encode(args));
        self.pump();
    }

    /// What `conn` on node `i` was sent so far (taken).
    fn replies(&mut self, i: usize, conn: ConnId) -> String {
        let got = self.sent.remove(&(i, conn)).unwrap_or_default();
        String::from_utf8_lossy(&got).into_owned()
    }

    fn cmd(&mut self, i: usize, conn: ConnId, args: &[&str]) -> String {
        self.send(i, conn, args);
        self.replies(i, conn)
    }

    fn info(&mut self, i: usize, conn: ConnId, name: &str) -> Option<String> {
        let info = self.cmd(i, conn, &["INFO", "everything"]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(str::to_owned)
    }

    /// Node 1 replicates node 0, link up. Returns a client on each.
    fn paired() -> (Mesh, ConnId, ConnId) {
        let mut m = Mesh::new();
        let c0 = m.nodes[0].connect();
        let c1 = m.nodes[1].connect();
        m.pump();
        assert_eq!(m.cmd(0, c0, &["SET", "k", "v"]), "+OK\r\n");
        assert_eq!(m.cmd(1, c1, &["REPLICAOF", "127.0.0.1", "7001"]), "+OK\r\n");
        m.advance(1500);
        assert_eq!(m.info(1, c1, "master_link_status").as_deref(), Some("up"));
        (m, c0, c1)
    }
}

#[test]
fn the_replica_takes_over_once_it_acknowledged_everything() {
    let (mut m, c0, c1) = Mesh::paired();
    let old_id = m.info(0, c0, "master_replid").unwrap();
    let w = m.nodes[0].connect();
    assert_eq!(m.cmd(0, c0, &["FAILOVER"]), "+OK\r\n");
    assert_eq!(
        m.info(0, c0, "master_failover_state").as_deref(),
        Some("waiting-for-sync")
    );
    // Paused: the write waits for the round.
    m.send(0, w, &["SET", "held", "1"]);
    assert_eq!(m.replies(0, w), "");
    // The replica acknowledges once a second; the cron sees it and the switch follows.
    m.advance(1500);
    assert_eq!(m.info(0, c0, "role").as_deref(), Some("slave"));
    assert_eq!(m.info(0, c0, "master_port").as_deref(), Some("7002"));
    assert_eq!(m.info(0, c0, "master_link_status").as_deref(), Some("up"));
    assert_eq!(m.info(1, c1, "role").as_deref(), Some("master"));
    for i in [0, 1] {
        let c = [c0, c1][i];
        assert_eq!(
            m.info(i, c, "master_failover_state").as_deref(),
            Some("no-failover")
        );
    }
    assert_eq!(
        m.replies(0, w),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    // One history, joined by a partial resync; the old master is known by its port.
    assert_eq!(
        m.info(0, c0, "master_replid"),
        m.info(1, c1, "master_replid")
    );
    assert_eq!(m.info(1, c1, "master_replid2"), Some(old_id));
    assert_eq!(m.info(1, c1, "sync_partial_ok").as_deref(), Some("1"));
    let line = m.info(1, c1, "slave0").unwrap();
    assert!(line.contains("port=7001,state=online"), "{line}");
    assert_eq!(m.cmd(1, c1, &["SET", "after", "1"]), "+OK\r\n");
    m.advance(100);
    assert_eq!(m.cmd(0, c0, &["GET", "after"]), "$1\r\n1\r\n");
    assert_eq!(m.cmd(0, c0, &["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn timeout_gives_up_and_force_goes_on_without_the_ack() {
    let (mut m, c0, c1) = Mesh::paired();
    m.mute_acks[1] = true;
    assert_eq!(m.cmd(0, c0, &["SET", "k", "w"]), "+OK\r\n");
    let w = m.nodes[0].connect();

    // No ACK of the last write ever arrives: the round ends at its TIMEOUT.
    assert_eq!(m.cmd(0, c0, &["FAILOVER", "TIMEOUT", "500"]), "+OK\r\n");
    m.send(0, w, &["SET", "held", "1"]);
    m.advance(400);
    assert_eq!(m.replies(0, w), "", "still paused");
    assert_eq!(
        m.info(0, c0, "master_failover_state").as_deref(),
        Some("waiting-for-sync")
    );
    m.advance(200);
    assert_eq!(m.replies(0, w), "+OK\r\n");
    assert_eq!(
        m.info(0, c0, "master_failover_state").as_deref(),
        Some("no-failover")
    );
    assert_eq!(m.info(0, c0, "role").as_deref(), Some("master"));

    // With FORCE it switches anyway: the target has the stream, only its ACKs were lost.
    assert_eq!(
        m.cmd(
            0,
            c0,
            &[
                "FAILOVER",
                "TO",
                "127.0.0.1",
                "7002",
                "TIMEOUT",
                "300",
                "FORCE"
            ]
        ),
        "+OK\r\n"
    );
    m.advance(200);
    assert_eq!(m.info(0, c0, "role").as_deref(), Some("master"));
    m.advance(300);
    assert_eq!(m.info(0, c0, "role").as_deref(), Some("slave"));
    assert_eq!(m.info(1, c1, "role").as_deref(), Some("master"));
    assert_eq!(m.cmd(1, c1, &["GET", "held"]), "$1\r\n1\r\n");
    assert_eq!(
        m.info(0, c0, "master_failover_state").as_deref(),
        Some("no-failover")
    );
}
