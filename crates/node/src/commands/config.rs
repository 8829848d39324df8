//! CONFIG subcommands: GET, SET, RESETSTAT, REWRITE, HELP. The parameter table itself is
//! `crate::config`; this is the command surface over it.

use hashslot_keyspace::flags::{LOADING, STALE};
use hashslot_keyspace::KeyspaceStats;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, help_reply, Spec, ADMIN_ACL, ADMIN_FLAGS};
use crate::session::Client;
use crate::stats::{CmdStat, Stats};
use crate::{ConfigError, Node, Output};

/// CONFIG's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "config|get",
        -3,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "server",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Get the values of configuration parameters",
        get,
    ),
    cmd(
        "config|set",
        -4,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "server",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Set configuration parameters to the given values",
        set,
    ),
    cmd(
        "config|resetstat",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "server",
        "2.0.0",
        "O(1)",
        "Reset the stats returned by INFO",
        resetstat,
    ),
    cmd(
        "config|rewrite",
        2,
        ADMIN_FLAGS,
        ADMIN_ACL,
        "server",
        "2.8.0",
        "O(1)",
        "Rewrite the configuration file with the in memory configuration",
        rewrite,
    ),
    cmd(
        "config|help",
        2,
        LOADING | STALE,
        &["@slow"],
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
];

fn get(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let pairs = node.config.get_matching(&args[2..]);
    let mut r = c.reply();
    r.map_len(pairs.len());
    for (name, value) in &pairs {
        r.bulk(name.as_bytes());
        r.bulk(value.as_bytes());
    }
}

fn set(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    // Ref: config.c configSetCommand: an odd pair count is an arity error.
    if args.len() % 2 != 0 {
        return c
            .reply()
            .error(&ErrorReply::WrongArity("config|set".into()));
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..].chunks(2).map(|p| (p[0], p[1])).collect();
    let local = c.addr.peer.ip().is_loopback();
    let old_hz = node.config.hz;
    if let Some(dir) = pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(b"dir")) {
        return set_with_dir(node, now, c, &pairs, dir.1, local);
    }
    match node.config.set_runtime_from(&pairs, local) {
        Ok(()) => {
            node.config_changed(now, old_hz);
            c.reply().ok();
        }
        Err(ConfigError::Reply(text)) => c.reply().error(&ErrorReply::msg(text)),
        Err(e) => c.reply().error(&ErrorReply::msg(format!("ERR {e}"))),
    }
}

/// CONFIG SET with `dir` among the pairs. Redis `chdir()`s inside the command; here the driver
/// does it (`Output::ChangeDir`) and [`Node::handle_dir_changed`] replies, holding this client's
/// later requests until then. Every pair is checked first on a copy of the configuration, so a
/// refused name or bad value is answered as before without touching the directory. The other
/// pairs are then applied before the change is asked for.
///
/// Known difference: when the `chdir` itself then fails (a missing directory), Redis restores
/// the other pairs of the same command; here they stay applied (the error reply is the same).
fn set_with_dir(
    node: &mut Node,
    now: Now,
    c: &mut Client,
    pairs: &[(&[u8], &[u8])],
    dir: &[u8],
    local: bool,
) {
    let mut copy = node.config.clone();
    match copy.set_runtime_from(pairs, local) {
        Ok(()) => {}
        Err(ConfigError::Reply(text)) => return c.reply().error(&ErrorReply::msg(text)),
        Err(e) => return c.reply().error(&ErrorReply::msg(format!("ERR {e}"))),
    }
    let others: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(b"dir"))
        .copied()
        .collect();
    if !others.is_empty() {
        let old_hz = node.config.hz;
        // Checked just above on the copy, with the same pairs and the same client.
        if let Err(e) = node.config.set_runtime_from(&others, local) {
            return c.reply().error(&ErrorReply::msg(format!("ERR {e}")));
        }
        node.config_changed(now, old_hz);
    }
    c.blocked = true;
    node.outputs.push_back(Output::ChangeDir {
        conn: c.conn,
        path: String::from_utf8_lossy(dir).into_owned(),
    });
}

/// Ref: server.c resetServerStats: every counter INFO stats, commandstats and errorstats show.
fn resetstat(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    node.stats = Stats::default();
    node.ks_stats = KeyspaceStats::default();
    node.repl.reset_sync_stats();
    node.cmd_stats
        .iter_mut()
        .for_each(|s| *s = CmdStat::default());
    c.reply().ok();
}

/// CONFIG REWRITE needs the file: the node asks the driver with `Output::RewriteConfig` and
/// holds this client's later requests until [`Node::handle_config_rewritten`] answers.
fn rewrite(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    if node.process.config_file.is_empty() {
        return c.reply().error(&ErrorReply::msg(
            "ERR The server is running without a config file",
        ));
    }
    // Ref: config.c rewriteConfigUserOption writes the users as they are now; the driver
    // rewrites from `Config`, so the users are copied there (`user` lines' arguments, split on
    // the spaces ACL LIST puts between rules) before it is asked.
    node.config.users = node
        .acl
        .users()
        .map(|u| {
            crate::acl::user_line(u)[b"user ".len()..]
                .split(|&b| b == b' ')
                .map(<[u8]>::to_vec)
                .collect()
        })
        .collect();
    c.blocked = true;
    node.outputs.push_back(Output::RewriteConfig {
        conn: c.conn,
        path: node.process.config_file.clone(),
    });
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}
