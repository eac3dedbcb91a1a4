//! `booking-postgres`: the server-grade backend. Every store trait of
//! `booking-core` on PostgreSQL, so several `booking-server` processes can
//! share one database.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use booking_core::BookingStore;
//! use booking_postgres::{PgOptions, PgStore};
//!
//! let store = PgStore::connect("postgres://booking@db/booking", PgOptions::default()).await?;
//! let events = store.events().await?;
//! # Ok(()) }
//! ```
//!
//! - **Connections**: a deadpool pool; statements prepared once per
//!   connection. Opening a connection times out after 5 s unless the URL
//!   says otherwise (`connect_timeout`), and waiting for a free one after
//!   10 s, so a database that is gone fails calls quickly instead of
//!   hanging them.
//! - **TLS** (feature `tls`): rustls with the *ring* provider, trusting the
//!   system's certificates or given PEM ones (`TlsRoots`); the server's
//!   certificate and host name are always verified, and the URL's
//!   `sslmode` (`prefer`, `require`, `disable`) says when TLS is used.
//! - **Schema**: versioned migrations (refinery) embedded and applied on
//!   connect, under an advisory lock so processes starting together migrate
//!   one at a time. The same constraints as SQLite: foreign keys, a partial
//!   unique index so a seat is in at most one confirmed reservation,
//!   cancelled reservations kept as history.
//! - **Transactions**: each operation locks what it changes with
//!   `SELECT ... FOR UPDATE` (the user's row, then seats by ascending id),
//!   applies `booking_core::rules` and writes back. Serialization failures
//!   and deadlocks (SQLSTATE 40001, 40P01) are retried up to three times.
//! - **One clock**: holds are judged by the database's
//!   `transaction_timestamp()`, so processes with skewed clocks agree
//!   (tests inject a manual clock instead).
//! - **Portability**: identity columns, partial indexes, `FOR UPDATE`,
//!   `UNNEST` and `FILTER` are shared by CockroachDB and YugabyteDB; the
//!   migration lock uses `pg_advisory_lock`, which CockroachDB lacks.

mod connections;
mod error;
mod occupancy;
mod options;
mod picking;
mod schema;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
#[cfg(feature = "tls")]
mod tls;

pub use error::ConnectError;
pub use options::PgOptions;
pub use store::PgStore;
#[cfg(feature = "tls")]
pub use tls::TlsRoots;

/// Public types can cross threads: checked at compile time.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<PgStore>();
    send_sync::<ConnectError>();
    send_sync::<PgOptions>();
};
