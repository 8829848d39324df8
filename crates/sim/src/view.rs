//! A node's cluster view, read with `Node::cluster_view` (a typed getter: no text parsing, no
//! command sent, nothing in the node changes) and keyed by the simulator's node indexes.

use std::collections::BTreeMap;

use hashslot_resp::Frame;

use crate::Sim;

/// One known node as a viewer sees it (a line of CLUSTER NODES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    /// The 40-character node id.
    pub id: String,
    /// The simulator's index of the node (from its client port), when known.
    pub index: Option<usize>,
    /// The flags (`myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`…).
    pub flags: Vec<String>,
    /// The master's id, for a replica.
    pub master: Option<String>,
    /// `configEpoch`.
    pub config_epoch: u64,
    /// Whether the link to the node is `connected`.
    pub connected: bool,
    /// Owned slot ranges (inclusive); migrating/importing markers are left out.
    pub slots: Vec<(u16, u16)>,
}

impl NodeLine {
    /// Whether the line has flag `f`.
    pub fn has(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }

    /// Whether the node is a master.
    pub fn is_master(&self) -> bool {
        self.has("master")
    }

    /// Whether the node is flagged `fail?` (PFAIL) or `fail`.
    pub fn is_failing(&self) -> bool {
        self.has("fail") || self.has("fail?")
    }

    /// Parse one CLUSTER NODES line (for replies read over the network).
    pub fn parse(line: &str) -> Option<NodeLine> {
        let mut f = line.split(' ');
        let id = f.next()?.to_owned();
        let addr = f.next()?;
        let port = addr
            .split('@')
            .next()?
            .rsplit(':')
            .next()?
            .parse::<u16>()
            .ok();
        let flags = f.next()?.split(',').map(str::to_owned).collect();
        let master = Some(f.next()?).filter(|m| *m != "-").map(str::to_owned);
        let (_, _) = (f.next()?, f.next()?);
        let config_epoch = f.next()?.parse().ok()?;
        let connected = f.next()? == "connected";
        let mut slots = Vec::new();
        for s in f.filter(|s| !s.is_empty() && !s.starts_with('[')) {
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            slots.push((a.parse().ok()?, b.parse().ok()?));
        }
        Some(NodeLine {
            id,
            index: port.and_then(|p| p.checked_sub(7000)).map(usize::from),
            flags,
            master,
            config_epoch,
            connected,
            slots,
        })
    }
}

/// One node's view of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Every known node, in the node table's order (CLUSTER NODES's).
    pub lines: Vec<NodeLine>,
    /// The viewer's `currentEpoch` (0 when parsed from text).
    pub current_epoch: u64,
    /// The viewer's `lastVoteEpoch` (0 when parsed from text).
    pub last_vote_epoch: u64,
    /// The viewer reports `cluster_state:ok` (false when parsed from text).
    pub state_ok: bool,
}

impl View {
    /// Parse a CLUSTER NODES reply's text.
    pub fn parse(text: &str) -> Option<View> {
        let lines = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(NodeLine::parse)
            .collect::<Option<Vec<_>>>()?;
        Some(View {
            lines,
            current_epoch: 0,
            last_vote_epoch: 0,
            state_ok: false,
        })
    }

    /// The viewer's own line.
    pub fn myself(&self) -> Option<&NodeLine> {
        self.lines.iter().find(|l| l.has("myself"))
    }

    /// The line of node `id`.
    pub fn get(&self, id: &str) -> Option<&NodeLine> {
        self.lines.iter().find(|l| l.id == id)
    }

    /// Owned slot ranges `(first, last, owner id)`, sorted, adjacent ranges of one owner
    /// merged: two views agree on every slot's owner exactly when these are equal.
    pub fn owner_ranges(&self) -> Vec<(u16, u16, String)> {
        let mut r: Vec<(u16, u16, String)> = self
            .lines
            .iter()
            .flat_map(|l| l.slots.iter().map(move |&(a, b)| (a, b, l.id.clone())))
            .collect();
        r.sort();
        let mut out: Vec<(u16, u16, String)> = Vec::with_capacity(r.len());
        for (a, b, id) in r {
            match out.last_mut() {
                Some(last) if last.2 == id && u32::from(last.1) + 1 == u32::from(a) => last.1 = b,
                _ => out.push((a, b, id)),
            }
        }
        out
    }

    /// For every slot, the id of the master this view says owns it.
    pub fn owners(&self) -> Vec<Option<&str>> {
        let mut out = vec![None; hashslot_types::SLOT_COUNT];
        for l in &self.lines {
            for &(a, b) in &l.slots {
                for s in a..=b {
                    if let Some(o) = out.get_mut(usize::from(s)) {
                        *o = Some(l.id.as_str());
                    }
                }
            }
        }
        out
    }
}

pub(crate) fn text(f: Frame) -> Option<String> {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Frame::Verbatim { text, .. } => Some(String::from_utf8_lossy(&text).into_owned()),
        _ => None,
    }
}

impl Sim {
    /// Node `i`'s view of the cluster (from `Node::cluster_view`); `None` when it is down.
    pub fn view(&self, i: usize) -> Option<View> {
        let v = self.hosts[i].node.as_ref()?.cluster_view()?;
        let lines = v
            .nodes
            .iter()
            .map(|n| NodeLine {
                id: n.id.to_string(),
                index: n
                    .port
                    .checked_sub(7000)
                    .map(usize::from)
                    .filter(|&j| j < self.hosts.len() && !n.handshake),
                flags: n.flag_words().into_iter().map(str::to_owned).collect(),
                master: n.master_id.map(|m| m.to_string()),
                config_epoch: n.config_epoch.0,
                connected: n.connected,
                slots: n.slots.clone(),
            })
            .collect();
        Some(View {
            lines,
            current_epoch: v.current_epoch.0,
            last_vote_epoch: v.last_vote_epoch.0,
            state_ok: v.state_ok,
        })
    }

    /// Node `i`'s `Node`, for its `&self` getters (`cluster_view`, `config`…); `None` when it
    /// is down.
    pub fn node(&self, i: usize) -> Option<&hashslot_node::Node> {
        self.hosts[i].node.as_ref()
    }

    /// Node `i`'s CLUSTER INFO fields (`cluster_state` → `ok`…); `None` when it is down.
    pub fn cluster_info(&mut self, i: usize) -> Option<BTreeMap<String, String>> {
        let reply = self.probe(i, &[b"CLUSTER", b"INFO"])?;
        let t = text(reply)?;
        Some(
            t.lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
                .collect(),
        )
    }

    /// Whether node `i` is up and reports `cluster_state:ok`.
    pub fn state_ok(&self, i: usize) -> bool {
        self.node(i)
            .and_then(|n| n.cluster_state_ok())
            .unwrap_or(false)
    }
}
