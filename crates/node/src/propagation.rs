//! Propagation: every write that changed the dataset goes, once rewritten, to the AOF and to the
//! replication stream — the one place both are fed (Redis's `propagate()` → `feedAppendOnlyFile`
//! and `replicationFeedSlaves`).
//!
//! Write commands are rewritten as Redis 7.0 propagates them: what is relative to the master's
//! clock or random becomes absolute (`EXPIRE` → `PEXPIREAT`, `SET … EX` → `SET … PXAT`, `SPOP`
//! → `SREM`), so an AOF replayed later or a replica applying the stream holds the same data.
//!
//! Ref: `expire.c` `expireGenericCommand`, `t_string.c` `setGenericCommand`, `t_set.c`
//! `spopWithCountCommand` (7.0 propagates these rewritten forms).

use hashslot_keyspace::Db;
use hashslot_types::Now;

use crate::Node;

impl Node {
    /// A write that changed the dataset just ran on `db` with `args` and replied `reply`:
    /// rewrite it once and feed the AOF and the replication stream, each when it listens.
    pub(crate) fn propagate(&mut self, now: Now, db: usize, args: &[&[u8]], reply: &[u8]) {
        let to_aof = self.aof_accepts_feed();
        let to_replicas = self.repl_accepts_feed();
        if !to_aof && !to_replicas {
            return;
        }
        let cmds = for_propagation(&self.dbs[db], args, reply);
        if to_aof {
            self.aof_append(db, &cmds);
        }
        if to_replicas {
            self.repl_feed(now, db, &cmds);
        }
    }
}

/// The commands to propagate for `args` that just ran on `db` and replied `reply`.
pub(crate) fn for_propagation(db: &Db, args: &[&[u8]], reply: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let own = |a: &[&[u8]]| a.iter().map(|x| x.to_vec()).collect::<Vec<_>>();
    let name = args[0].to_ascii_lowercase();
    let key = args.get(1).copied().unwrap_or(b"");
    let abs = || db.expire_time(key).map(|t| t.to_string().into_bytes());
    match name.as_slice() {
        b"expire" | b"pexpire" | b"expireat" | b"pexpireat" | b"getex" => {
            if !db.contains_key_raw(key) {
                vec![own(&[b"DEL", key])]
            } else if let Some(t) = abs() {
                vec![vec![b"PEXPIREAT".to_vec(), key.to_vec(), t]]
            } else {
                vec![own(&[b"PERSIST", key])]
            }
        }
        b"setex" | b"psetex" if args.len() == 4 => match abs() {
            Some(t) => vec![vec![
                b"SET".to_vec(),
                key.to_vec(),
                args[3].to_vec(),
                b"PXAT".to_vec(),
                t,
            ]],
            None => vec![own(&[b"SET", key, args[3]])],
        },
        b"set" if args.len() > 3 && has_relative_ttl(&args[3..]) => {
            // Keep NX/XX/GET/KEEPTTL out: the command already ran, replicas just set.
            match abs() {
                Some(t) if db.contains_key_raw(key) => vec![vec![
                    b"SET".to_vec(),
                    key.to_vec(),
                    args[2].to_vec(),
                    b"PXAT".to_vec(),
                    t,
                ]],
                _ if db.contains_key_raw(key) => vec![own(&[b"SET", key, args[2]])],
                _ => vec![own(&[b"DEL", key])],
            }
        }
        // Floats are formatted once, by the master (Ref: incrbyfloatCommand propagates
        // `SET key <value> KEEPTTL`, hincrbyfloatCommand `HSET key field <value>`).
        b"incrbyfloat" => match reply_bulks(reply).pop() {
            Some(v) => vec![vec![b"SET".to_vec(), key.to_vec(), v, b"KEEPTTL".to_vec()]],
            None => vec![own(args)],
        },
        b"hincrbyfloat" if args.len() == 4 => match reply_bulks(reply).pop() {
            Some(v) => vec![vec![b"HSET".to_vec(), key.to_vec(), args[2].to_vec(), v]],
            None => vec![own(args)],
        },
        b"spop" => {
            let popped = reply_bulks(reply);
            if popped.is_empty() {
                return Vec::new();
            }
            let mut a = vec![b"SREM".to_vec(), key.to_vec()];
            a.extend(popped);
            vec![a]
        }
        _ => vec![own(args)],
    }
}

fn has_relative_ttl(opts: &[&[u8]]) -> bool {
    opts.iter()
        .any(|o| o.eq_ignore_ascii_case(b"ex") || o.eq_ignore_ascii_case(b"px"))
}

/// The bulk strings of a bulk or array reply (SPOP's popped members).
fn reply_bulks(r: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let line = |r: &[u8]| -> Option<(u8, i64, usize)> {
        let end = r.windows(2).position(|w| w == b"\r\n")?;
        let n = std::str::from_utf8(&r[1..end]).ok()?.parse().ok()?;
        Some((r[0], n, end + 2))
    };
    let Some((t, n, used)) = line(r) else {
        return out;
    };
    let (count, mut rest) = match t {
        b'$' => (1, r),
        b'*' | b'~' => (n, &r[used..]),
        _ => return out,
    };
    for _ in 0..count {
        let Some((b'$', len, used)) = line(rest) else {
            break;
        };
        let Ok(len) = usize::try_from(len) else {
            break;
        };
        if rest.len() < used + len {
            break;
        }
        out.push(rest[used..used + len].to_vec());
        rest = &rest[(used + len + 2).min(rest.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spop_reply_members() {
        assert_eq!(reply_bulks(b"$1\r\na\r\n"), vec![b"a".to_vec()]);
        assert_eq!(
            reply_bulks(b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"),
            vec![b"a".to_vec(), b"bc".to_vec()]
        );
        assert!(reply_bulks(b"$-1\r\n").is_empty());
    }

    #[test]
    fn floats_are_propagated_as_values() {
        let db = Db::with_seed(1);
        let out = for_propagation(&db, &[b"INCRBYFLOAT", b"f", b"0.1"], b"$3\r\n0.1\r\n");
        assert_eq!(
            out,
            vec![vec![
                b"SET".to_vec(),
                b"f".to_vec(),
                b"0.1".to_vec(),
                b"KEEPTTL".to_vec()
            ]]
        );
    }

    #[test]
    fn plain_writes_pass_through() {
        let db = Db::with_seed(1);
        let out = for_propagation(&db, &[b"DEL", b"k"], b":0\r\n");
        assert_eq!(out, vec![vec![b"DEL".to_vec(), b"k".to_vec()]]);
    }
}
