//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH, and the cluster
//! connection flags READONLY, READWRITE, ASKING.

use hashslot_resp::{ErrorReply, Proto};
use hashslot_types::Now;

use super::parse_i64;
use crate::session::{Client, ReplyMode};
use crate::Node;

const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const CLUSTER_DISABLED: &str = "ERR This instance has cluster support disabled";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

pub(super) fn ping(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if c.subs.any() && c.proto == Proto::Resp2 && args.len() <= 2 {
        // Ref: server.c pingCommand: a subscribed RESP2 client gets a pub/sub-shaped reply.
        let msg = args.get(1).copied().unwrap_or(b"");
        let mut r = c.reply();
        r.array_len(2);
        r.bulk(b"pong");
        r.bulk(msg);
        return;
    }
    match args {
        [_] => c.reply().simple(b"PONG"),
        [_, msg] => c.reply().bulk(msg),
        // Ref: server.c pingCommand: the arity allows more, the command does not.
        _ => c.reply().error(&ErrorReply::WrongArity("ping".into())),
    }
}

pub(super) fn echo(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    c.reply().bulk(args[1]);
}

pub(super) fn select(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let Some(id) = parse_i64(args[1]).filter(|v| i32::try_from(*v).is_ok()) else {
        return c.reply().error(&ErrorReply::msg(NOT_INTEGER));
    };
    if node.config.cluster_enabled && id != 0 {
        return c.reply().error(&ErrorReply::msg(
            "ERR SELECT is not allowed in cluster mode",
        ));
    }
    match usize::try_from(id).ok().filter(|&i| i < node.dbs.len()) {
        Some(i) => {
            c.db = i;
            c.reply().ok();
        }
        None => c
            .reply()
            .error(&ErrorReply::msg("ERR DB index is out of range")),
    }
}

pub(super) fn quit(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    c.reply().ok();
    c.close_after_reply = true;
}

/// Ref: networking.c clearClientConnectionState.
pub(super) fn reset(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    node.discard_transaction(c);
    node.forget_subscriptions(c);
    c.db = 0;
    c.proto = Proto::Resp2;
    c.name = None;
    c.readonly = false;
    c.asking = false;
    c.no_evict = false;
    c.reply_mode = ReplyMode::default();
    // Back to the default user (Redis's `clientSetDefaultAuth`).
    node.acl_set_default_auth(c);
    // Ref: networking.c clearClientConnectionState: RESET ends MONITOR.
    if std::mem::take(&mut c.monitor) {
        node.forget_monitor(c.conn);
    }
    c.reply().simple(b"RESET");
}

/// Ref: acl.c authCommand (7.0): `AUTH <password>` for the default user, or
/// `AUTH <username> <password>`.
pub(super) fn auth(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let (user, pass): (&[u8], &[u8]) = match args {
        [_, pass] => {
            if node.acl.default_user().nopass {
                return c.reply().error(&ErrorReply::msg(
                    "ERR AUTH <password> called without any password configured for the \
                     default user. Are you sure your configuration is correct?",
                ));
            }
            (crate::acl::DEFAULT_USER, pass)
        }
        [_, user, pass] => (user, pass),
        _ => return c.reply().error(&ErrorReply::Syntax),
    };
    if node.acl_authenticate(now, c, args[0], user, pass) {
        c.reply().ok();
    } else {
        c.reply().error(&ErrorReply::msg(WRONGPASS));
    }
}

/// Ref: networking.c helloCommand (7.0): options run in order (a SETNAME before a failed
/// AUTH stays), then the client must be authenticated.
pub(super) fn hello(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut proto = None;
    if let Some(v) = args.get(1) {
        match parse_i64(v) {
            None => {
                return c.reply().error(&ErrorReply::msg(
                    "ERR Protocol version is not an integer or out of range",
                ))
            }
            Some(2) => proto = Some(Proto::Resp2),
            Some(3) => proto = Some(Proto::Resp3),
            Some(_) => {
                return c
                    .reply()
                    .error(&ErrorReply::msg("NOPROTO unsupported protocol version"))
            }
        }
    }
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = args[j];
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            if !node.acl_authenticate(now, c, args[0], args[j + 1], args[j + 2]) {
                return c.reply().error(&ErrorReply::msg(WRONGPASS));
            }
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            if !super::client::set_name(c, args[j + 1]) {
                return;
            }
            j += 2;
        } else {
            let text = format!(
                "ERR Syntax error in HELLO option '{}'",
                crate::acl::c_text(opt)
            );
            return c.reply().error(&ErrorReply::msg(text));
        }
    }
    if !c.authenticated {
        return c.reply().error(&ErrorReply::msg(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        ));
    }
    if let Some(p) = proto {
        c.proto = p;
    }
    let id = c.id as i64;
    let mode: &[u8] = if node.config.cluster_enabled {
        b"cluster"
    } else {
        b"standalone"
    };
    let proto_num = if c.proto == Proto::Resp3 { 3 } else { 2 };
    let mut r = c.reply();
    r.map_len(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(proto_num);
    r.bulk(b"id");
    r.int(id);
    r.bulk(b"mode");
    r.bulk(mode);
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array_len(0);
}

pub(super) fn readonly(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    cluster_flag(node, c, |c| c.readonly = true);
}

pub(super) fn readwrite(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    cluster_flag(node, c, |c| c.readonly = false);
}

pub(super) fn asking(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    cluster_flag(node, c, |c| c.asking = true);
}

fn cluster_flag(node: &Node, c: &mut Client, set: impl FnOnce(&mut Client)) {
    if !node.config.cluster_enabled {
        return c.reply().error(&ErrorReply::msg(CLUSTER_DISABLED));
    }
    set(c);
    c.reply().ok();
}
