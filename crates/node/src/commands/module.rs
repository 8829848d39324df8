//! MODULE: this server loads no modules (they are C shared libraries written against Redis's
//! own module API), so it answers as a redis-server with none loaded whose every load fails:
//! MODULE LIST is empty, LOAD/LOADEX log why and reply Redis's error, UNLOAD finds no such
//! module. Clients and tools that ask MODULE LIST to detect features get a true answer.
//! LOAD, LOADEX and UNLOAD are protected by `enable-module-command` as in Redis 7.0.

use hashslot_keyspace::flags::{ADMIN, LOADING, NOSCRIPT, NO_ASYNC_LOADING, STALE};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, help_reply, protected_refusal, Spec, ADMIN_ACL};
use crate::session::Client;
use crate::{LogLevel, Node};

const PROTECTED: u32 = NO_ASYNC_LOADING | ADMIN | NOSCRIPT;

/// MODULE's subcommands, as COMMAND INFO shows them in Redis 7.0.15 (which lists them in a
/// random order).
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "module|help",
        2,
        LOADING | STALE,
        &["@slow"],
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
    cmd(
        "module|loadex",
        -3,
        PROTECTED,
        ADMIN_ACL,
        "server",
        "7.0.0",
        "O(1)",
        "Load a module with extended parameters",
        load,
    ),
    cmd(
        "module|unload",
        3,
        PROTECTED,
        ADMIN_ACL,
        "server",
        "4.0.0",
        "O(1)",
        "Unload a module",
        unload,
    ),
    cmd(
        "module|list",
        2,
        ADMIN | NOSCRIPT,
        ADMIN_ACL,
        "server",
        "4.0.0",
        "O(N) where N is the number of loaded modules.",
        "List all modules loaded by the server",
        list,
    ),
    cmd(
        "module|load",
        -3,
        PROTECTED,
        ADMIN_ACL,
        "server",
        "4.0.0",
        "O(1)",
        "Load a module",
        load,
    ),
];

fn refused(node: &Node, c: &mut Client) -> bool {
    match protected_refusal(node, c, "MODULE", "enable-module-command") {
        Some(e) => {
            c.reply().error(&e);
            true
        }
        None => false,
    }
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "MODULE",
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    );
}

fn list(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    c.reply().array_len(0);
}

/// LOAD and LOADEX: the load fails, with Redis's log line (`Module <path> failed to load: …`)
/// and reply.
fn load(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if refused(node, c) {
        return;
    }
    node.log(
        LogLevel::Warning,
        format!(
            "Module {} failed to load: this server does not load modules",
            String::from_utf8_lossy(args[2])
        ),
    );
    c.reply().error(&ErrorReply::msg(
        "ERR Error loading the extension. Please check the server logs.",
    ));
}

fn unload(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    if refused(node, c) {
        return;
    }
    c.reply().error(&ErrorReply::msg(
        "ERR Error unloading module: no such module with that name",
    ));
}
