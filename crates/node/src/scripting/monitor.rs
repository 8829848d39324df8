//! MONITOR and scripts: EVAL, EVALSHA, FCALL and their `_RO` forms carry `skip_monitor` (the
//! normal feed after the command leaves them out), yet Redis shows them to monitors as soon as
//! their handler starts, before the commands the script runs. Ref: Redis 7.0 `eval.c`
//! `evalGenericCommand`, `functions.c` `fcallCommandGeneric` (`replicationFeedMonitors`).

use hashslot_resp::write_repr;
use hashslot_types::{ConnId, Now};

use crate::session::Client;
use crate::Node;

impl Node {
    /// Show the script command `args` of `client` to every monitor, in MONITOR's line format.
    pub(crate) fn feed_monitors_script(&mut self, now: Now, client: &mut Client, args: &[&[u8]]) {
        if self.repl.monitors.is_empty() {
            return;
        }
        let micros = now.wall.0.rem_euclid(1000) * 1000 + i64::from(now.wall_micros);
        let mut line = format!(
            "{}.{micros:06} [{} {}] ",
            now.wall.as_secs(),
            client.db,
            client.addr.peer
        )
        .into_bytes();
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                line.push(b' ');
            }
            write_repr(&mut line, a);
        }
        let monitors: Vec<ConnId> = self.repl.monitors.iter().copied().collect();
        for conn in monitors {
            self.send_push(Some(&mut *client), conn, |r| r.simple(&line));
        }
    }
}
