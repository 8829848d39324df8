//! The rules of ACL SETUSER that shape a selector (commands, keys, channels), and the errors
//! every rule can give, in Redis 7.0's words (`ACLSetSelector`, `ACLSetUserStringError`).

use super::categories::category_by_name;
use super::selector::{KeyPattern, Selector, KEY_ALL, KEY_READ, KEY_WRITE};
use crate::table::Table;

/// Why a rule was refused (Redis sets `errno`; the texts are `ACLSetUserStringError`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleError {
    /// `EINVAL`
    Syntax,
    /// `ENOENT`
    UnknownName,
    /// `EEXIST`
    KeyAfterAllKeys,
    /// `EISDIR`
    ChannelAfterAllChannels,
    /// `ENODEV`
    NoSuchPassword,
    /// `EBADMSG`
    BadHash,
    /// `ECHILD`
    FirstArgOfSubcommand,
    /// `EALREADY`: a user declared twice in the configuration file.
    Duplicate,
}

impl RuleError {
    /// Redis's text for the error.
    pub(crate) fn text(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownName => "Unknown command or category name in ACL",
            RuleError::KeyAfterAllKeys => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAllChannels => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
            RuleError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
        }
    }
}

/// Redis's `ACLStringHasSpaces`: whitespace (C `isspace`) or NUL anywhere.
pub(crate) fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0))
}

/// Redis's `ACLLookupCommand`: `name` or `container|sub`, case-insensitively; a name with a
/// `|` must name a subcommand of a container.
pub(crate) fn lookup_command(name: &[u8]) -> Option<usize> {
    let t = Table::get();
    let mut parts = name.split(|&b| b == b'|');
    let base = parts.next()?;
    let sub = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let b = t.find(base).filter(|&i| t.entries[i].parent.is_none())?;
    match sub {
        None => Some(b),
        Some(_) if t.entries[b].subs.is_empty() => None,
        Some(_) => t.find(name).filter(|&i| t.entries[i].parent == Some(b)),
    }
}

impl Selector {
    /// Apply one selector rule (Redis's `ACLSetSelector`). `Ok(Some(warning))` when Redis
    /// logs a deprecation warning for it.
    pub(crate) fn apply(&mut self, op: &[u8]) -> Result<Option<String>, RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all_commands(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all_commands(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAllChannels);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op[0] == b'+' && op.get(1) != Some(&b'@') {
            return self.allow_command(&op[1..]);
        } else if op[0] == b'-' && op.get(1) != Some(&b'@') {
            let idx = lookup_command(&op[1..]).ok_or(RuleError::UnknownName)?;
            self.change_perm(idx, false);
        } else if op[0] == b'+' || op[0] == b'-' {
            let cat = category_by_name(&op[2..]).ok_or(RuleError::UnknownName)?;
            self.set_category(cat, op[0] == b'+');
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(None)
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeyAfterAllKeys);
        }
        let mut flags = 0;
        let mut offset = 1;
        if op[0] == b'%' {
            // Ref: acl.c ACLSetSelector: R and W at most once each, then `~`; without the
            // `~` the whole rest is taken as flags and the pattern is empty.
            while offset < op.len() {
                let c = op[offset];
                if c.eq_ignore_ascii_case(&b'R') && flags & KEY_READ == 0 {
                    flags |= KEY_READ;
                } else if c.eq_ignore_ascii_case(&b'W') && flags & KEY_WRITE == 0 {
                    flags |= KEY_WRITE;
                } else if c == b'~' {
                    offset += 1;
                    break;
                } else {
                    return Err(RuleError::Syntax);
                }
                offset += 1;
            }
        } else {
            flags = KEY_ALL;
        }
        if flags == 0 {
            // Redis 7.0.15 accepts `%~pattern` and then aborts when it describes the user
            // (`serverPanic` in `sdsCatPatternString`); refusing it is the safe reading.
            return Err(RuleError::Syntax);
        }
        let pat = &op[offset.min(op.len())..];
        if has_spaces(pat) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pat) {
            Some(p) => p.flags |= flags,
            None => self.patterns.push(KeyPattern {
                flags,
                pattern: pat.to_vec(),
            }),
        }
        self.allkeys = false;
        Ok(())
    }

    /// `+cmd`, `+container|sub`, `+cmd|firstarg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<Option<String>, RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let idx = lookup_command(name).ok_or(RuleError::UnknownName)?;
            self.change_perm(idx, true);
            return Ok(None);
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let idx = lookup_command(base).ok_or(RuleError::UnknownName)?;
        let t = Table::get();
        if t.entries[idx].parent.is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !t.entries[idx].subs.is_empty() {
            let sub_idx = lookup_command(name).ok_or(RuleError::UnknownName)?;
            self.change_perm(sub_idx, true);
            return Ok(None);
        }
        self.add_firstarg(idx, sub);
        Ok(Some(format!(
            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a \
             misuse of ACL and may get disabled in the future (offender: +{})",
            String::from_utf8_lossy(name)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel() -> Selector {
        Selector::new(false)
    }

    fn idx(name: &str) -> usize {
        lookup_command(name.as_bytes()).unwrap()
    }

    #[test]
    fn lookup_follows_redis() {
        assert!(lookup_command(b"GET").is_some());
        assert!(lookup_command(b"config|GET").is_some());
        assert_eq!(lookup_command(b"config"), Table::get().find(b"config"));
        assert_eq!(lookup_command(b"get|x"), None);
        assert_eq!(lookup_command(b"config|get|x"), None);
        assert_eq!(lookup_command(b"config|nope"), None);
        assert_eq!(lookup_command(b""), None);
        assert_eq!(lookup_command(b"nosuch"), None);
    }

    #[test]
    fn commands_and_categories() {
        let mut s = sel();
        assert_eq!(s.apply(b"+get"), Ok(None));
        assert!(s.bit(idx("get")) && !s.bit(idx("set")));
        s.apply(b"+@WRITE").unwrap();
        assert!(s.bit(idx("set")));
        s.apply(b"-set").unwrap();
        assert!(!s.bit(idx("set")));
        s.apply(b"+config").unwrap();
        assert!(s.bit(idx("config|get")) && s.bit(idx("config|set")));
        s.apply(b"-config|set").unwrap();
        assert!(s.bit(idx("config|get")) && !s.bit(idx("config|set")));
        s.apply(b"allcommands").unwrap();
        assert!(s.allcommands && s.future);
        s.apply(b"-get").unwrap();
        assert!(!s.allcommands && s.future);
        s.apply(b"nocommands").unwrap();
        assert!(!s.future && !s.bit(idx("ping")));
        for (op, err) in [
            (&b"+nosuch"[..], RuleError::UnknownName),
            (b"-nosuch", RuleError::UnknownName),
            (b"+@nosuch", RuleError::UnknownName),
            (b"-@", RuleError::UnknownName),
            (b"+config|get|x", RuleError::FirstArgOfSubcommand),
            (b"+select|", RuleError::Syntax),
            (b"+config|nope", RuleError::UnknownName),
            (b"bogus", RuleError::Syntax),
        ] {
            assert_eq!(s.apply(op), Err(err), "{}", String::from_utf8_lossy(op));
        }
    }

    #[test]
    fn first_args() {
        let mut s = sel();
        assert!(s.apply(b"+select|0").unwrap().is_some());
        s.apply(b"+SELECT|0").unwrap();
        s.apply(b"+select|1").unwrap();
        assert_eq!(
            s.firstargs[&idx("select")],
            vec![b"0".to_vec(), b"1".to_vec()]
        );
        s.apply(b"-select").unwrap();
        assert!(s.firstargs.is_empty());
    }

    #[test]
    fn keys_and_channels() {
        let mut s = sel();
        s.apply(b"~a*").unwrap();
        s.apply(b"%R~b*").unwrap();
        s.apply(b"%w~b*").unwrap();
        s.apply(b"%RW~c").unwrap();
        let pats: Vec<(u8, &[u8])> = s
            .patterns
            .iter()
            .map(|p| (p.flags, &p.pattern[..]))
            .collect();
        assert_eq!(
            pats,
            vec![(KEY_ALL, &b"a*"[..]), (KEY_ALL, b"b*"), (KEY_ALL, b"c")]
        );
        assert_eq!(s.apply(b"%RR~x"), Err(RuleError::Syntax));
        assert_eq!(s.apply(b"%X~x"), Err(RuleError::Syntax));
        assert_eq!(s.apply(b"~a b"), Err(RuleError::Syntax));
        s.apply(b"allkeys").unwrap();
        assert!(s.patterns.is_empty());
        assert_eq!(s.apply(b"~x"), Err(RuleError::KeyAfterAllKeys));
        s.apply(b"resetkeys").unwrap();
        s.apply(b"~x").unwrap();
        s.apply(b"&news.*").unwrap();
        s.apply(b"&news.*").unwrap();
        assert_eq!(s.channels, vec![b"news.*".to_vec()]);
        s.apply(b"&*").unwrap();
        assert_eq!(s.apply(b"&x"), Err(RuleError::ChannelAfterAllChannels));
        s.apply(b"resetchannels").unwrap();
        assert!(!s.allchannels && s.channels.is_empty());
    }
}
