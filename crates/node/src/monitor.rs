//! MONITOR: every command this node runs, shown to the clients that asked, as Redis shows it.
//! Ref: replication.c monitorCommand / replicationFeedMonitors and server.c call (7.0).
//!
//! A command is shown once it ran (so a SELECT shows the db it selected, and EXEC's commands
//! come before the EXEC), as `+<secs>.<micros> [<db> <peer>] "arg" "arg"…` with each argument
//! quoted as `sdscatrepr` quotes it. Admin commands are never shown, nor commands refused before
//! they ran (unknown, wrong arity, MOVED…), nor a parked command's retries; passwords given to
//! AUTH, HELLO and MIGRATE show as `(redacted)`.

use hashslot_keyspace::flags;
use hashslot_resp::{write_repr, ErrorReply};
use hashslot_types::{ConnId, Now};

use crate::session::Client;
use crate::Node;

impl Node {
    /// MONITOR: this client is shown every later command.
    pub(crate) fn monitor_command(&mut self, c: &mut Client) {
        if c.in_exec {
            // Ref: monitorCommand: a client that expects a reply per command cannot stream.
            return c.reply().error(&ErrorReply::msg(
                "ERR MONITOR isn't allowed for DENY BLOCKING client",
            ));
        }
        // Ref: monitorCommand ignores a replica or a monitor: not even a reply.
        if c.monitor || self.repl.is_replica_conn(c.conn) {
            return;
        }
        c.monitor = true;
        self.repl.monitors.insert(c.conn);
        c.reply().ok();
    }

    /// Show `client`'s command `idx` with `args`, which just ran, to every monitor.
    pub(crate) fn feed_monitors(
        &mut self,
        now: Now,
        client: &mut Client,
        idx: usize,
        args: &[&[u8]],
    ) {
        if self.repl.monitors.is_empty() {
            return;
        }
        let entry = &self.table.entries[idx];
        if entry.flags & (flags::ADMIN | flags::SKIP_MONITOR) != 0 {
            return;
        }
        let redacted = redacted_from(entry.name, args);
        let mut line = Vec::with_capacity(64);
        let micros = now.wall.0.rem_euclid(1000) * 1000 + i64::from(now.wall_micros);
        // A command a script runs is shown as the script client's, `lua`, not by the
        // caller's address. Ref: replication.c replicationFeedMonitors (`CLIENT_SCRIPT`).
        let from = if client.conn == crate::scripting::run::SCRIPT_CLIENT_CONN {
            "lua".to_owned()
        } else {
            client.addr.peer.to_string()
        };
        line.extend_from_slice(
            format!("{}.{micros:06} [{} {from}] ", now.wall.as_secs(), client.db).as_bytes(),
        );
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                line.push(b' ');
            }
            if redacted(i) {
                line.extend_from_slice(b"\"(redacted)\"");
            } else {
                write_repr(&mut line, a);
            }
        }
        let monitors: Vec<ConnId> = self.repl.monitors.iter().copied().collect();
        for conn in monitors {
            self.send_push(Some(&mut *client), conn, |r| r.simple(&line));
        }
    }

    /// A monitor's connection closed.
    pub(crate) fn forget_monitor(&mut self, conn: ConnId) {
        self.repl.monitors.remove(&conn);
    }
}

/// Which arguments of command `name` hold a password. Ref: acl.c authCommand,
/// networking.c helloCommand, cluster.c migrateCommand (`redactClientCommandArgument`).
fn redacted_from(name: &str, args: &[&[u8]]) -> impl Fn(usize) -> bool {
    let mut secret = Vec::new();
    match name {
        "auth" => secret.extend(1..args.len()),
        "hello" => {
            let mut j = 2;
            while j < args.len() {
                if args[j].eq_ignore_ascii_case(b"auth") && j + 2 < args.len() {
                    secret.extend([j + 1, j + 2]);
                    j += 3;
                } else {
                    j += 1;
                }
            }
        }
        "migrate" => {
            let mut j = 6;
            while j < args.len() {
                if args[j].eq_ignore_ascii_case(b"auth") {
                    secret.push(j + 1);
                    j += 2;
                } else if args[j].eq_ignore_ascii_case(b"auth2") {
                    secret.extend([j + 1, j + 2]);
                    j += 3;
                } else {
                    j += 1;
                }
            }
        }
        _ => {}
    }
    move |i| secret.contains(&i)
}
