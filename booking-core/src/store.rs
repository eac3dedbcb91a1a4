//! The store traits: what a backend performs, each write as one transaction.
//!
//! A store owns its clock: it judges every hold by the instant its
//! transaction reads from that one clock (PostgreSQL: the database's; tests:
//! a [`ManualClock`](crate::ManualClock)). Each method's `# Contract` is
//! checked, item by item, by the conformance suite
//! (`booking_core::testkit`, feature `testkit`).
//!
//! Every method that writes either happens whole or changes nothing, and
//! fails with [`Error::Storage`](crate::Error::Storage) (and nothing changed)
//! when the backend does.

use std::future::Future;
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::audit::{AuditFilter, AuditRecord};
use crate::boxoffice::ReservationFilter;
use crate::error::{Error, Result};
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::model::{
    BestAvailable, Credentials, Event, EventCancellation, EventEdit, EventSummary, Hold,
    IdempotencyKey, NewEvent, Policy, Reservation, Seat, SeatRecord, Session, SessionId, User,
    Username,
};
use crate::seatmap::Row;

/// Events, seats, holds and reservations.
///
/// Futures are `Send`, so a store can be used from any tokio task; stores are
/// `Send + Sync + 'static` and can be shared behind an `Arc`.
///
/// # Cancel safety
///
/// What a future dropped before it completes (a timeout, a client that
/// went away) leaves behind:
///
/// - **A read** leaves nothing behind.
/// - **A write** is never left half done: it happens whole or not at all.
///   Which of the two depends on the backend and on how far it got:
///   - [`MemoryStore`](crate::MemoryStore) does all of a write in its
///     first poll: dropped before it, nothing happened; after it, the
///     write is done.
///   - SQLite (`booking-sqlite`) runs each write as a job on the store's
///     writer thread: once the first poll has queued it, it runs to its
///     end and commits (with its batch) whether its answer is awaited or
///     not.
///   - PostgreSQL (`booking-postgres`) rolls the transaction back when its
///     future is dropped, unless `COMMIT` was already sent: the write is
///     then made, or not, as the database decides.
///
/// So a caller that drops a write does not know its outcome. To learn it,
/// run the write to completion apart from whoever stopped waiting (as
/// `booking-http` does: a timed-out write answers "outcome unknown"), or
/// read the state again; a [`reserve`](BookingStore::reserve) retried with
/// the same [`IdempotencyKey`] returns the reservation the first one made.
pub trait BookingStore: Send + Sync + 'static {
    /// The policy this store enforces (hold lifetime, per-user limit).
    fn policy(&self) -> &Policy;

    /// Creates an event with every seat of its seating.
    ///
    /// # Contract
    ///
    /// - the name, venue and seating are checked by [`NewEvent::validate`]
    ///   (→ `InvalidInput`); an unknown `created_by` → `NotFound(User)`;
    /// - seats get ids in section, row, number order, all `Available`, each
    ///   with its section, label, category (name and price), attributes,
    ///   and (kept for best available) its rank and place in its run;
    /// - returns the event with `total_seats == available_seats ==` the
    ///   seating's size, and a summary per category and per section in the
    ///   venue's order, not cancelled;
    /// - one audit record ([`AuditAction::CreateEvent`](crate::AuditAction::CreateEvent)
    ///   of the new event, by `created_by`, `None` included) is written
    ///   with it.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<EventSummary>> + Send;

    /// Every event, by start time then id, with seat counts at the store's
    /// now; cancelled events too (each with its [`Event::cancelled`]).
    ///
    /// # Contract
    ///
    /// - `available_seats` counts seats neither reserved, held by an
    ///   unexpired hold, nor blocked; each category and section counts its
    ///   seats the same way, and the event's counts are their sums.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn events(&self) -> impl Future<Output = Result<Vec<EventSummary>>> + Send;

    /// One event with its seat counts at the store's now.
    ///
    /// # Contract
    ///
    /// - unknown id → `NotFound(Event)`.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn event(&self, event: EventId) -> impl Future<Output = Result<EventSummary>> + Send;

    /// The seats of an event, by row then number, with their state at the
    /// store's now (an ended hold shows as `Available`).
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn seats(&self, event: EventId) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send;

    /// The seats of an event in the rows `rows` (both ends included), as
    /// [`seats`](BookingStore::seats) lists them: one section of a large
    /// event's map.
    ///
    /// The default reads the whole map and keeps those rows; backends
    /// override it with an indexed read.
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`;
    /// - exactly the seats of `seats(event)` whose row is in `rows`, in the same
    ///   order (none when the range is empty or past the last row).
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        async move {
            let mut seats = self.seats(event).await?;
            seats.retain(|r| rows.contains(&r.seat.row));
            Ok(seats)
        }
    }

    /// The seats of the section named `section` of an event, as
    /// [`seats`](BookingStore::seats) lists them: the part of a venue's map
    /// a page shows at once (a stadium block, a balcony).
    ///
    /// The default reads the event's summary and its whole map and keeps
    /// that section's seats; backends override it with a read of that
    /// section alone.
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`;
    /// - a section the event does not have (names match exactly, case
    ///   included) → `UnknownSection`;
    /// - otherwise exactly the seats of `seats(event)` whose section is
    ///   `section`, in the same order, with their state at the store's now.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn seats_in_section(
        &self,
        event: EventId,
        section: &str,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        async move {
            let summary = self.event(event).await?;
            if !summary.sections.iter().any(|s| s.name == section) {
                return Err(Error::UnknownSection {
                    name: section.to_owned(),
                });
            }
            let mut seats = self.seats(event).await?;
            seats.retain(|r| r.seat.section == section);
            Ok(seats)
        }
    }

    /// The seats of an event that `user` holds now, as
    /// [`seats`](BookingStore::seats) lists them: what a page showing one
    /// section of a large event lists as "your seats" in every section.
    ///
    /// The default reads the whole map and keeps those seats.
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`;
    /// - otherwise exactly the seats of `seats(event)` held by `user` at the
    ///   store's now, in the same order (an ended hold is not one).
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn seats_held_by(
        &self,
        user: UserId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        async move {
            let mut seats = self.seats(event).await?;
            seats.retain(|r| r.state.is_held_by(user));
            Ok(seats)
        }
    }

    /// Takes, or extends, `user`'s hold on a seat, by [`rules::hold`](crate::rules::hold).
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`; a seat not of that event →
    ///   `NotFound(Seat)`; a cancelled event → `EventCancelled`; unknown
    ///   user → `NotFound(User)`;
    /// - then the rule: `SeatReserved`, `SeatLocked`, `HoldLimit`,
    ///   `MaxHoldReached`, or the hold until `now + lock_ttl`, never past
    ///   `max_hold` from when `user` first took it (the store keeps that
    ///   instant with the hold, and an extension keeps it);
    /// - of any number of concurrent holds on one available seat, exactly one
    ///   succeeds; concurrent holds by one user never exceed the limit.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn hold(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Hold>> + Send;

    /// Releases `user`'s hold on a seat, by [`rules::release`](crate::rules::release).
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`; a seat not of that event → `NotFound(Seat)`;
    /// - not held by `user` (or the hold ended) → `NotLockHolder`;
    /// - otherwise the seat is `Available` afterwards, and the answer is
    ///   the seat released.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn release(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Seat>> + Send;

    /// Reserves seats `user` holds, all or nothing, by
    /// [`rules::confirm`](crate::rules::confirm) (and, for an event that
    /// refuses orphans, [`rules::check_orphans`](crate::rules::check_orphans)).
    ///
    /// # Contract
    ///
    /// In this order:
    /// - empty, duplicate or too many `seat_ids` → `InvalidInput`;
    /// - with `key`: `user`'s earlier reservation under that key (within
    ///   `idempotency_ttl`) for the same event and seat set is returned as it
    ///   stands, changing nothing; for anything else → `IdempotencyKeyReused`.
    ///   Failed attempts leave no key behind;
    /// - unknown event → `NotFound(Event)`; an id that is no seat of the event
    ///   → `NotFound(Seat)`; a cancelled event → `EventCancelled`; unknown
    ///   user → `NotFound(User)`;
    /// - any seat not held by `user`, unexpired → the conflict error listing
    ///   every such seat, and nothing changes;
    /// - the event refuses orphans and the seats strand one that another
    ///   pick of as many seats would not → `OrphanSeat`, nothing changes;
    /// - otherwise a `Confirmed` reservation with the seats by row then
    ///   number, `total_cents` their sum, `created_at` now; each seat is
    ///   `Reserved` by it and no longer held; one audit record
    ///   ([`AuditAction::Reserve`](crate::AuditAction::Reserve) by `user`,
    ///   with the reservation and its seats) is written with it. A replay
    ///   and a refusal write none;
    /// - a seat is never in two confirmed reservations, whatever runs concurrently.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> impl Future<Output = Result<Reservation>> + Send;

    /// Blocks seats of an event from sale (house seats, a broken seat),
    /// all or nothing, by [`rules::block`](crate::rules::block), as `by`
    /// does (staff: the store does not check the role, the caller does).
    ///
    /// # Contract
    ///
    /// - bad ids or reason → `InvalidInput`; unknown event →
    ///   `NotFound(Event)`; an id that is no seat of the event →
    ///   `NotFound(Seat)`; a cancelled event → `EventCancelled`;
    /// - a seat reserved or held (unexpired) → the conflict listing every
    ///   such seat, and nothing changes;
    /// - unknown `by` → `NotFound(User)`;
    /// - otherwise each seat is blocked with `reason`: `hold`, `reserve`
    ///   and best available refuse it (`SeatBlocked`) and it is not
    ///   counted as available; one audit record
    ///   ([`AuditAction::Block`](crate::AuditAction::Block) by `by`, with
    ///   the seats and `reason`) is written with it; returns the seats.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send;

    /// Puts blocked seats back on sale, by [`rules::unblock`](crate::rules::unblock),
    /// as `by` does.
    ///
    /// # Contract
    ///
    /// - bad ids or reason → `InvalidInput`; unknown event →
    ///   `NotFound(Event)`; an id that is no seat of the event →
    ///   `NotFound(Seat)`; a cancelled event → `EventCancelled`; unknown
    ///   `by` → `NotFound(User)`;
    /// - otherwise each seat is no longer blocked (one that was not stays
    ///   as it is), and one audit record
    ///   ([`AuditAction::Unblock`](crate::AuditAction::Unblock) by `by`,
    ///   with the seats and `reason`) is written with it; returns the seats.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send;

    /// Holds the best `request.count` seats together for `user`, in one
    /// transaction, as [`best`](crate::best) decides.
    ///
    /// # Contract
    ///
    /// - `count` of 0 or over the per-user limit → `InvalidInput`; unknown
    ///   event → `NotFound(Event)`; a cancelled event → `EventCancelled`
    ///   (also when it is cancelled while the request runs: nothing is
    ///   held then); a category the event does not have →
    ///   `UnknownCategory`, a section → `UnknownSection`; unknown user →
    ///   `NotFound(User)`;
    /// - `user`'s live holds in the event plus `count` over the limit →
    ///   `HoldLimit`;
    /// - otherwise the seats [`best::best_available`](crate::best::best_available)
    ///   picks among the event's seats at the store's now (free: not held,
    ///   reserved nor blocked): adjacent in one run, matching the request,
    ///   best by rank, stranding no seat when another block would not;
    ///   with `allow_split` and no such block, two blocks in neighbouring
    ///   rows; none → `NoAdjacentSeats`, and nothing is held;
    /// - each seat is held by `user` as a new hold would be (`lock_ttl`,
    ///   capped by `max_hold`); the holds are returned in seat order;
    /// - concurrent calls and holds never get the same seat, and while
    ///   enough adjacent seats remain for each request none is refused.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> impl Future<Output = Result<Vec<Hold>>> + Send;

    /// `user`'s reservations, newest first (by creation time, then id),
    /// cancelled ones included.
    ///
    /// # Contract
    ///
    /// - only `user`'s; an unknown user has none.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn reservations(&self, user: UserId) -> impl Future<Output = Result<Vec<Reservation>>> + Send;

    /// Cancels one of `user`'s reservations, by [`rules::cancel`](crate::rules::cancel).
    ///
    /// # Contract
    ///
    /// - unknown, or someone else's → `NotFound(Reservation)`;
    /// - already cancelled → `AlreadyCancelled`;
    /// - otherwise it is `Cancelled` with `cancelled_at` now and
    ///   `cancelled_by` `user` (no `cancel_reason`), and all its seats are
    ///   `Available`; one audit record
    ///   ([`AuditAction::Cancel`](crate::AuditAction::Cancel) by `user`)
    ///   is written with it; returns it.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn cancel(
        &self,
        user: UserId,
        reservation: ReservationId,
    ) -> impl Future<Output = Result<Reservation>> + Send;

    /// Cancels anyone's reservation, as staff `by` do, with `reason`, by
    /// [`rules::staff_cancel`](crate::rules::staff_cancel): its customer
    /// sees in [`reservations`](BookingStore::reservations) that staff
    /// cancelled it (`cancelled_by`) and why (`cancel_reason`).
    ///
    /// # Contract
    ///
    /// - a blank or bad reason ([`rules::check_cancel_reason`](crate::rules::check_cancel_reason))
    ///   → `InvalidInput`;
    /// - unknown → `NotFound(Reservation)`; already cancelled →
    ///   `AlreadyCancelled`; unknown `by` → `NotFound(User)`;
    /// - otherwise it is `Cancelled` with `cancelled_at` now,
    ///   `cancelled_by` `by` and `cancel_reason` `reason`, and all its
    ///   seats are `Available` (best available offers them again); one
    ///   audit record ([`AuditAction::StaffCancel`](crate::AuditAction::StaffCancel)
    ///   by `by`, with the reason) is written with it; returns it.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> impl Future<Output = Result<Reservation>> + Send;

    /// Changes an event's name, description, venue text or start time, as
    /// staff `by` do, by [`EventEdit::apply`]. Its seats, their states and
    /// its reservations stay as they are (a reservation shows the new name).
    ///
    /// # Contract
    ///
    /// - unknown event → `NotFound(Event)`; a cancelled event →
    ///   `EventCancelled`; an edit of no field, or one that breaks a new
    ///   event's rules → `InvalidInput`; unknown `by` → `NotFound(User)`;
    /// - otherwise every later read of the event shows the new details,
    ///   and one audit record ([`AuditAction::EditEvent`](crate::AuditAction::EditEvent)
    ///   by `by`, its reason the fields changed) is written with it;
    ///   returns the event as edited.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn edit_event(
        &self,
        by: UserId,
        event: EventId,
        edit: &EventEdit,
    ) -> impl Future<Output = Result<Event>> + Send;

    /// Cancels an event, as staff `by` do, with `reason`, in one
    /// transaction, all or nothing: the event is marked cancelled, every
    /// confirmed reservation of it is cancelled as
    /// [`staff_cancel`](BookingStore::staff_cancel) cancels one (its
    /// customer sees why), and every hold on its seats is released.
    /// Afterwards nothing of it can be held, reserved, blocked, unblocked or
    /// edited (`EventCancelled`); its reads still answer, with its
    /// [`Event::cancelled`].
    ///
    /// # Contract
    ///
    /// - a blank or bad reason ([`rules::check_cancel_reason`](crate::rules::check_cancel_reason))
    ///   → `InvalidInput`; unknown event → `NotFound(Event)`; already
    ///   cancelled → `EventCancelled`; unknown `by` → `NotFound(User)`;
    ///   each refusal changes nothing;
    /// - otherwise the event's `cancelled` is `at` now, `by`, `reason`, in
    ///   every later read of it ([`event`](BookingStore::event),
    ///   [`events`](BookingStore::events)); each of its reservations
    ///   confirmed before is `Cancelled` with `cancelled_at` now,
    ///   `cancelled_by` `by` and `cancel_reason` `reason`; every seat is
    ///   neither held nor reserved (a blocked seat stays blocked);
    /// - one audit record ([`AuditAction::CancelEvent`](crate::AuditAction::CancelEvent)
    ///   by `by`, with the reason and no seats) and one
    ///   ([`AuditAction::StaffCancel`](crate::AuditAction::StaffCancel), as
    ///   `staff_cancel` writes) per reservation cancelled are written with it;
    /// - afterwards [`hold`](BookingStore::hold),
    ///   [`best_available`](BookingStore::best_available),
    ///   [`reserve`](BookingStore::reserve), [`block`](BookingStore::block),
    ///   [`unblock`](BookingStore::unblock) and
    ///   [`edit_event`](BookingStore::edit_event) of it → `EventCancelled`;
    /// - whatever holds and reserves run concurrently, once it has returned
    ///   the event has no confirmed reservation and no live hold: each of
    ///   them either happened before it (and was undone) or is refused;
    /// - returns the event as cancelled and the ids of the reservations it
    ///   cancelled, ascending.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [the trait's](BookingStore#cancel-safety)).
    fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> impl Future<Output = Result<EventCancellation>> + Send;

    /// A page of an event's reservations, everyone's, for staff: those
    /// `filter` picks, newest first (by id, descending), each with its
    /// seats by row then number.
    ///
    /// # Contract
    ///
    /// - a page size out of range → `InvalidInput`; unknown event →
    ///   `NotFound(Event)`;
    /// - exactly the event's reservations that [`ReservationFilter::matches`],
    ///   newest first, at most `filter.limit` of them.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> impl Future<Output = Result<Vec<Reservation>>> + Send;

    /// A page of the audit log: the records `filter` picks, newest first
    /// (by id, descending). See [`crate::audit`].
    ///
    /// # Contract
    ///
    /// - a page size out of range → `InvalidInput`;
    /// - exactly the records that [`AuditFilter::matches`], newest first,
    ///   at most `filter.limit` of them;
    /// - each write that the contracts above say is audited adds one
    ///   record, in the same transaction; a refused write adds none;
    /// - a record never changes once written, whatever is done after.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn audit_log(
        &self,
        filter: &AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send;
}

/// Users and login sessions.
pub trait AccountStore: Send + Sync + 'static {
    /// Creates a user with a password hash (never a password).
    ///
    /// # Contract
    ///
    /// - a name already taken, regardless of case (`Alice` when `alice`
    ///   exists) → `UsernameTaken`, also when two creations race.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [`BookingStore`'s](BookingStore#cancel-safety)).
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> impl Future<Output = Result<User>> + Send;

    /// The user with that name and their password hash, for checking a login.
    ///
    /// # Contract
    ///
    /// - the name matches as registered, case included: `ALICE` does not
    ///   find `alice`;
    /// - unknown name, or text that is no valid [`Username`] (a NUL, say)
    ///   → `Ok(None)`, never an error.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn credentials(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Credentials>>> + Send;

    /// Whether a user has this name, regardless of case: the cheap check
    /// sign-up makes before it spends time hashing a password
    /// ([`create_user`](AccountStore::create_user) still decides a race).
    ///
    /// # Contract
    ///
    /// - `true` exactly when `create_user` with this name would be `UsernameTaken`.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn username_taken(&self, username: &Username) -> impl Future<Output = Result<bool>> + Send;

    /// The user with that id.
    ///
    /// # Contract
    ///
    /// - unknown id → `Ok(None)`.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn user(&self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send;

    /// Makes `user` staff (`true`) or a customer again (`false`).
    ///
    /// # Contract
    ///
    /// - a user is a customer from [`create_user`](AccountStore::create_user)
    ///   until this makes them staff;
    /// - unknown user → `NotFound(User)`;
    /// - otherwise returns the user with `staff` as asked, and every later
    ///   read of the user ([`user`](AccountStore::user),
    ///   [`credentials`](AccountStore::credentials),
    ///   [`session`](AccountStore::session)) says so; setting what is
    ///   already set changes nothing.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [`BookingStore`'s](BookingStore#cancel-safety)).
    fn set_staff(&self, user: UserId, staff: bool) -> impl Future<Output = Result<User>> + Send;

    /// Starts a session for `user` that ends `ttl` after the store's now.
    ///
    /// The store keeps the id's [`SessionId::digest`], never the id itself.
    ///
    /// # Contract
    ///
    /// - unknown user → `NotFound(User)`;
    /// - an id already in use → `InvalidInput` (ids are random: a clash is a bug).
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [`BookingStore`'s](BookingStore#cancel-safety)).
    fn create_session(
        &self,
        id: &SessionId,
        user: UserId,
        ttl: Duration,
    ) -> impl Future<Output = Result<Session>> + Send;

    /// The session with that id, if it has not ended at the store's now.
    ///
    /// # Contract
    ///
    /// - unknown, deleted or ended → `Ok(None)`.
    ///
    /// Cancel safety: a read; dropped, it leaves nothing behind.
    fn session(&self, id: &SessionId) -> impl Future<Output = Result<Option<Session>>> + Send;

    /// Ends a session now; returns whether it existed.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [`BookingStore`'s](BookingStore#cancel-safety)).
    fn delete_session(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send;

    /// Deletes every session that has ended; returns how many.
    ///
    /// Cancel safety: dropped, it has happened whole or not at all (see
    /// [`BookingStore`'s](BookingStore#cancel-safety)).
    fn delete_expired_sessions(&self) -> impl Future<Output = Result<u64>> + Send;
}

/// Everything a booking server needs: both traits. Implemented for every
/// type that implements them.
pub trait Store: BookingStore + AccountStore {}

impl<T: BookingStore + AccountStore> Store for T {}

/// A shared store is a store: `Arc<S>` can go wherever an `S` can. Every
/// method is forwarded, so a backend's override is never skipped (the lint
/// fails the build if a new method is not).
#[deny(clippy::missing_trait_methods)]
impl<S: BookingStore> BookingStore for std::sync::Arc<S> {
    fn policy(&self) -> &Policy {
        (**self).policy()
    }

    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<EventSummary>> + Send {
        (**self).create_event(event)
    }

    fn events(&self) -> impl Future<Output = Result<Vec<EventSummary>>> + Send {
        (**self).events()
    }

    fn event(&self, event: EventId) -> impl Future<Output = Result<EventSummary>> + Send {
        (**self).event(event)
    }

    fn seats(&self, event: EventId) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        (**self).seats(event)
    }

    fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        (**self).seats_in_rows(event, rows)
    }

    fn seats_in_section(
        &self,
        event: EventId,
        section: &str,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        (**self).seats_in_section(event, section)
    }

    fn seats_held_by(
        &self,
        user: UserId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        (**self).seats_held_by(user, event)
    }

    fn hold(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Hold>> + Send {
        (**self).hold(user, event, seat)
    }

    fn release(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Seat>> + Send {
        (**self).release(user, event, seat)
    }

    fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        (**self).reserve(user, event, seat_ids, key)
    }

    fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send {
        (**self).block(by, event, seat_ids, reason)
    }

    fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send {
        (**self).unblock(by, event, seat_ids, reason)
    }

    fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> impl Future<Output = Result<Vec<Hold>>> + Send {
        (**self).best_available(user, event, request)
    }

    fn reservations(&self, user: UserId) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        (**self).reservations(user)
    }

    fn cancel(
        &self,
        user: UserId,
        reservation: ReservationId,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        (**self).cancel(user, reservation)
    }

    fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        (**self).staff_cancel(by, reservation, reason)
    }

    fn edit_event(
        &self,
        by: UserId,
        event: EventId,
        edit: &EventEdit,
    ) -> impl Future<Output = Result<Event>> + Send {
        (**self).edit_event(by, event, edit)
    }

    fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> impl Future<Output = Result<EventCancellation>> + Send {
        (**self).cancel_event(by, event, reason)
    }

    fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        (**self).event_reservations(event, filter)
    }

    fn audit_log(
        &self,
        filter: &AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send {
        (**self).audit_log(filter)
    }
}

/// A shared store is a store: `Arc<S>` can go wherever an `S` can (every
/// method forwarded, as for [`BookingStore`]).
#[deny(clippy::missing_trait_methods)]
impl<S: AccountStore> AccountStore for std::sync::Arc<S> {
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> impl Future<Output = Result<User>> + Send {
        (**self).create_user(username, password_hash)
    }

    fn credentials(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Credentials>>> + Send {
        (**self).credentials(username)
    }

    fn username_taken(&self, username: &Username) -> impl Future<Output = Result<bool>> + Send {
        (**self).username_taken(username)
    }

    fn user(&self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send {
        (**self).user(user)
    }

    fn set_staff(&self, user: UserId, staff: bool) -> impl Future<Output = Result<User>> + Send {
        (**self).set_staff(user, staff)
    }

    fn create_session(
        &self,
        id: &SessionId,
        user: UserId,
        ttl: Duration,
    ) -> impl Future<Output = Result<Session>> + Send {
        (**self).create_session(id, user, ttl)
    }

    fn session(&self, id: &SessionId) -> impl Future<Output = Result<Option<Session>>> + Send {
        (**self).session(id)
    }

    fn delete_session(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send {
        (**self).delete_session(id)
    }

    fn delete_expired_sessions(&self) -> impl Future<Output = Result<u64>> + Send {
        (**self).delete_expired_sessions()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{MemoryStore, Store};

    fn takes_a_store<S: Store>(_: &S) {}

    #[test]
    fn an_arc_of_a_store_is_a_store() {
        takes_a_store(&Arc::new(MemoryStore::default()));
    }
}
