//! The master client: commands of the replication stream run as Redis's `server.master`
//! client does — no reply leaves, writes are allowed on a read-only replica, and there are no
//! cluster redirects or ACL checks.

use bytes::Bytes;
use hashslot_types::Now;
use smallvec::SmallVec;

use super::MASTER_CLIENT_CONN;
use crate::session::Client;
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
        // The stream's transactions are applied command by command: they arrive whole, in
        // one read, and nothing else runs between their commands here.
        if matches!(name.as_slice(), b"multi" | b"exec" | b"discard" | b"ping") {
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
        let mut client = self.repl.master_client.take().unwrap_or_else(|| {
            let mut c = Client::new(
                MASTER_CLIENT_CONN,
                0,
                Node::master_client_addr(),
                now.mono,
                true,
            );
            // Never park a master-stream command.
            c.in_exec = true;
            c
        });
        let ndb = self.dbs.len();
        client.db = usize::try_from(db).ok().filter(|&d| d < ndb).unwrap_or(0);
        self.call(now, &mut client, idx, &args);
        client.out.clear();
        self.repl.master_client = Some(client);
        self.serve_ready_keys(now);
    }
}
