//! The Lua state scripts run in, set up as Redis 7.0.15 sets up its own: the `redis` table,
//! read-only globals (a script can neither create nor replace a global), Redis's `pcall` (a
//! `redis.call` error caught by `pcall` is its error text), and a deterministic
//! `math.random` re-seeded before each script.
//!
//! Ref: Redis 7.0 `script_lua.c` (`luaRegisterRedisAPI`, `luaRedisPcall`, `redis_math_random`)
//! and `eval.c` (`luaCreateFunction`, `evalGenericCommand`).
//!
//! What needs the running node (`redis.call`, `redis.pcall`, `redis.log`, `redis.setresp`…)
//! goes through one slot of a hidden table, `ctl[1]`, that [`super::run`] fills with a scoped
//! Rust callback for the time of one script (empty outside it). The `redis.*` functions are
//! forwarders made once per interpreter: creating and destroying six scoped callbacks per
//! run was a quarter of an EVALSHA's cost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use super::convert::error_table;

use crate::Stopwatch;

/// The chunk name of the node's own Lua code: frames from it are skipped when an error is
/// given a script position.
pub(crate) const INTERNAL_SOURCE: &str = "=[redis]";

/// The text of the error a stopped runaway script ends with (Redis's killed-script text).
pub(crate) const KILLED: &str = "Script killed by user with SCRIPT KILL...";

/// The node's Lua code: the `redis` API over the hidden slots, `pcall`, `math.random`, and the
/// read-only globals. `H` is the hidden table, `V` the version string, `VN` its number.
const INIT: &str = r#"
local H, V, VN = ...
local type, setmetatable, rawpcall = type, setmetatable, pcall
local G, pairs, ipairs, unpack, xpcall, select = _G, pairs, ipairs, unpack, xpcall, select
local error, tostring = error, tostring
local unwrap = H.unwrap

local redis = {}
redis.sha1hex = H.sha1hex
redis.error_reply = H.error_reply
redis.status_reply = H.status_reply
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL =
  0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = V, VN
H.redis = redis

-- Rust forwarders to the running script's callback (see `forwarder`).
redis.call, redis.pcall, redis.log = H.call, H.pcall, H.log
redis.setresp, redis.set_repl, redis.acl_check_cmd = H.setresp, H.set_repl, H.acl_check_cmd

-- Redis's pcall: an error table with an `err` field is caught as its text.
local function caught(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = unwrap(e) end
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then return false, m end
  end
  return false, e
end
pcall = function(f, ...) return caught(rawpcall(f, ...)) end
-- A Rust function can only raise an error object: give coroutine.resume (see `coroutines`)
-- and xpcall handlers the `{err=…}` table Redis raises instead.
local rawxpcall = xpcall
-- Rust functions that keep the time-limit hook on the thread that runs (see `coroutines`).
coroutine.resume, coroutine.wrap = H.co_resume, H.co_wrap
G.xpcall = function(f, h)
  return rawxpcall(f, function(e)
    if type(e) == 'userdata' then e = unwrap(e) end
    return h(e)
  end)
end

math.random = H.random
math.randomseed = H.randomseed

local function readonly_error() error('Attempt to modify a readonly table', 2) end
-- Read-only fronts, and what each stands for (so that pairs() walks the real table).
local backing = setmetatable({}, {__mode = 'k'})
local function readonly(t)
  local front = setmetatable({}, {__index = t, __newindex = readonly_error, __metatable = false})
  backing[front] = t
  return front
end
local rawpairs = pairs
G.pairs = function(t) return rawpairs(backing[t] or t) end

print, dofile, loadfile, getfenv, setfenv, newproxy = nil, nil, nil, nil, nil, nil
-- Every global moves to a backing table B; _G stays as an empty front whose reads fall
-- through to B (a missing name is an error) and whose writes are refused.
local B = {}
for k, v in pairs(G) do B[k] = v end
for k in pairs(B) do G[k] = nil end
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'bit', 'cjson', 'cmsgpack',
    'struct'}) do
  B[name] = readonly(B[name])
end
B.redis = readonly(redis)
B._G = G
backing[G] = B
H.backing = backing
setmetatable(B, {__index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})
local gmeta = {__index = B, __newindex = readonly_error, __metatable = false}
setmetatable(G, gmeta)
H.globals = B
H.gmeta = gmeta

-- What FUNCTION LOAD code sees instead of the globals: only `redis` with register_function,
-- log, the LOG_* levels and the version (filled by the loader); anything else is missing.
local function missing(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
local LRB = setmetatable({
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = V, REDIS_VERSION_NUM = VN,
}, {__index = missing})
H.load_redis = LRB
H.load_globals = setmetatable({redis = setmetatable({}, {__index = LRB,
  __newindex = readonly_error, __metatable = false})}, {__index = missing})
local handler = H.handler
H.run = function(f, ...)
  local n, a = select('#', ...), {...}
  return xpcall(function() return f(unpack(a, 1, n)) end, handler)
end
-- One run from Rust in one call: forget error tables nothing caught, give the `redis.*`
-- forwarders the run's callback, set KEYS/ARGV (globals for EVAL, parameters for a function),
-- call under the handler, and leave nothing of the run behind.
local CTL = H.ctl
local function finish(ok, v)
  CTL[1] = nil
  B.KEYS, B.ARGV = nil, nil
  return ok, v
end
local function start(ctl, f, as_globals, K, A)
  if H.pending_n ~= 0 then H.pending, H.pending_n = {}, 0 end
  CTL[1] = ctl
  if as_globals then
    B.KEYS, B.ARGV = K, A
    return finish(xpcall(f, handler))
  end
  return finish(xpcall(function() return f(K, A) end, handler))
end
-- KEYS and ARGV given as tables.
H.run_t = start
-- KEYS and ARGV given as the `nk` keys then the arguments (fewer values cross from Rust).
H.run_v = function(ctl, f, as_globals, nk, ...)
  local K, A = {...}, {}
  for i = nk + 1, select('#', ...) do A[i - nk], K[i] = K[i], nil end
  return start(ctl, f, as_globals, K, A)
end
"#;

/// The interpreter and the handles the node keeps into it. Cloning shares them (the node
/// clones the handle for the time of a run, so that the run can borrow the node mutably).
#[derive(Clone)]
pub(crate) struct LuaEnv(Arc<EnvInner>);

/// What a [`LuaEnv`] holds.
pub(crate) struct EnvInner {
    /// The interpreter.
    pub lua: Lua,
    /// The hidden table: `ctl`, `run`, `redis`, `globals`.
    pub hidden: Table,
    /// `H.run_t`, `H.run_v`: run a script or function (see [`LuaEnv::run`]).
    run_t: Function,
    run_v: Function,
    /// Stopwatch reading (µs) after which the running script is stopped; `u64::MAX`: never.
    deadline: Arc<AtomicU64>,
    /// The stopwatch the time-limit hook reads (the node's, given at each run).
    clock: Arc<Mutex<Stopwatch>>,
}

impl std::ops::Deref for LuaEnv {
    type Target = EnvInner;

    fn deref(&self) -> &EnvInner {
        &self.0
    }
}

impl LuaEnv {
    /// A fresh interpreter with the Redis API.
    pub(crate) fn new(rand: Arc<AtomicU64>) -> Self {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
        let lua =
            Lua::new_with(libs, LuaOptions::default()).expect("the safe Lua libraries always load");
        let hidden = lua.create_table().expect("Lua allocates a table");
        let ctl = lua.create_table().expect("Lua allocates a table");
        let limit = TimeLimit {
            deadline: Arc::new(AtomicU64::new(u64::MAX)),
            clock: Arc::new(Mutex::new(Stopwatch::frozen())),
        };
        install(&lua, &hidden, &ctl, &rand, &limit).expect("the node's own Lua code runs");
        let get = |name: &str| -> Function {
            hidden
                .get(name)
                .expect("the node's Lua code defines its runners")
        };
        let (run_t, run_v) = (get("run_t"), get("run_v"));
        // The time-limit hook is set once: outside a run the deadline is `u64::MAX`, and a
        // count hook every 100,000 instructions costs nothing measurable.
        lua.set_hook(HOOK_EVERY, limit.hook());
        let TimeLimit { deadline, clock } = limit;
        LuaEnv(Arc::new(EnvInner {
            lua,
            hidden,
            run_t,
            run_v,
            deadline,
            clock,
        }))
    }
}

/// How often the time-limit hook runs.
pub(crate) const HOOK_EVERY: HookTriggers = HookTriggers::new().every_nth_instruction(100_000);

/// What the time-limit hook reads: the deadline of the running script and the stopwatch.
#[derive(Clone)]
pub(crate) struct TimeLimit {
    /// Stopwatch reading (µs) after which the running script is stopped; `u64::MAX`: never.
    deadline: Arc<AtomicU64>,
    /// The node's stopwatch, given at each run.
    clock: Arc<Mutex<Stopwatch>>,
}

impl TimeLimit {
    /// Whether the running script is past its deadline.
    pub(crate) fn expired(&self) -> bool {
        TimeLimit::expired_at(&self.deadline, &self.clock)
    }

    fn expired_at(deadline: &AtomicU64, clock: &Mutex<Stopwatch>) -> bool {
        let limit = deadline.load(Ordering::Relaxed);
        if limit == u64::MAX {
            return false;
        }
        let now = match clock.lock() {
            Ok(sw) => sw.micros(),
            Err(poisoned) => poisoned.into_inner().micros(),
        };
        now >= limit
    }

    /// The count hook: the killed-script error once the deadline passed.
    pub(crate) fn hook(
        &self,
    ) -> impl Fn(&Lua, mlua::Debug) -> mlua::Result<VmState> + Send + 'static + use<> {
        let (deadline, clock) = (Arc::clone(&self.deadline), Arc::clone(&self.clock));
        move |_, _| {
            if TimeLimit::expired_at(&deadline, &clock) {
                Err(mlua::Error::RuntimeError(KILLED.to_owned()))
            } else {
                Ok(VmState::Continue)
            }
        }
    }
}

/// Fill the hidden table `h` and run the node's Lua code in `lua`.
fn install(
    lua: &Lua,
    h: &Table,
    ctl: &Table,
    rand: &Arc<AtomicU64>,
    limit: &TimeLimit,
) -> mlua::Result<()> {
    {
        super::coroutines::install(lua, h, limit)?;
        lua.set_named_registry_value(HIDDEN_KEY, h.clone())?;
        h.set("ctl", ctl.clone())?;
        h.set("pending", lua.create_table()?)?;
        h.set("pending_n", 0)?;
        h.set(
            "sha1hex",
            lua.create_function(|lua, args: MultiValue| {
                if args.len() != 1 {
                    return Err(raise_msg(lua, "wrong number of arguments"));
                }
                let bytes = tostring_bytes(&args[0]).unwrap_or_default();
                Ok(super::sha1_hex(&bytes))
            })?,
        )?;
        h.set(
            "error_reply",
            lua.create_function(|lua, args: MultiValue| match single_string(&args) {
                Some(s) => {
                    let mut e = s;
                    if e.first() != Some(&b'-') {
                        e.insert(0, b'-');
                    }
                    error_table(lua, &e)
                }
                None => error_table(lua, b"wrong number or type of arguments"),
            })?,
        )?;
        h.set(
            "status_reply",
            lua.create_function(|lua, args: MultiValue| match single_string(&args) {
                Some(s) => {
                    let t = lua.create_table()?;
                    t.set("ok", lua.create_string(&s)?)?;
                    Ok(t)
                }
                None => error_table(lua, b"wrong number or type of arguments"),
            })?,
        )?;
        let draw_rand = Arc::clone(rand);
        h.set(
            "random",
            lua.create_function(move |lua, args: MultiValue| {
                let r = f64::from(rand48_next(&draw_rand) % i32::MAX) / f64::from(i32::MAX);
                match args.len() {
                    0 => Ok(r),
                    1 => {
                        let u = check_int(lua, &args, 0, "random")?;
                        if u < 1 {
                            return Err(arg_error(lua, 1, "random", "interval is empty"));
                        }
                        Ok((r * u as f64).floor() + 1.0)
                    }
                    2 => {
                        let l = check_int(lua, &args, 0, "random")?;
                        let u = check_int(lua, &args, 1, "random")?;
                        if l > u {
                            return Err(arg_error(lua, 2, "random", "interval is empty"));
                        }
                        Ok((r * (f64::from(u) - f64::from(l) + 1.0)).floor() + f64::from(l))
                    }
                    _ => Err(plain_error(lua, "wrong number of arguments")),
                }
            })?,
        )?;
        let seed_rand = Arc::clone(rand);
        h.set(
            "randomseed",
            lua.create_function(move |lua, args: MultiValue| {
                let seed = check_int(lua, &args, 0, "randomseed")?;
                rand48_seed(&seed_rand, seed);
                Ok(())
            })?,
        )?;
        h.set(
            "unwrap",
            lua.create_function(|lua, v: Value| match v {
                Value::Error(e) => match take_pending(lua, &e) {
                    Some(t) => Ok(Value::Table(t)),
                    None => Ok(Value::String(lua.create_string(error_text(&e))?)),
                },
                other => Ok(other),
            })?,
        )?;
        for (name, op) in [
            ("call", OP_CALL),
            ("pcall", OP_PCALL),
            ("log", OP_LOG),
            ("setresp", OP_SETRESP),
            ("set_repl", OP_SET_REPL),
            ("acl_check_cmd", OP_ACL_CHECK),
        ] {
            h.set(name, forwarder(lua, ctl, op)?)?;
        }
        h.set(
            "handler",
            lua.create_function(|lua, err: Value| error_handler(lua, err))?,
        )?;
        lua.globals().set("bit", super::bit::library(lua)?)?;
        lua.globals().set("cjson", super::cjson::library(lua)?)?;
        lua.globals()
            .set("cmsgpack", super::cmsgpack::library(lua)?)?;
        lua.globals()
            .set("struct", super::lua_struct::library(lua)?)?;
        let version = crate::REDIS_VERSION;
        let num = version_num(version);
        lua.load(INIT)
            .set_name(INTERNAL_SOURCE)
            .call::<()>((h.clone(), version, num))?;
        let (globals, backing): (Table, Table) = (h.get("globals")?, h.get("backing")?);
        super::readonly::install(lua, &globals, &backing)?;
        Ok(())
    }
}

impl LuaEnv {
    /// Compile `body` as a script chunk named `@user_script` (Redis's name, seen in error
    /// positions). Returns Lua's message on a syntax error.
    pub(crate) fn compile(&self, body: &[u8]) -> Result<Function, String> {
        self.compile_named(body, "@user_script")
    }

    /// Compile `body` as a chunk named `name` (`@user_function` for FUNCTION LOAD code).
    pub(crate) fn compile_named(&self, body: &[u8], name: &str) -> Result<Function, String> {
        self.lua
            .load(body)
            .set_name(name)
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Forget error tables of the previous load that nothing caught.
    pub(crate) fn clear_pending(&self) {
        clear_pending(&self.lua);
    }

    /// Stop scripts that run past `limit_ms` from now, as read on `stopwatch` (0: never).
    pub(crate) fn arm_time_limit(&self, stopwatch: &Stopwatch, limit_ms: u64) {
        let start = stopwatch.micros();
        let deadline = if limit_ms == 0 {
            u64::MAX
        } else {
            start.saturating_add(limit_ms.saturating_mul(1000))
        };
        match self.clock.lock() {
            Ok(mut c) => *c = stopwatch.clone(),
            Err(poisoned) => *poisoned.into_inner() = stopwatch.clone(),
        }
        self.deadline.store(deadline, Ordering::Relaxed);
    }

    /// After a script: no time limit.
    pub(crate) fn disarm_time_limit(&self) {
        self.deadline.store(u64::MAX, Ordering::Relaxed);
    }

    /// Run `f` with `ctl` as the running script's callback (see [`forwarder`]), `keys` and
    /// `args` as `KEYS`/`ARGV` (globals for EVAL, the two parameters of a function), under the
    /// error handler: `Ok(value)` or `Err(error table)`.
    pub(crate) fn run(
        &self,
        ctl: &Function,
        f: &Function,
        as_globals: bool,
        keys: &[&[u8]],
        args: &[&[u8]],
    ) -> mlua::Result<Result<Value, Value>> {
        let lua = &self.lua;
        let (ok, v): (bool, Value) = if keys.len() + args.len() <= SMALL_CALL {
            // Few enough to pass as values (each value is a slot on the Lua C stack).
            let mut all = MultiValue::with_capacity(keys.len() + args.len());
            for a in keys.iter().chain(args) {
                all.push_back(Value::String(lua.create_string(a)?));
            }
            self.run_v.call((ctl, f, as_globals, keys.len(), all))?
        } else {
            let (k, a) = (array(lua, keys)?, array(lua, args)?);
            self.run_t.call((ctl, f, as_globals, k, a))?
        };
        Ok(if ok { Ok(v) } else { Err(v) })
    }
}

/// Up to this many keys and arguments cross into Lua as values, more as two tables.
const SMALL_CALL: usize = 64;

/// A Lua array of byte strings.
fn array(lua: &Lua, items: &[&[u8]]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, a) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(a)?)?;
    }
    Ok(t)
}

/// The operations of the running script's callback (`ctl[1]`), one per `redis.*` function.
pub(crate) const OP_CALL: i64 = 1;
/// `redis.pcall`.
pub(crate) const OP_PCALL: i64 = 2;
/// `redis.log`.
pub(crate) const OP_LOG: i64 = 3;
/// `redis.setresp`.
pub(crate) const OP_SETRESP: i64 = 4;
/// `redis.set_repl`.
pub(crate) const OP_SET_REPL: i64 = 5;
/// `redis.acl_check_cmd`.
pub(crate) const OP_ACL_CHECK: i64 = 6;

/// `redis.<op>`: a Rust function made once per interpreter that hands its arguments to the
/// running script's callback. It must be a C function, not a Lua wrapper: in
/// `return redis.call(…)` a Lua callee would replace the script's frame (a Lua tail call) and
/// the error position would read `(tail call)` instead of `@user_script:N`.
fn forwarder(lua: &Lua, ctl: &Table, op: i64) -> mlua::Result<Function> {
    let ctl = ctl.clone();
    lua.create_function(move |lua, args: MultiValue| {
        let f: Function = match ctl.raw_get(1)? {
            Value::Function(f) => f,
            _ => return Err(raise_msg(lua, "no script is running")),
        };
        let (v, failed): (Value, bool) = f.call((op, args))?;
        let mut out = MultiValue::new();
        match (op, failed, v) {
            (OP_CALL, true, Value::Table(t)) => return Err(raise_table(lua, t)),
            (OP_LOG | OP_SETRESP | OP_SET_REPL, _, _) => {}
            (_, _, v) => out.push_back(v),
        }
        Ok(out)
    })
}

/// Redis's `__redis__err__handler`: make every error a table `{err=…}` (a plain message gets
/// `ERR ` in front) and add the source and line of the script frame that raised it, skipping
/// C functions (`error`, `redis.call`) and the node's own Lua code.
fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let pending = match &err {
        Value::Error(e) => take_pending(lua, e),
        _ => None,
    };
    let t = match (pending, err) {
        (Some(t), _) => t,
        (None, Value::Table(t)) => t,
        (None, other) => {
            let msg = match &other {
                Value::Error(e) => error_text(e),
                Value::String(s) => s.to_string_lossy(),
                Value::Integer(i) => i.to_string(),
                Value::Number(n) => super::convert::lua_number_text(*n),
                Value::Nil => "nil".to_owned(),
                Value::Boolean(b) => b.to_string(),
                v => v.type_name().to_owned(),
            };
            let t = lua.create_table()?;
            let mut text = b"ERR ".to_vec();
            text.extend_from_slice(msg.as_bytes());
            if let Value::String(s) = &other {
                text.truncate(4);
                text.extend_from_slice(&s.as_bytes());
            }
            t.set("err", lua.create_string(&text)?)?;
            t
        }
    };
    for level in 1..64 {
        let Some(d) = lua.inspect_stack(level) else {
            break;
        };
        let src = d.source();
        let internal = src.source.as_deref() == Some(INTERNAL_SOURCE);
        if src.what == "C" || internal {
            continue;
        }
        if let Some(s) = src.source.as_deref() {
            t.set("source", s)?;
            t.set("line", d.curr_line())?;
        }
        break;
    }
    Ok(t)
}

/// Registry name of the hidden table.
const HIDDEN_KEY: &str = "hashslot.scripting.hidden";

/// Marks an error raised from Rust whose real value is a pending `{err=…}` table.
const PENDING_MARK: &str = "\u{1}redis-error-table:";

/// An error raising the table `t` (Redis raises tables; a Rust callback can only raise an
/// error object, so the table waits in the hidden table under an id the error carries, and
/// the handler and `pcall` swap it back in).
pub(crate) fn raise_table(lua: &Lua, t: Table) -> mlua::Error {
    let stored = (|| -> mlua::Result<i64> {
        let h: Table = lua.named_registry_value(HIDDEN_KEY)?;
        let n: i64 = h.get::<i64>("pending_n")? + 1;
        h.set("pending_n", n)?;
        let pending: Table = h.get("pending")?;
        pending.raw_set(n, t)?;
        Ok(n)
    })();
    match stored {
        Ok(n) => mlua::Error::RuntimeError(format!("{PENDING_MARK}{n}")),
        Err(e) => e,
    }
}

/// An error raising `{err="ERR <msg>"}` (Redis's `luaPushError` + `luaError`).
pub(crate) fn raise_msg(lua: &Lua, msg: &str) -> mlua::Error {
    match error_table(lua, msg.as_bytes()) {
        Ok(t) => raise_table(lua, t),
        Err(e) => e,
    }
}

/// The pending table an error raised by [`raise_table`] stands for (taken out).
pub(crate) fn take_pending(lua: &Lua, e: &mlua::Error) -> Option<Table> {
    let text = error_text(e);
    let id: i64 = text.strip_prefix(PENDING_MARK)?.parse().ok()?;
    let h: Table = lua.named_registry_value(HIDDEN_KEY).ok()?;
    let pending: Table = h.get("pending").ok()?;
    let t: Option<Table> = pending.raw_get(id).ok()?;
    let _ = pending.raw_set(id, Value::Nil);
    t
}

/// Forget tables of errors that were never caught by our handler or `pcall`.
pub(crate) fn clear_pending(lua: &Lua) {
    if let Ok(h) = lua.named_registry_value::<Table>(HIDDEN_KEY) {
        if let Ok(t) = lua.create_table() {
            let _ = h.set("pending", t);
            let _ = h.set("pending_n", 0);
        }
    }
}

/// `luaL_where(L, 1)`: `short_src:line: ` of the Lua function that called the running C
/// function, or nothing.
fn where_prefix(lua: &Lua) -> String {
    match lua.inspect_stack(1) {
        Some(d) => {
            let line = d.curr_line();
            let src = d.source();
            match src.short_src.as_deref() {
                Some(s) if line > 0 => format!("{s}:{line}: "),
                _ => String::new(),
            }
        }
        None => String::new(),
    }
}

/// `luaL_error` from a C function: the message with the caller's position.
pub(crate) fn plain_error(lua: &Lua, msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("{}{msg}", where_prefix(lua)))
}

/// `luaL_argerror`.
pub(crate) fn arg_error(lua: &Lua, n: usize, fname: &str, extra: &str) -> mlua::Error {
    plain_error(lua, &format!("bad argument #{n} to '{fname}' ({extra})"))
}

/// `luaL_checkint`: a number (or a numeric string), truncated to an int.
fn check_int(lua: &Lua, args: &MultiValue, i: usize, fname: &str) -> mlua::Result<i32> {
    match args.get(i).and_then(to_number) {
        Some(n) => Ok(n as i64 as i32),
        None => {
            let got = args.get(i).map_or("no value", |v| v.type_name());
            Err(arg_error(
                lua,
                i + 1,
                fname,
                &format!("number expected, got {got}"),
            ))
        }
    }
}

/// `lua_tonumber`: numbers, and strings that read as one.
pub(crate) fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => {
            let t = s.to_string_lossy();
            let t = t.trim();
            if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
            }
            t.parse::<f64>().ok().filter(|_| !t.is_empty())
        }
        _ => None,
    }
}

/// `lua_tolstring`: the bytes of a string or a number, `None` for anything else.
pub(crate) fn tostring_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(super::convert::lua_number_text(*n).into_bytes()),
        _ => None,
    }
}

/// The one string argument of `error_reply` / `status_reply` (`lua_type == LUA_TSTRING`).
fn single_string(args: &MultiValue) -> Option<Vec<u8>> {
    match (args.len(), args.front()) {
        (1, Some(Value::String(s))) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

/// The message of an error raised from Rust (the time-limit hook, a dead callback).
pub(crate) fn error_text(e: &mlua::Error) -> String {
    match e {
        // mlua appends a traceback to errors of a call made from Rust: not part of the text.
        mlua::Error::RuntimeError(m) => m
            .split("\nstack traceback:")
            .next()
            .unwrap_or_default()
            .to_owned(),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        other => other.to_string(),
    }
}

/// `7.0.15` → `0x07000f`, as `REDIS_VERSION_NUM`.
fn version_num(v: &str) -> i64 {
    let mut n = 0i64;
    for part in v.split('.').take(3) {
        n = (n << 8) | part.parse::<i64>().unwrap_or(0);
    }
    n
}

const RAND48_MASK: u64 = (1 << 48) - 1;

/// The rand48 state Redis starts from (`X2 X1 X0`): never re-seeded between scripts, only by
/// `math.randomseed`, and shared by every interpreter of the process.
pub(crate) fn rand48_initial() -> Arc<AtomicU64> {
    Arc::new(AtomicU64::new(0x1234_ABCD_330E))
}

/// Redis's `redisSrand48`: the high 32 bits of the 48-bit state from `seed`, `0x330E` below.
fn rand48_seed(state: &AtomicU64, seed: i32) {
    let x = (u64::from(seed as u32) << 16) | 0x330E;
    state.store(x & RAND48_MASK, Ordering::Relaxed);
}

/// Redis's `redisLrand48`: one step of the rand48 generator, its 31 high bits.
fn rand48_next(state: &AtomicU64) -> i32 {
    let x = state.load(Ordering::Relaxed);
    let x = (x.wrapping_mul(0x5DEE_CE66D).wrapping_add(0xB)) & RAND48_MASK;
    state.store(x, Ordering::Relaxed);
    (x >> 17) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_number() {
        assert_eq!(version_num("7.0.15"), 0x07000f);
    }

    #[test]
    fn rand48_from_start_matches_redis() {
        // Redis 7.0.15: EVAL "return math.random(100)" 0 → 40 (first draw of a fresh server).
        let s = rand48_initial();
        let r = f64::from(rand48_next(&s) % i32::MAX) / f64::from(i32::MAX);
        assert_eq!((r * 100.0).floor() + 1.0, 40.0);
    }
}
