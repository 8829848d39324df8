//! A node's cluster view, parsed from its CLUSTER NODES and CLUSTER INFO replies (the `Node`
//! API has no getter for it, so the simulator reads it the way an operator would).

use std::collections::BTreeMap;

use hashslot_resp::Frame;

use crate::Sim;

/// One line of CLUSTER NODES.
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

    fn parse(line: &str) -> Option<NodeLine> {
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
    /// Every line, in the order printed.
    pub lines: Vec<NodeLine>,
}

impl View {
    /// Parse a CLUSTER NODES reply's text.
    pub fn parse(text: &str) -> Option<View> {
        let lines = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(NodeLine::parse)
            .collect::<Option<Vec<_>>>()?;
        Some(View { lines })
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

fn text(f: Frame) -> Option<String> {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Frame::Verbatim { text, .. } => Some(String::from_utf8_lossy(&text).into_owned()),
        _ => None,
    }
}

impl Sim {
    /// Node `i`'s CLUSTER NODES, parsed (via [`Sim::probe`]); `None` when it is down.
    pub fn view(&mut self, i: usize) -> Option<View> {
        let reply = self.probe(i, &[b"CLUSTER", b"NODES"])?;
        View::parse(&text(reply)?)
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
    pub fn state_ok(&mut self, i: usize) -> bool {
        self.cluster_info(i)
            .is_some_and(|m| m.get("cluster_state").is_some_and(|s| s == "ok"))
    }
}
