//! Hosting real nodes: clocks with skew, the disk, timers, crash and restart, probes.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use hashslot_node::{ClientAddr, Config, LogLevel, Node, Output, ProcessInfo};
use hashslot_resp::{decode, encode, Frame, Limits};
use hashslot_types::{ConnId, Instant, LinkId, Now, Rng, UnixMillis};

use crate::outbound::OutKind;
use crate::sim::{Ev, Sim, Time, MS};

/// Wall-clock time at virtual time 0 (2023-11-14).
const WALL_BASE_MS: i64 = 1_700_000_000_000;
/// Probe connections are named with this bit set (the sim's accepted conns never use it).
const PROBE_CONN: u64 = 1 << 62;

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
        // Redis's loadDataFromDisk, after the cluster config and before serving: the AOF or
        // the RDB file, from what the disk kept.
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

    /// Drain node `i`'s outputs, carrying each out, then re-arm its timer.
    pub(crate) fn drain(&mut self, i: usize) {
        loop {
            let Some(out) = self.hosts[i].node.as_mut().and_then(|n| n.poll_output()) else {
                break;
            };
            match out {
                Output::Send { conn, data } => {
                    if conn.0 & PROBE_CONN != 0 {
                        // Replies to a probe connection that was given up are dropped.
                        if self.hosts[i].probe_conn == Some(conn) {
                            self.hosts[i].probe_buf.extend_from_slice(&data);
                        }
                    } else if let Some(&l) = self.conn_map.get(&(i, conn)) {
                        let side = self.links[l].side_of_node(i);
                        self.net_send(l, side, data);
                    }
                }
                Output::Close { conn } => {
                    if let Some(l) = self.conn_map.remove(&(i, conn)) {
                        let side = self.links[l].side_of_node(i);
                        self.net_close(l, side);
                    }
                    let inc = self.hosts[i].inc;
                    self.push(self.now, Ev::ConnClosedLocal { node: i, inc, conn });
                }
                Output::BusConnect { link, addr } => self.net_connect(i, link, addr),
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
                Output::Persist {
                    token, path, data, ..
                } => {
                    if path == self.hosts[i].config.cluster_config_file {
                        self.votes_write(i, token);
                    }
                    self.persist_file(i, token, path, data)
                }
                Output::FileOpen { file, path, append } => self.file_open(i, file, path, append),
                Output::FileWrite { file, data } => self.file_write(i, file, &data),
                Output::FileSync { file, token } => self.file_sync(i, file, token),
                Output::FileCommit {
                    file,
                    token,
                    final_path,
                } => self.file_commit(i, file, token, final_path),
                Output::FileClose { file, remove } => self.file_close(i, file, remove),
                Output::FileRemove { path } => self.file_remove(i, path),
                Output::ReplConnect { link, host, port } => {
                    self.out_connect(i, OutKind::Repl, link, &host, port)
                }
                Output::ReplSend { link, data } => self.out_send(i, OutKind::Repl, link, data),
                Output::ReplClose { link } => self.out_close(i, OutKind::Repl, link),
                Output::MigrateConnect { id, host, port, .. } => {
                    self.out_connect(i, OutKind::Migrate, id.0, &host, port)
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
                Output::Shutdown => {
                    self.violations.push(format!("n{i} shut down"));
                    self.crash(i);
                    return;
                }
                Output::Exit { status } => {
                    // A fatal error: the process is gone at once, as after a crash.
                    self.violations
                        .push(format!("n{i} exited with status {status}"));
                    self.crash(i);
                    return;
                }
                Output::RewriteConfig { conn, .. } => {
                    let now = self.hosts[i].now(self.now);
                    if let Some(n) = self.hosts[i].node.as_mut() {
                        n.handle_config_rewritten(now, conn, Err("no config file".into()));
                    }
                }
                Output::ChangeDir { conn, path } => {
                    // The simulated disk is one flat working directory per host (files keyed
                    // by their path in it) with no other directory: changing into the working
                    // directory itself succeeds and moves nothing; any other directory does
                    // not exist, and is refused as a real driver's chdir would refuse it.
                    let now = self.hosts[i].now(self.now);
                    if let Some(n) = self.hosts[i].node.as_mut() {
                        let result = match path.as_str() {
                            "." | "./" => Ok(n.config().get("dir").unwrap_or_default()),
                            _ => Err("No such file or directory".to_owned()),
                        };
                        n.handle_dir_changed(now, conn, result);
                    }
                }
                _ => {}
            }
        }
        self.arm_timer(i);
    }

    fn arm_timer(&mut self, i: usize) {
        let h = &self.hosts[i];
        let Some(node) = h.node.as_ref() else {
            return;
        };
        let Some(deadline) = node.poll_timeout() else {
            return;
        };
        // Never earlier than now, and never twice at one instant (a deadline left in the past).
        let mut at = deadline
            .as_nanos()
            .saturating_sub(h.mono_origin)
            .max(self.now);
        if h.timer_at == Some(at) {
            return;
        }
        if at == self.now && h.last_fired == Some(self.now) {
            at += MS;
            if h.timer_at == Some(at) {
                return;
            }
        }
        let inc = h.inc;
        self.hosts[i].timer_at = Some(at);
        self.push(at, Ev::Timer { node: i, inc });
    }

    pub(crate) fn fire_timer(&mut self, i: usize, inc: u32, at: Time) {
        let h = &mut self.hosts[i];
        if h.inc != inc || h.timer_at != Some(at) {
            return;
        }
        h.timer_at = None;
        h.last_fired = Some(at);
        let now = h.now(self.now);
        self.trace
            .record(self.now, format_args!("n{i}"), format_args!("tmo"));
        if let Some(n) = h.node.as_mut() {
            n.handle_timeout(now);
        }
        self.drain(i);
    }

    pub(crate) fn conn_closed_local(&mut self, i: usize, inc: u32, conn: ConnId) {
        let h = &mut self.hosts[i];
        if h.inc != inc {
            return;
        }
        let now = h.now(self.now);
        if let Some(n) = h.node.as_mut() {
            n.handle_closed(now, conn);
        }
        self.drain(i);
    }

    /// Kill node `i` (kill -9): its links reset, writes not yet completed are lost.
    pub fn crash(&mut self, i: usize) {
        if self.hosts[i].node.take().is_none() {
            return;
        }
        let h = &mut self.hosts[i];
        h.inc += 1;
        h.timer_at = None;
        self.disk_crash(i);
        self.out_crash(i);
        self.votes_crash(i);
        self.nemesis.crashed.push(i);
        self.trace
            .record(self.now, format_args!("n{i}"), format_args!("crash"));
        let bus: Vec<(LinkId, usize)> = self
            .bus_map
            .range((i, LinkId(0))..=(i, LinkId(u64::MAX)))
            .map(|(&(_, k), &l)| (k, l))
            .collect();
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
