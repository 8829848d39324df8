//! How stream commands must reach the AOF and replicas, as Redis 7.0 propagates them:
//!
//! - XADD / XTRIM (`xaddCommand` / `xtrimCommand` rewrite their argv): an ID the master
//!   generated (`*`, `<ms>-*`) is replaced by the ID it replied, and an approximate trim (`~`,
//!   whose effect depends on node layout and on LIMIT) becomes the exact trim it turned out to
//!   be: `MAXLEN = <length now>` or `MINID = <first ID now>`. The LIMIT clause is dropped: an
//!   exact trim has none (Redis keeps it and lets masters and the AOF bypass the check;
//!   dropping it gives the same effect and a command any server accepts).
//! - XREADGROUP, XCLAIM, XAUTOCLAIM (`streamPropagateXCLAIM`, `streamPropagateGroupID`,
//!   `streamPropagateConsumerCreation`): each entry that joined or changed a PEL becomes
//!   `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last`, an entry
//!   dropped from a PEL because it no longer exists an XCLAIM that drops it there too, a NOACK
//!   read `XGROUP SETID … ENTRIESREAD` (and `XGROUP CREATECONSUMER` for a consumer it made).
//!   The command itself is not propagated (its effect depends on the clock and on history).
//!   One deliberate difference: a history read (XREADGROUP with an ID, not `>`) also goes out
//!   as XCLAIMs of the entries it re-delivered, so replicas keep the master's delivery times
//!   and counts (Redis 7.0 updates them on the master only).

use super::eq_ic;
use crate::stream::{parse_id, StreamId};
use crate::value::{Object, ValueRef};
use crate::Db;

/// The command to propagate for XADD or XTRIM `args` that ran on `db` and replied `reply`
/// (RESP bytes), or `None` when `args` is another command or needs no rewrite.
pub fn stream_command_for_propagation(
    db: &Db,
    args: &[&[u8]],
    reply: &[u8],
) -> Option<Vec<Vec<u8>>> {
    let xadd = eq_ic(args.first()?, b"xadd");
    if !xadd && !eq_ic(args[0], b"xtrim") {
        return None;
    }
    let key = args.get(1)?;
    // Find the trim clause and the ID as `streamParseAddOrTrimArgsOrReply` does.
    let mut approx_at = None; // index of `~`
    let mut threshold_at = None;
    let mut is_maxlen = false;
    let mut limit_at = None;
    let mut id_at = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args[i];
        if xadd && opt == b"*" {
            id_at = Some(i);
            break;
        } else if (eq_ic(opt, b"maxlen") || eq_ic(opt, b"minid")) && more > 0 {
            is_maxlen = eq_ic(opt, b"maxlen");
            approx_at = None;
            if more >= 2 && (args[i + 1] == b"~" || args[i + 1] == b"=") {
                if args[i + 1] == b"~" {
                    approx_at = Some(i + 1);
                }
                i += 1;
            }
            threshold_at = Some(i + 1);
            i += 2;
        } else if eq_ic(opt, b"limit") && more > 0 {
            limit_at = Some(i);
            i += 2;
        } else if xadd && eq_ic(opt, b"nomkstream") {
            i += 1;
        } else if xadd {
            id_at = Some(i);
            break;
        } else {
            return None;
        }
    }
    let generated_id = match id_at {
        Some(p) if xadd => {
            let parsed = parse_id(args[p], 0, true, true);
            args[p] == b"*" || parsed.is_some_and(|p| !p.seq_given)
        }
        _ => false,
    };
    if approx_at.is_none() && !generated_id && limit_at.is_none() {
        return None;
    }
    let stream = match db.peek(key) {
        Some(ValueRef::Obj(Object::Stream(s))) => s,
        _ => return None,
    };
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(args.len());
    for (j, a) in args.iter().enumerate() {
        if limit_at.is_some_and(|l| j == l || j == l + 1) {
            continue;
        }
        if Some(j) == approx_at {
            out.push(b"=".to_vec());
        } else if Some(j) == threshold_at && approx_at.is_some() {
            out.push(if is_maxlen {
                stream.len().to_string().into_bytes()
            } else {
                let first = stream.edge_id(true, false);
                first.to_text()
            });
        } else if Some(j) == id_at && generated_id {
            out.push(reply_id(reply)?.to_text());
        } else {
            out.push(a.to_vec());
        }
    }
    Some(out)
}

/// The commands to propagate for stream command `args` that ran on `db` and replied `reply`
/// (RESP2 or RESP3 bytes, as sent), or `None` when `args` goes out as it is. `Some(vec![])`
/// means nothing is propagated.
pub fn stream_commands_for_propagation(
    db: &Db,
    args: &[&[u8]],
    reply: &[u8],
) -> Option<Vec<Vec<Vec<u8>>>> {
    let name = args.first()?;
    if eq_ic(name, b"xadd") || eq_ic(name, b"xtrim") {
        return stream_command_for_propagation(db, args, reply).map(|c| vec![c]);
    }
    let xreadgroup = eq_ic(name, b"xreadgroup");
    let xclaim = eq_ic(name, b"xclaim");
    let xautoclaim = eq_ic(name, b"xautoclaim");
    if !xreadgroup && !xclaim && !xautoclaim {
        return None;
    }
    let parsed = Resp::parse(reply).map(|(v, _)| v)?;
    let mut out = Vec::new();
    if xreadgroup {
        xreadgroup_propagation(db, args, &parsed, &mut out);
    } else {
        let (key, group) = (*args.get(1)?, *args.get(2)?);
        let (claimed, deleted) = if xclaim {
            let claimed = ids_of(&parsed);
            // IDs named but no longer in the stream were dropped from the PEL.
            let s = stream_of(db, key)?;
            let deleted = args[5..]
                .iter()
                .map_while(|a| parse_id(a, 0, true, false).map(|p| p.id))
                .filter(|id| !s.entry_exists(*id))
                .collect();
            (claimed, deleted)
        } else {
            match &parsed {
                Resp::Arr(parts) if parts.len() == 3 => (ids_of(&parts[1]), ids_of(&parts[2])),
                _ => return Some(out),
            }
        };
        for id in deleted {
            out.push(xclaim_drop(key, group, args[3], id));
        }
        let s = stream_of(db, key)?;
        let g = s.groups().get(group)?;
        for id in &claimed {
            if let Some(n) = g.pel().get(id) {
                out.push(xclaim_of(key, group, &n.consumer, *id, n, g.last_id));
            }
        }
        if xclaim && out.is_empty() {
            // Only LASTID moved the group (or nothing happened: harmless to repeat).
            out.push(setid_of(key, group, g.last_id, g.entries_read));
        }
    }
    Some(out)
}

fn stream_of<'a>(db: &'a Db, key: &[u8]) -> Option<&'a crate::stream::Stream> {
    match db.peek(key) {
        Some(ValueRef::Obj(Object::Stream(s))) => Some(s),
        _ => None,
    }
}

fn xclaim_of(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    id: StreamId,
    n: &crate::stream::groups::Nack,
    last: StreamId,
) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        consumer.to_vec(),
        b"0".to_vec(),
        id.to_text(),
        b"TIME".to_vec(),
        n.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        n.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        last.to_text(),
    ]
}

/// An XCLAIM of an ID whose entry is gone: the replica drops it from its PEL too.
fn xclaim_drop(key: &[u8], group: &[u8], consumer: &[u8], id: StreamId) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        consumer.to_vec(),
        b"0".to_vec(),
        id.to_text(),
        b"JUSTID".to_vec(),
    ]
}

fn setid_of(key: &[u8], group: &[u8], last: StreamId, entries_read: i64) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group.to_vec(),
        last.to_text(),
        b"ENTRIESREAD".to_vec(),
        entries_read.to_string().into_bytes(),
    ]
}

/// XREADGROUP: the entries delivered under `>` (the reply's per-stream arrays).
fn xreadgroup_propagation(db: &Db, args: &[&[u8]], reply: &Resp, out: &mut Vec<Vec<Vec<u8>>>) {
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut noack = false;
    let mut streams = 0;
    let mut i = 1;
    while i < args.len() {
        if eq_ic(args[i], b"group") && i + 2 < args.len() {
            group = Some((args[i + 1], args[i + 2]));
            i += 3;
        } else if eq_ic(args[i], b"noack") {
            noack = true;
            i += 1;
        } else if eq_ic(args[i], b"streams") {
            streams = i + 1;
            break;
        } else {
            i += 2;
        }
    }
    let (Some((group, consumer)), true) = (group, streams > 0) else {
        return;
    };
    let n = (args.len() - streams) / 2;
    // Per served stream: RESP2 `[key, entries]` pairs, RESP3 a map key → entries.
    let served: Vec<(&[u8], &Resp)> = match reply {
        Resp::Arr(items)
            if items
                .iter()
                .all(|x| matches!(x, Resp::Arr(p) if p.len() == 2)) =>
        {
            items
                .iter()
                .filter_map(|x| match x {
                    Resp::Arr(p) => match &p[0] {
                        Resp::Bulk(k) => Some((k.as_slice(), &p[1])),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        }
        Resp::Map(items) => items
            .chunks_exact(2)
            .filter_map(|p| match &p[0] {
                Resp::Bulk(k) => Some((k.as_slice(), &p[1])),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    for (key, entries) in served {
        let Some(k) = (0..n).find(|&k| args[streams + k] == key) else {
            continue;
        };
        let history = args[streams + n + k] != b">";
        let Some(s) = stream_of(db, key) else {
            continue;
        };
        let Some(g) = s.groups().get(group) else {
            continue;
        };
        if noack && !history {
            if g.consumers().contains_key(consumer) {
                out.push(vec![
                    b"XGROUP".to_vec(),
                    b"CREATECONSUMER".to_vec(),
                    key.to_vec(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]);
            }
            if !ids_of(entries).is_empty() {
                out.push(setid_of(key, group, g.last_id, g.entries_read));
            }
            continue;
        }
        for id in ids_of(entries) {
            // A history read re-delivers pending entries that still exist (Redis 7.0 changes
            // their time and count without propagating; propagating them keeps replicas' PELs
            // equal to the master's). Pending IDs of deleted entries stay as they are.
            if history && !s.entry_exists(id) {
                continue;
            }
            if let Some(nack) = g.pel().get(&id) {
                out.push(xclaim_of(key, group, &nack.consumer, id, nack, g.last_id));
            }
        }
    }
}

/// The IDs of an array of entries (`[id, fields]`) or of IDs (JUSTID).
fn ids_of(v: &Resp) -> Vec<StreamId> {
    let Resp::Arr(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|x| {
            let b = match x {
                Resp::Bulk(b) => b,
                Resp::Arr(p) => match p.first() {
                    Some(Resp::Bulk(b)) => b,
                    _ => return None,
                },
                _ => return None,
            };
            parse_id(b, 0, true, false).map(|p| p.id)
        })
        .collect()
}

/// Just enough of a RESP2/RESP3 reader for the replies of this module's commands.
enum Resp {
    Bulk(Vec<u8>),
    Arr(Vec<Resp>),
    Map(Vec<Resp>),
    Other,
}

impl Resp {
    fn parse(b: &[u8]) -> Option<(Resp, usize)> {
        let nl = b.iter().position(|&c| c == b'\n')?;
        let line = std::str::from_utf8(b.get(1..nl.checked_sub(1)?)?).ok()?;
        let rest = nl + 1;
        match *b.first()? {
            b'$' => {
                let n: i64 = line.parse().ok()?;
                if n < 0 {
                    return Some((Resp::Other, rest));
                }
                let n = n as usize;
                let body = b.get(rest..rest + n)?.to_vec();
                Some((Resp::Bulk(body), rest + n + 2))
            }
            t @ (b'*' | b'%') => {
                let n: i64 = line.parse().ok()?;
                let mut items = Vec::new();
                let mut at = rest;
                let count = if t == b'%' { 2 * n.max(0) } else { n.max(0) };
                for _ in 0..count {
                    let (v, used) = Resp::parse(b.get(at..)?)?;
                    items.push(v);
                    at += used;
                }
                Some((
                    if t == b'%' {
                        Resp::Map(items)
                    } else {
                        Resp::Arr(items)
                    },
                    at,
                ))
            }
            _ => Some((Resp::Other, rest)),
        }
    }
}

/// The ID of an XADD bulk reply (`$N\r\n<ms>-<seq>\r\n`).
fn reply_id(reply: &[u8]) -> Option<StreamId> {
    let rest = reply.strip_prefix(b"$")?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let body = rest.get(nl + 1..rest.len().checked_sub(2)?)?;
    parse_id(body, 0, true, false).map(|p| p.id)
}
