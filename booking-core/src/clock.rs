//! Time: one [`Clock`] judges every hold's expiry.
//!
//! Backends that serve several processes judge time by one clock for all of
//! them (PostgreSQL uses the database's); tests inject a [`ManualClock`] and
//! move it instead of sleeping.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// An instant in UTC, with microsecond precision (what every backend stores).
pub type Timestamp = DateTime<Utc>;

/// A source of the current instant.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant, truncated to whole microseconds.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        truncate_to_micros(Utc::now())
    }
}

/// A clock that stands still until a test moves it. Clones share one instant.
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock reading `start` (truncated to microseconds).
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(truncate_to_micros(start))),
        }
    }

    /// Moves the clock forward by `by`.
    ///
    /// # Panics
    ///
    /// If the new instant is outside chrono's range (hundreds of thousands of years away).
    pub fn advance(&self, by: Duration) {
        let by = TimeDelta::from_std(by).expect("advance by less than 2^63 ms");
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = truncate_to_micros(*now + by);
    }

    /// Sets the clock to `to` (which may be earlier than now).
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = truncate_to_micros(to);
    }
}

impl Default for ManualClock {
    /// A clock reading 2025-01-01T00:00:00Z.
    fn default() -> Self {
        Self::new(DateTime::from_timestamp(1_735_689_600, 0).expect("a valid instant"))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// Drops sub-microsecond digits, so an instant survives a round trip through
/// any backend unchanged.
pub fn truncate_to_micros(t: Timestamp) -> Timestamp {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// `start + by`, saturating at chrono's maximum instant.
pub fn add(start: Timestamp, by: Duration) -> Timestamp {
    TimeDelta::from_std(by)
        .ok()
        .and_then(|by| start.checked_add_signed(by))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A duration as people say it: "5 minutes", "1 minute", "90 seconds".
pub fn describe(d: Duration) -> String {
    let secs = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs >= 60 && secs.is_multiple_of(60) {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::default();
        let other = clock.clone();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        other.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - start, TimeDelta::seconds(90));
        clock.set(start);
        assert_eq!(other.now(), start);
    }

    #[test]
    fn system_clock_has_whole_microseconds() {
        let now = SystemClock.now();
        assert_eq!(now.timestamp_subsec_nanos() % 1_000, 0);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe(Duration::from_secs(900)), "15 minutes");
        assert_eq!(describe(Duration::from_secs(60)), "1 minute");
        assert_eq!(describe(Duration::from_secs(90)), "90 seconds");
        assert_eq!(describe(Duration::from_secs(1)), "1 second");
    }

    #[test]
    fn add_saturates_instead_of_overflowing() {
        assert_eq!(
            add(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
