//! The CLUSTER NODES line format and nodes.conf (`clusterGenNodeDescription`,
//! `clusterSaveConfig`, `clusterLoadConfig`).
//!
//! Ref: cluster spec §7.

use std::fmt::Write as _;

use hashslot_bus::NodeFlags;
use hashslot_slots::NodeRef;
use hashslot_types::{Epoch, NodeId, Now, Rng, Slot};

use crate::node::ClusterNode;
use crate::{Cluster, ClusterConfig, LogLevel};

/// Why nodes.conf could not be loaded. The file must then be left as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", match .line { Some(l) => format!("line {l}: {}", .message), None => .message.clone() })]
pub struct LoadError {
    /// 1-based line number, when one line is at fault.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> LoadError {
    LoadError {
        line: Some(line),
        message: message.into(),
    }
}

impl Cluster {
    /// One CLUSTER NODES line for `r`, without the newline.
    pub fn node_description(&self, r: NodeRef) -> String {
        let mut s = String::with_capacity(128);
        self.write_node_description(r, &mut s);
        s
    }

    /// Append the CLUSTER NODES line of `r` (without the newline) to `s`. Pieces are pushed,
    /// not formatted: every nodes.conf save writes one line per known node, which in a big
    /// cluster's failover (every node saving a 1,000-line file a few times) was the most
    /// costly step.
    fn write_node_description(&self, r: NodeRef, s: &mut String) {
        let n = &self.nodes[r];
        s.push_str(n.name.as_str());
        s.push(' ');
        s.push_str(n.ip());
        s.push(':');
        push_int(s, i64::from(n.port));
        s.push('@');
        push_int(s, i64::from(n.cport));
        if !n.hostname.is_empty() {
            s.push(',');
            s.push_str(&n.hostname);
        }
        s.push(' ');
        let mut any = false;
        for w in n.flags.words() {
            if any {
                s.push(',');
            }
            s.push_str(w);
            any = true;
        }
        if !any {
            s.push_str("noflags");
        }
        s.push(' ');
        match n.slaveof {
            Some(m) => {
                s.push_str(self.nodes[m].name.as_str());
                s.push(' ');
            }
            None => s.push_str("- "),
        }
        let epoch = match (n.is_replica(), n.slaveof) {
            (true, Some(m)) => self.nodes[m].config_epoch,
            _ => n.config_epoch,
        };
        let connected = n.link.is_some() || n.has(NodeFlags::MYSELF);
        push_int(s, self.wall(self.nodes.ping_sent(r)));
        s.push(' ');
        push_int(s, self.wall(self.nodes.pong_received(r)));
        s.push(' ');
        push_u64(s, epoch.0);
        s.push_str(if connected {
            " connected"
        } else {
            " disconnected"
        });
        // The node's own runs and the open-slot set: no scan of the 16384-slot map per line.
        for range in self.slots.ranges_of(r) {
            s.push(' ');
            push_int(s, i64::from(range.start.get()));
            if range.start != range.end {
                s.push('-');
                push_int(s, i64::from(range.end.get()));
            }
        }
        if n.has(NodeFlags::MYSELF) {
            for slot in self.slots.open_slots() {
                if let Some(to) = self.slots.migrating_slots_to(slot) {
                    let _ = write!(s, " [{slot}->-{}]", self.nodes[to].name);
                } else if let Some(from) = self.slots.importing_slots_from(slot) {
                    let _ = write!(s, " [{slot}-<-{}]", self.nodes[from].name);
                }
            }
        }
    }

    /// `clusterGenNodesDescription(filter)`: one line per node with `\n`.
    pub(crate) fn nodes_description(&self, skip_handshake: bool) -> String {
        let mut s = String::with_capacity(self.nodes.len() * 160);
        for (r, n) in self.nodes.iter() {
            if skip_handshake && n.in_handshake() {
                continue;
            }
            self.write_node_description(r, &mut s);
            s.push('\n');
        }
        s
    }

    /// The nodes.conf content: every node but handshake ones, then the `vars` line.
    pub fn nodes_conf_text(&self) -> String {
        let mut s = self.nodes_description(true);
        let _ = writeln!(
            s,
            "vars currentEpoch {} lastVoteEpoch {}",
            self.current_epoch.0, self.last_vote_epoch.0
        );
        s
    }

    /// Load a node from its nodes.conf `contents`. Empty content is a new node (as a missing
    /// file). Non-zero ping/pong times become `now`; `fail` nodes fail from `now`.
    pub fn load(
        config: ClusterConfig,
        rng: Rng,
        now: Now,
        contents: &[u8],
    ) -> Result<Cluster, LoadError> {
        if contents.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Cluster::new(config, rng, now));
        }
        let text = std::str::from_utf8(contents).map_err(|e| LoadError {
            line: None,
            message: format!("the file is not text: {e}"),
        })?;
        // First pass: find myself, to build the cluster around its id.
        let mut myself: Option<NodeId> = None;
        for (i, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            if f.len() >= 3
                && f[0] != "vars"
                && f[2].split(',').any(|w| w.eq_ignore_ascii_case("myself"))
            {
                myself = Some(
                    parse_id(f[0])
                        .ok_or_else(|| err(i + 1, format!("invalid node id '{}'", f[0])))?,
                );
            }
        }
        let Some(me) = myself else {
            return Err(LoadError {
                line: None,
                message: "Unrecoverable error: corrupted cluster config file: no 'myself' node"
                    .into(),
            });
        };
        let mut c = Cluster::empty(config, rng, now, me);
        c.nodes[c.myself].flags = NodeFlags::empty();
        let mut max_epoch = Epoch(0);
        for (i, line) in text.lines().enumerate() {
            let lineno = i + 1;
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            if f.is_empty() {
                continue;
            }
            if f[0] == "vars" {
                if f.len() % 2 == 0 {
                    return Err(err(lineno, "odd number of fields in the vars line"));
                }
                for kv in f[1..].chunks(2) {
                    let v: u64 = kv[1].parse().map_err(|_| {
                        err(lineno, format!("invalid value '{}' of {}", kv[1], kv[0]))
                    })?;
                    match kv[0] {
                        "currentEpoch" => c.current_epoch = Epoch(v),
                        "lastVoteEpoch" => c.last_vote_epoch = Epoch(v),
                        other => c.log(
                            LogLevel::Warning,
                            format!("Skipping unknown cluster config variable '{other}'"),
                        ),
                    }
                }
                continue;
            }
            if f.len() < 8 {
                return Err(err(
                    lineno,
                    format!("a node line needs at least 8 fields, found {}", f.len()),
                ));
            }
            let id =
                parse_id(f[0]).ok_or_else(|| err(lineno, format!("invalid node id '{}'", f[0])))?;
            let r = c.get_or_create(id);
            // Address: ip:port[@cport][,hostname[,aux...]]
            let (addr, hostname) = match f[1].split_once(',') {
                Some((a, rest)) => (a, rest.split(',').next().unwrap_or("")),
                None => (f[1], ""),
            };
            let (hostport, cport) = match addr.split_once('@') {
                Some((hp, cp)) => (hp, Some(cp)),
                None => (addr, None),
            };
            let Some((ip, port)) = hostport.rsplit_once(':') else {
                return Err(err(lineno, format!("invalid address '{}'", f[1])));
            };
            let port: u16 = port
                .parse()
                .map_err(|_| err(lineno, format!("invalid port in address '{}'", f[1])))?;
            let cport: u16 = match cport {
                Some(cp) => cp
                    .parse()
                    .map_err(|_| err(lineno, format!("invalid bus port in address '{}'", f[1])))?,
                None => port.wrapping_add(10000),
            };
            let mut flags = NodeFlags::empty();
            for w in f[2].split(',') {
                let bit = match w.to_ascii_lowercase().as_str() {
                    "myself" => NodeFlags::MYSELF,
                    "master" => NodeFlags::MASTER,
                    "slave" => NodeFlags::SLAVE,
                    "fail?" => NodeFlags::PFAIL,
                    "fail" => NodeFlags::FAIL,
                    "handshake" => NodeFlags::HANDSHAKE,
                    "noaddr" => NodeFlags::NOADDR,
                    "nofailover" => NodeFlags::NOFAILOVER,
                    "noflags" => NodeFlags::empty(),
                    _ => return Err(err(lineno, format!("unknown node flag '{w}'"))),
                };
                flags = flags | bit;
            }
            let ping: i64 = f[4]
                .parse()
                .map_err(|_| err(lineno, format!("invalid ping time '{}'", f[4])))?;
            let pong: i64 = f[5]
                .parse()
                .map_err(|_| err(lineno, format!("invalid pong time '{}'", f[5])))?;
            let epoch: u64 = f[6]
                .parse()
                .map_err(|_| err(lineno, format!("invalid config epoch '{}'", f[6])))?;
            let master = if f[3] == "-" {
                None
            } else {
                let m = parse_id(f[3])
                    .ok_or_else(|| err(lineno, format!("invalid master id '{}'", f[3])))?;
                Some(c.get_or_create(m))
            };
            {
                let now_ms = c.now_ms;
                let n = &mut c.nodes[r];
                n.set_ip(ip.to_owned());
                n.port = port;
                n.cport = cport;
                n.hostname = hostname.to_owned();
                n.flags = flags;
                if flags.contains(NodeFlags::FAIL) {
                    n.fail_time = Some(now_ms);
                }
                n.config_epoch = Epoch(epoch);
                c.nodes.set_ping_sent(r, (ping != 0).then_some(now_ms));
                c.nodes.set_pong_received(r, (pong != 0).then_some(now_ms));
            }
            if let Some(m) = master {
                if m != r {
                    c.nodes[r].slaveof = Some(m);
                    c.add_slave(m, r);
                    // A replica's epoch in the file is its master's, kept as Redis keeps it
                    // (`clusterLoadConfig`): it is what the replica's headers carry, so
                    // zeroing it made the first header of every replica a config change (a
                    // formed cluster restarted saved nodes.conf once per replica, per node).
                }
            }
            max_epoch = max_epoch.max(Epoch(epoch));
            for tok in &f[8..] {
                c.load_slot_token(lineno, r, tok)?;
            }
        }
        let me = c.myself;
        // My own address comes from my configuration, not the file, where announced.
        c.nodes[me].port = c.config.announced_port();
        c.nodes[me].cport = c.config.announced_cport();
        if let Some(ip) = c.config.announce_ip.clone() {
            c.nodes[me].set_ip(ip);
        }
        c.nodes[me].hostname = c.config.announce_hostname.clone().unwrap_or_default();
        c.current_epoch = c.current_epoch.max(max_epoch).max(c.max_epoch());
        c.log(
            LogLevel::Notice,
            format!("Node configuration loaded, I'm {}", c.nodes[me].name),
        );
        c.todo.update_state = true;
        Ok(c)
    }

    fn get_or_create(&mut self, id: NodeId) -> NodeRef {
        match self.nodes.lookup(&id) {
            Some(r) => r,
            None => self
                .nodes
                .insert(ClusterNode::new(id, NodeFlags::empty(), self.now_ms)),
        }
    }

    fn load_slot_token(&mut self, lineno: usize, r: NodeRef, tok: &str) -> Result<(), LoadError> {
        let bad = || err(lineno, format!("invalid slot token '{tok}'"));
        if let Some(inner) = tok.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or_else(bad)?;
            let (slot, dir, id) = if let Some((s, id)) = inner.split_once("->-") {
                (s, true, id)
            } else if let Some((s, id)) = inner.split_once("-<-") {
                (s, false, id)
            } else {
                return Err(bad());
            };
            let slot = parse_slot(slot).ok_or_else(bad)?;
            let id = parse_id(id).ok_or_else(bad)?;
            let other = self.get_or_create(id);
            if dir {
                self.slots.set_migrating(slot, Some(other));
            } else {
                self.slots.set_importing(slot, Some(other));
            }
            return Ok(());
        }
        let (a, b) = match tok.split_once('-') {
            Some((a, b)) => (
                parse_slot(a).ok_or_else(bad)?,
                parse_slot(b).ok_or_else(bad)?,
            ),
            None => {
                let s = parse_slot(tok).ok_or_else(bad)?;
                (s, s)
            }
        };
        if a > b {
            return Err(bad());
        }
        for j in a.get()..=b.get() {
            self.slots.assign(Slot::from_masked(j), r);
        }
        Ok(())
    }
}

/// A node id as Redis's `verifyClusterNodeId` accepts it (40 characters).
pub(crate) fn parse_id(s: &str) -> Option<NodeId> {
    let b = s.as_bytes();
    if b.len() != 40
        || !b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return None;
    }
    let mut a = [0u8; 40];
    a.copy_from_slice(b);
    Some(NodeId::from_raw(a))
}

fn parse_slot(s: &str) -> Option<Slot> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 5 {
        return None;
    }
    s.parse::<u16>().ok().and_then(Slot::new)
}

/// Append the decimal text of `v` (as `{}` prints it).
fn push_int(s: &mut String, v: i64) {
    if v < 0 {
        s.push('-');
    }
    push_u64(s, v.unsigned_abs());
}

/// Append the decimal text of `v`.
fn push_u64(s: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_integers_print_as_display_does() {
        for v in [0, 7, -7, 10, 1_700_000_000_123, i64::MAX, i64::MIN] {
            let mut s = String::from("x");
            push_int(&mut s, v);
            assert_eq!(s, format!("x{v}"));
        }
        let mut s = String::new();
        push_u64(&mut s, u64::MAX);
        assert_eq!(s, u64::MAX.to_string());
    }
}
