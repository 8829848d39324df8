//! A selector: the commands, keys and channels one set of ACL rules allows (Redis's
//! `aclSelector`). Every user has a root selector; `(...)` rules add more.

use std::collections::BTreeMap;

use super::categories::entry_masks;
use crate::table::Table;

/// Key pattern permission: the key may be read (`%R~`).
pub(crate) const KEY_READ: u8 = 1;
/// Key pattern permission: the key may be written (`%W~`).
pub(crate) const KEY_WRITE: u8 = 2;
/// Both (`~`, `%RW~`).
pub(crate) const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

/// One key pattern with its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyPattern {
    /// `KEY_READ` / `KEY_WRITE` bits.
    pub flags: u8,
    /// A glob, as KEYS takes.
    pub pattern: Vec<u8>,
}

/// What a selector allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    /// `allkeys` / `~*`: any key, whatever the patterns.
    pub allkeys: bool,
    /// `allchannels` / `&*`.
    pub allchannels: bool,
    /// `allcommands` / `+@all` and no command removed since: the bits need not be read.
    pub allcommands: bool,
    /// Redis's reserved last command bit: set by `+@all`, cleared only by `-@all`. It tells
    /// ACL LIST whether to describe the commands from `+@all` or from `-@all`.
    pub future: bool,
    /// One bit per command table entry (subcommands included).
    bits: Vec<u64>,
    /// `+cmd|arg` for a command without subcommands: the first arguments allowed while the
    /// command itself is not, by table entry, in the order added.
    pub firstargs: BTreeMap<usize, Vec<Vec<u8>>>,
    /// Key patterns in the order added.
    pub patterns: Vec<KeyPattern>,
    /// Channel patterns in the order added.
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// A selector that allows nothing; `allchannels` per `acl-pubsub-default`.
    pub(crate) fn new(allchannels: bool) -> Self {
        let n = Table::get().entries.len();
        Selector {
            allkeys: false,
            allchannels,
            allcommands: false,
            future: false,
            bits: vec![0; n.div_ceil(64)],
            firstargs: BTreeMap::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// Whether command entry `idx`'s own bit is set.
    pub(crate) fn bit(&self, idx: usize) -> bool {
        self.bits
            .get(idx / 64)
            .is_some_and(|w| w & (1u64 << (idx % 64)) != 0)
    }

    /// Set or clear entry `idx`'s bit; clearing one ends `allcommands`.
    pub(crate) fn set_bit(&mut self, idx: usize, value: bool) {
        let Some(w) = self.bits.get_mut(idx / 64) else {
            return;
        };
        if value {
            *w |= 1u64 << (idx % 64);
        } else {
            *w &= !(1u64 << (idx % 64));
            self.allcommands = false;
        }
    }

    /// `+@all` / `-@all`.
    pub(crate) fn set_all_commands(&mut self, value: bool) {
        let fill = if value { u64::MAX } else { 0 };
        self.bits.iter_mut().for_each(|w| *w = fill);
        self.allcommands = value;
        self.future = value;
        self.firstargs.clear();
    }

    /// Allow or forbid a command, and with a container all its subcommands
    /// (Redis's `ACLChangeSelectorPerm`).
    pub(crate) fn change_perm(&mut self, idx: usize, allow: bool) {
        self.set_bit(idx, allow);
        self.firstargs.remove(&idx);
        for &sub in &Table::get().entries[idx].subs {
            self.set_bit(sub, allow);
        }
    }

    /// `+@cat` / `-@cat`: every command of the category, in table order, as Redis walks its
    /// command table (a container in the category brings all its subcommands).
    pub(crate) fn set_category(&mut self, cat: usize, allow: bool) {
        let masks = entry_masks();
        for (idx, m) in masks.iter().enumerate() {
            if m & (1 << cat) != 0 {
                self.change_perm(idx, allow);
            }
        }
    }

    /// How many commands of category `cat` are allowed (`on`) and not (`off`).
    pub(crate) fn count_category(&self, cat: usize) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (idx, m) in entry_masks().iter().enumerate() {
            if m & (1 << cat) != 0 {
                if self.bit(idx) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// Whether two selectors have the same command bits.
    pub(crate) fn same_bits(&self, other: &Selector) -> bool {
        self.bits == other.bits
    }

    /// Add a first argument allowed for entry `idx` (case-insensitively unique).
    pub(crate) fn add_firstarg(&mut self, idx: usize, arg: &[u8]) {
        let list = self.firstargs.entry(idx).or_default();
        if !list.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            list.push(arg.to_vec());
        }
    }
}
