//! Propagation: every write that changed the dataset goes, once rewritten, to the AOF and to the
//! replication stream — the one place both are fed (Redis's `propagate()` → `feedAppendOnlyFile`
//! and `replicationFeedSlaves`).
//!
//! Write commands are rewritten as Redis 7.0 propagates them: what is relative to the master's
//! clock or random becomes absolute (`EXPIRE` → `PEXPIREAT`, `SET … EX` → `SET … PXAT`, `SPOP`
//! → `SREM`), so an AOF replayed later or a replica applying the stream holds the same data.
//!
//! Two more things reach both sinks from here:
//!
//! - Keys deleted because their TTL passed (lazily, by a command that touched them, or by the
//!   active expiry cycle) are propagated as `DEL`, so a replica (which never expires keys by
//!   itself) and an AOF replayed after the TTL agree with the master. Ref: db.c
//!   `deleteExpiredKeyAndPropagate` / `propagateDeletion` (7.0 writes `DEL` with
//!   `lazyfree-lazy-expire no`, our only mode).
//! - What one client command propagates (its lazy-expiry `DEL`s, in the order it found the
//!   keys, then the command itself; for EXEC or a script, all of that for each command it ran)
//!   is collected and written when the command ends, wrapped in `MULTI` … `EXEC` when there is
//!   more than one, so a replica applies them at once and an AOF cut inside them loses all of
//!   them. A single one goes out bare (an EXEC with one write too), and so does each `DEL` of
//!   SCAN or RANDOMKEY run directly (they may expire any number of keys) and of the active
//!   expiry cycle. Ref: server.c `call` / `afterCommand` / `propagatePendingCommands`
//!   (`also_propagate`, `CMD_TOUCHES_ARBITRARY_KEYS`), expire.c `activeExpireCycle`
//!   (`propagate_no_multi`).
//!
//! Ref: `expire.c` `expireGenericCommand`, `t_string.c` `setGenericCommand`, `t_set.c`
//! `spopWithCountCommand` (7.0 propagates these rewritten forms).

use hashslot_keyspace::Db;
use hashslot_types::{ConnId, Now};

use crate::Node;

/// What the command being run has to propagate (Redis's `server.also_propagate`).
#[derive(Debug, Default)]
pub(crate) struct TxnPropagation {
    /// Open units: a client command (see [`Node::propagation_unit_begin`]), or an EXEC or
    /// script run outside one. Propagation is collected while one is open.
    depth: u32,
    /// The open unit is an EXEC's begun by [`Node::propagate_exec_begin`] outside a command.
    exec_owned: bool,
    /// The command touches arbitrary keys (SCAN, RANDOMKEY): its `DEL`s are never wrapped.
    no_multi: bool,
    /// The open unit is a transaction of the master's stream that a replica runs: its writes
    /// are the master's, not a writable replica's own.
    from_master: bool,
    /// The commands collected so far, each with its db.
    pending: Vec<(usize, Vec<Vec<u8>>)>,
}

impl Node {
    /// A write that changed the dataset just ran on `db` with `args` and replied `reply`:
    /// rewrite it once for the AOF and the replication stream, each when it listens.
    pub(crate) fn propagate(&mut self, now: Now, db: usize, args: &[&[u8]], reply: &[u8]) {
        // On a replica, a write inside a client command (never the master's stream, which
        // runs outside any) is a writable replica's own: the keys it left a TTL on are its to
        // expire.
        let txn = &self.persistence.txn;
        if txn.depth > 0 && !txn.from_master && self.repl.is_replica() {
            self.remember_replica_keys_with_expire(db, args);
        }
        if !self.propagation_listens() {
            return;
        }
        let cmds = for_propagation(&self.dbs[db], args, reply);
        self.feed_both(now, db, cmds);
    }

    /// Keys of `db` just deleted because their TTL passed: a `DEL` for each.
    pub(crate) fn propagate_expired(&mut self, now: Now, db: usize, keys: &[Vec<u8>]) {
        if keys.is_empty() || !self.propagation_listens() {
            return;
        }
        let cmds = keys
            .iter()
            .map(|k| vec![b"DEL".to_vec(), k.clone()])
            .collect();
        self.feed_both(now, db, cmds);
    }

    /// A client command (`args`) starts: what it propagates is collected until
    /// [`Node::propagation_unit_end`]. Units nest (only the outermost one writes).
    pub(crate) fn propagation_unit_begin(&mut self, args: &[&[u8]]) {
        let txn = &mut self.persistence.txn;
        if txn.depth == 0 {
            txn.no_multi = args.first().is_some_and(|name| {
                name.eq_ignore_ascii_case(b"scan") || name.eq_ignore_ascii_case(b"randomkey")
            });
        }
        txn.depth += 1;
    }

    /// The client command on `conn` ended: write what it collected (the outermost unit only),
    /// and let WAIT measure from the stream offset after it.
    pub(crate) fn propagation_unit_end(&mut self, now: Now, conn: ConnId) {
        let txn = &mut self.persistence.txn;
        txn.depth = txn.depth.saturating_sub(1);
        if txn.depth == 0 && self.flush_pending(now) {
            self.repl_note_write(conn);
        }
    }

    /// EXEC (or a script) starts running its commands. Inside a client command this changes
    /// nothing (the command's unit collects them); outside one it opens a unit of its own.
    pub(crate) fn propagate_exec_begin(&mut self) {
        let txn = &mut self.persistence.txn;
        if txn.depth == 0 {
            txn.depth = 1;
            txn.exec_owned = true;
            txn.no_multi = false;
        }
    }

    /// EXEC (or a script) ran its commands: writes them if it opened its own unit.
    pub(crate) fn propagate_exec_end(&mut self, now: Now) {
        let txn = &mut self.persistence.txn;
        if std::mem::take(&mut txn.exec_owned) {
            txn.depth = txn.depth.saturating_sub(1);
            if txn.depth == 0 {
                self.flush_pending(now);
            }
        }
    }

    /// A replica runs a `MULTI` … `EXEC` of its master's stream: what it writes is collected
    /// and written to its AOF wrapped the same way (Redis's replica runs the master client's
    /// EXEC, whose propagation `propagatePendingCommands` wraps).
    ///
    /// A unit of its own (counted in `depth`, not `exec_owned`), so a script or EXEC run
    /// inside it neither opens nor closes anything.
    pub(crate) fn propagate_master_exec_begin(&mut self) {
        let txn = &mut self.persistence.txn;
        if txn.depth == 0 {
            txn.no_multi = false;
        }
        txn.depth += 1;
        txn.from_master = true;
    }

    /// Whether a transaction of the master's stream is running (between its MULTI and EXEC).
    pub(crate) fn in_master_exec(&self) -> bool {
        self.persistence.txn.from_master
    }

    /// The master's transaction ran: write what it collected.
    pub(crate) fn propagate_master_exec_end(&mut self, now: Now) {
        let txn = &mut self.persistence.txn;
        if !std::mem::take(&mut txn.from_master) {
            return;
        }
        txn.depth = txn.depth.saturating_sub(1);
        if txn.depth == 0 {
            self.flush_pending(now);
        }
    }

    /// Whether the AOF or the replication stream takes writes now.
    fn propagation_listens(&self) -> bool {
        self.aof_accepts_feed() || self.repl_accepts_feed()
    }

    /// Collect `cmds` in the open unit, or write them at once (bare) when none is open: the
    /// active expiry cycle, a blocked client served, the master's stream on a replica.
    fn feed_both(&mut self, now: Now, db: usize, cmds: Vec<Vec<Vec<u8>>>) {
        if cmds.is_empty() {
            return;
        }
        let txn = &mut self.persistence.txn;
        if txn.depth > 0 {
            txn.pending.extend(cmds.into_iter().map(|c| (db, c)));
        } else {
            self.feed_sinks(now, db, &cmds);
        }
    }

    /// Write the collected commands, in `MULTI` … `EXEC` when more than one (and the command
    /// is not SCAN or RANDOMKEY); returns whether anything was written.
    fn flush_pending(&mut self, now: Now) -> bool {
        let txn = &mut self.persistence.txn;
        let pending = std::mem::take(&mut txn.pending);
        let no_multi = std::mem::take(&mut txn.no_multi);
        let wrap = pending.len() > 1 && !no_multi;
        let (Some(&(first_db, _)), Some(&(last_db, _))) = (pending.first(), pending.last()) else {
            return false;
        };
        // MULTI goes to the first command's db and EXEC to the last's, so no SELECT comes
        // between them and the commands.
        if wrap {
            self.feed_sinks(now, first_db, &[vec![b"MULTI".to_vec()]]);
        }
        let mut run: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut run_db = first_db;
        for (db, cmd) in pending {
            if db != run_db && !run.is_empty() {
                self.feed_sinks(now, run_db, &std::mem::take(&mut run));
            }
            run_db = db;
            run.push(cmd);
        }
        self.feed_sinks(now, run_db, &run);
        if wrap {
            self.feed_sinks(now, last_db, &[vec![b"EXEC".to_vec()]]);
        }
        true
    }

    fn feed_sinks(&mut self, now: Now, db: usize, cmds: &[Vec<Vec<u8>>]) {
        if self.aof_accepts_feed() {
            self.aof_append(db, cmds);
        }
        if self.repl_accepts_feed() {
            self.repl_feed(now, db, cmds);
        }
    }
}

/// The commands to propagate for `args` that just ran on `db` and replied `reply`.
pub(crate) fn for_propagation(db: &Db, args: &[&[u8]], reply: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let own = |a: &[&[u8]]| a.iter().map(|x| x.to_vec()).collect::<Vec<_>>();
    let name = args[0].to_ascii_lowercase();
    let key = args.get(1).copied().unwrap_or(b"");
    let abs = || db.expire_time(key).map(|t| t.to_string().into_bytes());
    // Stream writes go out in the deterministic form Redis propagates (XADD with the ID it
    // made, exact trims, XCLAIM/XGROUP SETID for what XREADGROUP/XCLAIM/XAUTOCLAIM changed).
    if let Some(cmds) = hashslot_keyspace::stream_commands_for_propagation(db, args, reply) {
        return cmds;
    }
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
    use hashslot_types::ConnId;

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

    /// A node with the AOF on (an empty dataset loaded), whose AOF buffer the tests read.
    fn aof_node() -> (Node, Now) {
        let now = Now::new(
            hashslot_types::Instant::from_nanos(0),
            hashslot_types::UnixMillis(1_700_000_000_000),
        );
        let mut config = crate::Config::default();
        config.appendonly = true;
        config.save.clear();
        let mut n = Node::new(config, 1, now, crate::ProcessInfo::default());
        n.load_data(now, &mut |_: &str| Ok(None)).unwrap();
        n.persistence.aof.buf.clear();
        (n, now)
    }

    #[test]
    fn exec_writes_are_wrapped_in_multi_exec() {
        let (mut n, now) = aof_node();
        n.propagate_exec_begin();
        n.propagate(now, 0, &[b"SET", b"a", b"1"], b"+OK\r\n");
        n.propagate(now, 1, &[b"DEL", b"b"], b":1\r\n");
        n.propagate_exec_end(now);
        assert_eq!(
            String::from_utf8_lossy(&n.persistence.aof.buf),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n\
             *1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn exec_without_writes_propagates_nothing() {
        let (mut n, now) = aof_node();
        n.propagate_exec_begin();
        n.propagate_exec_end(now);
        assert!(n.persistence.aof.buf.is_empty());
        // And the next write outside EXEC is not wrapped.
        n.propagate(now, 0, &[b"DEL", b"k"], b":1\r\n");
        assert!(!String::from_utf8_lossy(&n.persistence.aof.buf).contains("MULTI"));
    }

    #[test]
    fn expired_keys_are_propagated_as_del() {
        let (mut n, now) = aof_node();
        n.propagate_expired(now, 0, &[b"x".to_vec(), b"y".to_vec()]);
        assert_eq!(
            String::from_utf8_lossy(&n.persistence.aof.buf),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\ny\r\n"
        );
    }

    fn aof_text(n: &Node) -> String {
        String::from_utf8_lossy(&n.persistence.aof.buf)
            .replace("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", "")
    }

    /// One command's propagation is collected until it ends; one alone goes out bare.
    #[test]
    fn a_unit_with_one_command_writes_it_bare_at_its_end() {
        let (mut n, now) = aof_node();
        let conn = ConnId(9);
        n.propagation_unit_begin(&[b"GET", b"x"]);
        n.propagate_expired(now, 0, &[b"x".to_vec()]);
        assert!(n.persistence.aof.buf.is_empty(), "collected, not written");
        n.propagation_unit_end(now, conn);
        assert_eq!(aof_text(&n), "*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n");
    }

    /// Two or more (here an expired key's DEL and the write that found it) are wrapped; an
    /// EXEC or script inside the command neither opens nor closes anything of its own.
    #[test]
    fn a_unit_with_several_commands_is_wrapped_once() {
        let (mut n, now) = aof_node();
        n.propagation_unit_begin(&[b"EXEC"]);
        n.propagate_exec_begin();
        n.propagate_expired(now, 0, &[b"x".to_vec()]);
        n.propagate(now, 0, &[b"SET", b"x", b"1"], b"+OK\r\n");
        n.propagate_exec_end(now);
        assert!(n.persistence.aof.buf.is_empty());
        n.propagation_unit_end(now, ConnId(9));
        assert_eq!(
            aof_text(&n),
            "*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    /// SCAN and RANDOMKEY may expire any number of keys: their DELs are never wrapped.
    #[test]
    fn scan_and_randomkey_write_their_dels_bare() {
        for name in [&b"SCAN"[..], b"randomkey"] {
            let (mut n, now) = aof_node();
            n.propagation_unit_begin(&[name]);
            n.propagate_expired(now, 0, &[b"x".to_vec(), b"y".to_vec()]);
            n.propagation_unit_end(now, ConnId(9));
            assert!(!aof_text(&n).contains("MULTI"), "{}", aof_text(&n));
            assert!(aof_text(&n).contains("$1\r\ny\r\n"));
        }
    }

    /// Units nest: only the outermost one writes.
    #[test]
    fn nested_units_write_at_the_outermost_end() {
        let (mut n, now) = aof_node();
        n.propagation_unit_begin(&[b"EVAL"]);
        n.propagation_unit_begin(&[b"SCAN"]);
        n.propagate_expired(now, 0, &[b"x".to_vec(), b"y".to_vec()]);
        n.propagation_unit_end(now, ConnId(9));
        assert!(n.persistence.aof.buf.is_empty());
        n.propagation_unit_end(now, ConnId(9));
        assert!(aof_text(&n).starts_with("*1\r\n$5\r\nMULTI\r\n"));
    }

    /// Outside any unit (the active expiry cycle) each DEL goes out at once, bare; an EXEC
    /// with a single write writes it bare too.
    #[test]
    fn outside_a_unit_writes_go_out_at_once() {
        let (mut n, now) = aof_node();
        n.propagate_expired(now, 0, &[b"x".to_vec()]);
        assert!(!n.persistence.aof.buf.is_empty());
        n.persistence.aof.buf.clear();
        n.propagate_exec_begin();
        n.propagate(now, 0, &[b"SET", b"a", b"1"], b"+OK\r\n");
        n.propagate_exec_end(now);
        assert_eq!(aof_text(&n), "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
    }

    /// The master's transaction applied by a replica is written wrapped, once, even when a
    /// script or EXEC inside it opens and closes its own bracket.
    #[test]
    fn a_masters_transaction_is_wrapped_once() {
        let (mut n, now) = aof_node();
        n.propagate_master_exec_begin();
        n.propagate(now, 0, &[b"SET", b"a", b"1"], b"+OK\r\n");
        n.propagate_exec_begin();
        n.propagate(now, 0, &[b"SET", b"b", b"1"], b"+OK\r\n");
        n.propagate_exec_end(now);
        assert!(n.persistence.aof.buf.is_empty(), "still collected");
        n.propagate(now, 0, &[b"SET", b"c", b"1"], b"+OK\r\n");
        n.propagate_master_exec_end(now);
        let text = aof_text(&n);
        assert!(text.starts_with("*1\r\n$5\r\nMULTI\r\n"), "{text}");
        assert!(
            text.ends_with("$1\r\nc\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n"),
            "{text}"
        );
        assert_eq!(text.matches("MULTI").count(), 1);
    }

    #[test]
    fn plain_writes_pass_through() {
        let db = Db::with_seed(1);
        let out = for_propagation(&db, &[b"DEL", b"k"], b":0\r\n");
        assert_eq!(out, vec![vec![b"DEL".to_vec(), b"k".to_vec()]]);
    }
}
