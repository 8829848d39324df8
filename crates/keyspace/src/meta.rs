//! Redis 7.0.15's command metadata beyond the legacy COMMAND INFO fields: tips, key
//! specifications and documentation (doc flags, deprecation, history, arguments), as
//! `COMMAND INFO` and `COMMAND DOCS` report them. The data (`meta_table.rs`) is generated from a
//! real redis-server by `tools/gen_specs.py PORT meta`; this module holds its shape and lookup.
//!
//! Key specifications are what cluster-aware clients route by and what `COMMAND GETKEYS` reads
//! (Redis 7.0's `getKeysUsingKeySpecs`), so they are kept exactly as Redis declares them.

/// Key-spec flags (`CMD_KEY_*`), in the order COMMAND INFO prints them.
pub mod ks {
    /// Read-only access to the key's value.
    pub const RO: u16 = 1 << 0;
    /// Read-write access.
    pub const RW: u16 = 1 << 1;
    /// Overwrite: the value is replaced without being read.
    pub const OW: u16 = 1 << 2;
    /// The key is deleted.
    pub const RM: u16 = 1 << 3;
    /// The value is returned or its content read.
    pub const ACCESS: u16 = 1 << 4;
    /// The value is updated.
    pub const UPDATE: u16 = 1 << 5;
    /// Data is inserted.
    pub const INSERT: u16 = 1 << 6;
    /// Data is deleted.
    pub const DELETE: u16 = 1 << 7;
    /// Not a key (a shard channel), though it hashes to a slot like one.
    pub const NOT_KEY: u16 = 1 << 8;
    /// The spec may miss keys.
    pub const INCOMPLETE: u16 = 1 << 9;
    /// The flags depend on the arguments.
    pub const VARIABLE_FLAGS: u16 = 1 << 10;

    /// Flag bits with their COMMAND INFO names, in Redis's order.
    pub const NAMES: &[(u16, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Argument flags (`CMD_ARG_*`), in the order COMMAND DOCS prints them.
pub mod arg {
    /// The argument may be left out.
    pub const OPTIONAL: u8 = 1 << 0;
    /// The argument may repeat.
    pub const MULTIPLE: u8 = 1 << 1;
    /// The argument repeats with its token each time.
    pub const MULTIPLE_TOKEN: u8 = 1 << 2;

    /// Flag bits with their COMMAND DOCS names, in Redis's order.
    pub const NAMES: &[(u8, &str)] = &[
        (OPTIONAL, "optional"),
        (MULTIPLE, "multiple"),
        (MULTIPLE_TOKEN, "multiple_token"),
    ];
}

/// Where a key spec starts looking for keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Not knowable from the arguments (SORT's BY/GET patterns).
    Unknown,
    /// At this argument index.
    Index(i32),
    /// After this keyword, searched from `startfrom` (negative: from the end, backwards).
    Keyword(&'static str, i32),
}

/// How a key spec finds its keys from where it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// Not knowable from the arguments.
    Unknown,
    /// Keys up to `lastkey` (relative to the first; negative counts from the end), every
    /// `keystep`; with `limit` > 0 and `lastkey` -1, only `1/limit` of the rest.
    Range {
        /// Last key, relative.
        lastkey: i32,
        /// Step between keys.
        keystep: i32,
        /// Divisor of the remaining arguments (0: none).
        limit: i32,
    },
    /// A count at `keynumidx`, then that many keys from `firstkey`, every `keystep`.
    Keynum {
        /// Index of the count, relative to the begin.
        keynumidx: i32,
        /// First key, relative to the begin.
        firstkey: i32,
        /// Step between keys.
        keystep: i32,
    },
}

/// One key specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Redis's explanatory note, when it has one.
    pub notes: Option<&'static str>,
    /// Bits of [`ks`].
    pub flags: u16,
    /// Where the search begins.
    pub begin: Begin,
    /// How keys are found.
    pub find: Find,
}

/// One documented argument of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    /// Argument name.
    pub name: &'static str,
    /// `string`, `integer`, `double`, `key`, `pattern`, `unix-time`, `pure-token`, `oneof`,
    /// `block`.
    pub kind: &'static str,
    /// Index of the key spec a `key` argument belongs to (-1: none).
    pub key_spec_index: i32,
    /// Literal token before the value (`NX`, `LIMIT`…).
    pub token: Option<&'static str>,
    /// Short description.
    pub summary: Option<&'static str>,
    /// Version that added the argument.
    pub since: Option<&'static str>,
    /// Version that deprecated it.
    pub deprecated_since: Option<&'static str>,
    /// Bits of [`arg`].
    pub flags: u8,
    /// Nested arguments of a `oneof` or `block`.
    pub args: &'static [Arg],
}

impl Arg {
    /// An argument with a name and type and nothing else (the generated table adds the rest).
    pub const fn new(name: &'static str, kind: &'static str) -> Self {
        Arg {
            name,
            kind,
            key_spec_index: -1,
            token: None,
            summary: None,
            since: None,
            deprecated_since: None,
            flags: 0,
            args: &[],
        }
    }

    /// With a key spec index.
    pub const fn key_spec(self, i: i32) -> Self {
        Arg {
            key_spec_index: i,
            ..self
        }
    }

    /// With a token.
    pub const fn token(self, t: &'static str) -> Self {
        Arg {
            token: Some(t),
            ..self
        }
    }

    /// With a summary.
    pub const fn summary(self, s: &'static str) -> Self {
        Arg {
            summary: Some(s),
            ..self
        }
    }

    /// With the version that added it.
    pub const fn since(self, s: &'static str) -> Self {
        Arg {
            since: Some(s),
            ..self
        }
    }

    /// With the version that deprecated it.
    pub const fn deprecated_since(self, s: &'static str) -> Self {
        Arg {
            deprecated_since: Some(s),
            ..self
        }
    }

    /// With flags.
    pub const fn flags(self, f: u8) -> Self {
        Arg { flags: f, ..self }
    }

    /// With nested arguments.
    pub const fn args(self, a: &'static [Arg]) -> Self {
        Arg { args: a, ..self }
    }
}

/// One command's (or subcommand's) metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Full lowercase name (`client|list` for a subcommand).
    pub name: &'static str,
    /// Tips (`nondeterministic_output`, `request_policy:all_shards`…).
    pub tips: &'static [&'static str],
    /// Key specifications, in Redis's order (arguments refer to them by index).
    pub key_specs: &'static [KeySpec],
    /// Doc flags (`deprecated`, `syscmd`).
    pub doc_flags: &'static [&'static str],
    /// Version that deprecated the command.
    pub deprecated_since: Option<&'static str>,
    /// What replaces a deprecated command.
    pub replaced_by: Option<&'static str>,
    /// `(version, change)` pairs.
    pub history: &'static [(&'static str, &'static str)],
    /// Documented arguments; `None` for a command Redis documents without any.
    pub arguments: Option<&'static [Arg]>,
}

/// Redis 7.0.15's metadata of command `name` (full lowercase name, `client|list` for a
/// subcommand), `None` for a name redis-server does not have.
pub fn redis_meta(name: &str) -> Option<&'static Meta> {
    let table = crate::meta_table::META;
    table
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// Every command and subcommand name redis-server 7.0.15 has, sorted.
pub fn redis_command_names() -> impl Iterator<Item = &'static str> {
    crate::meta_table::META.iter().map(|m| m.name)
}

/// Key positions of `argv` (the command and its arguments) by Redis's key specs, as
/// `getKeysUsingKeySpecs` with `GET_KEYSPEC_DEFAULT` finds them: specs flagged `not_key` are
/// skipped; `None` when a spec cannot be followed (unknown or incomplete, a bad key count, keys
/// past the end), where Redis falls back to the command's own key-finding code.
pub fn key_positions_by_specs(specs: &[KeySpec], argv: &[&[u8]]) -> Option<Vec<usize>> {
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    for spec in specs {
        if spec.flags & ks::NOT_KEY != 0 {
            continue;
        }
        let mut first: i64 = match spec.begin {
            Begin::Index(i) => i64::from(i),
            Begin::Keyword(kw, startfrom) => {
                let startfrom = i64::from(startfrom);
                let (start, end) = if startfrom > 0 {
                    (startfrom, argc - 1)
                } else {
                    (argc + startfrom, 1)
                };
                let mut found = 0;
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()) {
                        found = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            Begin::Unknown => return None,
        };
        let (last, step) = match spec.find {
            Find::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let (lastkey, limit) = (i64::from(lastkey), i64::from(limit));
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (last, i64::from(keystep))
            }
            Find::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let at = first + i64::from(keynumidx);
                if i64::from(keynumidx) >= argc || at >= argc {
                    return None;
                }
                let n = crate::util::parse_i64(argv[at as usize]).filter(|&n| n >= 0)?;
                first += i64::from(firstkey);
                (first + n - 1, i64::from(keystep))
            }
            Find::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push(i as usize);
            i += step.max(1);
        }
        if spec.flags & ks::INCOMPLETE != 0 {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, args: &[&str]) -> Option<Vec<usize>> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        key_positions_by_specs(redis_meta(name).expect(name).key_specs, &argv)
    }

    #[test]
    fn table_is_sorted_and_complete() {
        let names: Vec<&str> = redis_command_names().collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        let top = names.iter().filter(|n| !n.contains('|')).count();
        assert_eq!(top, 240, "redis-server 7.0.15 has 240 commands");
        assert!(redis_meta("client|list").is_some());
        assert!(redis_meta("nosuch").is_none());
    }

    #[test]
    fn keys_follow_the_specs_in_spec_order() {
        // Destination first: its spec comes before the sources'.
        assert_eq!(
            keys(
                "zunionstore",
                &["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"]
            ),
            Some(vec![1, 3, 4])
        );
        assert_eq!(
            keys("mset", &["mset", "a", "1", "b", "2"]),
            Some(vec![1, 3])
        );
        assert_eq!(keys("blpop", &["blpop", "a", "b", "0"]), Some(vec![1, 2]));
        // Shard channels are not keys; SORT's STORE is an unknown spec.
        assert_eq!(keys("spublish", &["spublish", "ch", "m"]), Some(vec![]));
        assert_eq!(keys("sort", &["sort", "l", "STORE", "x"]), None);
        // A bad key count makes the spec unusable.
        assert_eq!(keys("zunionstore", &["zunionstore", "d", "x", "a"]), None);
        assert_eq!(keys("zunionstore", &["zunionstore", "d", "5", "a"]), None);
    }
}
