//! The node's timers: a table of named deadlines (architecture convention 3).
//!
//! Redis's `serverCron` runs `hz` times a second; here it is the re-arming [`Timer::Cron`]. Each
//! deadline is an `Option<Instant>`; `poll_timeout` is the earliest of them, and a timer fires
//! only when its deadline has passed, so an early or repeated `handle_timeout` does nothing.

use std::time::Duration;

use hashslot_types::Instant;

/// A named deadline of the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Redis's `serverCron`: active expiry, client idle timeouts, instantaneous metrics.
    Cron,
    /// The earliest deadline of a client parked by a blocking command.
    Blocked,
}

impl Timer {
    /// Every timer, in the order they fire when due at the same instant.
    pub(crate) const ALL: [Timer; 2] = [Timer::Cron, Timer::Blocked];

    fn index(self) -> usize {
        self as usize
    }
}

/// The deadline table.
#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    deadlines: [Option<Instant>; Timer::ALL.len()],
}

impl Timers {
    /// Arm `timer` to fire at `at`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = Some(at);
    }

    /// Disarm `timer`.
    pub(crate) fn clear(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    /// Whether `timer` is due at `now`; a due timer is disarmed until set again.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.deadlines[timer.index()] {
            Some(at) if at <= now => {
                self.deadlines[timer.index()] = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest armed deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        // A plain fold: the driver asks after every input.
        self.deadlines.iter().fold(None, |acc, d| match (acc, *d) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, None) => a,
            (None, b) => b,
        })
    }
}

/// The cron period for `hz` (Redis clamps `hz` to 1..=500).
pub(crate) fn cron_period(hz: u32) -> Duration {
    Duration::from_millis(1000 / u64::from(hz.clamp(1, 500)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_when_due() {
        let mut t = Timers::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Cron, Instant::from_nanos(100));
        assert!(!t.take_expired(Timer::Cron, Instant::from_nanos(99)));
        assert!(t.take_expired(Timer::Cron, Instant::from_nanos(100)));
        assert!(!t.take_expired(Timer::Cron, Instant::from_nanos(200)));
        assert_eq!(cron_period(10), Duration::from_millis(100));
        assert_eq!(cron_period(0), Duration::from_millis(1000));
    }
}
