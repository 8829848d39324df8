//! Command metadata and the context a command runs in.

use hashslot_resp::Reply;
use hashslot_types::{Now, Rng};

use crate::{Db, EncodingLimits};

/// Command flags, as COMMAND INFO names them (`write`, `readonly`, `fast`…).
pub mod flags {
    /// May modify the dataset.
    pub const WRITE: u32 = 1 << 0;
    /// Only reads the dataset.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory; refused under maxmemory.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative command.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/sub command.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading the dataset.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on a replica with stale data.
    pub const STALE: u32 = 1 << 8;
    /// Not shown to MONITOR.
    pub const SKIP_MONITOR: u32 = 1 << 9;
    /// Not logged to SLOWLOG.
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    /// O(1) or O(log N), never delays.
    pub const FAST: u32 = 1 << 11;
    /// Allowed before AUTH.
    pub const NO_AUTH: u32 = 1 << 12;
    /// May replicate even if read-only (e.g. expiry).
    pub const MAY_REPLICATE: u32 = 1 << 13;
    /// Keys are optional.
    pub const NO_MANDATORY_KEYS: u32 = 1 << 14;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u32 = 1 << 15;
    /// Key positions are not a fixed first/last/step (see `CommandSpec::get_keys`).
    pub const MOVABLE_KEYS: u32 = 1 << 16;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: u32 = 1 << 17;
    /// Implies ASKING for cluster routing (RESTORE-ASKING).
    pub const ASKING: u32 = 1 << 18;
    /// Refused while a replica loads its dataset asynchronously (`repl-diskless-load
    /// swapdb`): SAVE, BGSAVE, REPLICAOF, CLUSTER writes…
    pub const NO_ASYNC_LOADING: u32 = 1 << 19;

    /// Flag bits with their COMMAND INFO names, in Redis's order. `may_replicate` is not
    /// listed: Redis 7.0 keeps it out of COMMAND INFO on purpose.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// A keyspace command: `fn(ctx, argv)` where `argv[0]` is the command name as sent. The arity
/// was checked by the caller; the handler writes exactly one reply to `ctx.reply`.
pub type Handler = fn(&mut Ctx<'_>, &[&[u8]]);

/// Finds the key positions of a command with movable keys: `(argv, out positions)`.
pub type GetKeys = fn(&[&[u8]], &mut Vec<usize>);

/// Metadata of one command, generic over its handler type so a node can describe its own
/// commands (PING, INFO, CLUSTER…) with the same shape.
#[derive(Debug, Clone)]
pub struct CommandSpec<H: 'static = Handler> {
    /// Lowercase name (`get`, `set`…); for subcommands `container|sub` (`object|encoding`).
    pub name: &'static str,
    /// Redis arity: `n` exactly n arguments (name included), `-n` at least n.
    pub arity: i32,
    /// Bits from [`flags`].
    pub flags: u32,
    /// Position of the first key (0: none).
    pub first_key: i32,
    /// Position of the last key (-1: the last argument, -2: the one before…).
    pub last_key: i32,
    /// Step between keys.
    pub key_step: i32,
    /// For commands with movable keys: the positions of the keys in `argv`.
    pub get_keys: Option<GetKeys>,
    /// ACL categories (`@write`, `@string`, `@fast`…), as COMMAND INFO lists them.
    pub acl_categories: &'static [&'static str],
    /// Documentation group (`string`, `generic`, `server`…).
    pub group: &'static str,
    /// One-line summary, as COMMAND DOCS gives it.
    pub summary: &'static str,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// Time complexity text.
    pub complexity: &'static str,
    /// Subcommands (`object|encoding`…), for containers.
    pub subcommands: &'static [CommandSpec<H>],
    /// The code; `None` for containers, which dispatch to `subcommands`.
    pub handler: Option<H>,
}

/// Keyspace counters that INFO stats reports.
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct KeyspaceStats {
    /// Successful key lookups (`keyspace_hits`).
    pub keyspace_hits: u64,
    /// Failed key lookups (`keyspace_misses`).
    pub keyspace_misses: u64,
    /// Keys removed by expiry (`expired_keys`).
    pub expired_keys: u64,
}

/// Everything a keyspace command may touch while it runs.
#[derive(Debug)]
#[non_exhaustive]
pub struct Ctx<'a> {
    /// All databases (16 standalone, 1 in cluster mode).
    pub dbs: &'a mut [Db],
    /// The client's selected database.
    pub db_index: usize,
    /// Both clocks; TTLs use `now.wall`.
    pub now: Now,
    /// Where the reply goes.
    pub reply: Reply<'a>,
    /// The node's seeded randomness (RANDOMKEY, SPOP…).
    pub rng: &'a mut Rng,
    /// Counters for INFO.
    pub stats: &'a mut KeyspaceStats,
    /// Changes made to the dataset by this command (Redis's `server.dirty` delta).
    pub dirty: u64,
    /// Whether the node runs in cluster mode: MOVE, SWAPDB and cross-db COPY are refused then.
    /// `false` from [`Ctx::new`]; a cluster node sets it.
    pub cluster_enabled: bool,
    /// Whether a blocking command may block now. `false` inside MULTI (and scripts): blocking
    /// commands then act as if their timeout expired at once, as in Redis. `true` from
    /// [`Ctx::new`].
    pub may_block: bool,
    /// Set by a blocking command (BLPOP on empty lists…) that wants its client parked: the
    /// handler wrote no reply. The node parks the client and runs the same command again when
    /// one of the keys is written (a write command with `dirty > 0` naming it), or replies to it
    /// as timed out at the deadline.
    pub block: Option<BlockOn>,
    /// Whether this run is the retry of a parked blocking command after one of its keys was
    /// written. A blocking command then blocks again, instead of replying an error, when its
    /// key holds the wrong type (Redis 7.0 keeps such clients blocked).
    pub retrying_blocked: bool,
    /// The collection encoding thresholds (CONFIG `hash-max-listpack-entries`…) that commands
    /// creating or growing a collection use. Redis's defaults from [`Ctx::new`]; a node copies
    /// its configured values here.
    pub limits: EncodingLimits,
    /// Whether lazy expiry keeps the dataset static: a key a read finds expired reads as
    /// missing but is not deleted (no `expired_keys`, no `expired` event, nothing for
    /// [`Db::take_expired_keys`] to propagate). Redis does this while clients are paused
    /// (db.c `expireIfNeeded`); a node sets it then. Writes still delete what they find
    /// expired, so a new value never lands beside a hidden one. `false` from [`Ctx::new`].
    pub keep_expired: bool,
    /// Whether the node is a replica (Redis's `server.masterhost`): expiry belongs to the
    /// master, which sends a `DEL` for each key it expires. A key a read finds expired reads
    /// as missing but stays (as under [`Ctx::keep_expired`]) until that `DEL` arrives, and
    /// `EXPIRE`/`GETEX` with a time already past set it rather than delete the key
    /// (expire.c `checkAlreadyExpired`). Writes of the replica's own clients (a writable
    /// replica) still delete what they find expired. `false` from [`Ctx::new`].
    pub replica: bool,
    /// Whether the command comes from the master's replication stream on a replica: keys are
    /// never considered expired then, so the stream applies exactly as the master ran it
    /// (db.c `expireIfNeeded` returns "not expired" for `server.master`). `false` from
    /// [`Ctx::new`].
    pub from_master: bool,
}

/// What a blocking command waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOn {
    /// The keys whose writes wake the client, in the order the command named them.
    pub keys: Vec<Vec<u8>>,
    /// Absolute wall-clock deadline in ms; `None` blocks forever (timeout 0).
    pub deadline: Option<hashslot_types::UnixMillis>,
    /// The arguments to run again after a write instead of the ones sent, when their meaning
    /// must be fixed at blocking time (XREAD's `$`, the last ID when the client blocked).
    pub argv: Option<Vec<Vec<u8>>>,
}

impl<'a> Ctx<'a> {
    /// A context for one command.
    pub fn new(
        dbs: &'a mut [Db],
        db_index: usize,
        now: Now,
        reply: Reply<'a>,
        rng: &'a mut Rng,
        stats: &'a mut KeyspaceStats,
    ) -> Self {
        Ctx {
            dbs,
            db_index,
            now,
            reply,
            rng,
            stats,
            dirty: 0,
            cluster_enabled: false,
            may_block: true,
            block: None,
            retrying_blocked: false,
            limits: EncodingLimits::REDIS_DEFAULT,
            keep_expired: false,
            replica: false,
            from_master: false,
        }
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.dbs[self.db_index]
    }

    /// Record keyspace notification `event` of `class` (bits of [`crate::notify::class`]) on
    /// `key` of the selected database, if `notify-keyspace-events` publishes it (Redis's
    /// `notifyKeyspaceEvent`, called where Redis calls it so events keep Redis's order).
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = self.db_index;
        self.notify_in(db, class, event, key);
    }

    /// [`Ctx::notify`] for a key of database `db` (MOVE, COPY … DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        let flags = self.limits.notify_keyspace_events;
        if flags == 0 {
            return;
        }
        self.dbs[self.db_index].record_event(flags, class, db, event, key);
    }
}
