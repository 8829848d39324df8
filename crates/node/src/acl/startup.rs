//! `user <name> <rules…>` directives of the configuration file, applied at startup (Redis's
//! `ACLAppendUserForLoading` while reading the file, then `ACLLoadConfiguredUsers`).

use super::rules::{has_spaces, RuleError};
use super::user::User;
use super::{c_text, merge_selector_args, Acl, DEFAULT_USER};
use crate::{LogLevel, Node, Output};

/// What went wrong loading the configured users: Redis's log line, then it exits with 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadError(pub String);

impl Acl {
    /// Check, then apply, the configured users in order (after `requirepass`, as Redis does:
    /// a `user default …` line resets the default user, password included). Returns the
    /// notices to log.
    pub(crate) fn load_config_users(
        &mut self,
        users: &[Vec<Vec<u8>>],
        allchannels_default: bool,
    ) -> Result<Vec<String>, LoadError> {
        // Ref: ACLAppendUserForLoading: each line is tried on a throwaway user while the file
        // is read; unknown commands are let through there (a module may add them later).
        for (i, line) in users.iter().enumerate() {
            check_declaration(line, &users[..i], allchannels_default)?;
        }
        // Ref: ACLLoadConfiguredUsers.
        let mut notices = Vec::new();
        for line in users {
            let (name, ops) = line.split_first().expect("checked above");
            if has_spaces(name) {
                return Err(LoadError("Spaces not allowed in ACL usernames".into()));
            }
            let ops: Vec<&[u8]> = ops.iter().map(Vec::as_slice).collect();
            let merged = merge_selector_args(&ops).expect("checked above");
            let mut u = if name.as_slice() == DEFAULT_USER {
                let mut d = self.default_user().clone();
                let _ = d.apply(b"reset", allchannels_default);
                d
            } else {
                User::new(name, allchannels_default)
            };
            for op in &merged {
                if let Err(e) = u.apply(op, allchannels_default) {
                    return Err(LoadError(format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        c_text(op),
                        c_text(name),
                        e.text()
                    )));
                }
            }
            if !u.enabled {
                notices.push(format!(
                    "The user '{}' is disabled (there is no 'on' modifier in the user \
                     description). Make sure this is not a configuration error.",
                    c_text(name)
                ));
            }
            self.users.insert(name.clone(), u);
        }
        Ok(notices)
    }
}

/// Redis's `ACLAppendUserForLoading`, the check made as each `user` line of the configuration
/// is read: the name is not declared by an `earlier` line, and each rule applies to a
/// throwaway user (unknown command and category names are let through there: a module may add
/// them later).
fn check_declaration(
    line: &[Vec<u8>],
    earlier: &[Vec<Vec<u8>>],
    allchannels_default: bool,
) -> Result<(), LoadError> {
    let (name, ops) = line
        .split_first()
        .ok_or_else(|| LoadError("Error in user declaration: wrong number of arguments".into()))?;
    let ops: Vec<&[u8]> = ops.iter().map(Vec::as_slice).collect();
    if earlier.iter().any(|l| l.first() == Some(name)) {
        return Err(declaration_error(name, RuleError::Duplicate));
    }
    let merged = merge_selector_args(&ops).map_err(|at| {
        LoadError(format!(
            "Error in user declaration '{}': Unmatched parenthesis",
            c_text(at)
        ))
    })?;
    let mut fake = User::new(b"__fakeuser__", allchannels_default);
    for (j, op) in merged.iter().enumerate() {
        match fake.apply(op, allchannels_default) {
            Ok(_) | Err(RuleError::UnknownName) => {}
            Err(e) => {
                // Ref: config.c loadServerConfigFromString quotes `argv[j]` of the whole line
                // (`user`, the name, the rules) with `j` counted among the rules: Redis 7.0
                // names the argument two places early. So do we.
                let line_args = [&b"user"[..], name.as_slice()];
                let quoted = line_args
                    .iter()
                    .copied()
                    .chain(ops.iter().copied())
                    .nth(j)
                    .unwrap_or(b"");
                return Err(declaration_error(quoted, e));
            }
        }
    }
    Ok(())
}

/// `Error in user declaration '<arg>': <why>`, as Redis's config loader reports it.
fn declaration_error(arg: &[u8], e: RuleError) -> LoadError {
    LoadError(format!(
        "Error in user declaration '{}': {}",
        c_text(arg),
        e.text()
    ))
}

impl Node {
    /// The check Redis makes on a `user` directive while it reads the configuration file
    /// (`ACLAppendUserForLoading`): the last of `users` (the `user` lines read so far, each
    /// without the word `user`) against the ones before it. `Err` is the message of Redis's
    /// FATAL CONFIG FILE ERROR report for that line, so a driver can refuse the line there, as
    /// Redis does, instead of exiting later when the node is built.
    pub fn check_config_user(users: &[Vec<Vec<u8>>]) -> Result<(), String> {
        let Some((line, earlier)) = users.split_last() else {
            return Ok(());
        };
        // The throwaway user's rules fail the same way whatever `acl-pubsub-default` says.
        check_declaration(line, earlier, false).map_err(|LoadError(text)| text)
    }

    /// Apply the configuration's `user` directives; on an error log it as Redis does and exit
    /// with status 1 (Redis exits before serving anyone).
    pub(crate) fn acl_load_config_users(&mut self) {
        let users = self.config.users.clone();
        if users.is_empty() {
            return;
        }
        if self.aclfile().is_some() {
            // Refused before any user is loaded: see `load_acl_file_at_startup`.
            return;
        }
        let all = self.config.get("acl-pubsub-default").as_deref() == Some("allchannels");
        match self.acl.load_config_users(&users, all) {
            Ok(notices) => {
                for n in notices {
                    self.log(LogLevel::Notice, n);
                }
            }
            Err(LoadError(text)) => {
                self.log(LogLevel::Warning, text);
                self.log(
                    LogLevel::Warning,
                    "Critical error while loading ACLs. Exiting.".to_owned(),
                );
                self.outputs.push_back(Output::Exit { status: 1 });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(spec: &[&[&str]]) -> Vec<Vec<Vec<u8>>> {
        spec.iter()
            .map(|l| l.iter().map(|a| a.as_bytes().to_vec()).collect())
            .collect()
    }

    fn acl() -> Acl {
        Acl::new(Some(b"pw"), hashslot_types::Rng::from_seed(1))
    }

    #[test]
    fn users_load_in_order_and_default_is_reset() {
        let mut a = acl();
        let notices = a
            .load_config_users(
                &lines(&[
                    &["alice", "on", ">p", "~*", "+get"],
                    &["default", "on", "nopass", "+@all"],
                    &["bob"],
                ]),
                false,
            )
            .unwrap();
        assert!(a.credentials_ok(b"alice", b"p"));
        assert!(
            !a.default_needs_auth(),
            "requirepass is replaced by the user line"
        );
        assert_eq!(a.default_user().sanitize, Some(true));
        assert!(!a.default_user().root().allchannels);
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("'bob' is disabled"));
    }

    #[test]
    fn errors() {
        let err = |spec: &[&[&str]]| acl().load_config_users(&lines(spec), false).unwrap_err().0;
        assert_eq!(
            err(&[&["a", "on", "bogus"]]),
            "Error in user declaration 'a': Syntax error"
        );
        assert_eq!(
            err(&[&["a", "bogus"]]),
            "Error in user declaration 'user': Syntax error"
        );
        assert_eq!(
            err(&[&["a", "on"], &["a", "off"]]),
            "Error in user declaration 'a': Duplicate user found. A user can only be defined \
             once in config files"
        );
        assert_eq!(
            err(&[&["a", "+nosuch"]]),
            "Error loading ACL rule '+nosuch' for the user named 'a': Unknown command or \
             category name in ACL"
        );
        assert_eq!(
            err(&[&["a b", "on"]]),
            "Spaces not allowed in ACL usernames"
        );
    }

    /// The config-time check sees one line against the earlier ones and lets through what
    /// Redis lets through while reading (unknown commands, spaces in names).
    #[test]
    fn config_time_check_of_the_last_line() {
        let check = |spec: &[&[&str]]| Node::check_config_user(&lines(spec));
        assert_eq!(check(&[]), Ok(()));
        assert_eq!(check(&[&["a", "on", "+nosuch"]]), Ok(()));
        assert_eq!(check(&[&["a b", "on"]]), Ok(()));
        assert_eq!(
            check(&[&["a", "on", "bogus"]]),
            Err("Error in user declaration 'a': Syntax error".into())
        );
        assert_eq!(
            check(&[&["a", "on"], &["b"], &["a", "off"]]),
            Err(
                "Error in user declaration 'a': Duplicate user found. A user can only be \
                 defined once in config files"
                    .into()
            )
        );
        // Only the last line is checked: an earlier bad one was refused when it was read.
        assert_eq!(check(&[&["a", "bogus"], &["b", "on"]]), Ok(()));
    }
}
