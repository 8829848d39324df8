//! `redis-cli --cluster reshard` moves 4000 slots (CLUSTER SETSLOT IMPORTING/MIGRATING,
//! GETKEYSINSLOT, MIGRATE … KEYS …, SETSLOT NODE) between two of our masters while a client
//! thread keeps writing and reading its own keys, following MOVED and ASK. At the end no key is
//! lost, no read saw a wrong value, every error the client saw was a redirect it followed, and
//! `redis-cli --cluster check` is clean. Prints the keys/s and slots/s the reshard moved (run with
//! `HASHSLOT_CLUSTER_NODE_BIN=redis-server` to time the same scenario on Redis; `RESHARD_KEYS`
//! and `RESHARD_SLOTS` change the data set and the number of slots moved, for measurements).
// A process test: it measures and polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cluster_support::{
    all_logs, have_tools, plain, redis_cli, redis_cli_create, start_nodes, wait_agree,
    wait_state_ok, Kind, Reply, TempDir, NODE_TIMEOUT_MS,
};

/// A tiny cluster client: one connection per node, a slot → port table learned from MOVED,
/// and ASK followed with `ASKING` + the command on the target (pipelined).
struct MiniCluster {
    seed: u16,
    conns: HashMap<u16, (TcpStream, BufReader<TcpStream>)>,
    slot_port: HashMap<u16, u16>,
    /// Redirects followed: (MOVED, ASK).
    moved: u64,
    ask: u64,
}

impl MiniCluster {
    fn new(seed: u16) -> Self {
        MiniCluster {
            seed,
            conns: HashMap::new(),
            slot_port: HashMap::new(),
            moved: 0,
            ask: 0,
        }
    }

    fn conn(&mut self, port: u16) -> io::Result<&mut (TcpStream, BufReader<TcpStream>)> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.conns.entry(port) {
            let s = TcpStream::connect(("127.0.0.1", port))?;
            s.set_read_timeout(Some(Duration::from_secs(20)))?;
            s.set_nodelay(true)?;
            let r = BufReader::new(s.try_clone()?);
            e.insert((s, r));
        }
        Ok(self.conns.get_mut(&port).unwrap())
    }

    /// Send `cmds` pipelined to `port`; the reply of the last.
    fn raw(&mut self, port: u16, cmds: &[&[&str]]) -> io::Result<Reply> {
        let mut req = Vec::new();
        for args in cmds {
            req.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in *args {
                req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        let result = (|| {
            let (w, r) = self.conn(port)?;
            w.write_all(&req)?;
            let mut last = Reply::Status(String::new());
            for _ in cmds {
                last = read_reply(r)?;
            }
            Ok(last)
        })();
        if result.is_err() {
            self.conns.remove(&port);
        }
        result
    }

    /// A keyed command: routed by `slot` (from CLUSTER KEYSLOT), redirects followed.
    fn keyed(&mut self, slot: u16, args: &[&str]) -> Result<Reply, String> {
        let mut port = *self.slot_port.get(&slot).unwrap_or(&self.seed);
        let mut asking = false;
        for _ in 0..30 {
            let reply = if asking {
                self.raw(port, &[&["ASKING"], args])
            } else {
                self.raw(port, &[args])
            }
            .map_err(|e| format!("{args:?} on {port}: {e}"))?;
            asking = false;
            match reply {
                Reply::Error(e) if e.starts_with("MOVED ") || e.starts_with("ASK ") => {
                    let target = e.rsplit(' ').next().unwrap();
                    let p: u16 = target.rsplit(':').next().unwrap().parse().unwrap();
                    if e.starts_with("MOVED ") {
                        self.moved += 1;
                        self.slot_port.insert(slot, p);
                    } else {
                        self.ask += 1;
                        asking = true;
                    }
                    port = p;
                }
                other => return Ok(other),
            }
        }
        Err(format!("{args:?}: too many redirects"))
    }

    fn slot(&mut self, key: &str) -> u16 {
        match self.raw(self.seed, &[&["CLUSTER", "KEYSLOT", key]]) {
            Ok(Reply::Int(n)) => n as u16,
            other => panic!("KEYSLOT {key}: {other:?}"),
        }
    }
}

fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1);
    Ok(match kind {
        "+" => Reply::Status(rest.to_string()),
        "-" => Reply::Error(rest.to_string()),
        ":" => Reply::Int(rest.parse().unwrap()),
        "$" => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                Reply::Bulk(None)
            } else {
                let mut data = vec![0; n as usize + 2];
                io::Read::read_exact(r, &mut data)?;
                data.truncate(n as usize);
                Reply::Bulk(Some(data))
            }
        }
        "*" => {
            let n: i64 = rest.parse().unwrap();
            Reply::Array(
                (0..n.max(0))
                    .map(|_| read_reply(r))
                    .collect::<io::Result<_>>()?,
            )
        }
        _ => return Err(io::Error::new(io::ErrorKind::InvalidData, line.to_string())),
    })
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Some(s.as_bytes().to_vec()))
}

#[test]
fn reshard_moves_slots_under_load() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("reshard-load");
    let nodes = start_nodes(Kind::Ours, 3, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 0);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    let seed = nodes[0].port;

    // The data set: 2000 keys (`RESHARD_KEYS` for measurements), written through the cluster
    // client.
    let nkeys: usize = std::env::var("RESHARD_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut c = MiniCluster::new(seed);
    let mut slots = HashMap::new();
    for i in 0..nkeys {
        let key = format!("key:{i}");
        let slot = c.slot(&key);
        slots.insert(key.clone(), slot);
        let r = c
            .keyed(slot, &["SET", &key, &format!("value-{i}")])
            .unwrap();
        assert_eq!(r, Reply::Status("OK".into()), "{key}");
    }

    // The source is the owner of slot 0 (it owns the lowest slots; reshard takes the lowest
    // slots of the source first), the target another master.
    let lines = nodes[0].nodes();
    let owner_of = |slot: u16| {
        lines
            .iter()
            .find(|l| {
                l.slots.iter().any(|s| {
                    let (a, b) = s.split_once('-').unwrap_or((s, s));
                    !s.starts_with('[')
                        && a.parse::<u16>().unwrap() <= slot
                        && slot <= b.parse::<u16>().unwrap()
                })
            })
            .unwrap()
            .clone()
    };
    let source = owner_of(0);
    let target = owner_of(16383);
    assert_ne!(source.id, target.id);
    // 4000 slots by default, the bar (`RESHARD_SLOTS` to change it). At most 5000:
    // the source owns about 0..=5460.
    let nslots: u16 = std::env::var("RESHARD_SLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
        .clamp(1, 5000);
    let moved_keys = slots.values().filter(|&&s| s < nslots).count();

    // The load: its own keys, written and read back in a loop.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut c = MiniCluster::new(seed);
            let keys: Vec<(String, u16)> = (0..300)
                .map(|i| {
                    let k = format!("load:{i}");
                    let s = c.slot(&k);
                    (k, s)
                })
                .collect();
            let mut model: HashMap<String, String> = HashMap::new();
            let mut problems = Vec::new();
            let mut ops = 0u64;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && problems.len() < 10 {
                let (k, s) = &keys[(n % keys.len() as u64) as usize];
                let v = format!("v{n}");
                match c.keyed(*s, &["SET", k, &v]) {
                    Ok(Reply::Status(ok)) if ok == "OK" => {
                        model.insert(k.clone(), v.clone());
                    }
                    other => problems.push(format!("SET {k}: {other:?}")),
                }
                // Read back this key and an older one.
                let (k2, s2) = &keys[((n * 7919) % keys.len() as u64) as usize];
                for (key, slot) in [(k, s), (k2, s2)] {
                    let want = model.get(key).map(|v| bulk(v)).unwrap_or(Reply::Bulk(None));
                    match c.keyed(*slot, &["GET", key]) {
                        Ok(r) if r == want => {}
                        other => problems.push(format!("GET {key}: {other:?}, want {want:?}")),
                    }
                }
                ops += 3;
                n += 1;
            }
            (model, problems, ops, c.moved, c.ask)
        })
    };

    // Let the load run a moment before and after the reshard (windows, not synchronisation).
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let from = &source.id;
    let to = &target.id;
    let run = redis_cli(
        &[
            "--cluster",
            "reshard",
            &nodes[0].addr(),
            "--cluster-from",
            from,
            "--cluster-to",
            to,
            "--cluster-slots",
            &nslots.to_string(),
            "--cluster-yes",
        ],
        Duration::from_secs(300),
    );
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (model, problems, ops, moved, ask) = load.join().unwrap();
    if run.success != Some(true) {
        panic!(
            "reshard failed ({:?})\n--- stdout ---\n{}\n--- stderr ---\n{}\n{}",
            run.success,
            plain(&run.stdout),
            run.stderr,
            all_logs(&nodes)
        );
    }
    assert!(problems.is_empty(), "load client problems: {problems:#?}");
    eprintln!(
        "reshard of {nslots} slots ({moved_keys} data keys + load keys) on {}: {:.2} s, {:.0} keys/s, \
         {:.0} slots/s; load client: {ops} ops, {moved} MOVED and {ask} ASK followed",
        Kind::Ours.program().display(),
        took.as_secs_f64(),
        moved_keys as f64 / took.as_secs_f64(),
        f64::from(nslots) / took.as_secs_f64(),
    );

    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    // Every slot moved: the target owns 0..nslots-1 in every node's view.
    let want_range = match nslots {
        1 => "0".to_owned(),
        n => format!("0-{}", n - 1),
    };
    for n in &nodes {
        let lines = n.nodes();
        let t = lines.iter().find(|l| l.id == target.id).unwrap();
        assert!(t.slots.contains(&want_range), "{}: {t:?}", n.port);
        assert!(t.slots.iter().all(|s| !s.starts_with('[')), "{t:?}");
    }
    // No key lost, no value wrong (fresh client: MOVED as needed).
    let mut c = MiniCluster::new(seed);
    for i in 0..nkeys {
        let key = format!("key:{i}");
        let r = c.keyed(slots[&key], &["GET", &key]).unwrap();
        assert_eq!(r, bulk(&format!("value-{i}")), "{key}");
    }
    for (k, v) in &model {
        let slot = c.slot(k);
        assert_eq!(c.keyed(slot, &["GET", k]).unwrap(), bulk(v), "{k}");
    }
    // Each key is in exactly one place.
    let total: i64 = nodes
        .iter()
        .map(|n| match n.cmd(&["DBSIZE"]) {
            Reply::Int(k) => k,
            r => panic!("{r:?}"),
        })
        .sum();
    assert_eq!(total as usize, nkeys + model.len());

    let run = redis_cli(&["--cluster", "check", &nodes[0].addr()], within);
    let out = plain(&run.stdout);
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}"
    );
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    assert!(
        !out.contains("[WARNING]") && !out.contains("[ERR]"),
        "{out}"
    );
}
