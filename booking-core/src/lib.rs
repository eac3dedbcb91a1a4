//! The storage-agnostic heart of `booking`, a seat-reservation engine.
//!
//! # The seat lifecycle
//!
//! ```text
//!              hold                    reserve
//!  Available ────────► Held(user, until) ───────► Reserved(reservation)
//!      ▲  ▲   release /       │                          │
//!      │  └─ time passes ─────┘                          │ cancel
//!      └─────────────────────────────────────────────────┘
//! ```
//!
//! - A user **holds** an available seat for [`Policy::lock_ttl`] (default
//!   5 minutes); holding it again extends the hold, but never past
//!   [`Policy::max_hold`] (default 15 minutes) from when it was first taken:
//!   then the holder must let it go before taking it again. A user holds at
//!   most [`Policy::max_seats_per_user`] seats of one event at once.
//! - A hold **expires by time alone**: once its instant passes the seat is
//!   available, with nothing written ([`SeatState::at`]).
//! - A user **reserves** seats they hold, all or nothing, in one step; the
//!   seats become reserved by the new [`Reservation`].
//! - The owner **cancels** a reservation once; its seats become available.
//! - Staff may **block** available seats from sale; a blocked seat is
//!   neither held nor reserved until it is unblocked. Staff may also
//!   **cancel** anyone's reservation, with a reason its customer sees, and
//!   edit an event's details ([`boxoffice`] has their helpers: sales per
//!   category, the seats of a row or a section).
//! - Every reserve and cancel, and every staff action, leaves one record in
//!   the **audit log** ([`audit`]), written in the same transaction.
//! - **Best available** holds the best `count` seats together in one step
//!   ([`best`]): adjacent, by the venue's ranking, stranding no single seat
//!   when another choice would not.
//!
//! The [`rules`] decide every step as pure functions of the loaded rows and
//! an instant. The [`BookingStore`] and [`AccountStore`] traits are what a
//! backend implements, each write one transaction; [`tx`] runs the writes
//! (which checks in which order, the calls to the rules) over the loads and
//! writes a backend's transaction provides ([`tx::Tx`]).
//! [`MemoryStore`] is the reference implementation. The `testkit` feature
//! holds the conformance suite every backend runs with one line,
//! `booking_core::conformance_tests!(factory)`.
//!
//! ```
//! use booking_core::{
//!     AccountStore, BestAvailable, BookingStore, MemoryStore, NewEvent, OrphanPolicy, SeatMap,
//!     Username,
//! };
//! # tokio_test_block_on(async {
//! let store = MemoryStore::default();
//! let alice = store.create_user(&Username::new("alice")?, "<hash>").await?;
//! let event = store
//!     .create_event(NewEvent {
//!         name: "The Matrix".into(),
//!         description: "Neo learns what the Matrix is.".into(),
//!         venue: "Hall 1".into(),
//!         starts_at: chrono::Utc::now(),
//!         // A `Venue` (`Venue::from_json` reads a venue file), or a grid:
//!         seating: SeatMap::grid(6, 10, 10_000)?.into(),
//!         orphans: OrphanPolicy::Allow,
//!         created_by: None,
//!     })
//!     .await?;
//! let seats = store.seats(event.event.id).await?;
//! let a1 = seats[0].seat.id;
//! store.hold(alice.id, event.event.id, a1).await?;
//! let reservation = store.reserve(alice.id, event.event.id, &[a1], None).await?;
//! assert_eq!(reservation.seat_labels(), ["A1"]);
//! // The best two seats together: the middle of row A.
//! let holds = store
//!     .best_available(alice.id, event.event.id, &BestAvailable::new(2))
//!     .await?;
//! let labels: Vec<String> = holds.iter().map(|h| h.seat.label()).collect();
//! assert_eq!(labels, ["A5", "A6"]);
//! # Ok::<(), booking_core::Error>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

pub mod audit;
pub mod best;
pub mod boxoffice;
mod clock;
mod error;
mod ids;
mod memory;
mod model;
pub mod occupancy;
pub mod rules;
mod seatmap;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tx;
pub mod venue;

pub use audit::{AuditAction, AuditFilter, AuditRecord};
pub use boxoffice::{CategorySales, ReservationFilter, Sales, SeatSelection};
pub use clock::{
    Clock, ManualClock, SystemClock, Timestamp, add as add_duration, describe as describe_duration,
    truncate_to_micros,
};
pub use error::{BoxError, ConflictKind, Conflicts, Entity, Error, Result, SeatConflict};
pub use ids::{EventId, ReservationId, SeatId, UserId};
pub use memory::MemoryStore;
pub use model::{
    BestAvailable, Cancellation, CategorySummary, Credentials, Event, EventCancellation, EventEdit,
    EventSummary, Hold, IdempotencyKey, MAX_EVENT_DESCRIPTION, MAX_EVENT_TEXT, NewEvent,
    OrphanPolicy, Password, Policy, Reservation, ReservationStatus, Seat, SeatColumns, SeatCounts,
    SeatRecord, SeatState, SectionSummary, Session, SessionId, TakenSeats, User, Username,
    count_taken,
};
pub use seatmap::{Row, SeatBlock, SeatMap, SeatSpec};
pub use store::{AccountStore, BookingStore, Store};
pub use venue::Venue;

/// Public types can cross threads: checked at compile time.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Error>();
    send_sync::<MemoryStore>();
    send_sync::<ManualClock>();
    send_sync::<Reservation>();
    send_sync::<SeatMap>();
    send_sync::<Venue>();
};
