//! The configuration table: every Redis 7.0 directive, what we act on, CONFIG GET/SET/REWRITE.
//!
//! Every parameter of Redis 7.0.15 (its `static_configs[]` table, TLS included, and the special
//! ones: `save`, `bind`, `dir`, `client-output-buffer-limit`, `oom-score-adj-values`,
//! `notify-keyspace-events`, `replicaof`, `latency-tracking-info-percentiles`) is known with its
//! aliases (`slaveof`, `slave-read-only`, `hash-max-ziplist-entries`, `lua-time-limit`…), type,
//! bounds, default and mutability. The file-only directives (`include`, `rename-command`, `user`,
//! `loadmodule`, `sentinel`, module `a.b` options) and the three names 7.0 ignores
//! (`list-max-ziplist-entries`, `list-max-ziplist-value`, `lua-replicate-commands`) are accepted
//! too, so the stock redis.conf of Redis 4.0 and 7.0 load as they are.
//!
//! Parameters the node or the driver reads have typed public fields; the rest are stored as the
//! text CONFIG GET prints. Only [`Applied::Acted`] parameters change hashslot's behaviour.

mod fields;
mod parse;
mod rewrite;
mod table;
mod value;

use hashslot_keyspace::glob_match;

pub use value::split_args;

use table::{HIDDEN, IMMUTABLE, PARAMS, PROTECTED};

/// Why a directive or a CONFIG SET was refused. `Display` is Redis's own text for the case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not a Redis directive, or a file-only directive (`include`, `rename-command`…) with the
    /// wrong number of arguments.
    #[error("Bad directive or wrong number of arguments")]
    BadDirective,
    /// A known single-value parameter given zero or several arguments (Redis 7.0 says this
    /// rather than "Bad directive…" for table parameters, e.g. `port 1 2`).
    #[error("wrong number of arguments")]
    WrongArgs,
    /// A value Redis would refuse, with Redis's explanation (`argument must be 'yes' or 'no'`,
    /// `argument must be between 0 and 65535 inclusive`, `Invalid save parameters`…).
    #[error("{0}")]
    Invalid(String),
    /// A refused CONFIG SET: the whole error reply, `ERR …` without the leading `-` and the
    /// CRLF, e.g. `ERR Unknown option or number of arguments for CONFIG SET - 'foo'`.
    #[error("{0}")]
    Reply(String),
}

/// What applying a directive did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// hashslot acts on this directive.
    Acted,
    /// A real Redis directive that hashslot accepts and stores (CONFIG GET shows it) but does not
    /// act on; the server lists these in one startup warning.
    Ignored,
}

/// `appendfsync`: when the AOF is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendFsync {
    /// `everysec` (the default).
    Everysec,
    /// `always`: before replying.
    Always,
    /// `no`: left to the OS.
    No,
}

/// One class of `client-output-buffer-limit` (`normal`, `replica`, `pubsub`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputBufferLimit {
    /// Close the client at once above this many bytes (0: no limit).
    pub hard_bytes: u64,
    /// Close the client when above this many bytes for `soft_seconds` (0: no limit).
    pub soft_bytes: u64,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

/// The node's configuration. Fields the node or driver read are public and typed; every
/// parameter is reached by name through [`Config::get`], [`Config::get_matching`],
/// [`Config::apply_startup`] and [`Config::set_runtime`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `port` (default 6379; 0 disables TCP).
    pub port: u16,
    /// `bind` addresses (default `* -::*`).
    pub bind: Vec<String>,
    /// `daemonize`
    pub daemonize: bool,
    /// `pidfile` (empty: none)
    pub pidfile: String,
    /// `logfile` (empty: standard output)
    pub logfile: String,
    /// `loglevel`
    pub loglevel: crate::LogLevel,
    /// `dir`, the working directory, as given. CONFIG GET shows the absolute path the driver
    /// reports with [`Config::set_dir_absolute`].
    pub dir: String,
    /// `protected-mode`
    pub protected_mode: bool,
    /// `tcp-backlog`
    pub tcp_backlog: u32,
    /// `maxclients`
    pub maxclients: u32,
    /// `cluster-enabled`
    pub cluster_enabled: bool,
    /// `requirepass` (None: no password)
    pub requirepass: Option<Vec<u8>>,
    /// `databases` (default 16).
    pub databases: u32,
    /// `timeout`: close clients idle this many seconds (0: never).
    pub timeout: u64,
    /// `tcp-keepalive` in seconds (0: off; default 300).
    pub tcp_keepalive: u64,
    /// `hz`: server cron frequency, 1..=500 once [`Config::finish_startup`] or CONFIG SET clamped
    /// it (default 10).
    pub hz: u32,
    /// `proto-max-bulk-len`: largest bulk string in a request, bytes (default 512 MiB).
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`: largest client query buffer, bytes (default 1 GiB).
    pub client_query_buffer_limit: u64,
    /// `cluster-config-file` (default `nodes.conf`).
    pub cluster_config_file: String,
    /// `cluster-node-timeout` in milliseconds (default 15000).
    pub cluster_node_timeout: u64,
    /// `cluster-port`: the bus port (0: `port` + 10000).
    pub cluster_port: u16,
    /// `cluster-announce-ip` (None: the address peers see).
    pub cluster_announce_ip: Option<String>,
    /// `cluster-announce-hostname` (None: none).
    pub cluster_announce_hostname: Option<String>,
    /// `cluster-announce-port` (0: `port`).
    pub cluster_announce_port: u16,
    /// `cluster-announce-bus-port` (0: the bus port).
    pub cluster_announce_bus_port: u16,
    /// `appendonly` (stored for persistence; not yet acted on).
    pub appendonly: bool,
    /// `appendfilename` (stored for persistence).
    pub appendfilename: String,
    /// `appenddirname` (stored for persistence).
    pub appenddirname: String,
    /// `appendfsync` (stored for persistence).
    pub appendfsync: AppendFsync,
    /// `dbfilename` (stored for persistence).
    pub dbfilename: String,
    /// `save` points as (seconds, changes) (stored for persistence; default 3600 1 300 100 60
    /// 10000). Several `save` lines in one file add up; CONFIG SET replaces.
    pub save: Vec<(u64, u64)>,
    /// `client-output-buffer-limit` for `normal`, `replica`, `pubsub`, in that order (stored).
    pub client_output_buffer_limit: [OutputBufferLimit; 3],
    /// `replicaof host port` (stored; not allowed with `cluster-enabled yes`).
    pub replicaof: Option<(String, u16)>,
    /// `rename-command from to` pairs, in file order (stored; the node must check the command
    /// exists: Redis refuses `No such command in rename-command`).
    pub rename_commands: Vec<(Vec<u8>, Vec<u8>)>,
    /// `include` paths met by [`Config::apply_startup`] (the driver expands includes itself).
    pub includes: Vec<String>,
    /// `user` lines (arguments after `user`), stored, not enforced.
    pub users: Vec<Vec<Vec<u8>>>,
    /// `loadmodule` lines (path then arguments), stored; hashslot loads no modules.
    pub loadmodules: Vec<Vec<Vec<u8>>>,
    /// Module options (`name.option value…`), stored.
    pub module_configs: Vec<(String, Vec<Vec<u8>>)>,
    /// The value CONFIG GET prints for every parameter without a typed field, by table index.
    others: Vec<String>,
    /// The absolute working directory, from the driver.
    dir_absolute: Option<String>,
    /// A `save` line was met while loading: later ones add to it rather than to the defaults.
    save_loaded: bool,
    /// Counts changes made through this type's methods (see [`Config::generation`]).
    generation: u64,
}

const DEFAULT_OBUF: [OutputBufferLimit; 3] = [
    OutputBufferLimit {
        hard_bytes: 0,
        soft_bytes: 0,
        soft_seconds: 0,
    },
    OutputBufferLimit {
        hard_bytes: 256 << 20,
        soft_bytes: 64 << 20,
        soft_seconds: 60,
    },
    OutputBufferLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_seconds: 60,
    },
];

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            daemonize: false,
            pidfile: String::new(),
            logfile: String::new(),
            loglevel: crate::LogLevel::Notice,
            dir: "./".into(),
            protected_mode: true,
            tcp_backlog: 511,
            maxclients: 10000,
            cluster_enabled: false,
            requirepass: None,
            databases: 16,
            timeout: 0,
            tcp_keepalive: 300,
            hz: 10,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            cluster_config_file: "nodes.conf".into(),
            cluster_node_timeout: 15000,
            cluster_port: 0,
            cluster_announce_ip: None,
            cluster_announce_hostname: None,
            cluster_announce_port: 0,
            cluster_announce_bus_port: 0,
            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            appendfsync: AppendFsync::Everysec,
            dbfilename: "dump.rdb".into(),
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            client_output_buffer_limit: DEFAULT_OBUF,
            replicaof: None,
            rename_commands: Vec::new(),
            includes: Vec::new(),
            users: Vec::new(),
            loadmodules: Vec::new(),
            module_configs: Vec::new(),
            others: PARAMS.iter().map(|p| p.default.to_string()).collect(),
            dir_absolute: None,
            save_loaded: false,
            generation: 0,
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Config {
    /// Apply one directive from a config file or the command line (`name` case-insensitive,
    /// `args` as tokenized by [`split_args`], without the name). Immutable directives are
    /// allowed here, unlike CONFIG SET. As in Redis, a multi-value parameter (`save`, `bind`…)
    /// given one non-empty argument splits it (`--save "60 1"`), and the first `save` line of a
    /// load replaces the default points while later ones add to them. Redis changes directory
    /// as it reads `dir` and fails if it cannot; the driver does that and then calls
    /// [`Config::set_dir_absolute`]. Call [`Config::finish_startup`] after the last directive.
    pub fn apply_startup(&mut self, name: &str, args: &[Vec<u8>]) -> Result<Applied, ConfigError> {
        // Counted whatever the directive does (`include`, `user`… are not `store`d).
        self.generation += 1;
        if let Some((idx, _)) = table::lookup(name.as_bytes()) {
            let p = &PARAMS[idx];
            let split;
            let args = if p.is_multi() {
                if args.len() == 1 && !args[0].is_empty() {
                    split = split_args(&args[0]).unwrap_or_default();
                    &split[..]
                } else {
                    args
                }
            } else if args.len() != 1 {
                return Err(ConfigError::WrongArgs);
            } else {
                args
            };
            let v = parse::parse(p, args).map_err(ConfigError::Invalid)?;
            self.store(idx, v, true);
            return Ok(if p.acted {
                Applied::Acted
            } else {
                Applied::Ignored
            });
        }
        let lower = name.to_ascii_lowercase();
        if table::DEPRECATED.contains(&lower.as_str()) && args.len() == 1 {
            return Ok(Applied::Ignored);
        }
        match (lower.as_str(), args) {
            ("include", [path]) => self.includes.push(lossy(path)),
            ("rename-command", [from, to]) => self.rename_commands.push((from.clone(), to.clone())),
            ("user", [_, ..]) => self.users.push(args.to_vec()),
            ("loadmodule", [_, ..]) => self.loadmodules.push(args.to_vec()),
            (n, _) if n.contains('.') => {
                if args.is_empty() {
                    return Err(ConfigError::Invalid(
                        "Module config specified without value".into(),
                    ));
                }
                self.module_configs.push((lower.clone(), args.to_vec()));
            }
            ("sentinel", []) => {}
            ("sentinel", _) => {
                return Err(ConfigError::Invalid(
                    "sentinel directive while not in sentinel mode".into(),
                ))
            }
            _ => return Err(ConfigError::BadDirective),
        }
        Ok(Applied::Ignored)
    }

    /// The checks Redis makes once the whole configuration is read: `replicaof` is refused in
    /// cluster mode, module options need a module, and `hz` is clamped to 1..=500.
    pub fn finish_startup(&mut self) -> Result<(), ConfigError> {
        self.generation += 1;
        self.hz = self.hz.clamp(1, 500);
        self.save_loaded = false;
        if self.cluster_enabled && self.replicaof.is_some() {
            return Err(ConfigError::Invalid(
                "replicaof directive not allowed in cluster mode".into(),
            ));
        }
        if !self.module_configs.is_empty() && self.loadmodules.is_empty() {
            return Err(ConfigError::Invalid(
                "Module Configuration detected without loadmodule directive or no ApplyConfig \
                 call: aborting"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The driver changed into `dir` (at startup, or after CONFIG SET dir): `path` is the
    /// absolute working directory, which CONFIG GET dir and CONFIG REWRITE show.
    pub fn set_dir_absolute(&mut self, path: impl Into<String>) {
        self.dir_absolute = Some(path.into());
        self.generation += 1;
    }

    /// A number that changes whenever a value changes through [`Config::apply_startup`],
    /// [`Config::finish_startup`], [`Config::set_runtime_from`] or
    /// [`Config::set_dir_absolute`]: the node pushes settings derived from the configuration
    /// (the cluster's) only when it moved, instead of re-reading them on every tick. Writes to
    /// the public fields do not count: the node never writes them once it owns the
    /// configuration (drivers set them before `Node::new`).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The current value of a parameter as CONFIG GET shows it (name or alias, any case, hidden
    /// parameters included), or `None` if unknown.
    pub fn get(&self, name: &str) -> Option<String> {
        table::lookup(name.as_bytes()).map(|(idx, _)| self.load(idx))
    }

    /// CONFIG GET with one or more patterns, as Redis 7.0: a pattern without `*?[` is an exact,
    /// case-insensitive name (reported as given, hidden parameters included); otherwise a
    /// case-insensitive glob over every name **and alias** (Redis 7.0.15's `CONFIG GET *` lists
    /// `slaveof`, `slave-read-only`… too), hidden parameters excepted. Each parameter name
    /// appears once. Redis's own order is its hash table's; ours is the table's (pattern by
    /// pattern), and clients must not rely on either. Values are as [`Config::get`].
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut seen: Vec<(usize, bool)> = Vec::new();
        let mut out = Vec::new();
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                if let Some(key) = table::lookup(pat) {
                    if !seen.contains(&key) {
                        seen.push(key);
                        out.push((lossy(pat), self.load(key.0)));
                    }
                }
                continue;
            }
            for (idx, p) in PARAMS.iter().enumerate() {
                if p.flags & HIDDEN != 0 {
                    continue;
                }
                let names = std::iter::once((p.name, false)).chain(p.alias.map(|a| (a, true)));
                for (name, is_alias) in names {
                    if !seen.contains(&(idx, is_alias)) && glob_match(pat, name.as_bytes(), true) {
                        seen.push((idx, is_alias));
                        out.push((name.to_string(), self.load(idx)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with one or more `(name, value)` pairs, for a client that is not local (see
    /// [`Config::set_runtime_from`]).
    pub fn set_runtime(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), ConfigError> {
        self.set_runtime_from(pairs, false)
    }

    /// CONFIG SET, all or nothing, with Redis 7.0's checks in its order: an unknown name first
    /// (`ERR Unknown option or number of arguments for CONFIG SET - 'foo'`), else the first
    /// immutable, protected (`dir`, `dbfilename` unless `enable-protected-configs` is `yes`, or
    /// `local` and `client_is_local`) or repeated name, else the first bad value (`ERR CONFIG
    /// SET failed (possibly related to argument 'x') - <reason>`). Errors are
    /// [`ConfigError::Reply`] with the reply text to send verbatim. Multi-value parameters split
    /// the value on spaces. After `dir` changes, the driver must chdir and call
    /// [`Config::set_dir_absolute`]; `port`/`bind` changes need it to re-listen. The node checks
    /// the pair count (odd → syntax error) itself.
    pub fn set_runtime_from(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        client_is_local: bool,
    ) -> Result<(), ConfigError> {
        let protected_ok = match self.get("enable-protected-configs").as_deref() {
            Some("yes") => true,
            Some("local") => client_is_local,
            _ => false,
        };
        let mut unknown: Option<&[u8]> = None;
        let mut refused: Option<(&[u8], &str)> = None;
        let mut found: Vec<((usize, bool), &[u8])> = Vec::new();
        for (name, value) in pairs {
            let Some(key) = table::lookup(name) else {
                if unknown.is_none() && refused.is_none() {
                    unknown = Some(name);
                }
                continue;
            };
            if unknown.is_some() || refused.is_some() {
                continue;
            }
            let flags = PARAMS[key.0].flags;
            if flags & IMMUTABLE != 0 {
                refused = Some((name, "can't set immutable config"));
            } else if flags & PROTECTED != 0 && !protected_ok {
                refused = Some((name, "can't set protected config"));
            } else if found.iter().any(|(k, _)| *k == key) {
                refused = Some((name, "duplicate parameter"));
            }
            found.push((key, value));
        }
        if let Some(name) = unknown {
            return Err(ConfigError::Reply(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                lossy(name)
            )));
        }
        let failed = |name: &str, why: &str| {
            ConfigError::Reply(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ))
        };
        if let Some((name, why)) = refused {
            return Err(failed(&lossy(name), why));
        }
        let mut next = self.clone();
        for ((idx, is_alias), value) in found {
            let p = &PARAMS[idx];
            let args = if p.is_multi() {
                value::split_spaces(value)
            } else {
                vec![value.to_vec()]
            };
            match parse::parse(p, &args) {
                Ok(v) => next.store(idx, v, false),
                Err(why) => {
                    let name = if is_alias {
                        p.alias.unwrap_or(p.name)
                    } else {
                        p.name
                    };
                    return Err(failed(name, &why));
                }
            }
        }
        // Redis's apply step for `hz` caps it.
        next.hz = next.hz.clamp(1, 500);
        next.generation = self.generation + 1;
        *self = next;
        Ok(())
    }

    /// CONFIG REWRITE: the new text of the config file whose current text is `original`, as
    /// Redis 7.0 writes it: comments and unknown-to-the-rewriter lines kept, each parameter's
    /// first line replaced by its current value, its other lines blanked, non-default
    /// parameters missing from the file appended after `# Generated by CONFIG REWRITE`, and lines
    /// Redis would not accept turned into `# ??? <line>`. `user` and `loadmodule` lines are kept
    /// as they are. The driver writes the file.
    pub fn rewrite(&self, original: &str) -> String {
        rewrite::rewrite(self, original)
    }

    /// Whether `name` (or alias) is a parameter hashslot acts on; `None` if unknown.
    pub fn is_acted(name: &str) -> Option<bool> {
        table::lookup(name.as_bytes()).map(|(idx, _)| PARAMS[idx].acted)
    }

    /// The canonical names of every parameter (aliases and file-only directives excepted), in
    /// table order, with whether hashslot acts on it: for the server's startup warning and docs.
    pub fn parameters() -> impl Iterator<Item = (&'static str, bool)> {
        PARAMS.iter().map(|p| (p.name, p.acted))
    }
}

#[cfg(test)]
mod tests;
