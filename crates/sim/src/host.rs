//! Hosting real nodes: clocks with skew, the disk, timers, crash and restart, probes.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use hashslot_node::{ClientAddr, Config, LogLevel, Node, Output, ProcessInfo};
use hashslot_resp::{decode, encode, Frame, Limits};
use hashslot_types::{ConnId, Instant, LinkId, Now, Rng, UnixMillis};

use crate::local::{Effect, Local};
use crate::outbound::OutKind;
use crate::sim::{Sim, Time, MS};

/// Wall-clock time at virtual time 0 (2023-11-14).
const WALL_BASE_MS: i64 = 1_700_000_000_000;
/// Probe connections are named with this bit set (the sim's accepted conns never use it).
pub(crate) const PROBE_CONN: u64 = 1 << 62;

/// The address of node `i`'s client port (`bus`: its bus port).
pub fn node_addr(i: usize, bus: bool) -> SocketAddr {
    let base = if bus { 17000 } else { 7000 };
    SocketAddr::from(([127, 0, 0, 1], base + i as u16))
}

/// One machine: a node process (when up), its disk and its clocks.
#[derive(Debug)]
pub(crate) struct Host {
    pub node: Option<Node>,
    /// Bumped by each crash: completions and timers of an older process are void.
    pub inc: u32,
    pub timer_at: Option<Time>,
    /// When the timer last fired (a deadline left in the past is retried a millisecond later).
    pub last_fired: Option<Time>,
    /// The platter: what survives a crash, by path (see the `disk` module).
    pub files: BTreeMap<String, Bytes>,
    /// The page cache: every file as the running process sees it.
    pub cache: BTreeMap<String, Vec<u8>>,
    /// Open streamed files: node's file id → path.
    pub open: BTreeMap<u64, String>,
    /// Bytes written to streamed files so far (all incarnations).
    pub disk_written: u64,
    /// Writes complete in order: the disk is busy until then.
    pub disk_busy_until: Time,
    /// This machine's wall clock minus true time.
    pub skew_ms: i64,
    /// This machine's monotonic clock at virtual time 0.
    pub mono_origin: u64,
    pub config: Config,
    pub seed: u64,
    /// The open probe connection of this incarnation, if any. Each probe that gets no complete
    /// reply closes its connection, so a late reply to it can never be read by a later probe.
    pub probe_conn: Option<ConnId>,
    /// Probe connections opened so far (their ids are `PROBE_CONN | n`).
    pub probe_seq: u64,
    pub probe_buf: Vec<u8>,
    /// Bytes this machine's cluster bus links sent (all incarnations; see `Sim::bus_bytes_sent`).
    pub bus_sent: u64,
    /// This machine's own draws (disk delays), so that they do not depend on what other
    /// machines did in the same time window.
    pub rng: Rng,
}

impl Host {
    pub fn new(i: usize, cfg: &crate::SimConfig, rng: &mut Rng) -> Host {
        let mut config = Config::default();
        let port = 7000 + i;
        let nt = cfg.node_timeout_ms.to_string();
        for (k, v) in [
            ("port", port.to_string().as_str()),
            ("cluster-enabled", "yes"),
            ("cluster-node-timeout", &nt),
            ("cluster-config-file", "nodes.conf"),
        ] {
            config
                .apply_startup(k, &[v.as_bytes().to_vec()])
                .expect("valid directive");
        }
        for (k, v) in &cfg.node_config {
            if let Err(e) = config.apply_startup(k, &[v.as_bytes().to_vec()]) {
                panic!("SimConfig::node_config: bad directive {k} {v}: {e:?}");
            }
        }
        config.finish_startup().expect("valid config");
        let skew = cfg.faults.clock_skew_ms;
        Host {
            node: None,
            inc: 0,
            timer_at: None,
            last_fired: None,
            files: BTreeMap::new(),
            cache: BTreeMap::new(),
            open: BTreeMap::new(),
            disk_written: 0,
            disk_busy_until: 0,
            skew_ms: if skew == 0 {
                0
            } else {
                rng.below(2 * skew + 1) as i64 - skew as i64
            },
            mono_origin: (1 + rng.below(1_000_000)) * MS,
            config,
            seed: rng.next_u64(),
            probe_conn: None,
            probe_seq: 0,
            probe_buf: Vec::new(),
            bus_sent: 0,
            rng: Rng::from_seed(cfg.seed).child(&format!("disk{i}")),
        }
    }

    /// A stand-in that holds a host's place while the host runs on another thread.
    pub fn placeholder() -> Host {
        Host {
            node: None,
            inc: 0,
            timer_at: None,
            last_fired: None,
            files: BTreeMap::new(),
            cache: BTreeMap::new(),
            open: BTreeMap::new(),
            disk_written: 0,
            disk_busy_until: 0,
            skew_ms: 0,
            mono_origin: 0,
            config: Config::default(),
            seed: 0,
            probe_conn: None,
            probe_seq: 0,
            probe_buf: Vec::new(),
            bus_sent: 0,
            rng: Rng::from_seed(0),
        }
    }

    pub fn now(&self, t: Time) -> Now {
        Now::new(
            Instant::from_nanos(self.mono_origin + t),
            UnixMillis(WALL_BASE_MS + (t / MS) as i64 + self.skew_ms),
        )
    }
}

impl Sim {
    /// Start node `i`'s process from its config and disk.
    pub(crate) fn boot(&mut self, i: usize) {
        let h = &mut self.hosts[i];
        let now = h.now(self.now);
        let seed = h.seed.wrapping_add(u64::from(h.inc));
        let mut node = Node::new(h.config.clone(), seed, now, ProcessInfo::default());
        let file = h.files.get(&h.config.cluster_config_file).cloned();
        if let Err(e) = node.load_cluster_config(now, file.as_deref()) {
            self.violations
                .push(format!("n{i} could not load its nodes.conf: {e}"));
        }
        // Redis's ACLLoadUsersAtStartup, after the cluster config and before the data: a
        // missing or bad aclfile stops the process (exit 1) before it serves anyone. The file
        // as the process sees it (the page cache: after a crash, what the platter kept); one
        // under a failing prefix ([`Sim::fail_disk`]) cannot be read, as for ACL LOAD.
        let broken = self.nemesis.disk_errors.get(&i).map(String::as_str);
        let cache = &h.cache;
        let mut read_acl = |path: &str| match crate::disk::disk_fault(broken, path) {
            Some(e) => Err(e.to_owned()),
            None => Ok(cache.get(path).cloned()),
        };
        if let Err(e) = node.load_acl_file_at_startup(&mut read_acl) {
            return self.boot_failed(i, e);
        }
        // Redis's loadDataFromDisk, after the cluster config and before serving: the AOF or
        // the RDB file, from what the disk kept.
        let h = &mut self.hosts[i];
        let cache = &h.cache;
        let mut read = |path: &str| Ok(cache.get(path).cloned());
        if let Err(e) = node.load_data(now, &mut read) {
            self.violations
                .push(format!("n{i} could not load its data: {e}"));
        }
        if self.fault_vote_twice {
            node.set_fault_vote_twice_per_epoch(now, true);
        }
        h.node = Some(node);
        h.probe_conn = None;
        h.probe_buf.clear();
        self.drain(i);
    }

    /// Node `i`'s process exited during its startup (Redis's `exit(1)` before serving): it
    /// stays down, its log line is traced, and the exit is reported among the
    /// [`Sim::violations`]. Nothing it did is kept: it never ran. [`Sim::restart`] starts it
    /// again (after the file was fixed, say).
    fn boot_failed(&mut self, i: usize, log: String) {
        self.trace
            .record(self.now, format_args!("n{i}"), format_args!("log {log}"));
        self.violations
            .push(format!("n{i} exited with status 1 at startup: {log}"));
        let h = &mut self.hosts[i];
        h.node = None;
        h.timer_at = None;
        h.probe_conn = None;
        h.probe_buf.clear();
    }

    /// Run `f` on node `i`'s own state at the current instant ([`Local`]), then carry out the
    /// effects it left, at once.
    pub(crate) fn local<R>(&mut self, i: usize, f: impl FnOnce(&mut Local<'_>) -> R) -> R {
        let disk_error = self.nemesis.disk_errors.get(&i).map(String::as_str);
        let mut local = Local::new(
            i,
            &mut self.hosts[i],
            self.now,
            self.now,
            self.cfg.faults.disk_ms,
            disk_error,
        );
        let r = f(&mut local);
        let effects = std::mem::take(&mut local.effects);
        self.apply(i, effects);
        r
    }

    /// Drain node `i`'s outputs, carrying each out, then re-arm its timer.
    pub(crate) fn drain(&mut self, i: usize) {
        self.local(i, |l| l.drain());
    }

    /// Carry out effects node `i`'s run left, each at its own virtual time (nondecreasing,
    /// and never before the current time's earlier effects).
    pub(crate) fn apply(&mut self, i: usize, effects: Vec<(Time, Effect)>) {
        for (t, e) in effects {
            self.now = t;
            self.apply_one(i, e);
        }
    }

    pub(crate) fn apply_one(&mut self, i: usize, e: Effect) {
        match e {
            Effect::Trace(what) => {
                self.trace
                    .record(self.now, format_args!("n{i}"), format_args!("{what}"))
            }
            Effect::TraceRead { link, len } => self.trace.record(
                self.now,
                format_args!("n{i}"),
                format_args!("rd {} {len}", crate::net::Lid(link)),
            ),
            Effect::TraceTimer => {
                self.trace
                    .record(self.now, format_args!("n{i}"), format_args!("tmo"))
            }
            Effect::Out { inc, out } => self.carry_out(i, inc, out),
            Effect::Push(at, ev) => self.push(at, ev),
            Effect::VotesWrite(token) => self.votes_write(i, token),
            Effect::VotesDurable(token) => self.votes_durable(i, token),
            Effect::Violation(v) => self.violations.push(v),
            Effect::Crashed => self.crashed(i),
            Effect::OutForget(kind, id) => {
                self.out_map.remove(&(i, kind, id));
            }
        }
    }

    /// Carry out an output of node `i`'s process of incarnation `inc` that acts on links or
    /// the network (the others are carried out by [`Local::drain`]).
    fn carry_out(&mut self, i: usize, inc: u32, out: Output) {
        match out {
            Output::Send { conn, data } => {
                if let Some(&l) = self.conn_map.get(&(i, conn)) {
                    let side = self.links[l].side_of_node(i);
                    self.net_send(l, side, data);
                }
            }
            Output::Close { conn } => {
                // The node is told by the `ConnClosedLocal` its run scheduled.
                if let Some(l) = self.conn_map.remove(&(i, conn)) {
                    let side = self.links[l].side_of_node(i);
                    self.net_close(l, side);
                }
            }
            Output::BusConnect { link, addr } => self.net_connect(i, inc, link, addr),
            Output::BusSend { link, data } => match self.bus_map.get(&(i, link)) {
                Some(&l) => {
                    let side = self.links[l].side_of_node(i);
                    self.net_send(l, side, data);
                }
                None => self
                    .violations
                    .push(format!("n{i} sent on bus link {} it does not hold", link.0)),
            },
            Output::BusClose { link } => {
                if let Some(l) = self.bus_map.remove(&(i, link)) {
                    let side = self.links[l].side_of_node(i);
                    self.net_close(l, side);
                }
            }
            Output::ReplConnect { link, host, port } => {
                self.out_connect(i, inc, OutKind::Repl, link, &host, port)
            }
            Output::ReplSend { link, data } => self.out_send(i, OutKind::Repl, link, data),
            Output::ReplClose { link } => self.out_close(i, OutKind::Repl, link),
            Output::MigrateConnect { id, host, port, .. } => {
                self.out_connect(i, inc, OutKind::Migrate, id.0, &host, port)
            }
            Output::MigrateSend { id, data } => self.out_send(i, OutKind::Migrate, id.0, data),
            Output::MigrateClose { id } => self.out_close(i, OutKind::Migrate, id.0),
            Output::Log { level, message } => {
                self.votes_log(i, &message);
                if level >= LogLevel::Notice {
                    self.trace.record(
                        self.now,
                        format_args!("n{i}"),
                        format_args!("log {message}"),
                    );
                }
            }
            // ACL LOAD / ACL SAVE: answered by the host's disk (see the `disk` module).
            Output::LoadAclFile { conn, path } => {
                self.local(i, |l| l.acl_file_read(inc, conn, &path))
            }
            Output::SaveAclFile { conn, path, data } => {
                self.local(i, |l| l.acl_file_save(inc, conn, path, data))
            }
            Output::LoadRdbFile { conn, path } => {
                self.local(i, |l| l.rdb_file_read(inc, conn, &path))
            }
            _ => {}
        }
    }

    /// Kill node `i` (kill -9): its links reset, writes not yet completed are lost.
    pub fn crash(&mut self, i: usize) {
        self.local(i, |l| l.crash());
    }

    /// The shared part of node `i`'s crash (the host's part is [`Local::crash`]).
    fn crashed(&mut self, i: usize) {
        self.out_crash(i);
        self.votes_crash(i);
        self.nemesis.crashed.push(i);
        self.trace
            .record(self.now, format_args!("n{i}"), format_args!("crash"));
        // In link id order (the map is a hash map: looked up per message, walked only here).
        let mut bus: Vec<(LinkId, usize)> = self
            .bus_map
            .iter()
            .filter(|(&(n, _), _)| n == i)
            .map(|(&(_, k), &l)| (k, l))
            .collect();
        bus.sort_unstable();
        for (k, l) in bus {
            self.bus_map.remove(&(i, k));
            let side = self.links[l].side_of_node(i);
            self.net_close(l, side);
        }
        let conns: Vec<(ConnId, usize)> = self
            .conn_map
            .range((i, ConnId(0))..=(i, ConnId(u64::MAX)))
            .map(|(&(_, k), &l)| (k, l))
            .collect();
        for (k, l) in conns {
            self.conn_map.remove(&(i, k));
            let side = self.links[l].side_of_node(i);
            self.net_close(l, side);
        }
    }

    /// Start crashed node `i` again: a new process from the same config and its disk.
    pub fn restart(&mut self, i: usize) {
        if self.hosts[i].node.is_some() {
            return;
        }
        self.trace
            .record(self.now, format_args!("n{i}"), format_args!("restart"));
        self.boot(i);
    }

    /// Run one command on node `i` directly, at the current instant, outside the network (no
    /// latency, no faults): for checkers. `None` when the node is down or the reply is held.
    pub fn probe(&mut self, i: usize, args: &[&[u8]]) -> Option<Frame> {
        let now = self.hosts[i].now(self.now);
        let h = &mut self.hosts[i];
        let node = h.node.as_mut()?;
        let conn = match h.probe_conn {
            Some(c) => c,
            None => {
                h.probe_seq += 1;
                let c = ConnId(PROBE_CONN | h.probe_seq);
                let peer = SocketAddr::from(([127, 0, 0, 1], 1));
                let addr = ClientAddr {
                    peer,
                    local: node_addr(i, false),
                    fd: -1,
                };
                node.handle_accept(now, c, addr);
                h.probe_conn = Some(c);
                c
            }
        };
        let mut wire = Vec::new();
        encode(&Frame::command(args.iter().copied()), &mut wire);
        node.handle_read(now, conn, &wire);
        self.drain(i);
        let h = &mut self.hosts[i];
        if let Ok(Some((frame, used))) = decode(&h.probe_buf, &Limits::default()) {
            h.probe_buf.drain(..used);
            return Some(frame);
        }
        // The reply is held (the node holds client input, or the command blocks): give the
        // connection up, so its late reply is dropped instead of answering the next probe.
        h.probe_conn = None;
        h.probe_buf.clear();
        if let Some(node) = h.node.as_mut() {
            node.handle_closed(now, conn);
        }
        self.drain(i);
        None
    }

    /// The durable content of `path` on node `i`'s disk (what a crash now would keep).
    pub fn disk_file(&self, i: usize, path: &str) -> Option<&[u8]> {
        self.hosts[i].files.get(path).map(|b| &b[..])
    }

    /// Bytes node `i` wrote to streamed files (AOF, RDB) so far, over all its restarts.
    pub fn disk_written(&self, i: usize) -> u64 {
        self.hosts[i].disk_written
    }

    /// Bytes node `i` sent on its cluster bus links so far (all restarts): what it handed to
    /// the network, counted when sent, whether or not a fault lost them after.
    pub fn bus_bytes_sent(&self, i: usize) -> u64 {
        self.hosts[i].bus_sent
    }

    /// Node `i`'s wall-clock skew in milliseconds.
    pub fn clock_skew_ms(&self, i: usize) -> i64 {
        self.hosts[i].skew_ms
    }
}

#[cfg(test)]
mod tests {
    use hashslot_resp::Frame;

    use crate::{Sim, SimConfig};

    /// The simulated host's answer to CONFIG SET dir (see `Output::ChangeDir` above): its one
    /// directory is accepted, any other is refused as missing, and the client is answered.
    #[test]
    fn config_set_dir_is_answered_as_a_real_driver_would() {
        let mut cfg = SimConfig::new(1, 1, 1_000);
        cfg.node_config = vec![("enable-protected-configs".into(), "yes".into())];
        let mut sim = Sim::new(cfg);
        let before = sim.command(0, &["CONFIG", "GET", "dir"], 1_000);
        assert!(
            matches!(before, Ok(Frame::Array(ref a)) if a.len() == 2),
            "{before:?}"
        );
        let r = sim.command(0, &["CONFIG", "SET", "dir", "/elsewhere"], 1_000);
        let missing = "ERR CONFIG SET failed (possibly related to argument 'dir') - No such \
                       file or directory";
        assert_eq!(r, Ok(Frame::Error(missing.into())));
        let r = sim.command(0, &["CONFIG", "SET", "dir", "."], 1_000);
        assert_eq!(r, Ok(Frame::Simple("OK".into())));
        assert_eq!(sim.command(0, &["CONFIG", "GET", "dir"], 1_000), before);
        assert!(sim.command(0, &["PING"], 1_000).is_ok());
    }
}
