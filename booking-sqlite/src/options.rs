//! How a store is opened.

use std::sync::Arc;
use std::time::Duration;

use booking_core::{Clock, Policy, SystemClock};

use crate::connections::BatchLimits;

/// How durable each committed write is (SQLite's `synchronous` in WAL mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// An opt-in that trades durability for speed. A committed write
    /// survives a crash of the process, but the WAL is synced only at
    /// checkpoints: a power loss or an OS crash can lose the writes
    /// committed (and already answered `Ok`) since the last one, seconds of
    /// them. The file is never corrupted and no transaction is half kept.
    Normal,
    /// The default. Every commit is synced to disk before anyone hears of
    /// it: a write answered `Ok` survives a power loss or an OS crash too
    /// (given a disk that honours `fsync`). One `fsync` per commit, shared
    /// by the writes that group commit puts together.
    #[default]
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
    /// Durability of commits (default: [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// Group commit: at most this many writes share one transaction and one
    /// commit (default 64; 1 commits each write alone). The writer takes
    /// the writes already queued, and waits for more only while a batch is
    /// smaller than the one before it (never after a lone write).
    pub max_batch_writes: usize,
    /// Group commit: no more writes join a batch, and the writer waits for
    /// none, once the batch has been open this long (default 2 ms), which
    /// bounds how long its first write waits for its commit.
    pub max_batch_time: Duration,
    /// Read-only connections beside the one writer (default 4; a file
    /// database only: an in-memory one uses its one connection for all).
    pub readers: usize,
    /// How long a connection waits for a lock before failing (default 5 s).
    pub busy_timeout: Duration,
    /// The name of the SQLite VFS to open the file through (default `None`:
    /// SQLite's own for the platform). Tests use it to put a store on a
    /// simulated disk.
    pub vfs: Option<String>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            clock: Arc::new(SystemClock),
            synchronous: Synchronous::Full,
            max_batch_writes: 64,
            max_batch_time: Duration::from_millis(2),
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            vfs: None,
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

    /// These options with group commit bounded to `max_writes` writes per
    /// commit (1: every write commits alone).
    #[must_use]
    pub fn with_max_batch_writes(mut self, max_writes: usize) -> Self {
        self.max_batch_writes = max_writes;
        self
    }

    /// The bounds of a batch, as the writer applies them.
    pub(crate) fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            writes: self.max_batch_writes.max(1),
            time: self.max_batch_time,
        }
    }
}
