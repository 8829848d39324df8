//! Redis 7.0 ACL: users, their rules, permission checks and the ACL log.
//!
//! Every client runs as a user (`default` until AUTH or HELLO AUTH names another). The
//! `default` user starts as `on nopass ~* &* +@all`; `requirepass` sets its password. A
//! command is checked after authentication and MULTI's own refusals and before cluster
//! redirection, as Redis's `processCommand` does; EXEC checks each queued command again.

mod categories;
mod check;
mod describe;
mod enforce;
mod file;
mod log;
mod rules;
mod selector;
mod sha256;
mod startup;
mod user;

use std::collections::BTreeMap;

pub(crate) use categories::{category_by_name, entry_masks, CATEGORIES};
pub(crate) use check::{check, Denied};
pub(crate) use describe::{channels_text, command_rules, flag_names, keys_text};
pub(crate) use file::user_line;
pub(crate) use log::AclLog;
pub(crate) use rules::has_spaces;
pub(crate) use selector::Selector;
pub(crate) use sha256::sha256_hex;
pub(crate) use user::User;

/// The name of the user every connection starts as.
pub(crate) const DEFAULT_USER: &[u8] = b"default";

/// Compare two equal-length strings without leaking where they differ (Redis's
/// `time_independent_strcmp`).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// All users and the ACL log.
///
/// Users are kept by name in a `BTreeMap`: ACL LIST and ACL USERS list them in byte order,
/// as Redis's radix tree does.
#[derive(Debug)]
pub(crate) struct Acl {
    users: BTreeMap<Vec<u8>, User>,
    /// ACL LOG.
    pub log: AclLog,
    /// The `requirepass` last applied to the default user, to notice CONFIG SET changing it.
    requirepass: Option<Vec<u8>>,
    /// ACL GENPASS's randomness, seeded from the node's seed.
    pub rng: hashslot_types::Rng,
}

impl Acl {
    /// The `default` user alone, with `requirepass` as its password when set.
    pub(crate) fn new(requirepass: Option<&[u8]>, rng: hashslot_types::Rng) -> Self {
        let mut acl = Acl {
            users: BTreeMap::new(),
            log: AclLog::default(),
            requirepass: None,
            rng,
        };
        acl.users
            .insert(DEFAULT_USER.to_vec(), User::default_user());
        acl.set_requirepass(requirepass);
        acl
    }

    /// Redis's `ACLUpdateDefaultUserPassword`, when `requirepass` differs from the value last
    /// applied (CONFIG SET of the same value changes nothing, as in Redis).
    pub(crate) fn set_requirepass(&mut self, pass: Option<&[u8]>) {
        if self.requirepass.as_deref() == pass {
            return;
        }
        self.requirepass = pass.map(<[u8]>::to_vec);
        let d = self.default_user_mut();
        let _ = d.apply(b"resetpass", true);
        let mut op = Vec::new();
        match pass {
            Some(p) => {
                op.push(b'>');
                op.extend_from_slice(p);
            }
            None => op.extend_from_slice(b"nopass"),
        }
        let _ = d.apply(&op, true);
    }

    /// The user named `name`.
    pub(crate) fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// Every user in name order.
    pub(crate) fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// The `default` user (it cannot be deleted).
    pub(crate) fn default_user(&self) -> &User {
        &self.users[DEFAULT_USER]
    }

    fn default_user_mut(&mut self) -> &mut User {
        self.users
            .get_mut(DEFAULT_USER)
            .expect("the default user cannot be deleted")
    }

    /// Redis's `authRequired` without the client: the default user needs a password or is off,
    /// so new connections start unauthenticated.
    pub(crate) fn default_needs_auth(&self) -> bool {
        let d = self.default_user();
        !d.nopass || !d.enabled
    }

    /// Redis's `ACLCheckUserCredentials`: the user exists, is on, and `pass` is one of its
    /// passwords (or it is `nopass`).
    pub(crate) fn credentials_ok(&self, name: &[u8], pass: &[u8]) -> bool {
        let Some(u) = self.users.get(name) else {
            return false;
        };
        if !u.enabled {
            return false;
        }
        if u.nopass {
            return true;
        }
        let hashed = sha256_hex(pass);
        // Every stored hash is compared, so the time taken does not tell which one matched.
        u.passwords.iter().fold(false, |ok, p| {
            same_secret(p.as_bytes(), hashed.as_bytes()) | ok
        })
    }

    /// Apply ACL SETUSER's rules to `name` (created when missing), all or nothing. Returns the
    /// warnings to log, or Redis's error text.
    pub(crate) fn set_user(
        &mut self,
        name: &[u8],
        ops: &[&[u8]],
        allchannels_default: bool,
    ) -> Result<Vec<String>, String> {
        let merged = merge_selector_args(ops).map_err(|at| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                c_text(at)
            )
        })?;
        let mut staged = match self.users.get(name) {
            Some(u) => u.clone(),
            None => User::new(name, allchannels_default),
        };
        let mut warnings = Vec::new();
        for op in &merged {
            match staged.apply(op, allchannels_default) {
                Ok(w) => warnings.extend(w),
                Err(e) => {
                    return Err(format!(
                        "Error in ACL SETUSER modifier '{}': {}",
                        c_text(op),
                        e.text()
                    ))
                }
            }
        }
        self.users.insert(name.to_vec(), staged);
        Ok(warnings)
    }

    /// Remove `name`; whether it existed. The default user is never removed.
    pub(crate) fn remove_user(&mut self, name: &[u8]) -> bool {
        name != DEFAULT_USER && self.users.remove(name).is_some()
    }
}

/// Every channel pattern of every selector of `u`.
fn channels_of(u: &User) -> Vec<Vec<u8>> {
    u.selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect()
}

/// `s` as C's `%s` prints it: up to the first NUL.
pub(crate) fn c_text(s: &[u8]) -> String {
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    String::from_utf8_lossy(&s[..end]).into_owned()
}

/// Redis's `ACLMergeSelectorArguments`: a selector spread over several arguments (`(~x`,
/// `+get)`) is joined with spaces into one. `Err` names the argument that opened a
/// parenthesis never closed.
pub(crate) fn merge_selector_args<'a>(
    ops: &[&'a [u8]],
) -> Result<Vec<std::borrow::Cow<'a, [u8]>>, &'a [u8]> {
    use std::borrow::Cow;
    let mut out = Vec::new();
    let mut open: Option<(&[u8], Vec<u8>)> = None;
    for &op in ops {
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((op, op.to_vec()));
            continue;
        }
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                let (_, sel) = open.take().expect("open selector");
                out.push(Cow::Owned(sel));
            }
            continue;
        }
        out.push(Cow::Borrowed(op));
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirepass_sets_the_default_password() {
        let mut acl = Acl::new(Some(b"pw"), hashslot_types::Rng::from_seed(1));
        assert!(acl.default_needs_auth());
        assert!(acl.credentials_ok(b"default", b"pw"));
        assert!(!acl.credentials_ok(b"default", b"nope"));
        acl.set_requirepass(None);
        assert!(!acl.default_needs_auth());
        assert!(acl.credentials_ok(b"default", b"anything"));
        assert!(!acl.credentials_ok(b"nosuch", b""));
    }

    #[test]
    fn set_user_is_all_or_nothing() {
        let mut acl = Acl::new(None, hashslot_types::Rng::from_seed(1));
        acl.set_user(b"u", &[b"on", b">p"], false).unwrap();
        let before = acl.user(b"u").cloned();
        let err = acl.set_user(b"u", &[b"+get", b"bogus"], false).unwrap_err();
        assert_eq!(err, "Error in ACL SETUSER modifier 'bogus': Syntax error");
        assert_eq!(acl.user(b"u").cloned(), before);
        let err = acl.set_user(b"u", &[b"(~x", b"+get"], false).unwrap_err();
        assert_eq!(
            err,
            "Unmatched parenthesis in acl selector starting at '(~x'."
        );
        acl.set_user(b"u", &[b"(~x", b"+get)"], false).unwrap();
        assert_eq!(acl.user(b"u").unwrap().selectors.len(), 2);
        assert!(acl.credentials_ok(b"u", b"p"));
        assert!(!acl.remove_user(b"default"));
        assert!(acl.remove_user(b"u"));
    }
}
