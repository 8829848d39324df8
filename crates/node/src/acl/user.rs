//! An ACL user: flags, password hashes and selectors, and the user-level rules of ACL SETUSER
//! (Redis's `ACLSetUser`).

use super::rules::RuleError;
use super::selector::Selector;
use super::sha256::sha256_hex;

/// One ACL user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    /// The user name.
    pub name: Vec<u8>,
    /// `on` (else `off`: it cannot authenticate; clients already in keep running).
    pub enabled: bool,
    /// `nopass`: any password authenticates.
    pub nopass: bool,
    /// `sanitize-payload` (`Some(true)`), `skip-sanitize-payload` (`Some(false)`), or neither.
    pub sanitize: Option<bool>,
    /// SHA-256 hex of each password, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first, then the `(...)` selectors in the order added.
    pub selectors: Vec<Selector>,
}

/// Whether `s` is 64 lowercase hex characters (Redis's `ACLCheckPasswordHash`).
fn valid_hash(s: &[u8]) -> bool {
    s.len() == 64
        && s.iter()
            .all(|&c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no password, no commands or keys; channels
    /// per `acl-pubsub-default` (`allchannels`).
    pub(crate) fn new(name: &[u8], allchannels: bool) -> Self {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(allchannels)],
        }
    }

    /// The `default` user at startup: `on nopass ~* &* +@all`.
    pub(crate) fn default_user() -> Self {
        let mut u = User::new(b"default", true);
        let root = &mut u.selectors[0];
        root.set_all_commands(true);
        root.allkeys = true;
        root.allchannels = true;
        u.enabled = true;
        u.nopass = true;
        u
    }

    /// The root selector.
    pub(crate) fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// Apply one rule. `Ok(Some(warning))` when Redis logs a warning for it.
    pub(crate) fn apply(
        &mut self,
        op: &[u8],
        allchannels_default: bool,
    ) -> Result<Option<String>, RuleError> {
        if op.is_empty() {
            return Ok(None);
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                sha256_hex(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                sha256_hex(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let pos = self.passwords.iter().position(|p| *p == hash);
            self.passwords.remove(pos.ok_or(RuleError::NoSuchPassword)?);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut s = Selector::new(allchannels_default);
            let inner = &op[1..op.len() - 1];
            // Ref: acl.c aclCreateSelectorFromOpSet: unbalanced quotes split into no words,
            // which makes an empty selector, not an error.
            let args = crate::config::split_args(inner).unwrap_or_default();
            for a in args {
                s.apply(&a)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.allkeys = false;
            root.patterns.clear();
            root.allchannels = allchannels_default;
            root.channels.clear();
            self.enabled = false;
            self.sanitize = Some(true);
            self.selectors.truncate(1);
            self.selectors[0].set_all_commands(false);
        } else {
            return self.selectors[0].apply(op);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let mut u = User::new(b"u", false);
        u.apply(b">p1", false).unwrap();
        u.apply(b">p1", false).unwrap();
        u.apply(&[b'#'; 65][..], false).unwrap_err();
        let h = sha256_hex(b"p2");
        u.apply(format!("#{h}").as_bytes(), false).unwrap();
        assert_eq!(u.passwords, vec![sha256_hex(b"p1"), h.clone()]);
        assert_eq!(u.apply(b"<nope", false), Err(RuleError::NoSuchPassword));
        assert_eq!(
            u.apply(format!("!{}", h.to_uppercase()).as_bytes(), false),
            Err(RuleError::BadHash)
        );
        u.apply(format!("!{h}").as_bytes(), false).unwrap();
        u.apply(b"nopass", false).unwrap();
        assert!(u.nopass && u.passwords.is_empty());
        u.apply(b">x", false).unwrap();
        assert!(!u.nopass);
        u.apply(b"resetpass", false).unwrap();
        assert!(!u.nopass && u.passwords.is_empty());
    }

    #[test]
    fn reset_and_flags() {
        let mut u = User::default_user();
        u.apply(b"(~x +get)", false).unwrap();
        assert_eq!(u.selectors.len(), 2);
        u.apply(b"RESET", false).unwrap();
        let mut fresh = User::new(b"default", false);
        fresh.sanitize = Some(true);
        assert_eq!(u, fresh);
        u.apply(b"On", false).unwrap();
        assert!(u.enabled);
        assert_eq!(u.apply(b"(~x bogus)", false), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"", false), Ok(None));
    }
}
