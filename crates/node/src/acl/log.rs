//! The ACL security log that ACL LOG shows (Redis's `ACLLog` and `addACLLogEntry`): newest
//! first, similar events within a minute folded into one entry with a count.

use std::collections::VecDeque;

/// Redis folds an event into an entry at most this old (`ACL_LOG_GROUPING_MAX_TIME_DELTA`).
const GROUPING_MAX_MS: i64 = 60_000;
/// Redis looks for an entry to fold into among this many of the newest.
const GROUPING_SCAN: usize = 10;

/// What was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A command or subcommand.
    Command,
    /// A key.
    Key,
    /// A channel.
    Channel,
    /// A failed AUTH / HELLO AUTH.
    Auth,
}

impl Reason {
    /// ACL LOG's `reason` text.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// One log entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Events folded into it.
    pub count: u64,
    /// What was denied.
    pub reason: Reason,
    /// `toplevel` or `multi`.
    pub context: &'static str,
    /// The command, key or channel name (for AUTH: the command as typed).
    pub object: Vec<u8>,
    /// The user (for AUTH: the one tried).
    pub username: Vec<u8>,
    /// Wall-clock milliseconds of the last event.
    pub ctime: i64,
    /// CLIENT LIST line of the last client.
    pub client_info: String,
}

/// The log.
#[derive(Debug, Default)]
pub(crate) struct AclLog {
    /// Newest first.
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// Record `e`, folding it into a similar recent entry, and keep at most `max_len`.
    pub(crate) fn add(&mut self, e: Entry, max_len: usize) {
        let similar = self.entries.iter().take(GROUPING_SCAN).position(|c| {
            c.reason == e.reason
                && c.context == e.context
                && (c.ctime - e.ctime).abs() <= GROUPING_MAX_MS
                && c.object == e.object
                && c.username == e.username
        });
        if let Some(i) = similar {
            if let Some(mut c) = self.entries.remove(i) {
                c.count += 1;
                c.ctime = e.ctime;
                c.client_info = e.client_info;
                self.entries.push_front(c);
            }
            return;
        }
        self.entries.push_front(e);
        self.entries.truncate(max_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, ctime: i64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Key,
            context: "toplevel",
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            ctime,
            client_info: String::new(),
        }
    }

    #[test]
    fn folds_similar_and_caps() {
        let mut log = AclLog::default();
        log.add(entry("a", 0), 3);
        log.add(entry("b", 10), 3);
        log.add(entry("a", 20), 3);
        assert_eq!(log.entries.len(), 2);
        assert_eq!((log.entries[0].count, log.entries[0].ctime), (2, 20));
        log.add(entry("a", 20 + 60_001), 3);
        assert_eq!(log.entries.len(), 3);
        log.add(entry("c", 100_000), 3);
        assert_eq!(log.entries.len(), 3);
        assert_eq!(log.entries[0].object, b"c");
        log.add(entry("d", 100_000), 0);
        assert!(log.entries.is_empty());
    }
}
