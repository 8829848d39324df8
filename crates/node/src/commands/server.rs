//! Server commands: TIME, LASTSAVE, SHUTDOWN, DBSIZE, MONITOR.

use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use crate::session::Client;
use crate::Node;

pub(super) fn time(_: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let secs = now.wall.as_secs();
    let micros = now.wall.0.rem_euclid(1000) * 1000 + i64::from(now.wall_micros);
    let mut r = c.reply();
    r.array_len(2);
    r.bulk_i64(secs);
    r.bulk_i64(micros);
}

pub(super) fn lastsave(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    c.reply().int(node.lastsave);
}

pub(super) fn monitor(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    node.monitor_command(c);
}

pub(super) fn dbsize(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let n = node.dbs[c.db].len();
    c.reply().int(n as i64);
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`. With nothing to persist yet, a shutdown has
/// nothing to wait for: the node logs, emits `Output::Shutdown` and runs no further commands.
/// Ref: server.c shutdownCommand (7.0).
pub(super) fn shutdown(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let (mut nosave, mut save, mut abort, mut other) = (false, false, false, false);
    let mut force = false;
    for a in &args[1..] {
        if a.eq_ignore_ascii_case(b"nosave") {
            nosave = true;
        } else if a.eq_ignore_ascii_case(b"save") {
            save = true;
        } else if a.eq_ignore_ascii_case(b"now") {
            other = true;
        } else if a.eq_ignore_ascii_case(b"force") {
            (other, force) = (true, true);
        } else if a.eq_ignore_ascii_case(b"abort") {
            abort = true;
        } else {
            return c.reply().error(&ErrorReply::Syntax);
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        return c.reply().error(&ErrorReply::Syntax);
    }
    if abort {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR No shutdown in progress."));
    }
    if node.aof_refuses_shutdown(force) {
        return c.reply().error(&ErrorReply::msg(
            "ERR Errors trying to SHUTDOWN. Check logs.",
        ));
    }
    // A final save (SAVE, or save points configured and no NOSAVE) holds the client until
    // its commit: then Output::Shutdown, or `-ERR Errors trying to SHUTDOWN. Check logs.`
    if !nosave && node.shutdown_save(now, Some(c.conn), save) {
        c.blocked = true;
        return;
    }
    // Output::Shutdown follows this batch's replies (see Node::flush).
    node.begin_shutdown();
}
