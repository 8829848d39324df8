//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/DEBUG/HELP, as Redis
//! 7.0 replies. Ref: Redis 7.0 `eval.c` (`evalGenericCommand`, `scriptCommand`),
//! `script.c` (`scriptPrepareForRun`).

use hashslot_keyspace::flags::{
    ALLOW_BUSY, LOADING, MOVABLE_KEYS, NOSCRIPT, NO_MANDATORY_KEYS, READONLY, SKIP_MONITOR, STALE,
};
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, help_reply, parse_i64, Spec};
use crate::scripting::run::RunOpts;
use crate::scripting::{sha1_hex, shebang, Script};
use crate::session::Client;
use crate::Node;

const ACL: &[&str] = &["@slow", "@scripting"];
const G: &str = "scripting";
const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLE_KEYS;

/// Key positions of EVAL-like commands: `numkeys` at 2, the keys after it (none when
/// `numkeys` is not a valid count). Ref: db.c `evalGetKeys`.
pub(crate) fn numkeys_at_2(argv: &[&[u8]], out: &mut Vec<usize>) {
    let Some(n) = argv.get(2).and_then(|a| parse_i64(a)) else {
        return;
    };
    let Ok(n) = usize::try_from(n) else { return };
    if n > argv.len().saturating_sub(3) {
        return;
    }
    out.extend(3..3 + n);
}

const fn eval_spec(
    name: &'static str,
    flags: u32,
    since: &'static str,
    summary: &'static str,
    h: super::NodeHandler,
) -> Spec {
    CommandSpec {
        get_keys: Some(numkeys_at_2),
        ..cmd(
            name,
            -3,
            flags,
            ACL,
            G,
            since,
            "Depends on the script that is executed.",
            summary,
            h,
        )
    }
}

pub(super) const EVAL: Spec = eval_spec(
    "eval",
    EVAL_FLAGS,
    "2.6.0",
    "Execute a Lua script server side",
    eval,
);
pub(super) const EVALSHA: Spec = eval_spec(
    "evalsha",
    EVAL_FLAGS,
    "2.6.0",
    "Execute a Lua script server side",
    evalsha,
);
pub(super) const EVAL_RO: Spec = eval_spec(
    "eval_ro",
    EVAL_FLAGS | READONLY,
    "7.0.0",
    "Execute a read-only Lua script server side",
    eval_ro,
);
pub(super) const EVALSHA_RO: Spec = eval_spec(
    "evalsha_ro",
    EVAL_FLAGS | READONLY,
    "7.0.0",
    "Execute a read-only Lua script server side",
    evalsha_ro,
);

/// SCRIPT's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd("script|kill", 2, NOSCRIPT | ALLOW_BUSY, ACL, G, "2.6.0", "O(1)", "Kill the script currently in execution.", script_kill),
    cmd("script|debug", 3, NOSCRIPT, ACL, G, "3.2.0", "O(1)", "Set the debug mode for executed scripts.", script_debug),
    cmd("script|exists", -3, NOSCRIPT, ACL, G, "2.6.0", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "Check existence of scripts in the script cache.", script_exists),
    cmd("script|load", 3, NOSCRIPT | STALE, ACL, G, "2.6.0", "O(N) with N being the length in bytes of the script body.", "Load the specified Lua script into the script cache.", script_load),
    cmd("script|flush", -2, NOSCRIPT, ACL, G, "2.6.0", "O(N) with N being the number of scripts in cache", "Remove all the scripts from the script cache.", script_flush),
    cmd("script|help", 2, LOADING | STALE, ACL, G, "5.0.0", "O(1)", "Show helpful text about the different subcommands", script_help),
];

fn eval(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    node.eval_generic(now, c, args, false, false);
}

fn evalsha(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    node.eval_generic(now, c, args, true, false);
}

fn eval_ro(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    node.eval_generic(now, c, args, false, true);
}

fn evalsha_ro(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    node.eval_generic(now, c, args, true, true);
}

/// Why a script may not run now (Redis's `scriptPrepareForRun`), for a script with `flags`
/// (`None`: no shebang) run by a `*_RO` command or not.
pub(crate) fn prepare_refusal(
    node: &Node,
    flags: Option<shebang::Flags>,
    ro: bool,
) -> Option<&'static str> {
    let f = flags?;
    if f.no_cluster && node.config.cluster_enabled {
        return Some("ERR Can not run script on cluster, 'no-cluster' flag is set.");
    }
    if !f.no_writes {
        if node.repl.is_replica() && node.config.get("replica-read-only").as_deref() != Some("no") {
            return Some("READONLY Can not run script with write flag on readonly replica");
        }
        if ro {
            return Some("ERR Can not execute a script with write flag using *_ro command.");
        }
    }
    None
}

impl Node {
    /// Compile `body` into the script cache (if not there yet); returns its SHA1, or the
    /// error to reply.
    fn script_create(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripting.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, skip) = match shebang::eval_flags(body) {
            Ok(Some((f, len))) => (Some(f), len),
            Ok(None) => (None, 0),
            Err(e) => return Err(format!("ERR {e}")),
        };
        let func = self
            .scripting
            .env
            .compile(&body[skip..])
            .map_err(|e| format!("ERR Error compiling script (new function): {e}"))?;
        self.scripting.scripts.insert(
            sha.clone(),
            Script {
                body: body.to_vec(),
                flags,
                func,
            },
        );
        Ok(sha)
    }

    /// EVAL / EVALSHA and their `_RO` forms. Ref: eval.c `evalGenericCommand`.
    fn eval_generic(&mut self, now: Now, c: &mut Client, args: &[&[u8]], by_sha: bool, ro: bool) {
        self.feed_monitors_script(now, c, args);
        let Some(numkeys) = parse_i64(args[2]) else {
            return c.reply().error(&ErrorReply::msg(
                "ERR value is not an integer or out of range",
            ));
        };
        if numkeys > (args.len() - 3) as i64 {
            return c.reply().error(&ErrorReply::msg(
                "ERR Number of keys can't be greater than number of args",
            ));
        }
        if numkeys < 0 {
            return c
                .reply()
                .error(&ErrorReply::msg("ERR Number of keys can't be negative"));
        }
        let sha = if by_sha {
            let sha = String::from_utf8_lossy(args[1]).to_ascii_lowercase();
            if !self.scripting.scripts.contains_key(&sha) {
                return c.reply().error(&ErrorReply::msg(
                    "NOSCRIPT No matching script. Please use EVAL.",
                ));
            }
            sha
        } else {
            match self.script_create(args[1]) {
                Ok(sha) => sha,
                Err(e) => return c.reply().error(&ErrorReply::msg(e)),
            }
        };
        // The compiled function and flags only: the body stays in the cache.
        let (func, shebang) = {
            let s = &self.scripting.scripts[&sha];
            (s.func.clone(), s.flags)
        };
        if let Some(err) = prepare_refusal(self, shebang, ro) {
            return c.reply().error(&ErrorReply::msg(err));
        }
        let flags = shebang.unwrap_or_default();
        let opts = RunOpts {
            read_only: ro || flags.no_writes,
            allow_cross_slot: shebang.is_none() || flags.allow_cross_slot,
            name: sha,
        };
        let n = numkeys as usize;
        let env = self.scripting.env.clone();
        self.run_script(
            now,
            c,
            &env,
            &func,
            &args[3..3 + n],
            &args[3 + n..],
            true,
            opts,
        );
    }
}

fn script_kill(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    // A script runs to its end inside one input here: none is ever running when a command
    // can be read.
    c.reply().error(&ErrorReply::msg(
        "NOTBUSY No scripts in execution right now.",
    ));
}

fn script_debug(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let mode = args[2].to_ascii_lowercase();
    match mode.as_slice() {
        b"no" => c.reply().ok(),
        b"yes" | b"sync" => c.reply().error(&ErrorReply::msg(
            "ERR The Lua debugger (SCRIPT DEBUG YES|SYNC) is not supported by this server",
        )),
        _ => c
            .reply()
            .error(&ErrorReply::msg("ERR Use SCRIPT DEBUG YES/SYNC/NO")),
    }
}

fn script_exists(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let found: Vec<bool> = args[2..]
        .iter()
        .map(|a| {
            let sha = String::from_utf8_lossy(a).to_ascii_lowercase();
            node.scripting.scripts.contains_key(&sha)
        })
        .collect();
    let mut r = c.reply();
    r.array_len(found.len());
    for f in found {
        r.int(i64::from(f));
    }
}

fn script_load(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    match node.script_create(args[2]) {
        Ok(sha) => c.reply().bulk(sha.as_bytes()),
        Err(e) => c.reply().error(&ErrorReply::msg(e)),
    }
}

fn script_flush(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let ok = match args.get(2) {
        None => args.len() == 2,
        Some(m) => {
            args.len() == 3 && (m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async"))
        }
    };
    if !ok {
        return c.reply().error(&ErrorReply::msg(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    node.scripting.flush_scripts();
    c.reply().ok();
}

fn script_help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
}
