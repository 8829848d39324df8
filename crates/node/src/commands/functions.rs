//! FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/KILL/HELP and FCALL / FCALL_RO, as
//! Redis 7.0 replies. Libraries are data: LOAD, DELETE, FLUSH and RESTORE go to the AOF and
//! replicas as they were sent. Ref: Redis 7.0 `functions.c`.

use hashslot_keyspace::flags::{
    ALLOW_BUSY, DENYOOM, LOADING, MOVABLE_KEYS, NOSCRIPT, NO_MANDATORY_KEYS, READONLY,
    SKIP_MONITOR, STALE, WRITE,
};
use hashslot_keyspace::{glob_match, CommandSpec};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::scripting::{numkeys_at_2, prepare_refusal};
use super::{cmd, help_reply, parse_i64, Spec};
use crate::scripting::run::RunOpts;
use crate::session::Client;
use crate::{LogLevel, Node};

const ACL: &[&str] = &["@slow", "@scripting"];
const W_ACL: &[&str] = &["@write", "@slow", "@scripting"];
const G: &str = "scripting";
const FCALL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLE_KEYS;

pub(super) const FCALL: Spec = CommandSpec {
    get_keys: Some(numkeys_at_2),
    ..cmd(
        "fcall",
        -3,
        FCALL_FLAGS,
        ACL,
        G,
        "7.0.0",
        "Depends on the function that is executed.",
        "Invoke a function",
        fcall,
    )
};
pub(super) const FCALL_RO: Spec = CommandSpec {
    get_keys: Some(numkeys_at_2),
    ..cmd(
        "fcall_ro",
        -3,
        FCALL_FLAGS | READONLY,
        ACL,
        G,
        "7.0.0",
        "Depends on the function that is executed.",
        "Invoke a read-only function",
        fcall_ro,
    )
};

/// FUNCTION's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "function|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        ACL,
        G,
        "7.0.0",
        "O(1)",
        "Kill the function currently in execution.",
        function_kill,
    ),
    cmd(
        "function|delete",
        3,
        WRITE | NOSCRIPT,
        W_ACL,
        G,
        "7.0.0",
        "O(1)",
        "Delete a function by name",
        function_delete,
    ),
    cmd(
        "function|dump",
        2,
        NOSCRIPT,
        ACL,
        G,
        "7.0.0",
        "O(N) where N is the number of functions",
        "Dump all functions into a serialized binary payload",
        function_dump,
    ),
    cmd(
        "function|load",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        W_ACL,
        G,
        "7.0.0",
        "O(1) (considering compilation time is redundant)",
        "Create a function with the given arguments (name, code, description)",
        function_load,
    ),
    cmd(
        "function|flush",
        -2,
        WRITE | NOSCRIPT,
        W_ACL,
        G,
        "7.0.0",
        "O(N) where N is the number of functions deleted",
        "Deleting all functions",
        function_flush,
    ),
    cmd(
        "function|help",
        2,
        LOADING | STALE,
        ACL,
        G,
        "7.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        function_help,
    ),
    cmd(
        "function|list",
        -2,
        NOSCRIPT,
        ACL,
        G,
        "7.0.0",
        "O(N) where N is the number of functions",
        "List information about all the functions",
        function_list,
    ),
    cmd(
        "function|restore",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        W_ACL,
        G,
        "7.0.0",
        "O(N) where N is the number of functions on the payload",
        "Restore all the functions on the given payload",
        function_restore,
    ),
    cmd(
        "function|stats",
        2,
        NOSCRIPT | ALLOW_BUSY,
        ACL,
        G,
        "7.0.0",
        "O(1)",
        "Return information about the function currently running (name, description, duration)",
        function_stats,
    ),
];

fn fcall(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    node.fcall_generic(now, c, args, false);
}

fn fcall_ro(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    node.fcall_generic(now, c, args, true);
}

fn err(c: &mut Client, text: impl Into<String>) {
    c.reply().error(&ErrorReply::msg(text.into()));
}

impl Node {
    /// FCALL / FCALL_RO. Ref: functions.c `fcallCommandGeneric`.
    fn fcall_generic(&mut self, now: Now, c: &mut Client, args: &[&[u8]], ro: bool) {
        self.feed_monitors_script(now, c, args);
        let name = String::from_utf8_lossy(args[1]).into_owned();
        let Some(f) = self.scripting.libs.function(&name).cloned() else {
            return err(c, "ERR Function not found");
        };
        let Some(numkeys) = parse_i64(args[2]) else {
            return err(c, "ERR Bad number of keys provided");
        };
        if numkeys > (args.len() - 3) as i64 {
            return err(c, "ERR Number of keys can't be greater than number of args");
        }
        if numkeys < 0 {
            return err(c, "ERR Number of keys can't be negative");
        }
        if let Some(e) = prepare_refusal(self, Some(f.flags), ro) {
            return err(c, e);
        }
        let opts = RunOpts {
            read_only: ro || f.flags.no_writes,
            allow_cross_slot: f.flags.allow_cross_slot,
            name: f.name.clone(),
        };
        let n = numkeys as usize;
        let env = self.scripting.libs.env.clone();
        self.run_script(
            now,
            c,
            &env,
            &f.func,
            &args[3..3 + n],
            &args[3 + n..],
            false,
            opts,
        );
    }

    /// A FUNCTION command that changed the libraries: count it and send it on as it came.
    fn functions_changed(&mut self, now: Now, c: &Client, args: &[&[u8]], start: usize) {
        self.dirty += 1;
        self.propagate(now, c.db, args, &c.out[start..]);
    }
}

fn function_load(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut replace = false;
    let mut pos = 2;
    while pos < args.len() - 1 {
        let a = args[pos];
        pos += 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        return err(
            c,
            format!("ERR Unknown option given: {}", String::from_utf8_lossy(a)),
        );
    }
    if pos >= args.len() {
        return err(c, "ERR Function code is missing");
    }
    let (result, logs) = node.scripting.libs.load(args[pos], replace);
    for (level, msg) in logs {
        let level = match level {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            2 => LogLevel::Notice,
            _ => LogLevel::Warning,
        };
        node.log(level, msg);
    }
    match result {
        Ok(name) => {
            let start = c.out.len();
            c.reply().bulk(name.as_bytes());
            node.functions_changed(now, c, args, start);
        }
        Err(e) => err(c, e),
    }
}

fn function_delete(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let name = String::from_utf8_lossy(args[2]).into_owned();
    if !node.scripting.libs.delete(&name) {
        return err(c, "ERR Library not found");
    }
    let start = c.out.len();
    c.reply().ok();
    node.functions_changed(now, c, args, start);
}

fn function_flush(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let ok = match args.len() {
        2 => true,
        3 => args[2].eq_ignore_ascii_case(b"sync") || args[2].eq_ignore_ascii_case(b"async"),
        _ => false,
    };
    if !ok {
        return err(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    let rand = node.scripting.rand();
    node.scripting.libs.flush(rand);
    let start = c.out.len();
    c.reply().ok();
    node.functions_changed(now, c, args, start);
}

fn function_list(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let (mut with_code, mut pattern): (bool, Option<&[u8]>) = (false, None);
    let mut i = 2;
    while i < args.len() {
        let a = args[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= args.len() - 1 {
                return err(c, "ERR library name argument was not given");
            }
            i += 1;
            pattern = Some(args[i]);
        } else {
            return err(
                c,
                format!("ERR Unknown argument {}", String::from_utf8_lossy(a)),
            );
        }
        i += 1;
    }
    let libs: Vec<_> = node
        .scripting
        .libs
        .libs
        .values()
        .filter(|l| pattern.map_or(true, |p| glob_match(p, l.name.as_bytes(), false)))
        .collect();
    let mut r = c.reply();
    r.array_len(libs.len());
    for l in libs {
        r.map_len(if with_code { 4 } else { 3 });
        r.bulk(b"library_name");
        r.bulk(l.name.as_bytes());
        r.bulk(b"engine");
        r.bulk(b"LUA");
        r.bulk(b"functions");
        r.array_len(l.functions.len());
        for f in l.functions.values() {
            r.map_len(3);
            r.bulk(b"name");
            r.bulk(f.name.as_bytes());
            r.bulk(b"description");
            match &f.desc {
                Some(d) => r.bulk(d),
                None => r.null(),
            }
            r.bulk(b"flags");
            let names = f.flags.names();
            r.set_len(names.len());
            for n in names {
                r.simple(n.as_bytes());
            }
        }
        if with_code {
            r.bulk(b"library_code");
            r.bulk(&l.code);
        }
    }
}

fn function_dump(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let payload = hashslot_persist::function_dump_payload(
        node.scripting.libs.libs.values().map(|l| l.code.as_slice()),
    );
    c.reply().bulk(&payload);
}

fn function_restore(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if args.len() > 4 {
        return err(c, "ERR Wrong number of arguments");
    }
    let policy = match args.get(3) {
        None => "append".to_owned(),
        Some(p) => {
            let p = String::from_utf8_lossy(p).to_ascii_lowercase();
            if !matches!(p.as_str(), "flush" | "append" | "replace") {
                return err(
                    c,
                    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or \
                     REPLACE.",
                );
            }
            p
        }
    };
    let codes = match hashslot_persist::function_restore_payload(args[2]) {
        Ok(codes) => codes,
        Err(e) => return err(c, e.to_string()),
    };
    let rand = node.scripting.rand();
    if let Err(e) = node.scripting.libs.restore(&codes, &policy, rand) {
        return err(c, e);
    }
    let start = c.out.len();
    c.reply().ok();
    node.functions_changed(now, c, args, start);
}

fn function_stats(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let libs = node.scripting.libs.len();
    let funcs = node.scripting.libs.function_count();
    let mut r = c.reply();
    r.map_len(2);
    r.bulk(b"running_script");
    r.null();
    r.bulk(b"engines");
    r.map_len(1);
    r.bulk(b"LUA");
    r.map_len(2);
    r.bulk(b"libraries_count");
    r.int(libs as i64);
    r.bulk(b"functions_count");
    r.int(funcs as i64);
}

fn function_kill(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    // A function runs to its end inside one input here: none is running when this is read.
    err(c, "NOTBUSY No scripts in execution right now.");
}

fn function_help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
}
