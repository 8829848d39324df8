//! The slow log: the latest commands that ran longer than `slowlog-log-slower-than`
//! microseconds, newest first, at most `slowlog-max-len` of them. Ref: slowlog.c (7.0).
//!
//! An entry keeps a bounded copy of the command: at most [`MAX_ARGC`] arguments (the last one
//! then says how many were left out) and at most [`MAX_STRING`] bytes of each (with how many
//! were cut), so a huge MSET costs the log a few kilobytes, as in Redis. Arguments that carry
//! secrets are replaced by `(redacted)` where Redis 7.0.15 redacts them (see [`redacted`]).

use std::collections::VecDeque;

/// Most arguments an entry keeps (Redis's `SLOWLOG_ENTRY_MAX_ARGC`).
pub(crate) const MAX_ARGC: usize = 32;
/// Most bytes kept of one argument (Redis's `SLOWLOG_ENTRY_MAX_STRING`).
pub(crate) const MAX_STRING: usize = 128;
/// What a redacted argument shows (Redis's `shared.redacted`).
const REDACTED: &[u8] = b"(redacted)";

/// One logged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Increasing from 0 over the node's life (RESET does not restart it).
    pub id: u64,
    /// Unix time in seconds when it was logged.
    pub time: i64,
    /// How long it ran, in microseconds.
    pub duration: u64,
    /// The command as logged (truncated, redacted).
    pub argv: Vec<Vec<u8>>,
    /// The client's `ip:port`.
    pub peer: String,
    /// The client's name (empty when it has none).
    pub name: Vec<u8>,
}

/// The log, newest entry first.
#[derive(Debug, Default)]
pub(crate) struct SlowLog {
    entries: VecDeque<Entry>,
    next_id: u64,
}

/// What a new entry is made of, before the log gives it an id.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub time: i64,
    pub duration: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

impl SlowLog {
    /// Redis's `slowlogPushEntryIfNeeded`: log `c` when the log is enabled (`slower_than >= 0`)
    /// and it ran at least `slower_than` µs, then trim to `max_len` (trimming happens whenever
    /// the log is enabled, so a lowered `slowlog-max-len` takes effect at the next command).
    pub(crate) fn push_if_needed(&mut self, slower_than: i64, max_len: u64, c: Candidate) {
        if slower_than < 0 {
            return;
        }
        if c.duration >= slower_than as u64 {
            let id = self.next_id;
            self.next_id += 1;
            self.entries.push_front(Entry {
                id,
                time: c.time,
                duration: c.duration,
                argv: c.argv,
                peer: c.peer,
                name: c.name,
            });
        }
        self.trim(max_len);
    }

    /// Drop the oldest entries beyond `max_len`.
    pub(crate) fn trim(&mut self, max_len: u64) {
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.entries.truncate(max);
    }

    /// Whether an entry of `duration` µs would be logged (avoids building one that would not).
    pub(crate) fn wants(slower_than: i64, duration: u64) -> bool {
        slower_than >= 0 && duration >= slower_than as u64
    }

    /// `SLOWLOG LEN`.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// `SLOWLOG RESET`: the ids go on from where they were.
    pub(crate) fn reset(&mut self) {
        self.entries.clear();
    }

    /// Entries, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
}

/// The argument vector an entry keeps: Redis's `slowlogCreateEntry` truncation over the
/// (already redacted) arguments.
pub(crate) fn entry_argv(args: &[&[u8]], redact: &[usize]) -> Vec<Vec<u8>> {
    let keep = args.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(keep);
    for (j, a) in args.iter().take(keep).enumerate() {
        if keep != args.len() && j == keep - 1 {
            let more = args.len() - keep + 1;
            out.push(format!("... ({more} more arguments)").into_bytes());
        } else if redact.contains(&j) {
            out.push(REDACTED.to_vec());
        } else if a.len() > MAX_STRING {
            let mut s = a[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            out.push(s);
        } else {
            out.push(a.to_vec());
        }
    }
    out
}

/// The argument positions Redis 7.0.15 replaces by `(redacted)` before logging `args` as
/// command `name` (its `redactClientCommandArgument` calls): AUTH's password (and user),
/// HELLO's `AUTH user pass`, MIGRATE's `AUTH pass` / `AUTH2 user pass`, CONFIG SET values of
/// sensitive parameters, every argument of ACL SETUSER after the subcommand. Redis redacts as
/// the command parses its arguments, so the walks below stop where the command's parsing stops.
pub(crate) fn redacted(name: &str, args: &[&[u8]]) -> Vec<usize> {
    let eq = |a: &[u8], s: &str| a.eq_ignore_ascii_case(s.as_bytes());
    let mut out = Vec::new();
    match name {
        // Ref: acl.c authCommand: more than 3 arguments is a syntax error before redacting.
        "auth" if args.len() <= 3 => {
            out.push(1);
            if args.len() == 3 {
                out.push(2);
            }
        }
        // Ref: networking.c helloCommand: a bad protocol version returns before the options.
        "hello" if args.len() >= 2 => {
            if !matches!(crate::commands::parse_i64(args[1]), Some(2 | 3)) {
                return out;
            }
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if eq(args[j], "auth") && more >= 2 {
                    out.extend([j + 1, j + 2]);
                    j += 3;
                } else if eq(args[j], "setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
        }
        // Ref: cluster.c migrateCommand: options from argv[6].
        "migrate" => {
            let mut j = 6;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if eq(args[j], "copy") || eq(args[j], "replace") {
                    j += 1;
                } else if eq(args[j], "auth") && more >= 1 {
                    out.push(j + 1);
                    j += 2;
                } else if eq(args[j], "auth2") && more >= 2 {
                    out.extend([j + 1, j + 2]);
                    j += 3;
                } else {
                    break;
                }
            }
        }
        // Ref: config.c configSetCommand: every sensitive value, even when another pair fails.
        "config|set" => {
            let mut j = 2;
            while j + 1 < args.len() {
                if SENSITIVE.iter().any(|s| eq(args[j], s)) {
                    out.push(j + 1);
                }
                j += 2;
            }
        }
        // Ref: acl.c aclCommand: SETUSER redacts everything after the subcommand.
        "acl|setuser" => out.extend(2..args.len()),
        _ => {}
    }
    out
}

/// Parameters flagged `SENSITIVE_CONFIG` in Redis 7.0.15's config table.
const SENSITIVE: &[&str] = &["requirepass", "masterauth", "masteruser"];

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(duration: u64, arg: &str) -> Candidate {
        Candidate {
            time: 1,
            duration,
            argv: vec![arg.as_bytes().to_vec()],
            peer: "127.0.0.1:1".into(),
            name: Vec::new(),
        }
    }

    #[test]
    fn threshold_ids_and_trimming() {
        let mut log = SlowLog::default();
        log.push_if_needed(-1, 128, cand(1_000_000, "off"));
        assert_eq!(log.len(), 0);
        log.push_if_needed(100, 128, cand(99, "fast"));
        assert_eq!(log.len(), 0);
        for (i, d) in [100u64, 500, 7].iter().enumerate() {
            log.push_if_needed(0, 2, cand(*d, &format!("c{i}")));
        }
        // Newest first, at most two, ids keep counting.
        let got: Vec<(u64, u64)> = log.iter().map(|e| (e.id, e.duration)).collect();
        assert_eq!(got, vec![(2, 7), (1, 500)]);
        // A lowered max-len applies at the next command, even one that is not logged.
        log.push_if_needed(1000, 1, cand(5, "x"));
        assert_eq!(log.len(), 1);
        log.reset();
        log.push_if_needed(0, 10, cand(0, "y"));
        assert_eq!(log.iter().next().map(|e| e.id), Some(3));
        assert!(!SlowLog::wants(-1, 5) && SlowLog::wants(0, 0) && !SlowLog::wants(10, 9));
    }

    #[test]
    fn truncation_as_redis() {
        let long = vec![b'a'; 200];
        let args: Vec<&[u8]> = vec![b"set", b"k", &long];
        let argv = entry_argv(&args, &[]);
        assert_eq!(argv[2].len(), 128 + "... (72 more bytes)".len());
        assert!(argv[2].ends_with(b"... (72 more bytes)"));
        let many: Vec<Vec<u8>> = (0..40).map(|i| format!("a{i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = many.iter().map(|a| a.as_slice()).collect();
        let argv = entry_argv(&refs, &[]);
        assert_eq!(argv.len(), 32);
        assert_eq!(argv[30], b"a30");
        assert_eq!(argv[31], b"... (9 more arguments)");
        let exact: Vec<&[u8]> = refs[..32].to_vec();
        assert_eq!(entry_argv(&exact, &[])[31], b"a31");
    }

    #[test]
    fn redaction_follows_the_parsing() {
        let r = |name: &str, line: &str| {
            let a: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            redacted(name, &a)
        };
        assert_eq!(r("auth", "auth pw"), vec![1]);
        assert_eq!(r("auth", "auth u pw"), vec![1, 2]);
        assert!(r("auth", "auth a b c").is_empty());
        assert_eq!(r("hello", "hello 3 auth u p setname n"), vec![3, 4]);
        assert!(r("hello", "hello 4 auth u p").is_empty());
        assert_eq!(r("migrate", "migrate h 1 k 0 5 copy auth p keys"), vec![8]);
        assert_eq!(r("migrate", "migrate h 1 k 0 5 auth2 u p"), vec![7, 8]);
        assert_eq!(
            r("config|set", "config set maxmemory 1 requirepass x"),
            vec![5]
        );
        let argv = entry_argv(&[b"auth", b"secret"], &[1]);
        assert_eq!(argv, vec![b"auth".to_vec(), b"(redacted)".to_vec()]);
    }
}
