//! Harness for the cluster process tests: start cluster-enabled nodes (ours, or real
//! `redis-server`) on loopback ports whose bus port (P + 10000) is free too, each in its own
//! directory that survives restarts; talk RESP to them; read CLUSTER NODES; run `redis-cli`
//! with a deadline; wait on conditions with deadlines. Everything started is killed on drop.
//!
//! `HASHSLOT_CLUSTER_NODE_BIN=redis-server` makes every "ours" node a real `redis-server`: the
//! same scenarios then validate the harness itself against the reference.
#![allow(dead_code)]
// Tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// `cluster-node-timeout` the tests use (ms).
pub const NODE_TIMEOUT_MS: u64 = 2000;

/// Which program a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// hashslot-node (or `$HASHSLOT_CLUSTER_NODE_BIN`).
    Ours,
    /// redis-server from PATH.
    Redis,
}

impl Kind {
    /// The program to run.
    pub fn program(self) -> PathBuf {
        match self {
            Kind::Redis => PathBuf::from("redis-server"),
            Kind::Ours => match std::env::var_os("HASHSLOT_CLUSTER_NODE_BIN") {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => PathBuf::from(env!("CARGO_BIN_EXE_hashslot-node")),
            },
        }
    }

    /// For messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Ours => "hashslot",
            Kind::Redis => "redis",
        }
    }
}

/// Whether a missing redis tool must fail the test (`HASHSLOT_REQUIRE_REDIS=1`).
pub fn redis_required() -> bool {
    std::env::var("HASHSLOT_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// Whether every tool in `tools` is on PATH; if not, skip (print why) or fail when required.
pub fn have_tools(tools: &[&str]) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in tools {
        let found = std::env::split_paths(&path).any(|d| d.join(tool).is_file());
        if !found {
            assert!(
                !redis_required(),
                "{tool} is not on PATH and HASHSLOT_REQUIRE_REDIS=1"
            );
            eprintln!("SKIP: {tool} is not on PATH (HASHSLOT_REQUIRE_REDIS=1 makes this fail)");
            return false;
        }
    }
    true
}

/// A port P such that P and P + 10000 were both free on 127.0.0.1 a moment ago. Candidates are
/// spread by pid and a counter so parallel tests do not race for the same ones.
pub fn free_cluster_port() -> u16 {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let base = std::process::id().wrapping_mul(7919);
    for _ in 0..2000 {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        // 20000..30000: the bus port stays below the usual ephemeral range's crowded top.
        let p = 20000 + ((base.wrapping_add(n.wrapping_mul(104_729))) % 10000) as u16;
        let ok = TcpListener::bind(("127.0.0.1", p))
            .and_then(|a| TcpListener::bind(("127.0.0.1", p + 10000)).map(|b| (a, b)))
            .is_ok();
        if ok {
            return p;
        }
    }
    panic!("no free port pair P, P+10000");
}

/// A directory removed on drop (kept when `HASHSLOT_KEEP_TEST_DIRS` is set and a test failed).
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "hashslot-cluster-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() && std::env::var_os("HASHSLOT_KEEP_TEST_DIRS").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A cluster-enabled node process in its own directory; killed (SIGKILL) on drop.
#[derive(Debug)]
pub struct Node {
    pub kind: Kind,
    pub port: u16,
    pub dir: PathBuf,
    pub node_timeout: u64,
    child: Option<Child>,
}

impl Node {
    /// Start a node of `kind` on a fresh port pair in a new directory under `root`.
    pub fn start(kind: Kind, root: &Path, node_timeout: u64) -> Node {
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_cluster_port();
            let dir = root.join(format!("{}-{port}", kind.label()));
            std::fs::create_dir_all(&dir).unwrap();
            let mut node = Node {
                kind,
                port,
                dir,
                node_timeout,
                child: None,
            };
            match node.restart() {
                Ok(()) => return node,
                Err(e) => last = e,
            }
        }
        panic!("could not start a {} node: {last}", kind.label());
    }

    /// (Re)start the process on the same port and directory (its nodes.conf is reused), and
    /// wait until it answers PING.
    pub fn restart(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "node {} is still running", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("out.log"))
            .map_err(|e| e.to_string())?;
        let child = Command::new(self.kind.program())
            .current_dir(&self.dir)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-node-timeout", &self.node_timeout.to_string()])
            .args(["--cluster-config-file", "nodes.conf"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "verbose"])
            // DEBUG DIGEST-VALUE, which `redis-cli --cluster fix` asks for keys on both sides.
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.kind.program().display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!(
                    "{} on {} exited at startup with {status}\n{}",
                    self.kind.label(),
                    self.port,
                    self.log_tail()
                ));
            }
            if matches!(self.try_cmd(&["PING"]), Ok(Reply::Status(_))) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer PING\n{}",
                    self.port,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("node is running").id()
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL, reaped.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then wait for the exit (SIGKILL after 10 s, and fail).
    pub fn terminate(&mut self) {
        let Some(mut c) = self.child.take() else {
            return;
        };
        let _ = hashslot::server::supervise::terminate(c.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("node {} ignored SIGTERM for 10 s", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One command on a new connection.
    pub fn try_cmd(&self, args: &[&str]) -> io::Result<Reply> {
        call(self.port, args)
    }

    /// One command; panics on I/O errors (not on error replies).
    pub fn cmd(&self, args: &[&str]) -> Reply {
        self.try_cmd(args)
            .unwrap_or_else(|e| panic!("{} {:?}: {e}\n{}", self.addr(), args, self.log_tail()))
    }

    /// A command whose reply must not be an error.
    pub fn ok(&self, args: &[&str]) -> Reply {
        match self.cmd(args) {
            Reply::Error(e) => panic!("{} {:?}: -{e}", self.addr(), args),
            r => r,
        }
    }

    pub fn myid(&self) -> String {
        self.ok(&["CLUSTER", "MYID"]).text()
    }

    pub fn cluster_info(&self) -> String {
        self.ok(&["CLUSTER", "INFO"]).text()
    }

    /// A `CLUSTER INFO` field.
    pub fn info_field(&self, name: &str) -> Option<String> {
        let info = self.try_cmd(&["CLUSTER", "INFO"]).ok()?.text_opt()?;
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    }

    pub fn nodes(&self) -> Vec<NodeLine> {
        parse_nodes(&self.ok(&["CLUSTER", "NODES"]).text())
    }

    pub fn try_nodes(&self) -> Option<Vec<NodeLine>> {
        Some(parse_nodes(
            &self.try_cmd(&["CLUSTER", "NODES"]).ok()?.text_opt()?,
        ))
    }

    /// The last 40 lines of the node's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("out.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "--- {} {} log (last {} lines) ---\n{}",
            self.kind.label(),
            self.port,
            lines.len() - from,
            lines[from..].join("\n")
        )
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Logs of every node, for failure messages.
pub fn all_logs(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(Node::log_tail)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    pub fn text_opt(self) -> Option<String> {
        match self {
            Reply::Status(s) => Some(s),
            Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        }
    }

    pub fn text(self) -> String {
        match self.clone().text_opt() {
            Some(s) => s,
            None => panic!("expected text, got {self:?}"),
        }
    }
}

/// One command on a new connection to 127.0.0.1:`port`.
pub fn call(port: u16, args: &[&str]) -> io::Result<Reply> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        request.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    (&stream).write_all(&request)?;
    read_reply(&mut BufReader::new(stream))
}

/// Read one RESP2 reply.
pub fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches("\r\n");
    let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("bad reply {line:?}"));
    let (kind, rest) = line.split_at_checked(1).ok_or_else(bad)?;
    let number = || rest.parse::<i64>().map_err(|_| bad());
    Ok(match kind {
        "+" => Reply::Status(rest.to_string()),
        "-" => Reply::Error(rest.to_string()),
        ":" => Reply::Int(number()?),
        "$" => match usize::try_from(number()?) {
            Err(_) => Reply::Bulk(None),
            Ok(n) => {
                let mut data = vec![0; n + 2];
                r.read_exact(&mut data)?;
                data.truncate(n);
                Reply::Bulk(Some(data))
            }
        },
        "*" => match usize::try_from(number()?) {
            Err(_) => Reply::Array(Vec::new()),
            Ok(n) => Reply::Array((0..n).map(|_| read_reply(r)).collect::<io::Result<_>>()?),
        },
        _ => return Err(bad()),
    })
}

/// One line of CLUSTER NODES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    pub id: String,
    pub ip: String,
    pub port: u16,
    pub cport: u16,
    pub flags: Vec<String>,
    pub master: String,
    pub config_epoch: u64,
    pub link: String,
    /// Slot ranges as printed (`0-5460`, `[5461-<-id]`…).
    pub slots: Vec<String>,
}

impl NodeLine {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    pub fn is_master(&self) -> bool {
        self.has("master")
    }

    /// The slots this line owns (stable ranges only).
    pub fn slot_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| !s.starts_with('['))
            .map(|s| match s.split_once('-') {
                Some((a, b)) => b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1,
                None => 1,
            })
            .sum()
    }
}

pub fn parse_nodes(text: &str) -> Vec<NodeLine> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert!(f.len() >= 8, "short CLUSTER NODES line {l:?}");
            let addr = f[1].split(',').next().unwrap();
            let (ipport, cport) = addr.split_once('@').unwrap_or((addr, "0"));
            let (ip, port) = ipport.rsplit_once(':').unwrap_or(("", "0"));
            NodeLine {
                id: f[0].to_string(),
                ip: ip.to_string(),
                port: port.parse().unwrap_or(0),
                cport: cport.parse().unwrap_or(0),
                flags: f[2].split(',').map(str::to_string).collect(),
                master: f[3].to_string(),
                config_epoch: f[6].parse().unwrap_or(u64::MAX),
                link: f[7].to_string(),
                slots: f[8..].iter().map(|s| s.to_string()).collect(),
            }
        })
        .collect()
}

/// Poll `f` every 50 ms until it returns `Some`; panic after `within` with `what` and the
/// last state `f` described (its `Err`).
pub fn wait_for<T>(what: &str, within: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + within;
    loop {
        let last = match f() {
            Ok(v) => return v,
            Err(e) => e,
        };
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}; last: {last}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every running node lists every node of `nodes` (by port), none in handshake, none flagged
/// fail/fail?/noaddr, every link connected, and all agree on who owns which slots and on roles.
pub fn wait_agree(nodes: &[Node], within: Duration) {
    wait_for("every node to agree on the cluster", within, || {
        let mut first: Option<Vec<String>> = None;
        for n in nodes.iter().filter(|n| n.is_running()) {
            let lines = n
                .try_nodes()
                .ok_or(format!("{}: no CLUSTER NODES", n.port))?;
            if lines.len() != nodes.len() {
                return Err(format!("{} knows {} nodes", n.port, lines.len()));
            }
            for l in &lines {
                let bad = ["handshake", "fail", "fail?", "noaddr"];
                if bad.iter().any(|b| l.has(b)) || l.link != "connected" {
                    return Err(format!(
                        "{} sees {:?} {} {}",
                        n.port, l.flags, l.port, l.link
                    ));
                }
            }
            let mut view: Vec<String> = lines
                .iter()
                .map(|l| {
                    let role = if l.is_master() { "master" } else { "slave" };
                    let stable: Vec<&str> = l
                        .slots
                        .iter()
                        .filter(|s| !s.starts_with('['))
                        .map(String::as_str)
                        .collect();
                    format!(
                        "{} {} {role} {} {}",
                        l.id,
                        l.port,
                        l.master,
                        stable.join(",")
                    )
                })
                .collect();
            view.sort();
            match &first {
                None => first = Some(view),
                Some(f) if *f != view => {
                    return Err(format!(
                        "views differ:\n{}\nvs {}:\n{}",
                        f.join("\n"),
                        n.port,
                        view.join("\n")
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(())
    });
}

/// Wait until every running node says `cluster_state:ok`.
pub fn wait_state_ok(nodes: &[Node], within: Duration) {
    wait_for("cluster_state:ok on every node", within, || {
        for n in nodes.iter().filter(|n| n.is_running()) {
            let state = n.info_field("cluster_state");
            if state.as_deref() != Some("ok") {
                return Err(format!("{}: cluster_state {state:?}", n.port));
            }
        }
        Ok(())
    });
}

/// Form a cluster with our own commands (no redis-cli): the first `masters` nodes get the
/// slots evenly (ADDSLOTSRANGE), distinct config epochs, every node MEETs the first, then
/// replica i follows master i mod masters. Waits until all agree and state is ok.
pub fn create_cluster(nodes: &[Node], masters: usize) {
    let ids: Vec<String> = nodes.iter().map(Node::myid).collect();
    // As redis-cli splits them (C float arithmetic): 3 masters get 0-5460, 5461-10922, 10923-.
    let per_node = 16384.0 / masters as f32;
    let (mut cursor, mut first) = (0.0f32, 0u32);
    for (i, n) in nodes.iter().take(masters).enumerate() {
        let mut last = (cursor + per_node - 1.0).round() as u32;
        if i == masters - 1 {
            last = 16383;
        }
        n.ok(&[
            "CLUSTER",
            "ADDSLOTSRANGE",
            &first.to_string(),
            &last.to_string(),
        ]);
        first = last + 1;
        cursor += per_node;
    }
    for (i, n) in nodes.iter().enumerate() {
        n.ok(&["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()]);
    }
    let first = nodes[0].port.to_string();
    for n in &nodes[1..] {
        n.ok(&["CLUSTER", "MEET", "127.0.0.1", &first]);
    }
    let within = Duration::from_secs(30);
    wait_for("every node to know every other", within, || {
        for n in nodes {
            let known = n
                .try_nodes()
                .map_or(0, |l| l.iter().filter(|l| !l.has("handshake")).count());
            if known != nodes.len() {
                return Err(format!("{} knows {known}", n.port));
            }
        }
        Ok(())
    });
    for (j, n) in nodes.iter().enumerate().skip(masters) {
        let master = &ids[(j - masters) % masters];
        wait_for("CLUSTER REPLICATE to be accepted", within, || {
            match n.cmd(&["CLUSTER", "REPLICATE", master]) {
                Reply::Error(e) => Err(e),
                _ => Ok(()),
            }
        });
    }
    wait_agree(nodes, within);
    wait_state_ok(nodes, within);
}

/// What a finished process printed.
#[derive(Debug)]
pub struct Run {
    /// `None` when it was killed at the deadline.
    pub success: Option<bool>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panic with everything printed unless it exited 0.
    pub fn assert_success(&self, what: &str) {
        assert_eq!(
            self.success,
            Some(true),
            "{what} failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Run `redis-cli args…` (no stdin), killed after `within`.
pub fn redis_cli(args: &[&str], within: Duration) -> Run {
    redis_cli_stdin(args, None, within)
}

/// Run `redis-cli args…` with `stdin` fed in (commands read from stdin are run as in its
/// interactive loop, which is where `-c` prints `-> Redirected to slot …`), killed after
/// `within`.
pub fn redis_cli_stdin(args: &[&str], stdin: Option<&str>, within: Duration) -> Run {
    let mut child = Command::new("redis-cli")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli");
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + within;
    let success = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status.success()),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    Run {
        success,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    }
}

/// Strip ANSI colour codes (redis-cli colours its `[OK]` lines).
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `redis-cli --cluster create` over `nodes` with `replicas` per master; asserts success.
pub fn redis_cli_create(nodes: &[Node], replicas: usize) -> Run {
    let mut args: Vec<String> = vec!["--cluster".into(), "create".into()];
    args.extend(nodes.iter().map(Node::addr));
    args.extend([
        "--cluster-replicas".into(),
        replicas.to_string(),
        "--cluster-yes".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = redis_cli(&args, Duration::from_secs(90));
    if run.success != Some(true) {
        panic!(
            "redis-cli --cluster create failed ({:?})\n--- stdout ---\n{}\n--- stderr ---\n{}\n{}",
            run.success,
            plain(&run.stdout),
            run.stderr,
            all_logs(nodes)
        );
    }
    run
}

/// Start `n` nodes of `kind` under `root`.
pub fn start_nodes(kind: Kind, n: usize, root: &Path, node_timeout: u64) -> Vec<Node> {
    (0..n)
        .map(|_| Node::start(kind, root, node_timeout))
        .collect()
}

/// A small cluster client for the process tests: one kept connection per node, a slot table
/// read from `CLUSTER SLOTS`, MOVED/ASK followed, and batches pipelined per node (10,000 keys
/// one connection each would cost more time than the failovers the tests watch).
pub struct ClusterClient {
    /// Ports to ask for the slot table when ours is stale.
    seeds: Vec<u16>,
    /// slot -> port of its owner (0: unknown).
    owner: Vec<u16>,
    conns: std::collections::HashMap<u16, BufReader<TcpStream>>,
}

impl ClusterClient {
    /// A client that learns the slot table from the first of `seeds` that answers.
    pub fn new(seeds: &[u16]) -> ClusterClient {
        let mut c = ClusterClient {
            seeds: seeds.to_vec(),
            owner: vec![0; 16384],
            conns: std::collections::HashMap::new(),
        };
        let _ = c.refresh();
        c
    }

    /// Replace the seed ports (say, after nodes were killed or restarted).
    pub fn set_seeds(&mut self, seeds: &[u16]) {
        self.seeds = seeds.to_vec();
    }

    /// Re-read the slot table from a seed.
    pub fn refresh(&mut self) -> Result<(), String> {
        let mut last = String::from("no seeds");
        for port in self.seeds.clone() {
            match call(port, &["CLUSTER", "SLOTS"]) {
                Ok(Reply::Array(ranges)) => {
                    self.owner.iter_mut().for_each(|o| *o = 0);
                    for r in ranges {
                        let Reply::Array(f) = r else { continue };
                        let (Some(Reply::Int(a)), Some(Reply::Int(b)), Some(Reply::Array(m))) =
                            (f.first(), f.get(1), f.get(2))
                        else {
                            continue;
                        };
                        let Some(Reply::Int(p)) = m.get(1) else {
                            continue;
                        };
                        for s in *a..=*b {
                            self.owner[s as usize] = *p as u16;
                        }
                    }
                    return Ok(());
                }
                Ok(other) => last = format!("{port}: CLUSTER SLOTS {other:?}"),
                Err(e) => last = format!("{port}: {e}"),
            }
        }
        Err(last)
    }

    fn conn(&mut self, port: u16) -> io::Result<&mut BufReader<TcpStream>> {
        use std::collections::hash_map::Entry;
        Ok(match self.conns.entry(port) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let s = TcpStream::connect(("127.0.0.1", port))?;
                s.set_read_timeout(Some(Duration::from_secs(10)))?;
                e.insert(BufReader::new(s))
            }
        })
    }

    /// Send `cmds` to `port` in one write and read every reply; the connection is dropped on
    /// an I/O error.
    fn pipeline(&mut self, port: u16, cmds: &[&[String]]) -> io::Result<Vec<Reply>> {
        let mut request = Vec::new();
        for args in cmds {
            request.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in *args {
                request.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        let result: io::Result<Vec<Reply>> = (|| {
            let conn = self.conn(port)?;
            conn.get_mut().write_all(&request)?;
            cmds.iter().map(|_| read_reply(conn)).collect()
        })();
        if result.is_err() {
            self.conns.remove(&port);
        }
        result
    }

    fn port_for(&self, args: &[String]) -> u16 {
        let slot = args
            .get(1)
            .map(|k| hashslot::slots::key_slot(k.as_bytes()).get() as usize);
        match slot.map(|s| self.owner[s]) {
            Some(p) if p != 0 => p,
            // Unknown owner: any seed answers with a redirect (port 0 fails to connect).
            _ => self.seeds.first().copied().unwrap_or(0),
        }
    }

    /// One command on the node owning its first key, following up to 8 MOVED/ASK redirects.
    pub fn exec(&mut self, args: &[&str]) -> Result<Reply, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut port = self.port_for(&args);
        let mut asking = false;
        for _ in 0..8 {
            let reply = if asking {
                let asking_cmd = ["ASKING".to_string()];
                let mut r = self
                    .pipeline(port, &[&asking_cmd, &args])
                    .map_err(|e| format!("{port}: {e}"))?;
                r.pop().expect("two replies")
            } else {
                let mut r = self
                    .pipeline(port, &[&args])
                    .map_err(|e| format!("{port}: {e}"))?;
                r.pop().expect("one reply")
            };
            match &reply {
                Reply::Error(e) if e.starts_with("MOVED ") || e.starts_with("ASK ") => {
                    let addr = e.split(' ').nth(2).ok_or("bad redirect")?;
                    port = addr
                        .rsplit_once(':')
                        .and_then(|(_, p)| p.parse().ok())
                        .ok_or("bad redirect port")?;
                    asking = e.starts_with("ASK ");
                    if !asking {
                        let _ = self.refresh();
                    }
                }
                _ => return Ok(reply),
            }
        }
        Err(format!("too many redirects for {args:?}"))
    }

    /// Run every command of `cmds` (each keyed by its first argument), pipelined in batches per
    /// owner; a command answered with a redirect or an I/O error is retried alone with `exec`.
    /// Replies come back in the order of `cmds`.
    pub fn exec_many(&mut self, cmds: &[Vec<String>]) -> Vec<Result<Reply, String>> {
        let mut out: Vec<Option<Result<Reply, String>>> = vec![None; cmds.len()];
        let mut by_port: std::collections::BTreeMap<u16, Vec<usize>> = Default::default();
        for (i, c) in cmds.iter().enumerate() {
            by_port.entry(self.port_for(c)).or_default().push(i);
        }
        for (port, idx) in by_port {
            for chunk in idx.chunks(500) {
                let batch: Vec<&[String]> = chunk.iter().map(|&i| cmds[i].as_slice()).collect();
                if let Ok(replies) = self.pipeline(port, &batch) {
                    for (&i, r) in chunk.iter().zip(replies) {
                        let redirect = matches!(&r, Reply::Error(e)
                            if e.starts_with("MOVED ") || e.starts_with("ASK "));
                        if !redirect {
                            out[i] = Some(Ok(r));
                        }
                    }
                }
            }
        }
        for (i, slot) in out.iter_mut().enumerate() {
            if slot.is_none() {
                let args: Vec<&str> = cmds[i].iter().map(String::as_str).collect();
                *slot = Some(self.exec(&args));
            }
        }
        out.into_iter().map(|r| r.expect("filled")).collect()
    }
}

/// `redis-cli --cluster check 127.0.0.1:port`, retried until it prints `[OK] All 16384 slots
/// covered.` with no `[ERR]`/`[WARNING]` line (gossip settles after failovers), or panics
/// with the last output after `within`.
pub fn wait_cluster_check_ok(port: u16, within: Duration) {
    let addr = format!("127.0.0.1:{port}");
    wait_for("redis-cli --cluster check OK", within, || {
        let run = redis_cli(&["--cluster", "check", &addr], Duration::from_secs(30));
        let out = plain(&run.stdout);
        let bad = out
            .lines()
            .any(|l| l.starts_with("[ERR]") || l.starts_with("[WARNING]"));
        if run.success == Some(true) && !bad && out.contains("[OK] All 16384 slots covered.") {
            Ok(())
        } else {
            Err(format!("{out}\n{}", run.stderr))
        }
    });
}

/// Read one RESP2 reply from `r` (for tests that keep their own connection).
pub fn read_one(r: &mut impl BufRead) -> io::Result<Reply> {
    read_reply(r)
}
