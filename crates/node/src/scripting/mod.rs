//! Lua scripting: EVAL/EVALSHA scripts and FUNCTION libraries, as Redis 7.0 runs them.
//!
//! # Why an embedded Lua 5.1
//!
//! Redis scripts are Lua 5.1 programs; behaving as Redis does means running the same language
//! with the same library semantics (string patterns, number formatting, error texts with
//! `user_script:N:` positions). Writing a Lua interpreter is far outside this project, so the
//! node embeds the reference interpreter through `mlua` (features `lua51` + `vendored`: the
//! Lua 5.1 C sources are compiled with the C compiler at build time, no system library is
//! needed). The `send` feature makes the Lua state `Send`, so a `Node` can still move between
//! the simulator's threads (checked at compile time below).
//!
//! # Shape
//!
//! - [`env`] builds a Lua state (one for EVAL scripts, one for FUNCTION libraries, as in
//!   Redis): the `redis` table, read-only globals, `math.random` on Redis's rand48 sequence,
//!   Redis's `pcall`.
//! - [`convert`] turns command replies into Lua values and Lua values into replies.
//! - [`run`] runs a compiled script or function: `redis.call` runs commands as a script
//!   client through the node's normal `call`; its writes are propagated as effects, in one
//!   MULTI/EXEC when there are several.
//! - [`shebang`] parses `#!lua flags=…` / `#!lua name=…` first lines.
//! - [`library`] holds FUNCTION libraries (registration, DUMP/RESTORE payloads).
//! - [`bit`], [`cjson`], [`cmsgpack`] and [`lua_struct`] are the LuaBitOp, lua-cjson,
//!   lua-cmsgpack and struct libraries Redis loads.
//! - [`readonly`] refuses `rawset`/`setmetatable` on the read-only tables; [`coroutines`]
//!   keeps the time limit on coroutines.
//!
//! Not provided: the Lua debugger (SCRIPT DEBUG YES/SYNC), and `redis.set_repl` choosing only
//! the AOF or only replicas (it is validated, but a script's writes always reach both, as with
//! Redis's default: the node's propagation has no per-command choice of sinks).
//!
//! The node is sans-IO: a script runs to its end inside one `handle_*` call. A runaway script
//! is stopped by an instruction-count hook once it ran longer than `busy-reply-threshold`
//! (read on the node's [`crate::Stopwatch`]), with the error Redis gives a killed script.
//! Other clients therefore never see `-BUSY`, and SCRIPT KILL / FUNCTION KILL always answer
//! NOTBUSY. Suspending a script instead would need either yielding from the count hook (Lua
//! 5.1 allows it outside C-call boundaries, but mlua 0.10 turns `VmState::Yield` into the
//! error "attempt to yield from a hook" for Lua 5.1, and the workspace denies the unsafe code
//! that calling `lua_yield` directly takes), or the driver serving other connections from
//! inside the hook as Redis's `processEventsWhileBlocked` does (a callback from `crates/server`
//! into the node while it is borrowed by the running script).

pub(crate) mod bit;
pub(crate) mod cjson;
pub(crate) mod cmsgpack;
pub(crate) mod convert;
pub(crate) mod coroutines;
pub(crate) mod env;
pub(crate) mod library;
pub(crate) mod lua_struct;
pub(crate) mod monitor;
pub(crate) mod readonly;
pub(crate) mod run;
pub(crate) mod shebang;

use std::collections::BTreeMap;
use std::fmt;

use hashslot_types::Now;
use mlua::{Function, Lua};

use crate::session::Client;

/// One EVAL script in the cache (Redis's `lctx.lua_scripts`).
pub(crate) struct Script {
    /// The body as sent (shebang included).
    pub body: Vec<u8>,
    /// Flags from its shebang; `None` for a script without one (compatibility mode).
    pub flags: Option<shebang::Flags>,
    /// The compiled chunk.
    pub func: Function,
}

/// The node's scripting state: the Lua interpreter, the script cache and the function
/// libraries.
pub(crate) struct Scripting {
    /// The interpreter and the handles into it.
    pub env: env::LuaEnv,
    /// EVAL scripts by lowercase SHA1 hex. Ordered: nothing about its order reaches a client,
    /// but an ordered map needs no hasher seed.
    pub scripts: BTreeMap<String, Script>,
    /// FUNCTION libraries.
    pub libs: library::Libraries,
    /// `math.random`'s generator, shared by every interpreter and kept across SCRIPT FLUSH.
    rand: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The script client between runs (Redis keeps one `lua_client` too): made once, then
    /// reset for each run instead of built anew.
    client: Option<Client>,
    /// The argument buffer of `redis.call`, kept between runs.
    pub(crate) argbuf: Vec<u8>,
    /// `busy-reply-threshold` (ms) as parsed, with the configuration generation it was read at.
    pub(crate) time_limit: Option<(u64, u64)>,
}

impl Scripting {
    /// A fresh interpreter with an empty cache.
    pub(crate) fn new() -> Self {
        let rand = env::rand48_initial();
        Scripting {
            env: env::LuaEnv::new(rand.clone()),
            scripts: BTreeMap::new(),
            libs: library::Libraries::new(rand.clone()),
            rand,
            client: None,
            argbuf: Vec::new(),
            time_limit: None,
        }
    }

    /// The script client for a run by `caller`: Redis's `lua_client` takes the caller's
    /// database, user and cluster flags (`scriptPrepareForRun`).
    pub(crate) fn take_client(&mut self, caller: &Client, now: Now) -> Client {
        let mut client = match self.client.take() {
            Some(c) => c,
            None => Client::new(run::SCRIPT_CLIENT_CONN, 0, caller.addr, now.mono, true),
        };
        client.addr = caller.addr;
        client.created = now.mono;
        client.last_interaction = now.mono;
        client.proto = hashslot_resp::Proto::Resp2;
        client.db = caller.db;
        client.user.clone_from(&caller.user);
        client.readonly = caller.readonly;
        client.asking = caller.asking;
        client.out.clear();
        // Commands of a script never block (Redis's CLIENT_DENY_BLOCKING for the script client).
        client.in_exec = true;
        client
    }

    /// Keep the script client for the next run, unless a command left state on it that a
    /// fresh client does not have (none of the commands a script may run should).
    pub(crate) fn put_client(&mut self, client: Client) {
        let clean = client.multi.is_none()
            && !client.subs.any()
            && !client.blocked
            && !client.blocked_on_keys
            && client.blocked_call.is_none()
            && !client.close_after_reply
            && client.name.is_none()
            && client.reply_mode == crate::session::ReplyMode::default();
        if clean {
            self.client = Some(client);
        }
    }

    /// SCRIPT FLUSH: forget every cached script and start from a fresh interpreter, as Redis
    /// does (which also frees whatever the scripts left in Lua memory). Functions live in
    /// their own interpreter, as in Redis, and are kept.
    pub(crate) fn flush_scripts(&mut self) {
        self.scripts.clear();
        self.env = env::LuaEnv::new(self.rand.clone());
    }

    /// The `math.random` generator, for a new interpreter.
    pub(crate) fn rand(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        self.rand.clone()
    }

    /// Memory the interpreter uses (`used_memory_lua`).
    pub(crate) fn used_memory(&self) -> usize {
        // A full collection first: the live size is the same in a recorded run and its
        // replay, while the garbage not yet collected was not (`tests/record_replay.rs`
        // diverged on INFO about one run in three). Redis reads the count without collecting;
        // the heaps here are small, and INFO is not a hot command.
        let _ = self.env.lua.gc_collect();
        let _ = self.libs.env.lua.gc_collect();
        self.env.lua.used_memory()
    }

    /// Bytes of the cached scripts' bodies (`used_memory_scripts_eval`).
    pub(crate) fn scripts_memory(&self) -> usize {
        self.scripts.values().map(|s| s.body.len() + 40).sum()
    }
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting::new()
    }
}

impl fmt::Debug for Scripting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scripting")
            .field("scripts", &self.scripts.len())
            .field("libraries", &self.libs.len())
            .finish()
    }
}

/// The lowercase SHA1 hex of `body` (the script's name in the cache).
pub(crate) fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// The node must stay `Send` (the simulator runs nodes on several threads) with a Lua state
/// inside: checked at compile time.
#[allow(dead_code)]
fn assert_node_is_send() {
    fn is_send<T: Send>() {}
    is_send::<crate::Node>();
    is_send::<Lua>();
}

// The RDB save and load paths (persistence/rdb.rs, aof.rs, load.rs, replication) call these.
impl crate::Node {
    /// The code of every FUNCTION library, for an RDB image
    /// (`hashslot_persist::save_dbs_with_functions`).
    pub(crate) fn function_codes(&self) -> Vec<Vec<u8>> {
        self.scripting
            .libs
            .libs
            .values()
            .map(|l| l.code.clone())
            .collect()
    }

    /// The libraries an RDB image held (`LoadEvent::Function`, with
    /// `LoadOptions::functions` on) replace the loaded ones, as a full load replaces the
    /// dataset. Returns the error of a library that does not load.
    pub(crate) fn load_functions_from_rdb(&mut self, codes: &[Vec<u8>]) -> Result<(), String> {
        let rand = self.scripting.rand();
        self.scripting.libs.restore(codes, "flush", rand)
    }
}

#[cfg(test)]
mod tests {
    use super::sha1_hex;

    #[test]
    fn functions_survive_an_rdb_image() {
        let now = hashslot_types::Now::new(
            hashslot_types::Instant::from_nanos(0),
            hashslot_types::UnixMillis(1_700_000_000_000),
        );
        let mut a = crate::Node::new(crate::Config::default(), 1, now, Default::default());
        let code = b"#!lua name=l\nredis.register_function('f', function() return 7 end)";
        assert_eq!(a.scripting.libs.load(code, false).0, Ok("l".to_owned()));
        let codes = a.function_codes();
        let refs: Vec<&[u8]> = codes.iter().map(|c| c.as_slice()).collect();
        let file = hashslot_persist::save_dbs_with_functions(
            &a.dbs,
            &refs,
            now.wall,
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
        let opts = hashslot_persist::LoadOptions {
            functions: true,
            ..Default::default()
        };
        let mut found = Vec::new();
        hashslot_persist::load_events(&file, &opts, |ev| {
            if let hashslot_persist::LoadEvent::Function(c) = ev {
                found.push(c);
            }
        })
        .unwrap();
        let mut b = crate::Node::new(crate::Config::default(), 2, now, Default::default());
        b.load_functions_from_rdb(&found).unwrap();
        assert!(b.scripting.libs.function("f").is_some());
        assert_eq!(b.function_codes(), codes);
    }

    #[test]
    fn sha1_vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"return 1"),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
    }
}
