//! ACL subcommands: SETUSER, GETUSER, DELUSER, USERS, LIST, WHOAMI, CAT, GENPASS, LOG, DRYRUN,
//! LOAD, SAVE, HELP. Ref: acl.c aclCommand (7.0).

use hashslot_keyspace::flags::{ADMIN, LOADING, NOSCRIPT, STALE};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, help_reply, parse_i64, Spec, ADMIN_ACL};
use crate::acl::{self, Denied};
use crate::session::Client;
use crate::table::Lookup;
use crate::{LogLevel, Node};

const F: u32 = NOSCRIPT | LOADING | STALE;
const AF: u32 = ADMIN | F;
const SLOW: &[&str] = &["@slow"];
const USERS_N: &str = "O(N). Where N is the number of configured users.";

/// ACL's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "acl|cat",
        -2,
        F,
        SLOW,
        "server",
        "6.0.0",
        "O(1) since the categories and commands are a fixed set.",
        "List the ACL categories or the commands inside a category",
        cat,
    ),
    cmd(
        "acl|deluser",
        -3,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        "O(1) amortized time considering the typical user.",
        "Remove the specified ACL users and the associated rules",
        deluser,
    ),
    cmd(
        "acl|dryrun",
        -4,
        AF,
        ADMIN_ACL,
        "server",
        "7.0.0",
        "O(1).",
        "Returns whether the user can execute the given command without executing the command.",
        dryrun,
    ),
    cmd(
        "acl|genpass",
        -2,
        F,
        SLOW,
        "server",
        "6.0.0",
        "O(1)",
        "Generate a pseudorandom secure password to use for ACL users",
        genpass,
    ),
    cmd(
        "acl|getuser",
        3,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        "O(N). Where N is the number of password, command and pattern rules that the user has.",
        "Get the rules for a specific ACL user",
        getuser,
    ),
    cmd(
        "acl|help",
        2,
        LOADING | STALE,
        SLOW,
        "server",
        "6.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
    cmd(
        "acl|list",
        2,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        USERS_N,
        "List the current ACL rules in ACL config file format",
        list,
    ),
    cmd(
        "acl|load",
        2,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        USERS_N,
        "Reload the ACLs from the configured ACL file",
        load_save,
    ),
    cmd(
        "acl|log",
        -2,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        "O(N) with N being the number of entries shown.",
        "List latest events denied because of ACLs in place",
        log,
    ),
    cmd(
        "acl|save",
        2,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        USERS_N,
        "Save the current ACL rules in the configured ACL file",
        load_save,
    ),
    cmd(
        "acl|setuser",
        -3,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        "O(N). Where N is the number of rules provided.",
        "Modify or create the rules for a specific ACL user",
        setuser,
    ),
    cmd(
        "acl|users",
        2,
        AF,
        ADMIN_ACL,
        "server",
        "6.0.0",
        USERS_N,
        "List the username of all the configured ACL rules",
        users,
    ),
    cmd(
        "acl|whoami",
        2,
        F,
        SLOW,
        "server",
        "6.0.0",
        "O(1)",
        "Return the name of the user associated to the current connection",
        whoami,
    ),
];

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try ACL HELP.`
fn syntax_error(c: &mut Client, args: &[&[u8]]) {
    let sub = acl::c_text(&args[1][..args[1].len().min(128)]);
    let text = format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        acl::c_text(args[0]).to_ascii_uppercase()
    );
    c.reply().error(&ErrorReply::msg(text));
}

/// `acl-pubsub-default allchannels`: new users may use every channel.
fn allchannels_default(node: &Node) -> bool {
    node.config.get("acl-pubsub-default").as_deref() == Some("allchannels")
}

fn setuser(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let name = args[2];
    if acl::has_spaces(name) {
        return c.reply().error(&ErrorReply::msg(
            "ERR Usernames can't contain spaces or null characters",
        ));
    }
    let old = node.acl.user(name).cloned();
    let all = allchannels_default(node);
    match node.acl.set_user(name, &args[3..], all) {
        Ok(warnings) => {
            for w in warnings {
                node.log(LogLevel::Warning, w);
            }
            if let Some(old) = old {
                node.acl_kill_pubsub_clients(&old, c);
            }
            c.reply().ok();
        }
        Err(text) => c.reply().error(&ErrorReply::msg(format!("ERR {text}"))),
    }
}

fn deluser(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if args[2..].contains(&acl::DEFAULT_USER) {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR The 'default' user cannot be removed"));
    }
    let mut deleted = 0;
    for name in &args[2..] {
        if node.acl.remove_user(name) {
            node.acl_kill_user_clients(name, c);
            deleted += 1;
        }
    }
    c.reply().int(deleted);
}

/// ACL GETUSER's `commands`, `keys` and `channels` of one selector.
fn selector_fields(r: &mut hashslot_resp::Reply<'_>, s: &acl::Selector) {
    r.bulk(b"commands");
    r.bulk(&acl::command_rules(s));
    r.bulk(b"keys");
    r.bulk(&acl::keys_text(s));
    r.bulk(b"channels");
    r.bulk(&acl::channels_text(s));
}

fn getuser(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let Some(u) = node.acl.user(args[2]) else {
        return c.reply().null();
    };
    let mut r = c.reply();
    r.map_len(6);
    r.bulk(b"flags");
    let flags = acl::flag_names(u);
    r.set_len(flags.len());
    for f in flags {
        r.bulk(f.as_bytes());
    }
    r.bulk(b"passwords");
    r.array_len(u.passwords.len());
    for p in &u.passwords {
        r.bulk(p.as_bytes());
    }
    selector_fields(&mut r, u.root());
    r.bulk(b"selectors");
    r.array_len(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        r.map_len(3);
        selector_fields(&mut r, s);
    }
}

fn users(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let mut r = c.reply();
    r.array_len(node.acl.users().count());
    for u in node.acl.users() {
        r.bulk(&u.name);
    }
}

fn list(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let mut r = c.reply();
    r.array_len(node.acl.users().count());
    for u in node.acl.users() {
        r.bulk(&acl::user_line(u));
    }
}

fn whoami(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    if c.is_master_client() {
        return c.reply().null();
    }
    let name = c.user.clone();
    c.reply().bulk(&name);
}

/// ACL LOAD and ACL SAVE: Redis's refusal without `aclfile`; else the driver reads or writes
/// the file and `acl::file` finishes the command.
fn load_save(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let Some(path) = node.aclfile() else {
        return c.reply().error(&ErrorReply::msg(
            "ERR This Redis instance is not configured to use an ACL file. You may want to \
             specify users via the ACL SETUSER command and then issue a CONFIG REWRITE \
             (assuming you have a Redis configuration file set) in order to store users in the \
             Redis configuration.",
        ));
    };
    if args[1].eq_ignore_ascii_case(b"load") {
        node.acl_load_start(c, path);
    } else {
        node.acl_save_start(c, path);
    }
}

fn cat(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    match args {
        [_, _] => {
            let mut r = c.reply();
            r.array_len(acl::CATEGORIES.len());
            for name in acl::CATEGORIES {
                r.bulk(name.as_bytes());
            }
        }
        [_, _, name] => {
            let Some(cat) = acl::category_by_name(name) else {
                let text = format!(
                    "ERR Unknown category '{}'",
                    acl::c_text(&name[..name.len().min(128)])
                );
                return c.reply().error(&ErrorReply::msg(text));
            };
            let masks = acl::entry_masks();
            let names: Vec<&str> = node
                .table
                .entries
                .iter()
                .zip(masks)
                .filter(|(_, m)| *m & (1 << cat) != 0)
                .map(|(e, _)| e.name)
                .collect();
            let mut r = c.reply();
            r.array_len(names.len());
            for n in names {
                r.bulk(n.as_bytes());
            }
        }
        _ => syntax_error(c, args),
    }
}

/// Redis's `GENPASS_MAX_BITS`.
const GENPASS_MAX_BITS: i64 = 4096;

fn genpass(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let bits = match args {
        [_, _] => 256,
        [_, _, b] => match parse_i64(b) {
            Some(n) => n,
            None => {
                return c.reply().error(&ErrorReply::msg(
                    "ERR value is not an integer or out of range",
                ))
            }
        },
        _ => return syntax_error(c, args),
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return c.reply().error(&ErrorReply::msg(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {GENPASS_MAX_BITS}"
        )));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut raw = vec![0u8; chars.div_ceil(2)];
    node.acl.rng.fill_bytes(&mut raw);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pass: Vec<u8> = raw
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .collect();
    pass.truncate(chars);
    c.reply().bulk(&pass);
}

fn log(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut count: i64 = 10;
    match args {
        [_, _] => {}
        [_, _, a] if a.eq_ignore_ascii_case(b"reset") => {
            node.acl.log.entries.clear();
            return c.reply().ok();
        }
        [_, _, a] => match parse_i64(a) {
            Some(n) => count = n.max(0),
            None => {
                return c.reply().error(&ErrorReply::msg(
                    "ERR value is not an integer or out of range",
                ))
            }
        },
        _ => return syntax_error(c, args),
    }
    let n = (count as usize).min(node.acl.log.entries.len());
    let mut r = c.reply();
    r.array_len(n);
    for e in node.acl.log.entries.iter().take(n) {
        r.map_len(7);
        r.bulk(b"count");
        r.int(e.count as i64);
        r.bulk(b"reason");
        r.bulk(e.reason.name().as_bytes());
        r.bulk(b"context");
        r.bulk(e.context.as_bytes());
        r.bulk(b"object");
        r.bulk(&e.object);
        r.bulk(b"username");
        r.bulk(&e.username);
        r.bulk(b"age-seconds");
        r.double((now.wall.0 - e.ctime) as f64 / 1000.0);
        r.bulk(b"client-info");
        r.bulk(e.client_info.as_bytes());
    }
}

fn dryrun(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let Some(u) = node.acl.user(args[2]) else {
        let text = format!("ERR User '{}' not found", acl::c_text(args[2]));
        return c.reply().error(&ErrorReply::msg(text));
    };
    let cmd_args = &args[3..];
    let Lookup::Found(idx) = node.table.lookup(cmd_args) else {
        let text = format!("ERR Command '{}' not found", acl::c_text(args[3]));
        return c.reply().error(&ErrorReply::msg(text));
    };
    let name = node.table.entries[idx].name;
    if !node.table.arity_ok(idx, cmd_args.len()) {
        let text = format!("ERR wrong number of arguments for '{name}' command");
        return c.reply().error(&ErrorReply::msg(text));
    }
    let text = match acl::check(u, idx, cmd_args) {
        Ok(()) => return c.reply().ok(),
        Err(Denied::Command) => format!("This user has no permissions to run the '{name}' command"),
        Err(Denied::Key(p)) => format!(
            "This user has no permissions to access the '{}' key",
            acl::c_text(cmd_args[p])
        ),
        Err(Denied::Channel(p)) => format!(
            "This user has no permissions to access the '{}' channel",
            acl::c_text(cmd_args[p])
        ),
    };
    c.reply().bulk(text.as_bytes());
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}
