//! Permission checks: may this user run this command with these keys and channels
//! (Redis's `ACLCheckAllUserCommandPerm` and `ACLSelectorCheckCmd`).

use std::sync::OnceLock;

use hashslot_keyspace::flags;
use hashslot_keyspace::glob_match;
use hashslot_keyspace::meta::{self, ks};

use super::selector::{Selector, KEY_READ, KEY_WRITE};
use super::user::User;
use crate::table::Table;

/// Why a command was refused, with the argument position of the key or channel at fault.
/// The order is Redis's (`ACL_DENIED_CMD` < `KEY` < `CHANNEL`): with several selectors, the
/// highest kind wins, then the last position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Denied {
    /// The command (or subcommand) is not allowed.
    Command,
    /// The key at this argument position is not allowed.
    Key(usize),
    /// The channel at this argument position is not allowed.
    Channel(usize),
}

/// What the ACL check needs of each table entry's keys, worked out once (the check runs
/// before every command of a user with key patterns).
struct EntryKeys {
    /// Redis's key specs, when it has the command.
    specs: &'static [meta::KeySpec],
    /// Keys come from the specs (some spec is a key, none has variable flags).
    by_specs: bool,
    /// The command may name keys at all (Redis's `doesCommandHaveKeys`).
    has_keys: bool,
    /// The channels it names and checks (Redis's `commands_with_channels`; the UNSUBSCRIBE
    /// family names channels it does not check).
    channels: Channels,
}

/// Which arguments are channels the ACL checks.
#[derive(Clone, Copy)]
enum Channels {
    None,
    /// Every argument after the name; patterns when `true` (PSUBSCRIBE).
    All(bool),
    /// The first argument (PUBLISH, SPUBLISH).
    First,
}

fn entry_keys() -> &'static [EntryKeys] {
    static KEYS: OnceLock<Vec<EntryKeys>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Table::get()
            .entries
            .iter()
            .map(|e| {
                let m = meta::redis_meta(e.name);
                let specs = m.map_or(&[][..], |m| m.key_specs);
                let has_keyspec = specs.iter().any(|s| s.flags & ks::NOT_KEY == 0);
                let has_varflags = specs.iter().any(|s| s.flags & ks::VARIABLE_FLAGS != 0);
                EntryKeys {
                    specs,
                    by_specs: has_keyspec && !has_varflags,
                    has_keys: match m {
                        Some(_) => e.get_keys.is_some() || has_keyspec,
                        None => e.get_keys.is_some() || e.first_key > 0,
                    },
                    channels: match e.name {
                        "subscribe" | "ssubscribe" => Channels::All(false),
                        "psubscribe" => Channels::All(true),
                        "publish" | "spublish" => Channels::First,
                        _ => Channels::None,
                    },
                }
            })
            .collect()
    })
}

/// The keys of a request with their key-spec flags, as `getKeysFromCommandWithSpecs` gives
/// them to the ACL check: by Redis's key specs when they can be followed and their flags are
/// fixed, else by the command's own key positions with the flags Redis's key finders give.
pub(crate) fn key_refs(idx: usize, args: &[&[u8]]) -> Vec<(usize, u16)> {
    let t = Table::get();
    let e = &t.entries[idx];
    let info = &entry_keys()[idx];
    if info.by_specs {
        let mut keyspecs = info.specs.iter().filter(|s| s.flags & ks::NOT_KEY == 0);
        let found = match (keyspecs.next(), keyspecs.next()) {
            // One spec (most commands): one pass, every key with its flags.
            (Some(s), None) => meta::key_positions_by_specs(info.specs, args)
                .map(|pos| pos.into_iter().map(|p| (p, s.flags)).collect()),
            // Several: spec by spec, to keep each key's own flags.
            _ => info
                .specs
                .iter()
                .filter(|s| s.flags & ks::NOT_KEY == 0)
                .try_fold(Vec::new(), |mut out, s| {
                    let pos = meta::key_positions_by_specs(std::slice::from_ref(s), args)?;
                    out.extend(pos.into_iter().map(|p| (p, s.flags)));
                    Some(out)
                }),
        };
        if let Some(keys) = found {
            return keys;
        }
    }
    if e.get_keys.is_none() && e.first_key <= 0 {
        return Vec::new();
    }
    let mut pos = Vec::new();
    t.key_positions(idx, args, &mut pos);
    pos.into_iter()
        .enumerate()
        .map(|(i, p)| (p, fallback_flags(e.name, e.flags, args, i)))
        .collect()
}

/// The flags Redis's own key finders give (`setGetKeys`, `bitfieldGetKeys`, `sortGetKeys`,
/// `migrateGetKeys`) for the `nth` key found; other commands by their write flag.
fn fallback_flags(name: &str, cmd_flags: u32, args: &[&[u8]], nth: usize) -> u16 {
    const READ: u16 = ks::RO | ks::ACCESS;
    const READ_WRITE: u16 = ks::RW | ks::ACCESS | ks::UPDATE;
    match name {
        "set" if args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) => READ_WRITE,
        "set" => ks::OW | ks::UPDATE,
        "bitfield" if bitfield_readonly(args) => READ,
        "bitfield" => READ_WRITE,
        "sort" if nth > 0 => ks::OW | ks::UPDATE,
        "sort" | "sort_ro" => READ,
        "migrate" => ks::RW | ks::ACCESS | ks::DELETE,
        _ if cmd_flags & flags::WRITE != 0 => READ_WRITE,
        _ => READ,
    }
}

/// Whether BITFIELD's arguments only GET (Ref: db.c bitfieldGetKeys; a syntax error counts
/// as a write).
fn bitfield_readonly(args: &[&[u8]]) -> bool {
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        let a = args[i];
        if a.eq_ignore_ascii_case(b"get") && more >= 2 {
            i += 3;
        } else if (a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby")) && more >= 3
        {
            return false;
        } else if a.eq_ignore_ascii_case(b"overflow") && more >= 1 {
            i += 2;
        } else {
            return false;
        }
    }
    true
}

/// Whether the command may name keys at all (Redis's `doesCommandHaveKeys`).
fn has_keys(idx: usize) -> bool {
    entry_keys()[idx].has_keys
}

/// The argument positions of the channels a request names, and whether they are patterns.
fn channel_refs(idx: usize, args: &[&[u8]]) -> Option<(std::ops::Range<usize>, bool)> {
    let n = args.len();
    match entry_keys()[idx].channels {
        Channels::None => None,
        Channels::All(pattern) => Some((1..n, pattern)),
        Channels::First => Some((1..2.min(n), false)),
    }
}

/// Whether `channel` is allowed by `list`: a pattern (PSUBSCRIBE's) must equal one of the
/// rules literally; a channel is matched against them as globs.
pub(crate) fn channel_allowed(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p[..] == *channel
        } else {
            glob_match(p, channel, false)
        }
    })
}

fn key_allowed(sel: &Selector, key: &[u8], spec_flags: u16) -> bool {
    if sel.allkeys {
        return true;
    }
    let mut need = 0;
    if spec_flags & ks::ACCESS != 0 {
        need |= KEY_READ;
    }
    if spec_flags & (ks::INSERT | ks::DELETE | ks::UPDATE) != 0 {
        need |= KEY_WRITE;
    }
    sel.patterns
        .iter()
        .any(|p| p.flags & need == need && glob_match(&p.pattern, key, false))
}

/// One selector's verdict (Redis's `ACLSelectorCheckCmd`). `keys` is filled on first need.
fn check_selector(
    sel: &Selector,
    idx: usize,
    args: &[&[u8]],
    keys: &mut Option<Vec<(usize, u16)>>,
) -> Result<(), Denied> {
    let e = &Table::get().entries[idx];
    if !sel.allcommands && e.flags & flags::NO_AUTH == 0 && !sel.bit(idx) {
        // Allowed only with one of its allowed first arguments, if it has any.
        let arg = args.get(if e.parent.is_some() { 2 } else { 1 });
        let ok = match (arg, sel.firstargs.get(&idx)) {
            (Some(a), Some(list)) if args.len() >= 2 => {
                list.iter().any(|f| f.eq_ignore_ascii_case(a))
            }
            _ => false,
        };
        if !ok {
            return Err(Denied::Command);
        }
    }
    if !sel.allkeys && has_keys(idx) {
        let keys = keys.get_or_insert_with(|| key_refs(idx, args));
        for &(pos, fl) in keys.iter() {
            if !key_allowed(sel, args[pos], fl) {
                return Err(Denied::Key(pos));
            }
        }
    }
    if !sel.allchannels {
        if let Some((range, is_pattern)) = channel_refs(idx, args) {
            for pos in range {
                if !channel_allowed(&sel.channels, args[pos], is_pattern) {
                    return Err(Denied::Channel(pos));
                }
            }
        }
    }
    Ok(())
}

/// Whether `user` may run entry `idx` with `args`; else the reason Redis would report.
pub(crate) fn check(user: &User, idx: usize, args: &[&[u8]]) -> Result<(), Denied> {
    let mut worst = Denied::Command;
    let mut keys = None;
    for sel in &user.selectors {
        match check_selector(sel, idx, args, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => worst = worst.max(d),
        }
    }
    Err(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(ops: &[&str]) -> User {
        let mut u = User::new(b"u", false);
        for op in ops {
            u.apply(op.as_bytes(), false).unwrap();
        }
        u
    }

    fn run(u: &User, args: &[&str]) -> Result<(), Denied> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let idx = match Table::get().lookup(&args) {
            crate::table::Lookup::Found(i) => i,
            other => panic!("{other:?}"),
        };
        check(u, idx, &args)
    }

    #[test]
    fn commands_keys_channels() {
        let u = user(&["+get", "+set", "+publish", "+psubscribe", "~k*", "&ch*"]);
        assert_eq!(run(&u, &["GET", "k1"]), Ok(()));
        assert_eq!(run(&u, &["GET", "x"]), Err(Denied::Key(1)));
        assert_eq!(run(&u, &["DEL", "k1"]), Err(Denied::Command));
        assert_eq!(run(&u, &["AUTH", "a", "b"]), Ok(()));
        assert_eq!(run(&u, &["PUBLISH", "ch1", "m"]), Ok(()));
        assert_eq!(run(&u, &["PUBLISH", "x", "m"]), Err(Denied::Channel(1)));
        assert_eq!(run(&u, &["PSUBSCRIBE", "ch*"]), Ok(()));
        assert_eq!(run(&u, &["PSUBSCRIBE", "ch1"]), Err(Denied::Channel(1)));
    }

    #[test]
    fn read_write_patterns() {
        let u = user(&["+@all", "%R~r*", "%W~w*"]);
        assert_eq!(run(&u, &["GET", "r1"]), Ok(()));
        assert_eq!(run(&u, &["GET", "w1"]), Err(Denied::Key(1)));
        assert_eq!(run(&u, &["SET", "w1", "v"]), Ok(()));
        assert_eq!(run(&u, &["SET", "r1", "v"]), Err(Denied::Key(1)));
        // LMOVE reads and writes its source (RW access delete) and writes its destination.
        assert_eq!(
            run(&u, &["LMOVE", "r1", "w1", "LEFT", "LEFT"]),
            Err(Denied::Key(1))
        );
    }

    #[test]
    fn selectors_and_first_args() {
        let u = user(&["+select|0", "(+get ~a*)", "(+get ~b*)"]);
        assert_eq!(run(&u, &["SELECT", "0"]), Ok(()));
        assert_eq!(run(&u, &["SELECT", "1"]), Err(Denied::Command));
        assert_eq!(run(&u, &["GET", "b1"]), Ok(()));
        assert_eq!(run(&u, &["GET", "c"]), Err(Denied::Key(1)));
        assert_eq!(run(&u, &["MGET", "c"]), Err(Denied::Command));
    }
}
