//! `booking-sqlite`: the embedded default backend. Every store trait of
//! `booking-core` on one SQLite file (bundled SQLite: nothing to install).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use booking_core::BookingStore;
//! use booking_sqlite::{SqliteOptions, SqliteStore, Synchronous};
//!
//! // Durable against power loss by default; `Normal` trades that away.
//! let store = SqliteStore::open(
//!     "booking.db",
//!     SqliteOptions::default().with_synchronous(Synchronous::Full),
//! )?;
//! let events = store.events().await?;
//! # Ok(()) }
//! ```
//!
//! - **Schema**: versioned migrations (refinery) embedded in the crate and
//!   applied on open. Foreign keys are on; a partial unique index lets a
//!   seat be in at most one confirmed reservation; cancelled reservations
//!   keep their seats as history. A database whose schema is newer than
//!   this code is refused ([`OpenError::SchemaTooNew`]), as is a file that
//!   is not a database ([`OpenError::NotADatabase`]).
//! - **Transactions**: each write runs in a `BEGIN IMMEDIATE` transaction
//!   on the one writer connection: load rows, apply `booking_core::rules`,
//!   write back; a rule that fails rolls back and changes nothing. Writes
//!   that queue up while a commit is being synced share the next
//!   transaction, each in a savepoint of its own, and one commit (group
//!   commit): one `fsync` for many writes, and none answered before it.
//! - **Concurrency**: WAL mode, so readers (a small pool of read-only
//!   connections) never block the writer nor it them; a `busy_timeout`
//!   covers other processes opening the same file. Each connection runs
//!   on a thread of its own, never on the async workers, so the store's
//!   futures need no particular runtime. Dropping the last clone of a
//!   store waits for its work in flight and closes the file.
//! - **Durability** ([`Synchronous`]): `Full` (default) loses no write that
//!   was answered `Ok`, whether the process crashes, the OS crashes or the
//!   power fails. `Normal`, an opt-in, loses nothing when the process
//!   crashes but can lose the last answered writes on power loss or an OS
//!   crash.

mod connections;
mod error;
mod occupancy;
mod options;
mod schema;
mod store;

pub use error::OpenError;
pub use options::{SqliteOptions, Synchronous};
pub use store::SqliteStore;

/// Public types can cross threads: checked at compile time.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<SqliteStore>();
    send_sync::<OpenError>();
    send_sync::<SqliteOptions>();
};
