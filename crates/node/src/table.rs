//! The command table: the keyspace's data commands merged with the node's own, looked up
//! case-insensitively without allocating.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use hashslot_keyspace::{CommandSpec, Handler};

use crate::commands::{self, NodeHandler};

/// Longest command name we look up (`container|subcommand` included); anything longer is
/// unknown without looking.
const MAX_NAME: usize = 64;

/// Key positions of a command with movable keys (`CommandSpec::get_keys`).
pub(crate) type GetKeys = fn(&[&[u8]], &mut Vec<usize>);

/// How a table entry runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Exec {
    /// A data command over the keyspace.
    Keyspace(Handler),
    /// A node command (PING, CLIENT…, INFO…).
    Node(NodeHandler),
    /// A container (CLIENT, CONFIG…) whose subcommands run instead.
    Container,
}

/// One command or subcommand, with the metadata COMMAND INFO/DOCS show.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Full lowercase name: `get`, `client|list`.
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub key_step: i32,
    pub get_keys: Option<GetKeys>,
    pub acl_categories: &'static [&'static str],
    pub group: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    /// Indices of the subcommands, for containers.
    pub subs: Vec<usize>,
    /// Index of the container, for subcommands.
    pub parent: Option<usize>,
    pub exec: Exec,
}

/// FNV-1a: command names are from our own table, so lookups need no keyed hasher; a fixed one
/// keeps the node deterministic (no iteration of this map reaches an output).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// What a request's name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The entry to run (a container itself when it was sent alone).
    Found(usize),
    /// No such command.
    UnknownCommand,
    /// A container with a subcommand it does not have.
    UnknownSubcommand(usize),
}

/// All commands.
#[derive(Debug)]
pub(crate) struct Table {
    /// Every entry; top-level commands in table order, each followed by its subcommands.
    pub entries: Vec<Entry>,
    /// Top-level entries in table order (COMMAND, COMMAND COUNT).
    pub top: Vec<usize>,
    by_name: HashMap<&'static [u8], usize, BuildHasherDefault<Fnv>>,
}

impl Table {
    /// The process-wide table (it depends only on code, not on configuration).
    pub(crate) fn get() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(Table::build)
    }

    fn build() -> Table {
        let mut t = Table {
            entries: Vec::new(),
            top: Vec::new(),
            by_name: HashMap::default(),
        };
        // The keyspace's commands come first and win a name clash (e.g. DBSIZE).
        for spec in hashslot_keyspace::commands() {
            t.add(spec, None, Exec::Keyspace);
        }
        for spec in commands::TABLE {
            t.add(spec, None, Exec::Node);
        }
        t
    }

    fn add<H: Copy>(
        &mut self,
        spec: &'static CommandSpec<H>,
        parent: Option<usize>,
        f: fn(H) -> Exec,
    ) {
        debug_assert!(
            spec.name.len() <= MAX_NAME,
            "command name too long: {}",
            spec.name
        );
        if self.by_name.contains_key(spec.name.as_bytes()) {
            return;
        }
        let idx = self.entries.len();
        // COMMAND runs itself when sent alone and has subcommands too; CLIENT has no handler.
        let exec = match spec.handler {
            Some(h) => f(h),
            None => Exec::Container,
        };
        self.entries.push(Entry {
            name: spec.name,
            arity: spec.arity,
            flags: spec.flags,
            first_key: spec.first_key,
            last_key: spec.last_key,
            key_step: spec.key_step,
            get_keys: spec.get_keys,
            acl_categories: spec.acl_categories,
            group: spec.group,
            summary: spec.summary,
            since: spec.since,
            complexity: spec.complexity,
            subs: Vec::new(),
            parent,
            exec,
        });
        self.by_name.insert(spec.name.as_bytes(), idx);
        match parent {
            Some(p) => self.entries[p].subs.push(idx),
            None => self.top.push(idx),
        }
        for sub in spec.subcommands {
            self.add(sub, Some(idx), f);
        }
    }

    /// The entry with this full name, case-insensitively (`GET`, `Client|List`).
    pub(crate) fn find(&self, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; MAX_NAME];
        let lower = buf.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).copied()
    }

    /// Resolve a request as Redis 7.0's `lookupCommand`: the first argument names a top-level
    /// command; a container sent with more arguments resolves the second as its subcommand.
    pub(crate) fn lookup(&self, args: &[&[u8]]) -> Lookup {
        let Some(base) = self
            .find(args[0])
            .filter(|&i| self.entries[i].parent.is_none())
        else {
            return Lookup::UnknownCommand;
        };
        let entry = &self.entries[base];
        if args.len() == 1 || entry.subs.is_empty() {
            return Lookup::Found(base);
        }
        let (cname, sub) = (entry.name.as_bytes(), args[1]);
        let mut buf = [0u8; MAX_NAME];
        let len = cname.len() + 1 + sub.len();
        if len > MAX_NAME {
            return Lookup::UnknownSubcommand(base);
        }
        buf[..cname.len()].copy_from_slice(cname);
        buf[cname.len()] = b'|';
        buf[cname.len() + 1..len].copy_from_slice(sub);
        match self.find(&buf[..len]) {
            Some(i) if self.entries[i].parent == Some(base) => Lookup::Found(i),
            _ => Lookup::UnknownSubcommand(base),
        }
    }

    /// Whether `argc` arguments satisfy the entry's arity.
    pub(crate) fn arity_ok(&self, idx: usize, argc: usize) -> bool {
        let a = self.entries[idx].arity;
        let argc = argc as i64;
        if a >= 0 {
            argc == i64::from(a)
        } else {
            argc >= -i64::from(a)
        }
    }

    /// The key positions of a request for entry `idx` (COMMAND GETKEYS, cluster routing).
    pub(crate) fn key_positions(&self, idx: usize, args: &[&[u8]], out: &mut Vec<usize>) {
        let e = &self.entries[idx];
        if let Some(f) = e.get_keys {
            f(args, out);
            return;
        }
        if e.first_key <= 0 {
            return;
        }
        let argc = args.len() as i64;
        let last = if e.last_key < 0 {
            argc + i64::from(e.last_key)
        } else {
            i64::from(e.last_key)
        };
        let step = i64::from(e.key_step.max(1));
        let mut i = i64::from(e.first_key);
        while i <= last && i < argc {
            out.push(i as usize);
            i += step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_resolves_subcommands() {
        let t = Table::get();
        let ping = t.find(b"ping").expect("ping");
        assert_eq!(t.lookup(&[b"PiNg"]), Lookup::Found(ping));
        let list = t.find(b"client|list").expect("client|list");
        assert_eq!(t.lookup(&[b"CLIENT", b"List"]), Lookup::Found(list));
        let client = t.find(b"client").unwrap();
        assert_eq!(
            t.lookup(&[b"client", b"nope"]),
            Lookup::UnknownSubcommand(client)
        );
        assert_eq!(t.lookup(&[b"client"]), Lookup::Found(client));
        assert_eq!(t.lookup(&[b"client|list"]), Lookup::UnknownCommand);
        assert_eq!(t.lookup(&[b"nosuchcommand"]), Lookup::UnknownCommand);
        assert_eq!(t.lookup(&[&[b'x'; 200][..]]), Lookup::UnknownCommand);
        assert!(!t.arity_ok(client, 1));
    }
}
