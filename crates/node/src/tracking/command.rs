//! `CLIENT TRACKING`, `CLIENT CACHING`, `CLIENT GETREDIR`, `CLIENT TRACKINGINFO`, with Redis
//! 7.0.15's checks in its order and its error texts. Ref: networking.c clientCommand,
//! tracking.c enableTracking.

use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Now};

use super::prefix::{check_collisions, Collision};
use super::Registered;
use crate::commands::parse_i64;
use crate::session::Client;
use crate::Node;

/// The options of one `CLIENT TRACKING`.
#[derive(Debug, Default)]
struct Options<'a> {
    redirect: u64,
    redirect_conn: Option<ConnId>,
    bcast: bool,
    optin: bool,
    optout: bool,
    noloop: bool,
    prefixes: Vec<&'a [u8]>,
}

fn err(c: &mut Client, text: &str) {
    c.reply().error(&ErrorReply::msg(text.to_owned()));
}

/// `CLIENT TRACKING on|off [REDIRECT id] [PREFIX p …] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]`.
pub(crate) fn tracking(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let mut o = Options::default();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let a = args[j];
        if a.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if o.redirect != 0 {
                return err(c, "ERR A client can only redirect to a single other client");
            }
            let Some(id) = parse_i64(args[j]) else {
                return c.reply().error(&ErrorReply::NotInteger);
            };
            // The target must exist now; it may leave later (then the redirect is broken).
            match find_client(node, c, id) {
                Some(conn) => {
                    o.redirect = id as u64;
                    o.redirect_conn = Some(conn);
                }
                None => {
                    return err(c, "ERR The client ID you want redirect to does not exist");
                }
            }
        } else if a.eq_ignore_ascii_case(b"bcast") {
            o.bcast = true;
        } else if a.eq_ignore_ascii_case(b"optin") {
            o.optin = true;
        } else if a.eq_ignore_ascii_case(b"optout") {
            o.optout = true;
        } else if a.eq_ignore_ascii_case(b"noloop") {
            o.noloop = true;
        } else if a.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            o.prefixes.push(args[j]);
        } else {
            return c.reply().error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    if args[2].eq_ignore_ascii_case(b"on") {
        if !o.bcast && !o.prefixes.is_empty() {
            return err(c, "ERR PREFIX option requires BCAST mode to be enabled");
        }
        if c.tracking.on && c.tracking.bcast != o.bcast {
            return err(
                c,
                "ERR You can't switch BCAST mode on/off before disabling tracking for this \
                 client, and then re-enabling it with a different mode.",
            );
        }
        if o.bcast && (o.optin || o.optout) {
            return err(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
        }
        if o.optin && o.optout {
            return err(c, "ERR You can't specify both OPTIN mode and OPTOUT mode");
        }
        if (o.optin && c.tracking.optout) || (o.optout && c.tracking.optin) {
            return err(
                c,
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this \
                 client, and then re-enabling it with a different mode.",
            );
        }
        if o.bcast {
            match check_collisions(c.tracking.prefixes.as_ref(), &o.prefixes) {
                Collision::Clear => {}
                Collision::Refuse(text) => return err(c, &text),
                // Redis 7.0.15 replies this error, then enables tracking and replies +OK too.
                Collision::ReportAndGoOn(text) => err(c, &text),
            }
        }
        enable(node, c, &o);
    } else if args[2].eq_ignore_ascii_case(b"off") {
        node.tracking_disable(c);
    } else {
        return c.reply().error(&ErrorReply::Syntax);
    }
    c.reply().ok();
}

/// The connection of client `id` (the caller included), if it is connected.
fn find_client(node: &Node, c: &Client, id: i64) -> Option<ConnId> {
    let id = u64::try_from(id).ok().filter(|&i| i != 0)?;
    if c.id == id {
        return Some(c.conn);
    }
    node.sessions
        .values()
        .find(|s| s.client.id == id && !s.closing)
        .map(|s| s.client.conn)
}

/// Redis's `enableTracking`.
fn enable(node: &mut Node, c: &mut Client, o: &Options<'_>) {
    node.tracking.ever = true;
    let t = &mut c.tracking;
    t.on = true;
    t.broken_redir = false;
    t.bcast = false;
    t.optin = false;
    t.optout = false;
    t.noloop = false;
    t.redirect = o.redirect;
    t.redirect_conn = o.redirect_conn;
    if o.bcast {
        t.bcast = true;
        let empty: [&[u8]; 1] = [b""];
        let prefixes = if o.prefixes.is_empty() {
            &empty[..]
        } else {
            &o.prefixes[..]
        };
        for p in prefixes {
            if node.tracking.prefixes.subscribe(p, c.id) {
                t.prefixes
                    .get_or_insert_with(Default::default)
                    .insert(p.to_vec());
            }
        }
    }
    t.optin = o.optin;
    t.optout = o.optout;
    t.noloop = o.noloop;
    node.tracking.clients.insert(
        c.id,
        Registered {
            conn: c.conn,
            bcast: t.bcast,
            noloop: t.noloop,
        },
    );
}

/// `CLIENT CACHING yes|no`.
pub(crate) fn caching(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if !c.tracking.on {
        return err(
            c,
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with \
             OPTIN or OPTOUT mode enabled",
        );
    }
    let opt = args[2];
    if opt.eq_ignore_ascii_case(b"yes") {
        if !c.tracking.optin {
            return err(
                c,
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if !c.tracking.optout {
            return err(
                c,
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return c.reply().error(&ErrorReply::Syntax);
    }
    c.tracking.caching = true;
    c.reply().ok();
}

/// `CLIENT GETREDIR`: the redirect id while tracking (0: none), else -1.
pub(crate) fn getredir(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let v = c.tracking.redir_field();
    c.reply().int(v);
}

/// `CLIENT TRACKINGINFO`: flags, redirect, prefixes.
pub(crate) fn trackinginfo(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let t = c.tracking.clone();
    let mut fl: Vec<&[u8]> = vec![if t.on { b"on" } else { b"off" }];
    if t.bcast {
        fl.push(b"bcast");
    }
    if t.optin {
        fl.push(b"optin");
        if t.caching {
            fl.push(b"caching-yes");
        }
    }
    if t.optout {
        fl.push(b"optout");
        if t.caching {
            fl.push(b"caching-no");
        }
    }
    if t.noloop {
        fl.push(b"noloop");
    }
    if t.broken_redir {
        fl.push(b"broken_redirect");
    }
    let mut r = c.reply();
    r.map_len(3);
    r.bulk(b"flags");
    r.set_len(fl.len());
    for f in fl {
        r.bulk(f);
    }
    r.bulk(b"redirect");
    r.int(t.redir_field());
    r.bulk(b"prefixes");
    let prefixes = t.prefixes.unwrap_or_default();
    r.array_len(prefixes.len());
    for p in &prefixes {
        r.bulk(p);
    }
}
