//! A local Redis Cluster of hashslot nodes, one child process each.
//!
//! ```sh
//! cargo run --release --example cluster                 # 3 masters + 3 replicas on 30001..30006
//! cargo run --release --example cluster -- --help
//! ```
//!
//! The example re-executes itself (`current_exe() --node <redis-server arguments>`) for each
//! node, creates the cluster with its own small RESP client (no redis-cli needed), prints how to
//! connect, and stops every node on Ctrl-C or SIGTERM.
// A launcher waits for real processes: real clocks and short polling sleeps, always under a
// deadline.
#![allow(clippy::disallowed_methods)]

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hashslot::server::supervise;

const HELP: &str = "\
Start a local Redis Cluster of hashslot nodes, one process per node.

USAGE:
    cargo run --release --example cluster -- [OPTIONS]

OPTIONS:
    --masters N        masters (at least 3; default 3)
    --replicas R       replicas per master (default 1)
    --base-port P      first client port; nodes use P, P+1, ... and the bus ports P+10000, ...
                       (default 30001)
    --node-timeout MS  cluster-node-timeout (default 5000)
    --dir D            where the nodes keep their files (default ./hashslot-cluster)
    -h, --help         this text

Each node runs in D/<port>/ with its cluster config file nodes-<port>.conf and its log
node.log. The directories are kept when the nodes stop: running the example again with the same
--dir restarts the same cluster from its nodes-<port>.conf files (same node ids, slots and
epochs) instead of creating a new one. To start afresh, remove D.

The cluster is created with CLUSTER ADDSLOTSRANGE (slots split over the masters as
redis-cli --cluster create splits them),
CLUSTER MEET (every node meets the first), and CLUSTER REPLICATE (replica i follows master
i mod N). When every node reports cluster_state:ok the example prints how to connect
(redis-cli -c -p P) and waits; Ctrl-C or SIGTERM stops every node (SIGTERM, then SIGKILL for
any node still running after 10 s).
";

#[derive(Debug, Clone)]
struct Options {
    masters: usize,
    replicas: usize,
    base_port: u16,
    node_timeout: u64,
    dir: PathBuf,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        masters: 3,
        replicas: 1,
        base_port: 30001,
        node_timeout: 5000,
        dir: PathBuf::from("hashslot-cluster"),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("{what}: not a number: {value}"))
        };
        match flag.as_str() {
            "--masters" => o.masters = number("--masters")? as usize,
            "--replicas" => o.replicas = number("--replicas")? as usize,
            "--base-port" => {
                o.base_port = u16::try_from(number("--base-port")?)
                    .map_err(|_| "--base-port: out of range".to_string())?
            }
            "--node-timeout" => o.node_timeout = number("--node-timeout")?,
            "--dir" => o.dir = PathBuf::from(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if o.masters < 3 {
        return Err("a Redis Cluster needs at least 3 masters".into());
    }
    let nodes = o.masters * (1 + o.replicas);
    if usize::from(o.base_port) + nodes - 1 > 55535 {
        return Err("ports above 55535 leave no room for the bus port (port + 10000)".into());
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--node") {
        // Child mode: a node, started like redis-server.
        let mut node_args = vec![args[0].clone()];
        node_args.extend_from_slice(&args[2..]);
        std::process::exit(hashslot::server::main_from_args(node_args));
    }
    let options = match parse_options(&args[1..]) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            print!("{HELP}");
            return;
        }
        Err(e) => {
            eprintln!("cluster: {e}\n\n{HELP}");
            std::process::exit(2);
        }
    };
    if let Err(e) = supervise::install_shutdown_handlers() {
        eprintln!("cluster: cannot install signal handlers: {e}");
    }
    let mut nodes = Nodes::default();
    let code = match run(&options, &mut nodes) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cluster: {e}");
            1
        }
    };
    nodes.stop();
    std::process::exit(code);
}

fn run(o: &Options, nodes: &mut Nodes) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    std::fs::create_dir_all(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
    let dir = std::path::absolute(&o.dir).map_err(|e| e.to_string())?;
    let total = o.masters * (1 + o.replicas);
    let ports: Vec<u16> = (0..total).map(|i| o.base_port + i as u16).collect();
    for &port in &ports {
        nodes.spawn(&exe, &dir, port, o.node_timeout)?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for &port in &ports {
        wait_until(
            deadline,
            &format!("node {port} to answer PING"),
            nodes,
            || Ok(call(port, &["PING"]).is_ok()),
        )?;
    }
    println!(
        "Started {total} nodes on ports {}..{}.",
        ports[0],
        ports[total - 1]
    );

    let infos: Vec<String> = ports
        .iter()
        .map(|&p| call(p, &["CLUSTER", "INFO"]).and_then(Reply::text))
        .collect::<Result<_, _>>()?;
    let field = |info: &str, name: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let fresh = infos
        .iter()
        .all(|i| field(i, "cluster_known_nodes") <= 1 && field(i, "cluster_slots_assigned") == 0);
    if fresh {
        create(o, &ports, nodes)?;
    } else if infos
        .iter()
        .all(|i| field(i, "cluster_known_nodes") == total as u64)
    {
        println!("Restarted the cluster kept in {}.", dir.display());
    } else {
        return Err(format!(
            "the nodes in {} hold a cluster of another shape (or a half-created one); \
             remove the directory to start afresh",
            dir.display()
        ));
    }

    let deadline = Instant::now() + state_ok_wait(o);
    for &port in &ports {
        wait_until(
            deadline,
            &format!("cluster_state:ok on {port}"),
            nodes,
            || {
                let info = call(port, &["CLUSTER", "INFO"]).and_then(Reply::text)?;
                Ok(info.contains("cluster_state:ok"))
            },
        )?;
    }
    println!("Cluster ready: cluster_state:ok on every node.\n");
    let text = call(ports[0], &["CLUSTER", "NODES"]).and_then(Reply::text)?;
    print!("{text}");
    println!(
        "\nConnect with:  redis-cli -c -p {}\nNode files and logs: {}/<port>/\nPress Ctrl-C to stop every node.",
        ports[0],
        dir.display()
    );
    loop {
        if let Some(sig) = supervise::take_shutdown_signal() {
            println!("\nReceived {sig}: stopping the nodes...");
            return Ok(());
        }
        if let Some(port) = nodes.exited() {
            return Err(format!("node {port} exited; see its node.log"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How long joining and failover of a new cluster may take: a few node timeouts, at least 30 s.
fn state_ok_wait(o: &Options) -> Duration {
    Duration::from_millis(o.node_timeout * 4).max(Duration::from_secs(30))
}

fn create(o: &Options, ports: &[u16], nodes: &mut Nodes) -> Result<(), String> {
    let total = ports.len();
    let ids: Vec<String> = ports
        .iter()
        .map(|&p| call(p, &["CLUSTER", "MYID"]).and_then(Reply::text))
        .collect::<Result<_, _>>()?;
    for (i, (first, last)) in slot_ranges(o.masters).into_iter().enumerate() {
        let port = ports[i];
        let (a, b) = (first.to_string(), last.to_string());
        call(port, &["CLUSTER", "ADDSLOTSRANGE", &a, &b])?.ok()?;
        println!(
            "Master {port} ({}) takes slots {first}-{last}.",
            &ids[i][..8]
        );
    }
    // Distinct config epochs, as redis-cli does, so no collision round is needed (a node that
    // refuses, e.g. because it already knows others, is left to the collision rule).
    for (i, &port) in ports.iter().enumerate() {
        let epoch = (i + 1).to_string();
        let _ = call(port, &["CLUSTER", "SET-CONFIG-EPOCH", &epoch]);
    }
    let first = ports[0].to_string();
    for &port in &ports[1..] {
        call(port, &["CLUSTER", "MEET", "127.0.0.1", &first])?.ok()?;
    }
    let deadline = Instant::now() + state_ok_wait(o);
    for &port in ports {
        wait_until(
            deadline,
            &format!("node {port} to know every node"),
            nodes,
            || {
                let text = call(port, &["CLUSTER", "NODES"]).and_then(Reply::text)?;
                let known = text
                    .lines()
                    .filter(|l| !l.is_empty() && !l.contains("handshake") && !l.contains("noaddr"))
                    .count();
                Ok(known == total)
            },
        )?;
    }
    println!("Every node knows every other.");
    for (j, &port) in ports.iter().enumerate().skip(o.masters) {
        let master = (j - o.masters) % o.masters;
        let id = &ids[master];
        wait_until(
            deadline,
            &format!("CLUSTER REPLICATE on {port}"),
            nodes,
            || Ok(call(port, &["CLUSTER", "REPLICATE", id])?.ok().is_ok()),
        )?;
        println!("Replica {port} follows master {}.", ports[master]);
    }
    Ok(())
}

/// The slots of each master, split as `redis-cli --cluster create` splits them (so 3 masters
/// get 0-5460, 5461-10922, 10923-16383, as in every Redis Cluster tutorial).
fn slot_ranges(masters: usize) -> Vec<(u32, u32)> {
    // redis-cli computes in C `float`.
    let per_node = 16384.0 / masters as f32;
    let mut cursor = 0.0f32;
    let mut first = 0u32;
    let mut out = Vec::with_capacity(masters);
    for i in 0..masters {
        let mut last = (cursor + per_node - 1.0).round() as u32;
        if last > 16384 || i == masters - 1 {
            last = 16383;
        }
        last = last.max(first);
        out.push((first, last));
        first = last + 1;
        cursor += per_node;
    }
    out
}

/// Poll `f` every 100 ms until it says true; fail at `deadline`, when a node exits, or on a
/// shutdown signal.
fn wait_until(
    deadline: Instant,
    what: &str,
    nodes: &mut Nodes,
    mut f: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    loop {
        let last = match f() {
            Ok(true) => return Ok(()),
            Ok(false) => String::new(),
            Err(e) => format!(" (last: {e})"),
        };
        if let Some(port) = nodes.exited() {
            return Err(format!(
                "node {port} exited while waiting for {what}; see its node.log"
            ));
        }
        if let Some(sig) = supervise::take_shutdown_signal() {
            return Err(format!("{sig} received while waiting for {what}"));
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out waiting for {what}{last}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The node processes; [`Nodes::stop`] (also run on drop) ends every one of them.
#[derive(Debug, Default)]
struct Nodes {
    children: Vec<(u16, Child)>,
}

impl Nodes {
    fn spawn(
        &mut self,
        exe: &Path,
        dir: &Path,
        port: u16,
        node_timeout: u64,
    ) -> Result<(), String> {
        let node_dir = dir.join(port.to_string());
        std::fs::create_dir_all(&node_dir).map_err(|e| format!("{}: {e}", node_dir.display()))?;
        let log = node_dir.join("node.log");
        let args = [
            "--port".to_string(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--cluster-enabled".into(),
            "yes".into(),
            "--cluster-config-file".into(),
            format!("nodes-{port}.conf"),
            "--cluster-node-timeout".into(),
            node_timeout.to_string(),
            "--dir".into(),
            node_dir.display().to_string(),
            "--logfile".into(),
            log.display().to_string(),
        ];
        let child = Command::new(exe)
            .arg("--node")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting node {port}: {e}"))?;
        self.children.push((port, child));
        Ok(())
    }

    /// The port of a node that has exited, if any.
    fn exited(&mut self) -> Option<u16> {
        self.children
            .iter_mut()
            .find_map(|(p, c)| (!matches!(c.try_wait(), Ok(None))).then_some(*p))
    }

    /// SIGTERM every node, wait up to 10 s, then SIGKILL what is left.
    fn stop(&mut self) {
        for (_, child) in &mut self.children {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = supervise::terminate(child.id());
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for (port, child) in &mut self.children {
            loop {
                match child.try_wait() {
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    Ok(None) => {
                        eprintln!("cluster: node {port} did not stop in time; killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    _ => break,
                }
            }
        }
        self.children.clear();
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A RESP2 reply, as far as this launcher needs one.
#[derive(Debug)]
#[allow(dead_code)] // integers and arrays are only shown (Debug) in error messages
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    /// `+OK` and other non-error replies pass; `-ERR ...` becomes `Err`.
    fn ok(self) -> Result<Reply, String> {
        match self {
            Reply::Error(e) => Err(e),
            r => Ok(r),
        }
    }

    /// The reply as text (status or bulk string).
    fn text(self) -> Result<String, String> {
        match self {
            Reply::Status(s) => Ok(s),
            Reply::Bulk(Some(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Reply::Error(e) => Err(e),
            other => Err(format!("unexpected reply {other:?}")),
        }
    }
}

/// Send one command on a new connection to 127.0.0.1:`port` and read its reply.
fn call(port: u16, args: &[&str]) -> Result<Reply, String> {
    let io = |e: io::Error| format!("127.0.0.1:{port}: {e}");
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(io)?;
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        request.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    (&stream).write_all(&request).map_err(io)?;
    read_reply(&mut BufReader::new(stream)).map_err(io)
}

fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches("\r\n");
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad reply line {line:?}"),
        )
    };
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
