//! Keyspace notifications (`notify-keyspace-events`): the event classes, their flag letters, and
//! the events commands and expiry record for a node to publish on `__keyspace@<db>__:<key>` and
//! `__keyevent@<db>__:<event>`. Ref: notify.c (7.0).
//!
//! Recording is free when notifications are off: a command asks [`crate::Ctx::notify`], which
//! looks at the configured flags (a copy in the command's [`crate::EncodingLimits`]) before it
//! copies the key. Events of one command are kept in order in the log of the database the
//! command runs in (an event names its own database, so MOVE's `move_to` goes to the other one),
//! and expiry records `expired` in the log of the database the key was in. A node drains the
//! logs with [`crate::Db::take_events`] after each command and each active-expiry pass.

/// The classes and the two channel kinds, Redis's `NOTIFY_*` bits.
pub mod class {
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: DEL, EXPIRE, RENAME… (type-independent commands).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted-set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: a key deleted because its TTL passed.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: a key evicted for maxmemory.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: a read of a missing key (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// `d`: module events.
    pub const MODULE: u32 = 1 << 13;
    /// `n`: a key created (not part of `A`).
    pub const NEW: u32 = 1 << 14;
    /// `A`: `g$lshzxetd`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// The letters of the classes, in the order Redis prints them (after `A` when all are set).
const CLASS_LETTERS: &[(u32, u8)] = &[
    (class::GENERIC, b'g'),
    (class::STRING, b'$'),
    (class::LIST, b'l'),
    (class::SET, b's'),
    (class::HASH, b'h'),
    (class::ZSET, b'z'),
    (class::EXPIRED, b'x'),
    (class::EVICTED, b'e'),
    (class::STREAM, b't'),
    (class::MODULE, b'd'),
    (class::NEW, b'n'),
];

/// Redis's `keyspaceEventsStringToFlags`: `None` for an unknown letter.
pub fn parse_flags(s: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in s {
        flags |= match c {
            b'A' => class::ALL,
            b'K' => class::KEYSPACE,
            b'E' => class::KEYEVENT,
            b'm' => class::KEY_MISS,
            _ => CLASS_LETTERS.iter().find(|(_, l)| *l == c)?.0,
        };
    }
    Some(flags)
}

/// Redis's `keyspaceEventsFlagsToString`: `A` for all of `g$lshzxetd` (then `n` is not
/// printed even when set), else the class letters in order; then `K`, `E`, `m`.
pub fn flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & class::ALL == class::ALL {
        out.push('A');
    } else {
        for (bit, letter) in CLASS_LETTERS {
            if flags & bit != 0 {
                out.push(char::from(*letter));
            }
        }
    }
    for (bit, letter) in [
        (class::KEYSPACE, 'K'),
        (class::KEYEVENT, 'E'),
        (class::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

/// Whether an event of `class` is published under `flags` (its class is on, and at least one
/// of the two channel kinds).
pub(crate) fn wanted(flags: u32, class: u32) -> bool {
    flags & class != 0 && flags & (class::KEYSPACE | class::KEYEVENT) != 0
}

/// One notification to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    /// The database the key is in.
    pub db: usize,
    /// The event name (`set`, `del`, `expired`, `lpush`…).
    pub event: &'static str,
    /// The key.
    pub key: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_in_redis_order() {
        let f = |s: &str| flags_to_string(parse_flags(s.as_bytes()).unwrap());
        assert_eq!(f("KEA"), "AKE");
        assert_eq!(f("Ex$"), "$xE");
        assert_eq!(f("nA"), "A");
        assert_eq!(f("mEzl"), "lzEm");
        assert_eq!(f(""), "");
        assert_eq!(parse_flags(b"Q"), None);
        assert!(wanted(parse_flags(b"Kl").unwrap(), class::LIST));
        assert!(!wanted(parse_flags(b"A").unwrap(), class::LIST));
        assert!(!wanted(parse_flags(b"KE$").unwrap(), class::LIST));
    }
}
