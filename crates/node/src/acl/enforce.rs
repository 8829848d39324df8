//! Where ACL meets the node: the check before a command runs, EXEC's re-check, AUTH, the
//! ACL log's entries, and the clients a user change disconnects.

use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Now};

use super::check::{check, Denied};
use super::log::{Entry, Reason};
use super::user::User;
use super::{channels_of, DEFAULT_USER};
use crate::session::Client;
use crate::{Node, Output};

impl Node {
    /// Redis's ACL step of `processCommand`: `Some(NOPERM …)` when the client's user may not
    /// run entry `idx` with `args` (logged in ACL LOG).
    pub(crate) fn acl_refusal(
        &mut self,
        now: Now,
        client: &mut Client,
        idx: usize,
        args: &[&[u8]],
    ) -> Option<ErrorReply> {
        let denied = self.acl_denied(client, idx, args)?;
        // Ref: processCommand sets `c->lastcmd` before any check; the log's client info
        // shows the refused command.
        client.last_cmd = self.table.entries[idx].name;
        let context = if client.multi.is_some() {
            "multi"
        } else {
            "toplevel"
        };
        self.acl_log_denied(now, client, idx, args, denied, context);
        Some(ErrorReply::msg(match denied {
            Denied::Command => format!(
                "NOPERM this user has no permissions to run the '{}' command",
                self.table.entries[idx].name
            ),
            Denied::Key(_) => "NOPERM this user has no permissions to access one of the keys \
                               used as arguments"
                .to_owned(),
            Denied::Channel(_) => "NOPERM this user has no permissions to access one of the \
                                   channels used as arguments"
                .to_owned(),
        }))
    }

    /// EXEC's check of one queued command (Ref: multi.c execCommand): when the rules changed
    /// since it was queued, reply its NOPERM error in the EXEC array and return true.
    pub(crate) fn acl_exec_refused(
        &mut self,
        now: Now,
        client: &mut Client,
        idx: usize,
        args: &[&[u8]],
    ) -> bool {
        let Some(denied) = self.acl_denied(client, idx, args) else {
            return false;
        };
        self.acl_log_denied(now, client, idx, args, denied, "multi");
        let reason = match denied {
            Denied::Command => "no permission to execute the command or subcommand",
            Denied::Key(_) => "no permission to touch the specified keys",
            Denied::Channel(_) => "no permission to access one of the channels used as arguments",
        };
        let text = format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and \
             the EXEC call. This command is no longer allowed for the following reason: {reason}"
        );
        self.stats.count_error(text.as_bytes());
        client.reply().error(&ErrorReply::msg(text));
        true
    }

    /// The refusal for the client's user, if any. The master's client has no user and may
    /// run anything, as in Redis.
    fn acl_denied(&self, client: &Client, idx: usize, args: &[&[u8]]) -> Option<Denied> {
        if client.is_master_client() {
            return None;
        }
        let user = self
            .acl
            .user(&client.user)
            .unwrap_or_else(|| self.acl.default_user());
        check(user, idx, args).err()
    }

    fn acl_log_denied(
        &mut self,
        now: Now,
        client: &Client,
        idx: usize,
        args: &[&[u8]],
        denied: Denied,
        context: &'static str,
    ) {
        let (reason, object) = match denied {
            Denied::Command => (Reason::Command, self.table.entries[idx].name.as_bytes()),
            Denied::Key(p) => (Reason::Key, args[p]),
            Denied::Channel(p) => (Reason::Channel, args[p]),
        };
        let object = object.to_vec();
        let username = client.user.clone();
        self.acl_log(now, client, reason, context, object, username);
    }

    /// Add an ACL LOG entry for `client`.
    fn acl_log(
        &mut self,
        now: Now,
        client: &Client,
        reason: Reason,
        context: &'static str,
        object: Vec<u8>,
        username: Vec<u8>,
    ) {
        let mut client_info = String::new();
        client.info_line(
            now.mono,
            self.repl.is_replica_conn(client.conn),
            &mut client_info,
        );
        let max_len = self
            .config
            .get("acllog-max-len")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(128);
        self.acl.log.add(
            Entry {
                count: 1,
                reason,
                context,
                object,
                username,
                ctime: now.wall.0,
                client_info,
            },
            max_len,
        );
    }

    /// Redis's `ACLAuthenticateUser`: on success the client runs as `user` from now on; a
    /// failure is logged (`object` is the command name as sent).
    pub(crate) fn acl_authenticate(
        &mut self,
        now: Now,
        client: &mut Client,
        command: &[u8],
        user: &[u8],
        pass: &[u8],
    ) -> bool {
        if self.acl.credentials_ok(user, pass) {
            client.authenticated = true;
            client.user = user.to_vec();
            return true;
        }
        let context = if client.multi.is_some() {
            "multi"
        } else {
            "toplevel"
        };
        self.acl_log(
            now,
            client,
            Reason::Auth,
            context,
            command.to_vec(),
            user.to_vec(),
        );
        false
    }

    /// A command a script runs (Redis's `scriptVerifyACL`): when the script client's user may
    /// not run it, what Redis's `getAclErrorMessage` says ("can't run this command or
    /// subcommand"…), logged with context `lua`, the script user's name and the client info
    /// of the `caller` that ran the script.
    pub(crate) fn acl_script_refusal(
        &mut self,
        now: Now,
        caller: &Client,
        client: &Client,
        idx: usize,
        args: &[&[u8]],
    ) -> Option<&'static str> {
        let denied = self.acl_denied(client, idx, args)?;
        let (reason, object, text) = match denied {
            Denied::Command => (
                Reason::Command,
                self.table.entries[idx].name.as_bytes(),
                "can't run this command or subcommand",
            ),
            Denied::Key(p) => (
                Reason::Key,
                args[p],
                "can't access at least one of the keys mentioned in the command arguments",
            ),
            Denied::Channel(p) => (
                Reason::Channel,
                args[p],
                "can't publish to the channel mentioned in the command",
            ),
        };
        let (object, username) = (object.to_vec(), client.user.clone());
        self.acl_log(now, caller, reason, "lua", object, username);
        Some(text)
    }

    /// Whether `client`'s user may run entry `idx` with `args`, without logging
    /// (`redis.acl_check_cmd`).
    pub(crate) fn acl_allows(&self, client: &Client, idx: usize, args: &[&[u8]]) -> bool {
        self.acl_denied(client, idx, args).is_none()
    }

    /// Back to the default user, authenticated only if it needs no password (Redis's
    /// `clientSetDefaultAuth`, for new connections and RESET).
    pub(crate) fn acl_set_default_auth(&self, client: &mut Client) {
        client.user = DEFAULT_USER.to_vec();
        client.authenticated = !self.acl.default_needs_auth();
    }

    /// `requirepass` may have changed (CONFIG SET): update the default user's password.
    pub(crate) fn acl_config_changed(&mut self) {
        let pass = self.config.requirepass.clone();
        self.acl.set_requirepass(pass.as_deref());
    }

    /// Close every connection authenticated as the deleted user `name` (Redis's
    /// `ACLFreeUserAndKillClients`); `current` is closed after its reply.
    pub(crate) fn acl_kill_user_clients(&mut self, name: &[u8], current: &mut Client) {
        self.acl_close_user_clients(name, Some(current));
    }

    /// Close every client running as `name`; `current` (the client whose command does this,
    /// out of the session table while it runs) is closed after its reply.
    pub(crate) fn acl_close_user_clients(&mut self, name: &[u8], current: Option<&mut Client>) {
        let victims: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.closing && s.client.user == name)
            .map(|(c, _)| *c)
            .collect();
        for conn in victims {
            self.acl_close(conn);
        }
        if let Some(current) = current.filter(|c| c.user == name) {
            self.acl_set_default_auth(current);
            current.authenticated = false;
            current.close_after_reply = true;
        }
    }

    fn acl_close(&mut self, conn: ConnId) {
        if let Some(s) = self.sessions.get_mut(&conn) {
            s.client.user = DEFAULT_USER.to_vec();
            s.client.authenticated = false;
            s.closing = true;
            s.client.out.clear();
            self.outputs.push_back(Output::Close { conn });
        }
    }

    /// After ACL SETUSER changed `old` into the user now stored: close that user's
    /// subscribed clients whose channels are no longer all allowed (Redis's
    /// `ACLKillPubsubClientsIfNeeded`).
    pub(crate) fn acl_kill_pubsub_clients(&mut self, old: &User, current: &mut Client) {
        let Some(new) = self.acl.user(&old.name) else {
            return;
        };
        if new.selectors.iter().any(|s| s.allchannels) {
            return;
        }
        let upcoming = channels_of(new);
        let superset = old
            .selectors
            .iter()
            .all(|s| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
        if superset {
            return;
        }
        let violates = |c: &Client| {
            c.user == old.name
                && c.subs.any()
                && (c
                    .subs
                    .patterns
                    .iter()
                    .any(|p| !super::check::channel_allowed(&upcoming, p, true))
                    || c.subs
                        .channels
                        .iter()
                        .chain(&c.subs.shard)
                        .any(|ch| !super::check::channel_allowed(&upcoming, ch, false)))
        };
        let victims: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.closing && violates(&s.client))
            .map(|(c, _)| *c)
            .collect();
        for conn in victims {
            self.acl_close(conn);
        }
        if violates(current) {
            current.close_after_reply = true;
        }
    }
}
