//! COMMAND and its subcommands: COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP, in Redis 7.0's reply
//! shapes (redis-cli 7 reads COMMAND DOCS at start for its hints).

use hashslot_keyspace::flags::{self, LOADING, STALE};
use hashslot_keyspace::glob_match;
use hashslot_keyspace::meta::{self, Arg, Begin, Find, KeySpec, Meta};
use hashslot_resp::{ErrorReply, Reply};
use hashslot_types::Now;

use super::{cmd, help_reply, Spec, SLOW_CONN};
use crate::session::Client;
use crate::table::{Entry, Table};
use crate::Node;

const F: u32 = LOADING | STALE;

/// COMMAND's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "command|count",
        2,
        F,
        SLOW_CONN,
        "server",
        "2.8.13",
        "O(1)",
        "Get total number of Redis commands",
        count,
    ),
    cmd(
        "command|info",
        -2,
        F,
        SLOW_CONN,
        "server",
        "2.8.13",
        "O(N) where N is the number of commands to look up",
        "Get array of specific Redis command details, or all when no argument is given.",
        info,
    ),
    cmd(
        "command|docs",
        -2,
        F,
        SLOW_CONN,
        "server",
        "7.0.0",
        "O(N) where N is the number of commands to look up",
        "Get array of specific Redis command documentation",
        docs,
    ),
    cmd(
        "command|list",
        -2,
        F,
        SLOW_CONN,
        "server",
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
        "Get an array of Redis command names",
        list,
    ),
    cmd(
        "command|getkeys",
        -4,
        F,
        SLOW_CONN,
        "server",
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
        "Extract keys given a full Redis command",
        getkeys,
    ),
    cmd(
        "command|getkeysandflags",
        -4,
        F,
        SLOW_CONN,
        "server",
        "7.0.0",
        "O(N) where N is the number of arguments to the command",
        "Extract keys and access flags given a full Redis command",
        getkeysandflags,
    ),
    cmd(
        "command|help",
        2,
        F,
        SLOW_CONN,
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
];

/// `COMMAND` alone: every command's info.
pub(super) fn command(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let t = node.table;
    let mut r = c.reply();
    r.array_len(t.top.len());
    for &i in &t.top {
        write_info(t, i, &mut r);
    }
}

fn count(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let n = node.table.top.len();
    c.reply().int(n as i64);
}

fn info(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if args.len() == 2 {
        return command(node, now, c, args);
    }
    let t = node.table;
    let mut r = c.reply();
    r.array_len(args.len() - 2);
    for name in &args[2..] {
        match t.find(name) {
            Some(i) => write_info(t, i, &mut r),
            None => r.null(),
        }
    }
}

/// One command's 10-element info: name, arity, flags, first/last/step, ACL categories, tips,
/// key specs, subcommands. Tips and key specs are Redis 7.0.15's own (`meta`); a command
/// redis-server does not have gets key specs derived from its legacy range.
fn write_info(t: &Table, i: usize, r: &mut Reply<'_>) {
    let e = &t.entries[i];
    r.array_len(10);
    r.bulk(e.name.as_bytes());
    r.int(i64::from(e.arity));
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(bit, _)| e.flags & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    r.set_len(names.len());
    for n in names {
        r.simple(n.as_bytes());
    }
    r.int(i64::from(e.first_key));
    r.int(i64::from(e.last_key));
    r.int(i64::from(e.key_step));
    r.set_len(e.acl_categories.len());
    for cat in e.acl_categories {
        r.simple(cat.as_bytes());
    }
    match meta::redis_meta(e.name) {
        Some(m) => {
            r.set_len(m.tips.len());
            for tip in m.tips {
                r.bulk(tip.as_bytes());
            }
            write_redis_key_specs(m.key_specs, r);
        }
        None => {
            r.set_len(0);
            write_key_specs(e, r);
        }
    }
    if e.subs.is_empty() {
        r.set_len(0);
    } else {
        r.array_len(e.subs.len());
        for &s in &e.subs {
            write_info(t, s, r);
        }
    }
}

/// A set of status replies, one per flag bit set, in table order (`addReplyCommandFlags`).
fn write_flag_set<T: Copy + std::ops::BitAnd<Output = T> + PartialEq + Default>(
    flags: T,
    names: &[(T, &str)],
    r: &mut Reply<'_>,
) {
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| flags & *bit != T::default())
        .map(|(_, n)| *n)
        .collect();
    r.set_len(set.len());
    for n in set {
        r.simple(n.as_bytes());
    }
}

/// Redis's `addReplyCommandKeySpecs`.
fn write_redis_key_specs(specs: &[KeySpec], r: &mut Reply<'_>) {
    r.set_len(specs.len());
    for s in specs {
        r.map_len(if s.notes.is_some() { 4 } else { 3 });
        if let Some(n) = s.notes {
            r.bulk(b"notes");
            r.bulk(n.as_bytes());
        }
        r.bulk(b"flags");
        write_flag_set(s.flags, meta::ks::NAMES, r);
        r.bulk(b"begin_search");
        r.map_len(2);
        r.bulk(b"type");
        match s.begin {
            Begin::Unknown => {
                r.bulk(b"unknown");
                r.bulk(b"spec");
                r.map_len(0);
            }
            Begin::Index(i) => {
                r.bulk(b"index");
                r.bulk(b"spec");
                r.map_len(1);
                r.bulk(b"index");
                r.int(i64::from(i));
            }
            Begin::Keyword(kw, from) => {
                r.bulk(b"keyword");
                r.bulk(b"spec");
                r.map_len(2);
                r.bulk(b"keyword");
                r.bulk(kw.as_bytes());
                r.bulk(b"startfrom");
                r.int(i64::from(from));
            }
        }
        r.bulk(b"find_keys");
        r.map_len(2);
        r.bulk(b"type");
        match s.find {
            Find::Unknown => {
                r.bulk(b"unknown");
                r.bulk(b"spec");
                r.map_len(0);
            }
            Find::Range {
                lastkey,
                keystep,
                limit,
            } => {
                r.bulk(b"range");
                r.bulk(b"spec");
                r.map_len(3);
                for (k, v) in [("lastkey", lastkey), ("keystep", keystep), ("limit", limit)] {
                    r.bulk(k.as_bytes());
                    r.int(i64::from(v));
                }
            }
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                r.bulk(b"keynum");
                r.bulk(b"spec");
                r.map_len(3);
                for (k, v) in [
                    ("keynumidx", keynumidx),
                    ("firstkey", firstkey),
                    ("keystep", keystep),
                ] {
                    r.bulk(k.as_bytes());
                    r.int(i64::from(v));
                }
            }
        }
    }
}

/// Key specs derived from the legacy first/last/step range, for a command redis-server does
/// not have (RO/RW from the command flags).
fn write_key_specs(e: &Entry, r: &mut Reply<'_>) {
    let movable = e.get_keys.is_some();
    if e.first_key <= 0 && !movable {
        return r.set_len(0);
    }
    r.set_len(1);
    r.map_len(3);
    r.bulk(b"flags");
    let f: &[&[u8]] = if e.flags & flags::WRITE != 0 {
        &[b"RW", b"UPDATE"]
    } else {
        &[b"RO", b"ACCESS"]
    };
    r.set_len(f.len());
    f.iter().for_each(|x| r.simple(x));
    r.bulk(b"begin_search");
    r.map_len(2);
    r.bulk(b"type");
    if movable {
        r.bulk(b"unknown");
        r.bulk(b"spec");
        r.map_len(0);
        r.bulk(b"find_keys");
        r.map_len(2);
        r.bulk(b"type");
        r.bulk(b"unknown");
        r.bulk(b"spec");
        return r.map_len(0);
    }
    r.bulk(b"index");
    r.bulk(b"spec");
    r.map_len(1);
    r.bulk(b"index");
    r.int(i64::from(e.first_key));
    r.bulk(b"find_keys");
    r.map_len(2);
    r.bulk(b"type");
    r.bulk(b"range");
    r.bulk(b"spec");
    r.map_len(3);
    r.bulk(b"lastkey");
    // A key spec's last key is relative to the first; negative counts from the end.
    r.int(if e.last_key >= 0 {
        i64::from(e.last_key - e.first_key)
    } else {
        i64::from(e.last_key)
    });
    r.bulk(b"keystep");
    r.int(i64::from(e.key_step));
    r.bulk(b"limit");
    r.int(0);
}

fn docs(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let t = node.table;
    let found: Vec<usize> = if args.len() == 2 {
        t.top.clone()
    } else {
        args[2..].iter().filter_map(|n| t.find(n)).collect()
    };
    let mut r = c.reply();
    r.map_len(found.len());
    for i in found {
        r.bulk(t.entries[i].name.as_bytes());
        write_doc(t, i, &mut r);
    }
}

/// A command's doc map (Redis's `addReplyCommandDocs`): summary, since, group, complexity,
/// then Redis 7.0.15's doc flags, deprecation, history and arguments (`meta`), and its
/// subcommands' docs.
fn write_doc(t: &Table, i: usize, r: &mut Reply<'_>) {
    let e = &t.entries[i];
    let m: Option<&Meta> = meta::redis_meta(e.name);
    let extra = m.map_or(0, |m| {
        usize::from(!m.doc_flags.is_empty())
            + usize::from(m.deprecated_since.is_some())
            + usize::from(m.replaced_by.is_some())
            + usize::from(!m.history.is_empty())
            + usize::from(m.arguments.is_some())
    });
    // Redis leaves `complexity` out when a command has none (LOLWUT).
    let complexity = usize::from(!e.complexity.is_empty());
    r.map_len(3 + complexity + extra + usize::from(!e.subs.is_empty()));
    for (k, v) in [
        ("summary", e.summary),
        ("since", e.since),
        ("group", e.group),
        ("complexity", e.complexity),
    ] {
        if k == "complexity" && v.is_empty() {
            continue;
        }
        r.bulk(k.as_bytes());
        r.bulk(v.as_bytes());
    }
    if let Some(m) = m {
        if !m.doc_flags.is_empty() {
            r.bulk(b"doc_flags");
            r.set_len(m.doc_flags.len());
            for f in m.doc_flags {
                r.simple(f.as_bytes());
            }
        }
        for (k, v) in [
            ("deprecated_since", m.deprecated_since),
            ("replaced_by", m.replaced_by),
        ] {
            if let Some(v) = v {
                r.bulk(k.as_bytes());
                r.bulk(v.as_bytes());
            }
        }
        if !m.history.is_empty() {
            r.bulk(b"history");
            r.set_len(m.history.len());
            for (since, change) in m.history {
                r.array_len(2);
                r.bulk(since.as_bytes());
                r.bulk(change.as_bytes());
            }
        }
        if let Some(args) = m.arguments {
            r.bulk(b"arguments");
            write_args(args, r);
        }
    }
    if !e.subs.is_empty() {
        r.bulk(b"subcommands");
        r.map_len(e.subs.len());
        for &s in &e.subs {
            r.bulk(t.entries[s].name.as_bytes());
            write_doc(t, s, r);
        }
    }
}

/// Redis's `addReplyCommandArgList`.
fn write_args(args: &[Arg], r: &mut Reply<'_>) {
    r.array_len(args.len());
    for a in args {
        let nested = matches!(a.kind, "oneof" | "block");
        let len = 2
            + usize::from(a.key_spec_index != -1)
            + usize::from(a.token.is_some())
            + usize::from(a.summary.is_some())
            + usize::from(a.since.is_some())
            + usize::from(a.deprecated_since.is_some())
            + usize::from(a.flags != 0)
            + usize::from(nested);
        r.map_len(len);
        r.bulk(b"name");
        r.bulk(a.name.as_bytes());
        r.bulk(b"type");
        r.bulk(a.kind.as_bytes());
        if a.key_spec_index != -1 {
            r.bulk(b"key_spec_index");
            r.int(i64::from(a.key_spec_index));
        }
        for (k, v) in [
            ("token", a.token),
            ("summary", a.summary),
            ("since", a.since),
            ("deprecated_since", a.deprecated_since),
        ] {
            if let Some(v) = v {
                r.bulk(k.as_bytes());
                r.bulk(v.as_bytes());
            }
        }
        if a.flags != 0 {
            r.bulk(b"flags");
            write_flag_set(a.flags, meta::arg::NAMES, r);
        }
        if nested {
            r.bulk(b"arguments");
            write_args(a.args, r);
        }
    }
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN glob]`.
fn list(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let t = node.table;
    let keep: Box<dyn Fn(&Entry) -> bool> = match args {
        [_, _] => Box::new(|_| true),
        [_, _, by, kind, val] if by.eq_ignore_ascii_case(b"filterby") => {
            let val = val.to_vec();
            match kind.to_ascii_lowercase().as_slice() {
                b"module" => Box::new(|_| false),
                b"aclcat" => Box::new(move |e: &Entry| {
                    e.acl_categories.iter().any(|c| {
                        c.trim_start_matches('@')
                            .as_bytes()
                            .eq_ignore_ascii_case(&val)
                    })
                }),
                b"pattern" => Box::new(move |e: &Entry| glob_match(&val, e.name.as_bytes(), true)),
                _ => return c.reply().error(&ErrorReply::Syntax),
            }
        }
        _ => return c.reply().error(&ErrorReply::Syntax),
    };
    let names: Vec<&str> = t
        .entries
        .iter()
        .filter(|e| keep(e))
        .map(|e| e.name)
        .collect();
    let mut r = c.reply();
    r.array_len(names.len());
    for n in names {
        r.bulk(n.as_bytes());
    }
}

fn getkeys(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    getkeys_impl(node.table, c, args, false);
}

/// `COMMAND GETKEYSANDFLAGS <full-command>`: each key with its key-spec flags (`RW`, `access`,
/// `update`…), as Redis 7.0 reports them.
fn getkeysandflags(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    getkeys_impl(node.table, c, args, true);
}

/// Ref: server.c getKeysSubcommandImpl and db.c getKeysFromCommandWithSpecs: key specs first
/// (unless one has variable flags), the command's own key finder when they fail. A key found by
/// a spec carries that spec's flags; one found by a key finder carries what Redis's finder
/// sets (see [`finder_flags`]).
fn getkeys_impl(t: &Table, c: &mut Client, args: &[&[u8]], with_flags: bool) {
    let cmd_args = &args[2..];
    let idx = match t.lookup(cmd_args) {
        crate::table::Lookup::Found(i) => i,
        _ => {
            return c
                .reply()
                .error(&ErrorReply::msg("ERR Invalid command specified"))
        }
    };
    let e = &t.entries[idx];
    let specs: &[KeySpec] = meta::redis_meta(e.name).map_or(&[], |m| m.key_specs);
    let has_keyspec = specs.iter().any(|s| s.flags & meta::ks::NOT_KEY == 0);
    let has_varflags = specs
        .iter()
        .any(|s| s.flags & meta::ks::VARIABLE_FLAGS != 0);
    let derived = specs.is_empty() && meta::redis_meta(e.name).is_none() && e.first_key > 0;
    if !(e.get_keys.is_some() || has_keyspec || derived) {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR The command has no key arguments"));
    }
    if !t.arity_ok(idx, cmd_args.len()) {
        return c.reply().error(&ErrorReply::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let by_specs = if has_keyspec && !has_varflags {
        keys_by_specs(specs, cmd_args)
    } else {
        None
    };
    let keys: Vec<(usize, u16)> = match by_specs {
        Some(k) => k,
        // SET and BITFIELD (variable flags) have a legacy range and Redis a key finder.
        None if derived || e.get_keys.is_some() || has_varflags => {
            let mut k = Vec::new();
            t.key_positions(idx, cmd_args, &mut k);
            let flags = finder_flags(e.name, cmd_args, &k);
            k.into_iter().zip(flags).collect()
        }
        None => Vec::new(),
    };
    if keys.is_empty() {
        if e.flags & flags::NO_MANDATORY_KEYS != 0 {
            c.reply().array_len(0);
            return;
        }
        return c.reply().error(&ErrorReply::msg(
            "ERR Invalid arguments specified for command",
        ));
    }
    let mut r = c.reply();
    r.array_len(keys.len());
    for (k, f) in keys {
        if with_flags {
            r.array_len(2);
            r.bulk(cmd_args[k]);
            write_flag_set(f, meta::ks::NAMES, &mut r);
        } else {
            r.bulk(cmd_args[k]);
        }
    }
}

/// Redis's `getKeysUsingKeySpecs`: the keys of every spec (not `not_key`), in spec order, each
/// with its spec's flags; `None` when a spec cannot be followed (Redis then falls back to the
/// command's key finder).
fn keys_by_specs(specs: &[KeySpec], argv: &[&[u8]]) -> Option<Vec<(usize, u16)>> {
    let mut out = Vec::new();
    for spec in specs {
        if spec.flags & meta::ks::NOT_KEY != 0 {
            continue;
        }
        let found = meta::key_positions_by_specs(std::slice::from_ref(spec), argv)?;
        out.extend(found.into_iter().map(|p| (p, spec.flags)));
    }
    Some(out)
}

/// The flags Redis 7.0.15's own key finders (db.c `*GetKeys`) give the keys at `pos`: only
/// the finders of commands whose specs are incomplete or have variable flags set any; the
/// others (and legacy ranges) report none.
fn finder_flags(name: &str, argv: &[&[u8]], pos: &[usize]) -> Vec<u16> {
    use meta::ks::{ACCESS, DELETE, OW, RO, RW, UPDATE};
    let flags: Vec<u16> = match name {
        // setGetKeys: a `GET` argument makes it a read too.
        "set" => {
            let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
            vec![if get {
                RW | ACCESS | UPDATE
            } else {
                OW | UPDATE
            }]
        }
        // bitfieldGetKeys: read-only unless a SET/INCRBY (or a syntax error) comes first.
        "bitfield" => {
            let mut readonly = true;
            let mut i = 2;
            while i < argv.len() {
                let rem = argv.len() - i - 1;
                let a = argv[i];
                if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
                    i += 3;
                } else if (a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby"))
                    && rem >= 3
                {
                    readonly = false;
                    break;
                } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
                    i += 2;
                } else {
                    readonly = false;
                    break;
                }
            }
            vec![if readonly {
                RO | ACCESS
            } else {
                RW | ACCESS | UPDATE
            }]
        }
        // sortGetKeys: the sorted key is read; a STORE destination is overwritten.
        "sort" => vec![RO | ACCESS, OW | UPDATE],
        "sort_ro" => vec![RO | ACCESS],
        "migrate" => vec![RW | ACCESS | DELETE; pos.len()],
        _ => Vec::new(),
    };
    (0..pos.len())
        .map(|i| flags.get(i).copied().unwrap_or(0))
        .collect()
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
}
