//! The master client: commands of the replication stream run as Redis's `server.master`
//! client does — no reply leaves, writes are allowed on a read-only replica, and there are no
//! cluster redirects or ACL checks.

use bytes::Bytes;
use hashslot_types::Now;
use smallvec::SmallVec;

use crate::table::Lookup;
use crate::{LogLevel, Node};

impl Node {
    /// Run one command of the master's stream on `db`.
    pub(crate) fn repl_apply(&mut self, now: Now, db: i64, argv: &[Bytes]) {
        let args: SmallVec<[&[u8]; 8]> = argv.iter().map(|a| a.as_ref()).collect();
        if args.is_empty() {
            return;
        }
        let name = args[0].to_ascii_lowercase();
        // The replica machine hands out a transaction of the stream only once its EXEC came,
        // all together, so nothing else runs between its commands; MULTI and EXEC bracket
        // what they propagate (the AOF gets the same wrap, as Redis's replica writes it).
        match name.as_slice() {
            b"multi" => self.propagate_master_exec_begin(),
            b"exec" => self.propagate_master_exec_end(now),
            _ => {}
        }
        let skipped = match name.as_slice() {
            b"multi" => Some("multi"),
            b"exec" => Some("exec"),
            b"discard" => Some("discard"),
            b"ping" => Some("ping"),
            _ => None,
        };
        if let Some(cmd) = skipped {
            // Still the master client's last command, as CLIENT LIST shows it in Redis (the
            // master's periodic PING makes it `cmd=ping`).
            let mut client = self.repl_take_master_client(now);
            client.last_cmd = cmd;
            client.last_interaction = now.mono;
            self.repl.master_client = Some(client);
            if cmd == "exec" {
                // Blocked clients are served once the whole transaction ran (below).
                self.serve_ready_keys(now);
            }
            return;
        }
        let idx = match self.table.lookup(&args) {
            Lookup::Found(idx) => idx,
            _ => {
                let text = String::from_utf8_lossy(args[0]).into_owned();
                self.log(
                    LogLevel::Warning,
                    format!("Unknown command '{text}' from the master stream, ignored"),
                );
                return;
            }
        };
        let mut client = self.repl_take_master_client(now);
        client.last_interaction = now.mono;
        // `call` leaves `cmd` alone for a client in EXEC, which the master client always is.
        client.last_cmd = self.table.entries[idx].name;
        let ndb = self.dbs.len();
        client.db = usize::try_from(db).ok().filter(|&d| d < ndb).unwrap_or(0);
        self.call(now, &mut client, idx, &args);
        client.out.clear();
        self.repl.master_client = Some(client);
        // Ref: Redis serves blocked clients after the master client's whole command, and a
        // transaction is one: a client blocked on the replica never sees half of it.
        if !self.in_master_exec() {
            self.serve_ready_keys(now);
        }
    }
}
