//! The ACL file (`aclfile`): its text format, loading it (at startup and by ACL LOAD, Redis's
//! `ACLLoadFromFile`) and the text ACL SAVE writes (`ACLSaveToFile`).
//!
//! The node reads and writes no files: ACL LOAD and ACL SAVE ask the driver with
//! `Output::LoadAclFile` / `Output::SaveAclFile` and finish in [`Node::handle_acl_file_read`] /
//! [`Node::handle_acl_file_saved`]; at startup the driver calls [`Node::load_acl_file_at_startup`] before
//! serving anyone.

use std::collections::BTreeMap;

use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Now};

use super::rules::{has_spaces, RuleError};
use super::user::User;
use super::{c_text, describe::user_rules, merge_selector_args, Acl, DEFAULT_USER};
use crate::node::Held;
use crate::{LogLevel, Node, Output};

/// How the driver reads the ACL file at startup: its bytes, `Ok(None)` when it is missing, or
/// the OS error text.
pub(crate) type AclFileRead<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, String> + 'a;

/// `user <name> <rules>`: one user as ACL LIST, ACL SAVE and CONFIG REWRITE write it.
pub(crate) fn user_line(u: &User) -> Vec<u8> {
    let mut line = b"user ".to_vec();
    line.extend_from_slice(&u.name);
    line.push(b' ');
    line.extend_from_slice(&user_rules(u));
    line
}

/// Trim `set` from both ends of `s` (Redis's `sdstrim`).
fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

impl Acl {
    /// Every user as ACL SAVE writes the file: one `user` line each, in name order.
    pub(crate) fn file_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for u in self.users() {
            out.extend_from_slice(&user_line(u));
            out.push(b'\n');
        }
        out
    }

    /// Redis's `ACLLoadFromFile` on the file's `text` (`filename` as configured, for the
    /// messages): every user is rebuilt from the file, all or nothing. `Ok` names the users
    /// that existed before (other than `default`, which is updated in place): their clients
    /// must be closed, as Redis frees the old users. `Err` is Redis's error text naming every
    /// bad line; the users are then unchanged.
    pub(crate) fn load_file(
        &mut self,
        filename: &str,
        text: &[u8],
        allchannels_default: bool,
    ) -> Result<Vec<Vec<u8>>, String> {
        // Ref: Redis reads the file with fgets and splits it with strlen: a NUL ends it.
        let text = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
        let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
        let mut errors = String::new();
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let n = i + 1;
            let line = trim(raw, b" \t\r\n");
            if line.is_empty() {
                continue;
            }
            // Ref: split on single spaces (sdssplitlen), not on quoted arguments: two spaces
            // make an empty argument, which is a no-op rule.
            let argv: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            if argv[0] != b"user" || argv.len() < 2 {
                errors.push_str(&format!(
                    "{filename}:{n} should start with user keyword followed by the username. "
                ));
                continue;
            }
            let name = argv[1];
            if has_spaces(name) {
                // The stray leading quote is Redis's.
                errors.push_str(&format!(
                    "'{filename}:{n}: username '{}' contains invalid characters. ",
                    c_text(name)
                ));
                continue;
            }
            if users.contains_key(name) {
                errors.push_str(&format!(
                    "WARNING: Duplicate user '{}' found on line {n}. ",
                    c_text(name)
                ));
                continue;
            }
            let mut u = User::new(name, allchannels_default);
            match merge_selector_args(&argv[2..]) {
                Err(_) => errors.push_str(&format!(
                    "{filename}:{n}: Unmatched parenthesis in selector definition."
                )),
                Ok(ops) => {
                    let mut syntax_error = false;
                    for op in &ops {
                        let op = trim(op, b"\t\r\n");
                        match u.apply(op, allchannels_default) {
                            Ok(_) => {}
                            // Unknown commands are named, every time: nothing secret in them.
                            Err(e @ RuleError::UnknownName) => errors.push_str(&format!(
                                "{filename}:{n}: Error in applying operation '{}': {}. ",
                                c_text(op),
                                e.text()
                            )),
                            // Other errors only once a line: a password may be in the rule.
                            Err(e) if !syntax_error => {
                                syntax_error = true;
                                errors.push_str(&format!("{filename}:{n}: {}. ", e.text()));
                            }
                            Err(_) => {}
                        }
                    }
                }
            }
            users.insert(name.to_vec(), u);
        }
        if !errors.is_empty() {
            errors.push_str(
                "WARNING: ACL errors detected, no change to the previously active ACL rules was \
                 performed",
            );
            return Err(errors);
        }
        // Without a `default` line the default user is reset to `on nopass ~* &* +@all`
        // (`requirepass` is not applied again, as in Redis).
        if !users.contains_key(DEFAULT_USER) {
            users.insert(DEFAULT_USER.to_vec(), User::default_user());
        }
        let old = std::mem::replace(&mut self.users, users);
        Ok(old.into_keys().filter(|n| n != DEFAULT_USER).collect())
    }
}

/// `acl-pubsub-default allchannels`: new users may use every channel.
fn allchannels_default(node: &Node) -> bool {
    node.config.get("acl-pubsub-default").as_deref() == Some("allchannels")
}

impl Node {
    /// The configured `aclfile`, if any.
    pub(crate) fn aclfile(&self) -> Option<String> {
        self.config.get("aclfile").filter(|f| !f.is_empty())
    }

    /// Startup (Redis's `ACLLoadUsersAtStartup`): with `aclfile` set, load the users from it
    /// before serving anyone. `read(path)` returns the file's bytes, `Ok(None)` when it is
    /// missing, or the OS error text. `Err` is the line to log before exiting with status 1.
    /// Without `aclfile` nothing is read. `user` lines in the configuration as well are
    /// refused (Redis's exit before loading either).
    pub fn load_acl_file_at_startup(&mut self, read: &mut AclFileRead<'_>) -> Result<(), String> {
        let Some(path) = self.aclfile() else {
            return Ok(());
        };
        if !self.config.users.is_empty() {
            return Err(
                "Configuring Redis with users defined in redis.conf and at the same \
                        setting an ACL file path is invalid. This setup is very likely to lead \
                        to configuration errors and security holes, please define either an \
                        ACL file or declare users directly in your redis.conf, but not both."
                    .to_owned(),
            );
        }
        let all = allchannels_default(self);
        let loaded = match read(&path) {
            Ok(Some(text)) => self.acl.load_file(&path, &text, all).map(|_| ()),
            Ok(None) => Err(open_error(&path, "No such file or directory")),
            Err(e) => Err(open_error(&path, &e)),
        };
        loaded.map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))
    }

    /// The driver carried out an `Output::LoadAclFile` for `conn`: `Ok` carries the file's
    /// bytes, `Err` the OS error text from opening it. The users are replaced (or, on any
    /// error, left alone), clients of the old users are closed, and the client gets its reply.
    pub fn handle_acl_file_read(
        &mut self,
        now: Now,
        conn: ConnId,
        result: Result<Vec<u8>, String>,
    ) {
        let path = self.aclfile().unwrap_or_default();
        let all = allchannels_default(self);
        // Redis loads inside the command: the users change even if the client has gone.
        let outcome = match result {
            Ok(text) => self.acl.load_file(&path, &text, all),
            Err(e) => Err(open_error(&path, &e)),
        };
        let mut sess = self.sessions.remove(&conn);
        if let Ok(old) = &outcome {
            for name in old {
                self.acl_close_user_clients(name, sess.as_mut().map(|s| &mut s.client));
            }
        }
        let Some(mut sess) = sess else {
            return;
        };
        let reply = outcome.map(|_| ()).map_err(|e| format!("ERR {e}"));
        self.finish_acl_file_command(now, &mut sess, reply);
        self.sessions.insert(conn, sess);
        if self.sleep.is_none() {
            self.process_unblocked(now);
        }
    }

    /// The driver carried out an `Output::SaveAclFile` for `conn`: `Err` carries the log line
    /// saying which step failed (the file is then unchanged).
    pub fn handle_acl_file_saved(&mut self, now: Now, conn: ConnId, result: Result<(), String>) {
        let reply = result.map_err(|e| {
            self.log(LogLevel::Warning, e);
            "ERR There was an error trying to save the ACLs. Please check the server logs for \
             more information"
                .to_owned()
        });
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        self.finish_acl_file_command(now, &mut sess, reply);
        self.sessions.insert(conn, sess);
        if self.sleep.is_none() {
            self.process_unblocked(now);
        }
    }

    /// Reply to a client waiting on ACL LOAD or ACL SAVE and run its queued requests (as
    /// `handle_dir_changed` does, DEBUG SLEEP included).
    fn finish_acl_file_command(
        &mut self,
        now: Now,
        sess: &mut crate::session::Session,
        reply: Result<(), String>,
    ) {
        if !sess.client.blocked || sess.closing {
            return;
        }
        sess.client.blocked = false;
        let start = sess.client.out.len();
        match reply {
            Ok(()) => sess.client.reply().ok(),
            Err(text) => sess.client.reply().error(&ErrorReply::msg(text)),
        }
        self.after_reply(&mut sess.client, start);
        if self.sleep.is_some() {
            self.flush(sess);
            let conn = sess.client.conn;
            self.hold_small(|| Held::Read(conn, Vec::new()));
        } else {
            self.consume(now, sess, &[]);
        }
    }

    /// ACL LOAD: ask the driver for the file; the client waits.
    pub(crate) fn acl_load_start(&mut self, c: &mut crate::session::Client, path: String) {
        c.blocked = true;
        self.outputs
            .push_back(Output::LoadAclFile { conn: c.conn, path });
    }

    /// ACL SAVE: hand the driver the new file; the client waits.
    pub(crate) fn acl_save_start(&mut self, c: &mut crate::session::Client, path: String) {
        c.blocked = true;
        let data = self.acl.file_text().into();
        self.outputs.push_back(Output::SaveAclFile {
            conn: c.conn,
            path,
            data,
        });
    }
}

/// Redis's text when the ACL file cannot be opened.
fn open_error(path: &str, why: &str) -> String {
    format!("Error loading ACLs, opening file '{path}': {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl() -> Acl {
        Acl::new(Some(b"pw"), hashslot_types::Rng::from_seed(1))
    }

    #[test]
    fn load_replaces_users_and_resets_default() {
        let mut a = acl();
        a.set_user(b"old", &[b"on"], false).unwrap();
        let old = a
            .load_file(
                "f.acl",
                b"\n  user alice on >p ~k* +get\r\nuser bob  off\n",
                false,
            )
            .unwrap();
        assert_eq!(old, vec![b"old".to_vec()]);
        assert!(a.credentials_ok(b"alice", b"p"));
        assert!(a.user(b"old").is_none());
        assert!(!a.default_needs_auth(), "default is reset to nopass");
        let text = String::from_utf8(a.file_text()).unwrap();
        assert_eq!(
            text,
            "user alice on #9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 \
             ~k* resetchannels -@all +get\nuser bob off resetchannels -@all\n\
             user default on nopass ~* &* +@all\n"
                .replace(
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    &crate::acl::sha256_hex(b"p")
                )
        );
    }

    #[test]
    fn errors_name_every_bad_line_and_change_nothing() {
        let mut a = acl();
        let before = a.file_text();
        let err = a
            .load_file(
                "f.acl",
                b"user a on\nfoo\nuser a off\nuser b +nosuch +nosuch2 bogus bogus2\nuser c (~x",
                false,
            )
            .unwrap_err();
        assert_eq!(
            err,
            "f.acl:2 should start with user keyword followed by the username. \
             WARNING: Duplicate user 'a' found on line 3. \
             f.acl:4: Error in applying operation '+nosuch': Unknown command or category name \
             in ACL. f.acl:4: Error in applying operation '+nosuch2': Unknown command or \
             category name in ACL. f.acl:4: Syntax error. \
             f.acl:5: Unmatched parenthesis in selector definition.\
             WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed"
        );
        assert_eq!(a.file_text(), before);
    }
}
