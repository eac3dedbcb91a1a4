//! How a store is opened.

use std::sync::Arc;
use std::time::Duration;

use booking_core::{Clock, Policy, SystemClock};

/// How durable each committed write is (SQLite's `synchronous` in WAL mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// The default. A committed transaction survives a crash of the process;
    /// a power loss or OS crash can lose the last transactions committed
    /// before it (never corrupting the file, never half a transaction).
    #[default]
    Normal,
    /// Every commit is synced to disk before it returns: it survives power
    /// loss too. Slower: one `fsync` per write.
    Full,
}

/// Options of [`SqliteStore::open`](crate::SqliteStore::open).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// The booking policy.
    pub policy: Policy,
    /// The clock holds are judged by (default: the system clock).
    pub clock: Arc<dyn Clock>,
    /// Durability of commits (default: [`Synchronous::Normal`]).
    pub synchronous: Synchronous,
    /// Read-only connections beside the one writer (default 4; a file
    /// database only: an in-memory one uses its one connection for all).
    pub readers: usize,
    /// How long a connection waits for a lock before failing (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            clock: Arc::new(SystemClock),
            synchronous: Synchronous::Normal,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteOptions {
    /// These options with `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// These options with `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// These options with `synchronous`.
    #[must_use]
    pub fn with_synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }
}
