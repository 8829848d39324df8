//! `FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]`: the standalone
//! coordinated failover (the round itself is in `replication::failover`).
//! Ref: replication.c failoverCommand (7.0).

use hashslot_keyspace::flags::*;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, parse_i64, Spec, ADMIN_ACL};
use crate::replication::failover::FailoverRequest;
use crate::session::Client;
use crate::Node;

pub(super) const FAILOVER: Spec = cmd(
    "failover",
    -1,
    ADMIN | NOSCRIPT | STALE,
    ADMIN_ACL,
    "server",
    "6.2.0",
    "O(1)",
    "Start a coordinated failover between this server and one of its replicas.",
    failover,
);

fn failover(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if node.config.cluster_enabled {
        c.reply().error(&ErrorReply::msg(
            "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.",
        ));
        return;
    }
    // Only the two-word form aborts; ABORT anywhere else is a syntax error.
    let result = if args.len() == 2 && args[1].eq_ignore_ascii_case(b"abort") {
        node.failover_abort_command(now)
    } else {
        match parse(args) {
            Ok(req) => node.failover_start(now, req),
            Err(err) => {
                c.reply().error(&err);
                return;
            }
        }
    };
    match result {
        Ok(()) => c.reply().ok(),
        Err(text) => c.reply().error(&ErrorReply::msg(text)),
    }
}

/// The options, as Redis reads them: each at most once (a repeated one is a syntax error, as
/// is a `TO` or `TIMEOUT` without its values), numbers checked as they come.
fn parse(args: &[&[u8]]) -> Result<FailoverRequest, ErrorReply> {
    let mut req = FailoverRequest::default();
    let mut j = 1;
    while j < args.len() {
        let a = args[j];
        if a.eq_ignore_ascii_case(b"timeout") && j + 1 < args.len() && req.timeout_ms.is_none() {
            let ms = parse_i64(args[j + 1]).ok_or(ErrorReply::NotInteger)?;
            if ms <= 0 {
                return Err(ErrorReply::msg(
                    "ERR FAILOVER timeout must be greater than 0",
                ));
            }
            req.timeout_ms = Some(ms);
            j += 2;
        } else if a.eq_ignore_ascii_case(b"to") && j + 2 < args.len() && req.target.is_none() {
            let port = parse_i64(args[j + 2]).ok_or(ErrorReply::NotInteger)?;
            let host = String::from_utf8_lossy(args[j + 1]).into_owned();
            req.target = Some((host, port));
            j += 3;
        } else if a.eq_ignore_ascii_case(b"force") && !req.force {
            req.force = true;
            j += 1;
        } else {
            return Err(ErrorReply::Syntax);
        }
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<FailoverRequest, ErrorReply> {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        parse(&args)
    }

    #[test]
    fn options_parse_once_each() {
        assert_eq!(p("failover"), Ok(FailoverRequest::default()));
        let full = p("failover TO 127.0.0.1 6380 FORCE timeout 50").unwrap();
        assert_eq!(full.target, Some(("127.0.0.1".to_owned(), 6380)));
        assert_eq!(full.timeout_ms, Some(50));
        assert!(full.force);
        assert_eq!(p("failover timeout 5 timeout 6"), Err(ErrorReply::Syntax));
        assert_eq!(p("failover to h 1 to h 2"), Err(ErrorReply::Syntax));
        assert_eq!(p("failover force force"), Err(ErrorReply::Syntax));
        assert_eq!(p("failover to h"), Err(ErrorReply::Syntax));
        assert_eq!(p("failover abort timeout 5"), Err(ErrorReply::Syntax));
        assert_eq!(p("failover to h x"), Err(ErrorReply::NotInteger));
        assert_eq!(p("failover timeout x"), Err(ErrorReply::NotInteger));
        assert!(matches!(p("failover timeout 0"), Err(ErrorReply::Other(_))));
        assert!(matches!(
            p("failover timeout -3"),
            Err(ErrorReply::Other(_))
        ));
    }
}
