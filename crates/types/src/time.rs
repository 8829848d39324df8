//! The two kinds of time: monotonic [`Instant`] for timers and wall-clock [`UnixMillis`] for
//! absolute meaning (TTLs, files, nodes.conf fields).

use std::time::Duration;

/// A point on the driver's monotonic clock, in nanoseconds from an arbitrary origin.
///
/// Not `std::time::Instant`: a simulator must be able to build any instant from a number, and
/// two runs of one seed must see the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The instant `nanos` nanoseconds after the clock's origin.
    pub const fn from_nanos(nanos: u64) -> Self {
        Instant(nanos)
    }

    /// Nanoseconds since the clock's origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// This instant plus `d`, saturating at the end of time.
    pub fn saturating_add(self, d: Duration) -> Self {
        Instant(
            self.0
                .saturating_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        )
    }

    /// Time from `earlier` to `self`, zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

/// Wall-clock time in milliseconds since the Unix epoch, as Redis's `mstime()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// Whole seconds since the Unix epoch (what `TIME`, `LASTSAVE` and `EXPIRETIME` report).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

/// Both clocks read at one moment; every `handle_*` call of a state machine takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for timers and deadlines.
    pub mono: Instant,
    /// Wall-clock time, for absolute meaning.
    pub wall: UnixMillis,
    /// Microseconds within the wall-clock millisecond (for `TIME`); 0 when unknown.
    pub wall_micros: u16,
}

impl Now {
    /// Both clocks at one moment, with no sub-millisecond part.
    pub const fn new(mono: Instant, wall: UnixMillis) -> Self {
        Now {
            mono,
            wall,
            wall_micros: 0,
        }
    }

    /// This moment moved forward by `ms` milliseconds on both clocks (virtual time in tests).
    pub fn advance_millis(self, ms: u64) -> Self {
        Now {
            mono: self.mono + Duration::from_millis(ms),
            wall: UnixMillis(self.wall.0.saturating_add(ms as i64)),
            wall_micros: self.wall_micros,
        }
    }
}
