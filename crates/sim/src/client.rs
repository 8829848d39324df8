//! Clients: the admin connection setup commands go through, and cluster-aware workload clients
//! that follow MOVED and ASK and record a history of operations.

use std::collections::BTreeMap;

use hashslot_resp::{decode, encode, Frame, Limits};
use hashslot_types::Rng;

use crate::net::End;
use crate::sim::{Ev, Sim, Time, MS};

/// How long a workload client waits for a reply before calling the outcome unknown.
const OP_TIMEOUT: Time = 2_000 * MS;
/// Redirections followed per operation before giving up.
const MAX_REDIRECTS: u32 = 5;

/// The admin connection to one node.
#[derive(Debug, Default)]
pub(crate) struct Admin {
    pub link: Option<usize>,
    pub buf: Vec<u8>,
}

/// What became of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No reply yet.
    Pending,
    /// Done: the value read by a GET (`None`: nil), `None` for a SET.
    Ok(Option<String>),
    /// Definitely not done (MOVED loop, CLUSTERDOWN, TRYAGAIN, refused connection).
    Failed(String),
    /// May or may not have taken effect (timeout, connection lost).
    Unknown,
}

/// One operation of a workload client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord {
    /// The client.
    pub client: usize,
    /// The key (each client has its own keys).
    pub key: String,
    /// `Some(value)` for `SET key value` (values are unique), `None` for `GET key`.
    pub write: Option<String>,
    /// Virtual time of the invocation, in ms.
    pub invoked_ms: u64,
    /// The outcome.
    pub outcome: Outcome,
    /// For an acknowledged write followed by `WAIT 1 <timeout>` ([`Sim::set_client_wait`]):
    /// how many replicas WAIT said acknowledged it (`None`: no WAIT, or no reply to it).
    pub replicas_acked: Option<i64>,
}

/// Every operation of every workload client, in invocation order.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The operations.
    pub ops: Vec<OpRecord>,
}

#[derive(Debug)]
struct Pending {
    rec: usize,
    link: usize,
    redirects: u32,
    /// An ASKING's `+OK` comes first.
    asking: bool,
    deadline: Time,
    /// The write was acknowledged; the reply awaited is WAIT's.
    waiting: bool,
}

/// A cluster client with its own keys, one operation at a time.
#[derive(Debug)]
pub(crate) struct Client {
    keys: Vec<String>,
    /// node → link.
    conns: BTreeMap<usize, usize>,
    bufs: BTreeMap<usize, Vec<u8>>,
    /// slot → node, learned from MOVED.
    cache: BTreeMap<u16, usize>,
    op: Option<Pending>,
    seq: u64,
    rng: Rng,
    interval_ms: (u64, u64),
    pub active: bool,
}

impl Sim {
    /// Send `args` to node `i` from a client (one connection per node, kept open), through
    /// the simulated network, and run the simulation until the reply arrives, at most
    /// `timeout_ms` of virtual time. The reply is returned as it came: redirections (`MOVED`,
    /// `ASK`) are not followed, errors are `Frame::Error`. `Err` when the connection is
    /// refused or lost, or no reply came in time.
    ///
    /// ```
    /// # use hashslot_sim::{Sim, SimConfig};
    /// # use hashslot_resp::Frame;
    /// let mut sim = Sim::new(SimConfig::new(1, 3, 1_000));
    /// sim.form_cluster(3, 0, 30_000).unwrap();
    /// // "k" hashes to slot 7629, which node 1 serves.
    /// assert_eq!(sim.command(1, &["SET", "k", "v"], 1_000), Ok(Frame::Simple("OK".into())));
    /// assert_eq!(sim.command(1, &["GET", "k"], 1_000), Ok(Frame::Bulk("v".into())));
    /// ```
    pub fn command(&mut self, i: usize, args: &[&str], timeout_ms: u64) -> Result<Frame, String> {
        let open = self.admins[i].link.is_some_and(|l| self.links[l].open[0]);
        if !open {
            let l = self
                .client_connect(End::Admin { node: i }, i)
                .ok_or_else(|| format!("n{i}: connection refused"))?;
            self.admins[i] = Admin {
                link: Some(l),
                buf: Vec::new(),
            };
        }
        let l = self.admins[i].link.expect("connected");
        self.trace.record(
            self.now,
            format_args!("a{i}"),
            format_args!("{}", args.join(" ")),
        );
        let mut wire = Vec::new();
        encode(&Frame::command(args.iter().copied()), &mut wire);
        self.net_send(l, 0, wire.into());
        let end = self.now + timeout_ms * MS;
        loop {
            if let Ok(Some((f, used))) = decode(&self.admins[i].buf, &Limits::default()) {
                self.admins[i].buf.drain(..used);
                return Ok(f);
            }
            if self.admins[i].link != Some(l) {
                return Err(format!("n{i}: connection closed during {}", args.join(" ")));
            }
            if self.now >= end || !self.step() {
                return Err(format!(
                    "n{i}: no reply to {} in {timeout_ms} ms",
                    args.join(" ")
                ));
            }
        }
    }

    /// Start `n` workload clients, each with `keys` keys of its own.
    pub fn add_clients(&mut self, n: usize, keys: usize) {
        for _ in 0..n {
            let c = self.clients.len();
            let mut rng = self.rng.child(&format!("client{c}"));
            let lo = 5 + rng.below(50);
            self.clients.push(Client {
                keys: (0..keys).map(|k| format!("c{c}:k{k}")).collect(),
                conns: BTreeMap::new(),
                bufs: BTreeMap::new(),
                cache: BTreeMap::new(),
                op: None,
                seq: 0,
                interval_ms: (lo, lo + rng.below(100)),
                rng,
                active: true,
            });
            self.push(self.now + MS, Ev::ClientTick { client: c });
        }
    }

    /// Make every workload client follow each acknowledged write with `WAIT 1 <timeout_ms>`
    /// on the same connection, recording the count in [`OpRecord::replicas_acked`] (`None`:
    /// no WAIT, the default). `timeout_ms` should stay well under the clients' 2 s operation
    /// timeout.
    pub fn set_client_wait(&mut self, timeout_ms: Option<u64>) {
        self.client_wait = timeout_ms;
    }

    /// Workload clients start no new operations (outstanding ones finish or time out).
    pub fn stop_clients(&mut self) {
        for c in &mut self.clients {
            c.active = false;
        }
    }

    /// Whether no workload operation is outstanding.
    pub fn clients_idle(&self) -> bool {
        self.clients.iter().all(|c| c.op.is_none())
    }

    /// The workload history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    pub(crate) fn client_tick(&mut self, c: usize) {
        if let Some(p) = &self.clients[c].op {
            if self.now >= p.deadline {
                let (rec, link) = (p.rec, p.link);
                self.finish(c, Outcome::Unknown);
                self.drop_conn(c, link);
                let _ = rec;
            }
        } else if self.clients[c].active {
            let cl = &mut self.clients[c];
            let key = cl.keys[cl.rng.below(cl.keys.len() as u64) as usize].clone();
            let write = (cl.rng.below(10) < 6).then(|| {
                cl.seq += 1;
                format!("c{c}-{}", cl.seq)
            });
            self.history.ops.push(OpRecord {
                client: c,
                key,
                write,
                invoked_ms: self.now / MS,
                outcome: Outcome::Pending,
                replicas_acked: None,
            });
            let rec = self.history.ops.len() - 1;
            let slot = hashslot_slots::key_slot(self.history.ops[rec].key.as_bytes()).get();
            let n = self.hosts.len() as u64;
            let cl = &mut self.clients[c];
            let node = match cl.cache.get(&slot) {
                Some(&node) => node,
                None => cl.rng.below(n) as usize,
            };
            self.send_op(c, rec, node, 0, false);
        }
        if self.clients[c].active || self.clients[c].op.is_some() {
            let iv = self.clients[c].interval_ms;
            let d = crate::faults::between(&mut self.clients[c].rng, iv) * MS;
            self.push(self.now + d, Ev::ClientTick { client: c });
        }
    }

    fn send_op(&mut self, c: usize, rec: usize, node: usize, redirects: u32, asking: bool) {
        let op = &self.history.ops[rec];
        let mut cmd = vec!["GET", op.key.as_str()];
        if let Some(v) = &op.write {
            cmd = vec!["SET", op.key.as_str(), v.as_str()];
        }
        self.trace.record(
            self.now,
            format_args!("c{c}"),
            format_args!("{} n{node}", cmd.join(" ").to_lowercase()),
        );
        let mut wire = Vec::new();
        if asking {
            encode(&Frame::command(["ASKING"]), &mut wire);
        }
        encode(&Frame::command(cmd), &mut wire);
        let link = match self.clients[c].conns.get(&node) {
            Some(&l) if self.links[l].open[0] => Some(l),
            _ => self.client_connect(End::Client { client: c }, node),
        };
        let Some(link) = link else {
            self.clients[c].cache.clear();
            self.clients[c].op = Some(Pending {
                rec,
                link: usize::MAX,
                redirects,
                asking,
                deadline: 0,
                waiting: false,
            });
            self.finish(c, Outcome::Failed("connection refused".into()));
            return;
        };
        self.clients[c].conns.insert(node, link);
        let deadline = self.now + OP_TIMEOUT;
        self.clients[c].op = Some(Pending {
            rec,
            link,
            redirects,
            asking,
            deadline,
            waiting: false,
        });
        self.net_send(link, 0, wire.into());
    }

    fn finish(&mut self, c: usize, outcome: Outcome) {
        if let Some(p) = self.clients[c].op.take() {
            if p.waiting {
                // The write itself was acknowledged: only WAIT's answer is missing.
                self.trace
                    .record(self.now, format_args!("c{c}"), format_args!("wait unk"));
                return;
            }
            let t = match &outcome {
                Outcome::Ok(Some(v)) => format!("ok {v}"),
                Outcome::Ok(None) => "ok".into(),
                Outcome::Failed(e) => format!("err {e}"),
                _ => "unk".into(),
            };
            self.trace
                .record(self.now, format_args!("c{c}"), format_args!("{t}"));
            self.history.ops[p.rec].outcome = outcome;
        }
    }

    fn drop_conn(&mut self, c: usize, link: usize) {
        self.clients[c].conns.retain(|_, l| *l != link);
        self.clients[c].bufs.remove(&link);
        if link < self.links.len() && self.links[link].open[0] {
            self.net_close(link, 0);
        }
    }

    pub(crate) fn client_data(&mut self, c: usize, link: usize, data: &[u8]) {
        let buf = self.clients[c].bufs.entry(link).or_default();
        buf.extend_from_slice(data);
        loop {
            let buf = self.clients[c].bufs.entry(link).or_default();
            let Ok(Some((frame, used))) = decode(buf, &Limits::default()) else {
                return;
            };
            buf.drain(..used);
            let Some(p) = self.clients[c].op.as_mut().filter(|p| p.link == link) else {
                continue;
            };
            if p.asking {
                p.asking = false;
                continue;
            }
            let (rec, redirects) = (p.rec, p.redirects);
            match frame {
                Frame::Error(e) => {
                    let e = String::from_utf8_lossy(&e).into_owned();
                    let mut w = e.split(' ');
                    let kind = w.next().unwrap_or("");
                    let slot = w.next().and_then(|s| s.parse::<u16>().ok());
                    let to = w
                        .next()
                        .and_then(|a| a.rsplit(':').next()?.parse::<u16>().ok());
                    match (kind, slot, to.and_then(|p| p.checked_sub(7000))) {
                        (k @ ("MOVED" | "ASK"), Some(slot), Some(j))
                            if redirects < MAX_REDIRECTS =>
                        {
                            let j = usize::from(j);
                            self.trace.record(
                                self.now,
                                format_args!("c{c}"),
                                format_args!("{} {slot} n{j}", k.to_lowercase()),
                            );
                            if k == "MOVED" {
                                self.clients[c].cache.insert(slot, j);
                            }
                            self.send_op(c, rec, j, redirects + 1, k == "ASK");
                        }
                        _ => self.finish(c, Outcome::Failed(e)),
                    }
                }
                Frame::Bulk(b) => self.finish(
                    c,
                    Outcome::Ok(Some(String::from_utf8_lossy(&b).into_owned())),
                ),
                Frame::Integer(n) if self.clients[c].op.as_ref().is_some_and(|p| p.waiting) => {
                    self.trace
                        .record(self.now, format_args!("c{c}"), format_args!("wait {n}"));
                    self.history.ops[rec].replicas_acked = Some(n);
                    self.clients[c].op = None;
                }
                Frame::Simple(_)
                    if self.client_wait.is_some() && self.history.ops[rec].write.is_some() =>
                {
                    // The write is acknowledged; ask how many replicas have it.
                    self.finish(c, Outcome::Ok(None));
                    let t = self.client_wait.unwrap_or(0).to_string();
                    let mut wire = Vec::new();
                    encode(&Frame::command(["WAIT", "1", t.as_str()]), &mut wire);
                    self.trace
                        .record(self.now, format_args!("c{c}"), format_args!("wait 1 {t}"));
                    self.clients[c].op = Some(Pending {
                        rec,
                        link,
                        redirects,
                        asking: false,
                        deadline: self.now + OP_TIMEOUT,
                        waiting: true,
                    });
                    self.net_send(link, 0, wire.into());
                }
                Frame::NullBulk | Frame::Null | Frame::Simple(_) => {
                    self.finish(c, Outcome::Ok(None))
                }
                other => self.finish(c, Outcome::Failed(format!("unexpected reply {other:?}"))),
            }
        }
    }

    pub(crate) fn client_closed(&mut self, c: usize, link: usize) {
        self.clients[c].conns.retain(|_, l| *l != link);
        self.clients[c].bufs.remove(&link);
        if self.clients[c].op.as_ref().is_some_and(|p| p.link == link) {
            self.finish(c, Outcome::Unknown);
        }
    }
}
