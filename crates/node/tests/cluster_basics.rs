//! Cluster mode in-process: three `Node`s wired at the bus level through a test network, driven
//! in virtual time. CLUSTER MEET, ADDSLOTS, MOVED/CROSSSLOT routing, cluster_state ok.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use hashslot_node::{ClientAddr, Config, Node, Output, ProcessInfo};
use hashslot_types::{ConnId, Instant, LinkId, Now, UnixMillis};

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

struct Net {
    now: Now,
    nodes: Vec<Node>,
    routes: BTreeMap<(usize, LinkId), (usize, LinkId)>,
    next_accept: u64,
    replies: BTreeMap<(usize, ConnId), Vec<u8>>,
    files: Vec<Option<Vec<u8>>>,
}

impl Net {
    fn new(n: usize) -> Net {
        let now = Now::new(
            Instant::from_nanos(1_000_000_000),
            UnixMillis(1_700_000_000_000),
        );
        let nodes = (0..n)
            .map(|i| {
                let mut c = Config::default();
                c.cluster_enabled = true;
                c.port = 7000 + i as u16;
                c.cluster_node_timeout = 2000;
                let mut node = Node::new(c, 10 + i as u64, now, ProcessInfo::default());
                node.load_cluster_config(now, None).unwrap();
                let conn = ConnId(1);
                let a = ClientAddr {
                    peer: addr(50000),
                    local: addr(7000 + i as u16),
                    fd: 1,
                };
                node.handle_accept(now, conn, a);
                node
            })
            .collect();
        let mut net = Net {
            now,
            nodes,
            routes: BTreeMap::new(),
            next_accept: 1,
            replies: BTreeMap::new(),
            files: vec![None; n],
        };
        net.settle();
        net
    }

    fn settle(&mut self) {
        let mut q: VecDeque<(usize, Output)> = VecDeque::new();
        loop {
            for i in 0..self.nodes.len() {
                while let Some(o) = self.nodes[i].poll_output() {
                    q.push_back((i, o));
                }
            }
            let Some((i, out)) = q.pop_front() else { break };
            let now = self.now;
            match out {
                Output::BusConnect { link, addr: a } => {
                    let j = (a.port() - 17000) as usize;
                    let acc = LinkId(self.next_accept);
                    self.next_accept += 1;
                    self.nodes[j].handle_bus_accept(now, acc, addr(41000 + acc.0 as u16), a);
                    self.routes.insert((i, link), (j, acc));
                    self.routes.insert((j, acc), (i, link));
                    self.nodes[i].handle_bus_connected(now, link, addr(42000));
                }
                Output::BusSend { link, data } => {
                    if let Some(&(j, pl)) = self.routes.get(&(i, link)) {
                        self.nodes[j].handle_bus_read(now, pl, &data);
                    }
                }
                Output::BusClose { link } => {
                    if let Some((j, pl)) = self.routes.remove(&(i, link)) {
                        self.routes.remove(&(j, pl));
                        self.nodes[j].handle_bus_closed(now, pl);
                    }
                }
                Output::Persist { token, data, .. } => {
                    self.files[i] = Some(data.to_vec());
                    self.nodes[i].handle_persist_done(now, token, Ok(()));
                }
                Output::Send { conn, data } => {
                    self.replies
                        .entry((i, conn))
                        .or_default()
                        .extend_from_slice(&data);
                }
                _ => {}
            }
        }
    }

    fn run(&mut self, ms: u64) {
        for _ in 0..ms / 100 {
            self.now = self.now.advance_millis(100);
            for n in &mut self.nodes {
                n.handle_timeout(self.now);
            }
            self.settle();
        }
    }

    /// Send one command to node `i` and return its raw reply.
    fn cmd(&mut self, i: usize, args: &[&str]) -> String {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        let now = self.now;
        self.nodes[i].handle_read(now, ConnId(1), req.as_bytes());
        self.settle();
        let out = self.replies.remove(&(i, ConnId(1))).unwrap_or_default();
        String::from_utf8_lossy(&out).into_owned()
    }

    fn myid(&mut self, i: usize) -> String {
        let r = self.cmd(i, &["CLUSTER", "MYID"]);
        r.lines().nth(1).unwrap().to_owned()
    }
}

#[test]
fn meet_addslots_moved_crossslot_and_state_ok() {
    let mut net = Net::new(3);
    let ids: Vec<String> = (0..3).map(|i| net.myid(i)).collect();
    assert_eq!(
        net.cmd(0, &["CLUSTER", "INFO"]).lines().nth(1),
        Some("cluster_state:fail")
    );
    assert!(net
        .cmd(1, &["CLUSTER", "MEET", "127.0.0.1", "7000"])
        .starts_with("+OK"));
    assert!(net
        .cmd(2, &["CLUSTER", "MEET", "127.0.0.1", "7000"])
        .starts_with("+OK"));
    net.run(3000);
    for i in 0..3 {
        let nodes = net.cmd(i, &["CLUSTER", "NODES"]);
        for id in &ids {
            assert!(nodes.contains(id.as_str()), "{nodes}");
        }
        assert!(!nodes.contains("handshake"), "{nodes}");
        assert_eq!(nodes.matches(" connected").count(), 3, "{nodes}");
    }
    // Slots: node 0 takes the first third, then the others the rest.
    assert_eq!(
        net.cmd(0, &["CLUSTER", "ADDSLOTSRANGE", "0", "5460"]),
        "+OK\r\n"
    );
    assert_eq!(
        net.cmd(1, &["CLUSTER", "ADDSLOTSRANGE", "5461", "10922"]),
        "+OK\r\n"
    );
    assert_eq!(
        net.cmd(2, &["CLUSTER", "ADDSLOTSRANGE", "10923", "16383"]),
        "+OK\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "ADDSLOTS", "1"]),
        "-ERR Slot 1 is already busy\r\n"
    );
    net.run(3000);
    // `foo` is slot 12182 (node 2), `bar` 5061 (node 0).
    assert_eq!(
        net.cmd(0, &["SET", "foo", "1"]),
        "-MOVED 12182 127.0.0.1:7002\r\n"
    );
    assert_eq!(net.cmd(0, &["SET", "bar", "1"]), "+OK\r\n");
    assert_eq!(net.cmd(2, &["SET", "foo", "1"]), "+OK\r\n");
    assert_eq!(
        net.cmd(0, &["MGET", "foo", "bar"]),
        "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
    );
    assert_eq!(net.cmd(0, &["DBSIZE"]), ":1\r\n");
    assert_eq!(
        net.cmd(0, &["CLUSTER", "COUNTKEYSINSLOT", "5061"]),
        ":1\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "GETKEYSINSLOT", "5061", "10"]),
        "*1\r\n$3\r\nbar\r\n"
    );
    assert_eq!(net.cmd(0, &["CLUSTER", "KEYSLOT", "foo"]), ":12182\r\n");
    // Full coverage, all reachable: ok everywhere.
    for i in 0..3 {
        let info = net.cmd(i, &["CLUSTER", "INFO"]);
        assert!(info.contains("cluster_state:ok\r\n"), "{info}");
        assert!(
            info.contains("cluster_known_nodes:3\r\ncluster_size:3\r\n"),
            "{info}"
        );
        let conf = String::from_utf8(net.files[i].clone().unwrap()).unwrap();
        assert_eq!(conf.lines().count(), 4, "{conf}");
    }
    // ASK during a migration of slot 5061 (bar) from node 0 to node 1.
    assert_eq!(
        net.cmd(1, &["CLUSTER", "SETSLOT", "5061", "IMPORTING", &ids[0]]),
        "+OK\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "SETSLOT", "5061", "MIGRATING", &ids[1]]),
        "+OK\r\n"
    );
    assert_eq!(net.cmd(0, &["GET", "bar"]), "$1\r\n1\r\n");
    assert_eq!(
        net.cmd(0, &["GET", "{bar}x"]),
        "-ASK 5061 127.0.0.1:7001\r\n"
    );
    assert_eq!(
        net.cmd(1, &["GET", "{bar}x"]),
        "-MOVED 5061 127.0.0.1:7000\r\n"
    );
    assert_eq!(net.cmd(1, &["ASKING"]), "+OK\r\n");
    assert_eq!(net.cmd(1, &["GET", "{bar}x"]), "$-1\r\n");
    let nodes = net.cmd(0, &["CLUSTER", "NODES"]);
    assert!(nodes.contains(&format!("[5061->-{}]", ids[1])), "{nodes}");
}

#[test]
fn cluster_commands_errors_and_saveconfig() {
    let mut net = Net::new(1);
    assert_eq!(
        net.cmd(0, &["CLUSTER", "MEET", "1.2.3.4", "abc"]),
        "-ERR Invalid TCP base port specified: abc\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "MEET", "foo", "7000"]),
        "-ERR Invalid node address specified: foo:7000\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "MEET", "1.2.3.4", "7000", "1", "2"]),
        "-ERR unknown subcommand or wrong number of arguments for 'MEET'. Try CLUSTER HELP.\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "ADDSLOTS", "1", "1"]),
        "-ERR Slot 1 specified multiple times\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "ADDSLOTSRANGE", "5", "1"]),
        "-ERR start slot number 5 is greater than end slot number 1\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"]),
        "-ERR wrong number of arguments for 'cluster|addslotsrange' command\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "DELSLOTS", "5"]),
        "-ERR Slot 5 is already unassigned\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "SETSLOT", "1", "foo"]),
        "-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "SETSLOT", "1", "importing", "abc"]),
        "-ERR I don't know about node abc\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "FORGET", "abc"]),
        "-ERR Unknown node abc\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "RESET", "foo"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        net.cmd(0, &["CLUSTER", "SET-CONFIG-EPOCH", "-1"]),
        "-ERR Invalid config epoch specified: -1\r\n"
    );
    assert_eq!(net.cmd(0, &["CLUSTER", "SET-CONFIG-EPOCH", "5"]), "+OK\r\n");
    assert_eq!(net.cmd(0, &["CLUSTER", "BUMPEPOCH"]), "+STILL 5\r\n");
    assert_eq!(net.cmd(0, &["CLUSTER", "SAVECONFIG"]), "+OK\r\n");
    assert_eq!(
        net.cmd(0, &["CLUSTER", "NOPE"]),
        "-ERR unknown subcommand 'NOPE'. Try CLUSTER HELP.\r\n"
    );
    let conf = String::from_utf8(net.files[0].clone().unwrap()).unwrap();
    assert!(
        conf.ends_with("vars currentEpoch 5 lastVoteEpoch 0\n"),
        "{conf}"
    );
    assert!(net
        .cmd(0, &["INFO", "cluster"])
        .contains("cluster_enabled:1"));
}
