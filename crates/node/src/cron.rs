//! The cron (Redis's `serverCron`), run on `Timer::Cron` every `1000 / hz` ms.

use hashslot_types::{ConnId, Now};

use crate::{keyspace_ext, LogLevel, Node, Output};

/// Most expired keys removed per cron tick over all databases, so one tick's work is bounded
/// whatever the dataset holds. Redis bounds its cycle by time (25% of a tick); we have no clock
/// inside, so by count: at about a microsecond per deletion this is a few milliseconds.
pub(crate) const ACTIVE_EXPIRE_BUDGET: usize = 20_000;

impl Node {
    pub(crate) fn cron(&mut self, now: Now) {
        self.stats.sample(now.mono);
        // Ref: replicationCron -> updateFailoverStatus (standalone FAILOVER).
        self.failover_cron(now);
        // Ref: server.c databasesCron: no active expiry while DEBUG SET-ACTIVE-EXPIRE 0, nor
        // (expire.c activeExpireCycle) while clients are paused: the dataset stays as it is.
        if self.active_expire_enabled && self.repl.pauses.in_force(now.mono).is_none() {
            self.active_expire(now);
        }
        // `expired` notifications of the keys active expiry just removed.
        self.deliver_keyspace_events(None, 0);
        self.drain_expired(now);
        self.close_idle_clients(now);
        self.redirect_blocked_clients();
        let used = self.used_memory();
        self.used_memory_peak = self.used_memory_peak.max(used);
    }

    /// Ref: expire.c activeExpireCycle: databases are visited round robin from where the last
    /// tick stopped, so a db full of due keys cannot starve the others.
    fn active_expire(&mut self, now: Now) {
        // Ref: server.c databasesCron: a replica leaves expiry to its master's DELs.
        if self.replica_expire_cycle(now) {
            return;
        }
        let mut budget = ACTIVE_EXPIRE_BUDGET;
        let n = self.dbs.len();
        for _ in 0..n {
            if budget == 0 {
                break;
            }
            let db = &mut self.dbs[self.expire_db_cursor % n];
            budget -= keyspace_ext::active_expire(db, now, budget, &mut self.ks_stats).min(budget);
            self.expire_db_cursor = (self.expire_db_cursor + 1) % n;
        }
    }

    /// Ref: timeout.c clientsCronHandleTimeout: a client idle longer than `timeout` seconds is
    /// closed, except blocked and pub/sub clients (and replicas, which we do not have yet).
    fn close_idle_clients(&mut self, now: Now) {
        if self.config.timeout == 0 {
            return;
        }
        let limit = self.config.timeout;
        let idle: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| {
                !s.closing
                    && !s.client.blocked_on_keys
                    && !s.client.subs.any()
                    && now
                        .mono
                        .saturating_duration_since(s.client.last_interaction)
                        .as_secs()
                        > limit
            })
            .map(|(c, _)| *c)
            .collect();
        for conn in idle {
            if let Some(s) = self.sessions.get_mut(&conn) {
                s.closing = true;
                s.client.out.clear();
            }
            self.log(LogLevel::Verbose, "Closing idle client".to_owned());
            self.outputs.push_back(Output::Close { conn });
        }
    }

    /// `used_memory`: the dataset estimate plus client buffers.
    pub(crate) fn used_memory(&self) -> u64 {
        let clients: usize = self
            .sessions
            .values()
            .map(|s| s.qbuf.capacity() + s.client.out.capacity())
            .sum();
        keyspace_ext::memory(&self.dbs) + clients as u64
    }
}
