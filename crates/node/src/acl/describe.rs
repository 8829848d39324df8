//! Users and selectors as rule text: ACL LIST's lines and ACL GETUSER's `commands`, `keys`
//! and `channels` (Redis's `ACLDescribeUser`, `ACLDescribeSelector`,
//! `ACLDescribeSelectorCommandRules`).
//!
//! The command rules start from `+@all` or `-@all`, then take the categories that fit best
//! (Redis's greedy pass over its category list), then single commands for what is left. Redis
//! lists those single commands in its command dict's order, which is seeded at random per
//! process; ours is the command table's.

use super::categories::CATEGORIES;
use super::selector::{KeyPattern, Selector, KEY_ALL, KEY_READ};
use super::user::User;
use crate::table::Table;

/// `~pat`, `%R~pat`, `%W~pat`.
fn pattern_text(p: &KeyPattern, out: &mut Vec<u8>) {
    out.extend_from_slice(match p.flags {
        KEY_ALL => b"~",
        KEY_READ => b"%R~",
        _ => b"%W~",
    });
    out.extend_from_slice(&p.pattern);
}

/// The command rules of `sel`, e.g. `+@all -@dangerous +info`.
pub(crate) fn command_rules(sel: &Selector) -> Vec<u8> {
    let mut rules = Vec::new();
    let additive = !sel.future;
    let mut fake = Selector::new(false);
    if additive {
        rules.extend_from_slice(b"-@all ");
    } else {
        rules.extend_from_slice(b"+@all ");
        fake.set_all_commands(true);
    }
    // `temp` loses each category as it is applied, so later picks count only what is left.
    let mut temp = sel.clone();
    let mut applied = [false; CATEGORIES.len()];
    loop {
        let mut best = None;
        let (mut mindiff, mut maxsame) = (usize::MAX, 0);
        for (j, _) in CATEGORIES.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (on, off) = temp.count_category(j);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                best = Some(j);
                mindiff = diff;
                maxsame = same;
            }
        }
        let Some(j) = best else { break };
        fake.set_category(j, additive);
        temp.set_category(j, !additive);
        rules.push(if additive { b'+' } else { b'-' });
        rules.push(b'@');
        rules.extend_from_slice(CATEGORIES[j].as_bytes());
        rules.push(b' ');
        applied[j] = true;
    }
    let t = Table::get();
    for &top in &t.top {
        single_commands(sel, &mut fake, top, &mut rules);
    }
    rules.pop();
    debug_assert!(
        fake.same_bits(sel),
        "ACL rules do not rebuild the user's bitmap"
    );
    rules
}

/// The `+cmd` / `-cmd` / `+cmd|firstarg` rules that bring `fake` to `sel` for entry `idx`
/// and its subcommands.
fn single_commands(sel: &Selector, fake: &mut Selector, idx: usize, rules: &mut Vec<u8>) {
    let e = &Table::get().entries[idx];
    let userbit = sel.bit(idx);
    if userbit != fake.bit(idx) {
        rules.push(if userbit { b'+' } else { b'-' });
        rules.extend_from_slice(e.name.as_bytes());
        rules.push(b' ');
        fake.change_perm(idx, userbit);
    }
    for &sub in &e.subs {
        single_commands(sel, fake, sub, rules);
    }
    if !userbit {
        for arg in sel.firstargs.get(&idx).into_iter().flatten() {
            rules.push(b'+');
            rules.extend_from_slice(e.name.as_bytes());
            rules.push(b'|');
            rules.extend_from_slice(arg);
            rules.push(b' ');
        }
    }
}

/// ACL GETUSER's `keys`: `~*`, or the patterns separated by spaces.
pub(crate) fn keys_text(sel: &Selector) -> Vec<u8> {
    if sel.allkeys {
        return b"~*".to_vec();
    }
    let mut out = Vec::new();
    for (i, p) in sel.patterns.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        pattern_text(p, &mut out);
    }
    out
}

/// ACL GETUSER's `channels`: `&*`, or the patterns separated by spaces.
pub(crate) fn channels_text(sel: &Selector) -> Vec<u8> {
    if sel.allchannels {
        return b"&*".to_vec();
    }
    let mut out = Vec::new();
    for (i, c) in sel.channels.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(b'&');
        out.extend_from_slice(c);
    }
    out
}

/// A selector as rules: keys, channels, commands.
fn selector_text(sel: &Selector, out: &mut Vec<u8>) {
    if sel.allkeys {
        out.extend_from_slice(b"~* ");
    } else {
        for p in &sel.patterns {
            pattern_text(p, out);
            out.push(b' ');
        }
    }
    if sel.allchannels {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for c in &sel.channels {
            out.push(b'&');
            out.extend_from_slice(c);
            out.push(b' ');
        }
    }
    out.extend_from_slice(&command_rules(sel));
}

/// The user's flags in Redis's order (`ACLUserFlags`).
pub(crate) fn flag_names(u: &User) -> Vec<&'static str> {
    let mut f = Vec::new();
    f.push(if u.enabled { "on" } else { "off" });
    if u.nopass {
        f.push("nopass");
    }
    match u.sanitize {
        Some(false) => f.push("skip-sanitize-payload"),
        Some(true) => f.push("sanitize-payload"),
        None => {}
    }
    f
}

/// A user as ACL LIST shows it after `user <name> `: flags, `#hash`es, the root selector's
/// rules, then each other selector in parentheses.
pub(crate) fn user_rules(u: &User) -> Vec<u8> {
    let mut out = Vec::new();
    for f in flag_names(u) {
        out.extend_from_slice(f.as_bytes());
        out.push(b' ');
    }
    for p in &u.passwords {
        out.push(b'#');
        out.extend_from_slice(p.as_bytes());
        out.push(b' ');
    }
    for (i, sel) in u.selectors.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b" (");
        }
        selector_text(sel, &mut out);
        if i > 0 {
            out.push(b')');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(ops: &[&str]) -> String {
        let mut u = User::new(b"u", false);
        for op in ops {
            u.apply(op.as_bytes(), false).unwrap();
        }
        String::from_utf8(user_rules(&u)).unwrap()
    }

    #[test]
    fn default_and_new_users() {
        let d = User::default_user();
        assert_eq!(
            String::from_utf8(user_rules(&d)).unwrap(),
            "on nopass ~* &* +@all"
        );
        assert_eq!(rules_of(&[]), "off resetchannels -@all");
        assert_eq!(
            rules_of(&["reset"]),
            "off sanitize-payload resetchannels -@all"
        );
    }

    #[test]
    fn rules_rebuild_the_bitmap() {
        // Whatever was applied, the description applied to a fresh user gives the same bits
        // (the debug assertion in `command_rules` checks it too).
        let cases: &[&[&str]] = &[
            &["+@all", "-@dangerous"],
            &["-@all", "+@read", "-get"],
            &["+get", "+set", "+config|get"],
            &["+@all", "-config|set", "-debug"],
            &["+select|0", "+@hash"],
        ];
        for ops in cases {
            let text = rules_of(ops);
            let mut u = User::new(b"u", false);
            for op in text.split(' ') {
                u.apply(op.as_bytes(), false).unwrap();
            }
            let mut want = User::new(b"u", false);
            for op in *ops {
                want.apply(op.as_bytes(), false).unwrap();
            }
            assert!(u.root().same_bits(want.root()), "{ops:?} -> {text}");
            assert_eq!(u.root().firstargs, want.root().firstargs);
        }
    }

    #[test]
    fn random_rules_rebuild_the_bitmap() {
        // Random mixes of categories, commands, subcommands and first args: the described
        // rules, applied to a fresh user, give the same command bits and first args.
        let names = [
            "get",
            "set",
            "config",
            "config|get",
            "config|set",
            "client|list",
            "select",
            "debug",
            "ping",
            "acl|setuser",
            "hset",
            "publish",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for _ in 0..200 {
            let mut ops = Vec::new();
            for _ in 0..1 + next(6) {
                let sign = if next(2) == 0 { "+" } else { "-" };
                ops.push(match next(4) {
                    0 => format!("{sign}@{}", CATEGORIES[next(CATEGORIES.len())]),
                    1 => format!("{sign}{}", names[next(names.len())]),
                    2 => format!("+select|{}", next(3)),
                    _ => ["+@all", "-@all"][next(2)].to_owned(),
                });
            }
            let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
            let text = rules_of(&ops);
            let mut u = User::new(b"u", false);
            for op in text.split(' ') {
                u.apply(op.as_bytes(), false).unwrap();
            }
            let mut want = User::new(b"u", false);
            for op in &ops {
                want.apply(op.as_bytes(), false).unwrap();
            }
            assert!(u.root().same_bits(want.root()), "{ops:?} -> {text}");
            // First args of an allowed command change nothing and are not described (as in
            // Redis); those of a forbidden one must survive.
            let live = |s: &Selector| {
                s.firstargs
                    .iter()
                    .filter(|(idx, _)| !s.bit(**idx))
                    .map(|(i, a)| (*i, a.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(live(u.root()), live(want.root()), "{ops:?} -> {text}");
            assert_eq!(u.root().future, want.root().future, "{ops:?} -> {text}");
        }
    }

    #[test]
    fn keys_channels_selectors() {
        assert_eq!(
            rules_of(&["~a", "%R~b", "%W~c", "&ch", "(+get ~x)"]),
            "off ~a %R~b %W~c resetchannels &ch -@all (~x resetchannels -@all +get)"
        );
    }
}
