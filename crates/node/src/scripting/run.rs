//! Running one script or function: `redis.call` through the node's normal `call` as a script
//! client, Redis's checks before each command, propagation of the writes, and the reply.
//!
//! Ref: Redis 7.0 `script.c` (`scriptPrepareForRun`, `scriptCall`, `scriptVerify*`),
//! `script_lua.c` (`luaRedisGenericCommand`, `luaCallFunction`).

use std::cell::RefCell;

use hashslot_keyspace::flags;
use hashslot_resp::{ErrorReply, Proto};
use hashslot_types::{ConnId, Now};
use mlua::{Function, Lua, MultiValue, Value};
use smallvec::SmallVec;

use super::convert::{arg_number_text, error_table, lua_to_reply, reply_to_lua};
use super::env::{
    raise_msg, to_number, tostring_bytes, LuaEnv, OP_ACL_CHECK, OP_CALL, OP_LOG, OP_PCALL,
    OP_SETRESP, OP_SET_REPL,
};
use crate::session::Client;
use crate::table::Lookup;
use crate::{LogLevel, Node};

/// The connection id of the script client (never a real connection).
pub(crate) const SCRIPT_CLIENT_CONN: ConnId = ConnId(u64::MAX - 11);

/// How a script runs.
#[derive(Debug, Clone)]
pub(crate) struct RunOpts {
    /// Write commands are refused (`*_RO`, `no-writes`).
    pub read_only: bool,
    /// Keys of several slots may be touched (no shebang, or `allow-cross-slot-keys`).
    pub allow_cross_slot: bool,
    /// Name shown in error positions: the SHA1 of an EVAL script, a function's name.
    pub name: String,
}

/// What a script's callback sees while it runs.
struct RunState<'n, 'c> {
    node: &'n mut Node,
    /// The client that ran the script (the ACL log shows it, as Redis's `script_caller`).
    caller: &'c Client,
    now: Now,
    client: Client,
    opts: RunOpts,
    /// The slot of the first key a command touched (cross-slot check).
    slot: Option<u16>,
    resp3: bool,
    /// The arguments of the `redis.call` being run, end to end (kept for the next call).
    argbuf: Vec<u8>,
}

impl Node {
    /// Run `func` of `env` for `caller`: EVAL sets `KEYS`/`ARGV` as globals (`args_as_globals`),
    /// a function gets them as its two parameters. Writes the reply to `caller`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_script(
        &mut self,
        now: Now,
        caller: &mut Client,
        env: &LuaEnv,
        func: &Function,
        keys: &[&[u8]],
        args: &[&[u8]],
        args_as_globals: bool,
        opts: RunOpts,
    ) {
        let lua = &env.lua;
        let client = self.scripting.take_client(caller, now);
        let limit = self.script_time_limit();
        env.arm_time_limit(&self.timing.stopwatch, limit);
        // The writes of one script reach the AOF and replicas as one MULTI/EXEC (inside an
        // EXEC the transaction's own wrap already holds them).
        let wrap = !caller.in_exec;
        if wrap {
            self.propagate_exec_begin();
        }
        let argbuf = std::mem::take(&mut self.scripting.argbuf);
        let st = RefCell::new(RunState {
            node: self,
            caller: &*caller,
            now,
            client,
            opts,
            // The slot of the declared keys (one, or routing refused them) is the script's
            // slot (Redis's `original_c->slot`).
            slot: keys.first().map(|k| hashslot_slots::key_slot(k).get()),
            resp3: false,
            argbuf,
        });
        let result = lua.scope(|scope| {
            let ctl = scope.create_function_mut(|lua, args: MultiValue| control(&st, lua, args))?;
            env.run(&ctl, func, args_as_globals, keys, args)
        });
        env.disarm_time_limit();
        let st = st.into_inner();
        let resp3 = st.resp3;
        let node = st.node;
        let name = st.opts.name;
        node.scripting.put_client(st.client);
        node.scripting.argbuf = st.argbuf;
        let start = caller.out.len();
        match result {
            Ok(Ok(v)) => {
                let mut r = caller.reply();
                if lua_to_reply(&v, &mut r, resp3).is_err() {
                    caller.out.truncate(start);
                    caller
                        .reply()
                        .error(&ErrorReply::msg("ERR reached lua stack limit"));
                }
            }
            Ok(Err(e)) => {
                let text = error_reply_text(&e, &name);
                caller.reply().error(&ErrorReply::msg(text));
            }
            Err(e) => {
                caller.reply().error(&ErrorReply::msg(format!(
                    "ERR Error running script {name}, {e}"
                )));
            }
        }
        if wrap {
            node.propagate_exec_end(now);
        }
    }

    /// `busy-reply-threshold` in ms, parsed again only when the configuration changed.
    fn script_time_limit(&mut self) -> u64 {
        let generation = self.config.generation();
        match self.scripting.time_limit {
            Some((g, ms)) if g == generation => ms,
            _ => {
                let ms = self
                    .config
                    .get("busy-reply-threshold")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(5000);
                self.scripting.time_limit = Some((generation, ms));
                ms
            }
        }
    }
}

/// The one callback of a run: what the `redis.*` forwarders ask for, by operation number.
/// Returns a value and whether it is an error that `redis.call` raises.
fn control(
    st: &RefCell<RunState<'_, '_>>,
    lua: &Lua,
    mut args: MultiValue,
) -> mlua::Result<(Value, bool)> {
    let op = match args.pop_front() {
        Some(Value::Integer(i)) => i,
        Some(Value::Number(n)) => n as i64,
        _ => 0,
    };
    let mut st = st.borrow_mut();
    match op {
        OP_CALL | OP_PCALL => script_call(&mut st, lua, &args),
        OP_LOG => script_log(&mut st, lua, args).map(|()| (Value::Nil, false)),
        OP_SETRESP => script_setresp(&mut st, lua, args).map(|()| (Value::Nil, false)),
        OP_SET_REPL => script_set_repl(lua, args).map(|()| (Value::Nil, false)),
        OP_ACL_CHECK => script_acl_check(&mut st, lua, args).map(|b| (Value::Boolean(b), false)),
        _ => Ok((Value::Nil, false)),
    }
}

/// The error reply of a script that raised `e` (Redis's `luaCallFunction`): the error text,
/// then `script: <name>, on <source>:<line>.` when the error has a position.
fn error_reply_text(e: &Value, name: &str) -> String {
    let Value::Table(t) = e else {
        return format!("ERR Error running script {name}, execution failure");
    };
    let msg = match t.raw_get::<Value>("err") {
        Ok(Value::String(s)) => s.to_string_lossy(),
        Ok(Value::Integer(i)) => i.to_string(),
        Ok(Value::Number(n)) => super::convert::lua_number_text(n),
        _ => "(null)".to_owned(),
    };
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    match (source, line) {
        (Some(s), Some(l)) => format!("{msg} script: {name}, on {s}:{l}."),
        _ => msg,
    }
}

/// `redis.call` / `redis.pcall`: run one command; returns its reply as a Lua value and
/// whether it is an error (`redis.call` raises it).
fn script_call(
    st: &mut RunState<'_, '_>,
    lua: &Lua,
    args: &MultiValue,
) -> mlua::Result<(Value, bool)> {
    let fail = |msg: &str| -> mlua::Result<(Value, bool)> {
        Ok((Value::Table(error_table(lua, msg.as_bytes())?), true))
    };
    let mut buf = std::mem::take(&mut st.argbuf);
    buf.clear();
    let mut ends: SmallVec<[usize; 8]> = SmallVec::new();
    if let Err(msg) = lua_argv_into(args, &mut buf, &mut ends) {
        st.argbuf = buf;
        return fail(msg);
    }
    let mut argv: SmallVec<[&[u8]; 8]> = SmallVec::with_capacity(ends.len());
    let mut from = 0;
    for &end in &ends {
        argv.push(&buf[from..end]);
        from = end;
    }
    let result = match check_command(st, &argv) {
        Err(msg) => fail(&msg),
        Ok(idx) => {
            st.client.out.clear();
            let now = st.now;
            st.node.call(now, &mut st.client, idx, &argv);
            let failed = st.client.out.first() == Some(&b'-');
            let v = reply_to_lua(lua, &st.client.out);
            st.client.out.clear();
            v.map(|v| (v, failed))
        }
    };
    drop(argv);
    st.argbuf = buf;
    result
}

/// Redis's checks of `scriptCall`, in its order: the command's table entry, or the error text
/// (without `ERR `) when refused.
fn check_command(st: &mut RunState<'_, '_>, argv: &[&[u8]]) -> Result<usize, String> {
    let node = &mut *st.node;
    let Lookup::Found(idx) = node.table.lookup(argv) else {
        return Err("Unknown Redis command called from script".to_owned());
    };
    if !node.table.arity_ok(idx, argv.len()) {
        return Err("Wrong number of args calling Redis command from script".to_owned());
    }
    let entry_flags = node.table.entries[idx].flags;
    if entry_flags & flags::NOSCRIPT != 0 {
        return Err("This Redis command is not allowed from script".to_owned());
    }
    if let Some(why) = node.acl_script_refusal(st.now, st.caller, &st.client, idx, argv) {
        return Err(format!("The user executing the script {why}"));
    }
    if entry_flags & flags::WRITE != 0 {
        if st.opts.read_only {
            return Err("Write commands are not allowed from read-only scripts.".to_owned());
        }
        let refusal = node
            .repl_refuse_write(idx)
            .or_else(|| node.aof_refuse_write(&st.client, idx));
        if let Some(e) = refusal {
            return Err(format!("-{e}"));
        }
    }
    if node.cluster.is_some() {
        if let Some(e) = node.cluster_route(&st.client, idx, argv) {
            let text = e.to_string();
            return Err(if text.starts_with("CLUSTERDOWN") {
                "Script attempted to execute a command while the cluster is down"
            } else {
                "Script attempted to access a non local key in a cluster node"
            }
            .to_owned());
        }
        if !st.opts.allow_cross_slot {
            let mut pos = Vec::new();
            node.table.key_positions(idx, argv, &mut pos);
            for p in pos {
                let Some(key) = argv.get(p) else { continue };
                let slot = hashslot_slots::key_slot(key).get();
                match st.slot {
                    None => st.slot = Some(slot),
                    Some(s) if s != slot => {
                        return Err(
                            "Script attempted to access keys that do not hash to the same slot"
                                .to_owned(),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(idx)
}

/// `redis.log(level, …)`. Ref: script_lua.c `luaLogCommand`.
fn script_log(st: &mut RunState<'_, '_>, lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(raise_msg(
            lua,
            "redis.log() requires two arguments or more.",
        ));
    }
    let Some(level) = to_number(&args[0]) else {
        return Err(raise_msg(
            lua,
            "First argument must be a number (log level).",
        ));
    };
    let level = match level as i64 {
        0 => LogLevel::Debug,
        1 => LogLevel::Verbose,
        2 => LogLevel::Notice,
        3 => LogLevel::Warning,
        _ => return Err(raise_msg(lua, "Invalid debug level.")),
    };
    let parts: Vec<Vec<u8>> = args.iter().skip(1).filter_map(tostring_bytes).collect();
    let msg = String::from_utf8_lossy(&parts.join(&b' ')).into_owned();
    st.node.log(level, msg);
    Ok(())
}

/// `redis.setresp(2|3)`: the protocol the script's commands reply in.
fn script_setresp(st: &mut RunState<'_, '_>, lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(raise_msg(lua, "redis.setresp() requires one argument."));
    }
    let v = to_number(&args[0]).unwrap_or(0.0) as i64;
    if v != 2 && v != 3 {
        return Err(raise_msg(lua, "RESP version must be 2 or 3."));
    }
    st.resp3 = v == 3;
    st.client.proto = if v == 3 { Proto::Resp3 } else { Proto::Resp2 };
    Ok(())
}

/// `redis.set_repl(flags)`: validated like Redis. Redis 7.0 always replicates a script's
/// effects; selecting the AOF or replicas only is accepted, but every write still reaches
/// both sinks here (see the module docs of `scripting`).
fn script_set_repl(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(raise_msg(lua, "redis.set_repl() requires two arguments."));
    }
    let f = to_number(&args[0]).unwrap_or(0.0) as i64;
    if f & !3 != 0 {
        return Err(raise_msg(
            lua,
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ));
    }
    Ok(())
}

/// `redis.acl_check_cmd(cmd, …)`: whether the script's user may run the command.
fn script_acl_check(st: &mut RunState<'_, '_>, lua: &Lua, args: MultiValue) -> mlua::Result<bool> {
    let owned = match lua_argv(&args) {
        Ok(a) => a,
        Err(msg) => return Err(raise_msg(lua, msg)),
    };
    let argv: Vec<&[u8]> = owned.iter().map(|a| a.as_slice()).collect();
    let Lookup::Found(idx) = st.node.table.lookup(&argv) else {
        return Err(raise_msg(
            lua,
            "Invalid command passed to redis.acl_check_cmd()",
        ));
    };
    Ok(st.node.acl_allows(&st.client, idx, &argv))
}

/// Redis's `luaArgsToRedisArgv`: strings as they are, numbers as `%.17g`; each argument
/// is appended to `buf`, and where it ends to `ends`.
fn lua_argv_into(
    args: &MultiValue,
    buf: &mut Vec<u8>,
    ends: &mut SmallVec<[usize; 8]>,
) -> Result<(), &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    for v in args {
        match v {
            Value::String(s) => buf.extend_from_slice(&s.as_bytes()),
            Value::Integer(i) => buf.extend_from_slice(arg_number_text(*i as f64).as_bytes()),
            Value::Number(n) => buf.extend_from_slice(arg_number_text(*n).as_bytes()),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
        ends.push(buf.len());
    }
    Ok(())
}

/// [`lua_argv_into`] as owned arguments.
fn lua_argv(args: &MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut buf = Vec::new();
    let mut ends = SmallVec::new();
    lua_argv_into(args, &mut buf, &mut ends)?;
    let mut from = 0;
    Ok(ends
        .iter()
        .map(|&end| {
            let a = buf[from..end].to_vec();
            from = end;
            a
        })
        .collect())
}
