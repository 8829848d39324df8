//! Bus message counters by type, as CLUSTER INFO reports them (`cluster_stats_messages_*`).

use hashslot_bus::MsgType;

/// `CLUSTERMSG_TYPE_COUNT`.
pub(crate) const TYPE_COUNT: usize = 11;

/// Stats names of the message types, in type order (`clusterGetMessageTypeString`).
pub(crate) const TYPE_NAMES: [&str; TYPE_COUNT] = [
    "ping",
    "pong",
    "meet",
    "fail",
    "publish",
    "auth-req",
    "auth-ack",
    "update",
    "mfstart",
    "module",
    "publishshard",
];

/// Sent and received counts per message type, plus the bad packets we dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// `stats_bus_messages_sent`.
    pub sent: [u64; TYPE_COUNT],
    /// `stats_bus_messages_received`.
    pub received: [u64; TYPE_COUNT],
    /// Links closed because their stream was not a bus stream (bad signature or length).
    pub bad_links_closed: u64,
    /// Messages skipped because they did not validate (length, version, extensions).
    pub bad_messages_skipped: u64,
}

impl Stats {
    pub(crate) fn count_sent(&mut self, t: MsgType) {
        if let Some(c) = self.sent.get_mut(usize::from(t.0)) {
            *c += 1;
        }
    }

    pub(crate) fn count_received(&mut self, t: MsgType) {
        if let Some(c) = self.received.get_mut(usize::from(t.0)) {
            *c += 1;
        }
    }
}
