//! Which nodes the cron's walks must visit: a schedule of wake times instead of a walk of
//! every node every 100 ms.
//!
//! Redis's `clusterCron` visits every known node ten times a second. For a healthy node (a
//! link, no pending PING, a PONG younger than half the node timeout) the visit does nothing,
//! and in a big cluster nearly every visit is one of those: 1,000 nodes each walking 1,000
//! records ten times a second streams their records through the caches for nothing. A
//! healthy node can need a visit only once its PONG is half a node timeout old, so the node
//! table keeps, for each record, the earliest time it may need one (its *wake time*, see
//! [`wake_at`]), and the cron visits, in table order, exactly the nodes whose wake time has
//! come. Every other visit of the full walk would have done nothing, so the outcome is the
//! same as Redis's walk.
//!
//! Wake times move lazily. When a record changes so that it wakes *earlier* (a PING sent, the
//! link lost, a flag change) it is scheduled again at once. When it wakes *later* (a PONG
//! arrived: the common case, several per received gossip section) nothing is done: its old,
//! earlier entry comes due, is found early, and is put back at the record's real wake time.
//! So the hot gossip path never touches the schedule. Invariant: every live record has an
//! entry no later than its wake time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hashslot_bus::NodeFlags;

/// The earliest time (monotonic ms) at which a node with these fields may need a cron visit:
/// `i64::MIN` for "every run", `i64::MAX` for "never".
///
/// Mirrors what the visits test (`cron.rs`): myself and nodes without an address are skipped;
/// a node in handshake (its timeout), without a link (a reconnect), with a pending PING (the
/// link timeout and PFAIL), or never PONGed is visited every run; a healthy node once
/// `now - pong_received > half_timeout`.
pub(crate) fn wake_at(
    flags: NodeFlags,
    has_link: bool,
    ping_sent: Option<i64>,
    pong_received: Option<i64>,
    half_timeout: i64,
) -> i64 {
    if flags.intersects(NodeFlags::MYSELF | NodeFlags::NOADDR) {
        return i64::MAX;
    }
    if flags.contains(NodeFlags::HANDSHAKE) || !has_link || ping_sent.is_some() {
        return i64::MIN;
    }
    match pong_received {
        None => i64::MIN,
        Some(t) => t.saturating_add(half_timeout).saturating_add(1),
    }
}

/// Wake-time entries of the node table's records (by slab index).
#[derive(Debug, Clone)]
pub(crate) struct CronSchedule {
    /// Half the node timeout the wake times were computed with.
    half_timeout: i64,
    /// The time of each record's current entry (`i64::MAX`: none). Entries in `heap` with
    /// another time are left-overs of an earlier scheduling, skipped when they come out.
    entry: Vec<i64>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Default for CronSchedule {
    fn default() -> Self {
        CronSchedule {
            // Until the cron sets it, every healthy node waits forever: no cron, no visits.
            half_timeout: i64::MAX / 4,
            entry: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }
}

impl CronSchedule {
    /// Half the node timeout wake times are computed with.
    pub(crate) fn half_timeout(&self) -> i64 {
        self.half_timeout
    }

    /// Change the half timeout; `true` when it changed (then every record must be scheduled
    /// again: [`CronSchedule::reset`]).
    pub(crate) fn set_half_timeout(&mut self, half: i64) -> bool {
        std::mem::replace(&mut self.half_timeout, half) != half
    }

    /// Forget every entry (before scheduling every record again).
    pub(crate) fn reset(&mut self) {
        self.heap.clear();
        self.entry.iter_mut().for_each(|e| *e = i64::MAX);
    }

    /// A new record at slab index `at` (indexes come in order, from 0).
    pub(crate) fn add(&mut self, at: u32, wake: i64) {
        debug_assert_eq!(at as usize, self.entry.len());
        self.entry.push(i64::MAX);
        self.earlier(at, wake);
    }

    /// Record `at` may now wake at `wake`: give it an entry then, if that is earlier than its
    /// current one.
    #[inline]
    pub(crate) fn earlier(&mut self, at: u32, wake: i64) {
        if let Some(e) = self.entry.get_mut(at as usize) {
            if wake < *e {
                *e = wake;
                self.heap.push(Reverse((wake, at)));
            }
        }
    }

    /// Record `at` is gone: it has no entry any more.
    pub(crate) fn drop_record(&mut self, at: u32) {
        if let Some(e) = self.entry.get_mut(at as usize) {
            *e = i64::MAX;
        }
    }

    /// Take out every current entry due at `now`, their slab indexes in ascending order
    /// (deduplicated: a record has one current entry). Each taken record has no entry until
    /// the caller schedules it again.
    pub(crate) fn take_due(&mut self, now: i64) -> Vec<u32> {
        let mut due = Vec::new();
        while let Some(&Reverse((t, at))) = self.heap.peek() {
            if t > now {
                break;
            }
            self.heap.pop();
            if let Some(e) = self.entry.get_mut(at as usize) {
                if *e == t {
                    *e = i64::MAX;
                    due.push(at);
                }
            }
        }
        due.sort_unstable();
        due
    }
}
