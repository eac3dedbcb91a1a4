//! The write operations, once for every backend.
//!
//! A backend implements [`Tx`] for its transaction: the loads (under the
//! locks it takes) and the writes, in its own SQL or data structures. The
//! functions here run each write over it: which checks run in which order,
//! what is loaded when, the idempotency replay, forgetting an expired key,
//! and the calls to [`rules`]. A store's method opens its transaction, reads
//! its instant `now`, calls one of them and commits when it returns `Ok`
//! (on an error nothing was written, or the backend rolls back).
//!
//! # Sync and async backends
//!
//! The functions are `async`, for a backend whose transaction waits on the
//! network (PostgreSQL). A backend that never waits (SQLite on its
//! connection's thread, the memory store under its lock) implements the
//! trait with futures that are ready at once, and runs an operation with
//! [`run_ready`].
//!
//! # Locks
//!
//! Every operation that takes the user's row does so before anything else
//! ([`Tx::lock_user`]), then seats in ascending id order: two transactions
//! never wait on each other in a cycle.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::audit::{AuditAction, NewAuditRecord};
use crate::clock::Timestamp;
use crate::error::{Entity, Error, Result};
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::model::{
    Cancellation, Event, EventCancellation, EventEdit, Hold, IdempotencyKey, OrphanPolicy, Policy,
    Reservation, Seat, SeatRecord, SeatState,
};
use crate::rules;

/// A reservation decided, for [`Tx::insert_reservation`] to write.
#[derive(Clone, Copy, Debug)]
pub struct NewReservation<'a> {
    /// Whose it is.
    pub user: UserId,
    /// The event of its seats.
    pub event: EventId,
    /// Its seats, by row then number.
    pub seats: &'a [Seat],
    /// The sum of their prices.
    pub total_cents: i64,
    /// The transaction's instant.
    pub created_at: Timestamp,
    /// The idempotency key it was made with, if any.
    pub key: Option<&'a IdempotencyKey>,
}

/// What a write needs to know of its event ([`Tx::event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRules {
    /// Whether a reserve that strands a single seat is refused.
    pub orphans: OrphanPolicy,
    /// Whether staff cancelled it: every write to it is then refused
    /// ([`rules::check_not_cancelled`]).
    pub cancelled: bool,
}

/// A seat to hold, as [`Tx::seat_to_hold`] loads it.
#[derive(Clone, Debug)]
pub struct SeatToHold {
    /// The seat, locked.
    pub record: SeatRecord,
    /// How many *other* seats of the event the user holds at `now`.
    pub held_elsewhere: u32,
    /// Whether the event is cancelled, as read once the seat is locked.
    pub event_cancelled: bool,
}

/// What [`reserve`] loads before it decides ([`Tx::load_for_reserve`]).
#[derive(Clone, Debug)]
pub struct ReserveLoad {
    /// Whether the user exists (their row is locked).
    pub user_found: bool,
    /// The user's reservation made with the idempotency key, if a key was
    /// given and there is one.
    pub previous: Option<Reservation>,
    /// The seats asked for that are seats of the event, locked, as
    /// [`Tx::lock_seats`] loads them.
    pub seats: Vec<SeatRecord>,
    /// What the write needs to know of the event, read once the seats
    /// are locked; `None` when there is no such event.
    pub event: Option<EventRules>,
}

/// The loads and writes of one backend's write transaction.
///
/// # A cancelled event
///
/// [`cancel_event`] locks every seat of the event before it reads and
/// marks the event cancelled; every other write to seats reads whether
/// the event is cancelled once it holds its seats' locks (in a statement
/// after the one that took them). So a write that locked a seat first
/// is done before the cancel goes on (which then undoes its hold or
/// cancels its reservation), and one that waited for the cancel's locks
/// sees the event cancelled. A cancellation is never undone, so a read
/// without locks that sees one can refuse at once.
///
/// Loads return rows as stored: a hold on them may have ended (the rules
/// judge every state at `now`). A write is only ever called once the
/// operation has decided, so a backend needs no undo of its own.
#[allow(
    async_fn_in_trait,
    reason = "implemented by the backends in this workspace; whether a future is Send follows from the backend's own types"
)]
pub trait Tx {
    /// The backend's error, which a core [`Error`] converts into (the
    /// PostgreSQL backend keeps the driver's errors whole to retry them).
    type Error: From<Error>;

    /// Locks `user`'s row until the transaction ends, so that one user's
    /// writes run one at a time (the count of their holds stays true, and a
    /// retried idempotency key sees the first attempt's reservation);
    /// whether the user exists.
    async fn lock_user(&mut self, user: UserId) -> Result<bool, Self::Error>;

    /// As [`lock_user`](Tx::lock_user), and, when the backend can read it in
    /// the same step, `seat` of `event` as committed, *without* its lock:
    /// [`hold`] refuses a seat already someone else's from that read, so a
    /// crowd asking for one seat does not queue for its lock. No seat
    /// when the event is cancelled (the locked read then refuses the hold
    /// in the contract's order). The default reads no seat.
    async fn lock_user_and_peek_seat(
        &mut self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> Result<(bool, Option<SeatRecord>), Self::Error> {
        let _ = (event, seat);
        Ok((self.lock_user(user).await?, None))
    }

    /// What [`reserve`] needs before it decides, in this order:
    /// [`lock_user`](Tx::lock_user), then, with a `key`,
    /// [`reservation_by_key`](Tx::reservation_by_key) (which sees the
    /// reservation of an earlier attempt with the key, since that one held
    /// the user's lock until it committed), [`lock_seats`](Tx::lock_seats)
    /// and [`event`](Tx::event) (after the seats' locks: see "A cancelled
    /// event" above). None of them waits for another's answer, so
    /// a backend that can send them together (one round trip) does. The
    /// default calls them one by one.
    async fn load_for_reserve(
        &mut self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<ReserveLoad, Self::Error> {
        let user_found = self.lock_user(user).await?;
        let previous = match key {
            Some(key) => self.reservation_by_key(user, key).await?,
            None => None,
        };
        let seats = self.lock_seats(event, seat_ids).await?;
        let event = self.event(event).await?;
        Ok(ReserveLoad {
            user_found,
            previous,
            seats,
            event,
        })
    }

    /// What the writes need to know of `event`; `None` when there is no
    /// such event. Called after the seats' locks, when there are any.
    async fn event(&mut self, event: EventId) -> Result<Option<EventRules>, Self::Error>;

    /// `seat` of `event`, locked, with the number of *other* seats of the
    /// event `user` holds at `now` and whether the event is cancelled (read
    /// after the lock); `None` when it is no seat of the event.
    async fn seat_to_hold(
        &mut self,
        event: EventId,
        seat: SeatId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<SeatToHold>, Self::Error>;

    /// `seat` of `event`, locked; `None` when it is no seat of the event.
    /// The default asks [`lock_seats`](Tx::lock_seats) for the one seat.
    async fn lock_seat(
        &mut self,
        event: EventId,
        seat: SeatId,
    ) -> Result<Option<SeatRecord>, Self::Error> {
        Ok(self.lock_seats(event, &[seat]).await?.pop())
    }

    /// The seats of `seat_ids` that are seats of `event`, locked in id order
    /// (ids of no seat of it are left out).
    async fn lock_seats(
        &mut self,
        event: EventId,
        seat_ids: &[SeatId],
    ) -> Result<Vec<SeatRecord>, Self::Error>;

    /// `user`'s reservation made with `key`, if any (however old).
    async fn reservation_by_key(
        &mut self,
        user: UserId,
        key: &IdempotencyKey,
    ) -> Result<Option<Reservation>, Self::Error>;

    /// Every seat of the runs that hold `seat_ids` (seats of `event`), each
    /// run in order: what [`rules::check_orphans`] judges.
    async fn runs_of(
        &mut self,
        event: EventId,
        seat_ids: &[SeatId],
    ) -> Result<Vec<Vec<SeatRecord>>, Self::Error>;

    /// The reservation `id`, locked; `None` when there is none.
    async fn lock_reservation(
        &mut self,
        id: ReservationId,
    ) -> Result<Option<Reservation>, Self::Error>;

    /// Sets `seat`'s state.
    async fn set_seat_state(&mut self, seat: SeatId, state: SeatState) -> Result<(), Self::Error>;

    /// Forgets the idempotency key of `reservation` (it has expired: a new
    /// reservation takes the key).
    async fn forget_key(&mut self, reservation: ReservationId) -> Result<(), Self::Error>;

    /// Writes a confirmed reservation, its seats `Reserved` by it; returns
    /// it as stored.
    async fn insert_reservation(
        &mut self,
        new: NewReservation<'_>,
    ) -> Result<Reservation, Self::Error>;

    /// Marks `reservation` cancelled at `now` by `by` (with staff's
    /// `reason`, if they gave one) and makes its seats available; returns
    /// it as stored.
    async fn cancel_reservation(
        &mut self,
        reservation: &Reservation,
        by: UserId,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Reservation, Self::Error>;

    /// Marks `seats` blocked with `reason`, or no longer blocked (`None`);
    /// blocking clears an ended hold. Returns the seats.
    async fn set_blocked(
        &mut self,
        seats: &[SeatRecord],
        reason: Option<&str>,
    ) -> Result<Vec<Seat>, Self::Error>;

    /// `event`'s details (its cancellation included), locked until the
    /// transaction ends; `None` when there is no such event.
    async fn lock_event(&mut self, event: EventId) -> Result<Option<Event>, Self::Error>;

    /// Locks every seat of `event` (none when there is no such event), in
    /// id order, until the transaction ends; returns those that carry a
    /// hold, live or ended.
    async fn lock_event_seats(&mut self, event: EventId) -> Result<Vec<SeatId>, Self::Error>;

    /// Makes `seats` (locked, each with a hold) `Available`. The default
    /// sets them one by one.
    async fn release_holds(&mut self, seats: &[SeatId]) -> Result<(), Self::Error> {
        for &seat in seats {
            self.set_seat_state(seat, SeatState::Available).await?;
        }
        Ok(())
    }

    /// Every confirmed reservation of `event`, by id, as committed once the
    /// event's seats are locked ([`lock_event_seats`](Tx::lock_event_seats)).
    async fn confirmed_reservations(
        &mut self,
        event: EventId,
    ) -> Result<Vec<Reservation>, Self::Error>;

    /// Marks `event` cancelled as `cancellation` says.
    async fn set_event_cancelled(
        &mut self,
        event: EventId,
        cancellation: &Cancellation,
    ) -> Result<(), Self::Error>;

    /// Writes `event`'s name, description, venue text and start time
    /// (nothing else of it: its seats never change).
    async fn set_event_details(&mut self, event: &Event) -> Result<(), Self::Error>;

    /// Appends `record` to the audit log, in this transaction: it is kept
    /// exactly when the change it records is.
    async fn audit(&mut self, record: NewAuditRecord<'_>) -> Result<(), Self::Error>;
}

/// [`BookingStore::hold`](crate::BookingStore::hold) over a transaction.
pub async fn hold<T: Tx>(
    tx: &mut T,
    user: UserId,
    event: EventId,
    seat: SeatId,
    now: Timestamp,
    policy: &Policy,
) -> Result<Hold, T::Error> {
    let (user_found, seen) = tx.lock_user_and_peek_seat(user, event, seat).await?;
    // Only the seat's state is judged from the unlocked read (no count of
    // other holds): a seat that may still be free is locked and judged in
    // full below. So is the caller's own hold, `max_hold` included:
    // `MaxHoldReached` is no seat conflict.
    if let Some(seen) = &seen
        && let Err(refused) = rules::hold(seen, user, 0, now, policy)
        && refused.conflicts().is_some()
    {
        return Err(refused.into());
    }
    let Some(found) = tx.seat_to_hold(event, seat, user, now).await? else {
        return Err(missing_seat(tx, event, seat).await);
    };
    rules::check_not_cancelled(event, found.event_cancelled)?;
    if !user_found {
        return Err(Error::not_found(Entity::User, user.get()).into());
    }
    let taken = rules::hold(&found.record, user, found.held_elsewhere, now, policy)?;
    let state = SeatState::Held {
        by: user,
        since: taken.since,
        until: taken.until,
    };
    tx.set_seat_state(seat, state).await?;
    Ok(taken)
}

/// [`BookingStore::release`](crate::BookingStore::release) over a transaction.
pub async fn release<T: Tx>(
    tx: &mut T,
    user: UserId,
    event: EventId,
    seat: SeatId,
    now: Timestamp,
) -> Result<Seat, T::Error> {
    let Some(record) = tx.lock_seat(event, seat).await? else {
        return Err(missing_seat(tx, event, seat).await);
    };
    rules::release(&record, user, now)?;
    tx.set_seat_state(seat, SeatState::Available).await?;
    Ok(record.seat)
}

/// [`BookingStore::reserve`](crate::BookingStore::reserve) over a
/// transaction: its contract's checks, in its order.
pub async fn reserve<T: Tx>(
    tx: &mut T,
    user: UserId,
    event: EventId,
    seat_ids: &[SeatId],
    key: Option<&IdempotencyKey>,
    now: Timestamp,
    policy: &Policy,
) -> Result<Reservation, T::Error> {
    rules::check_seat_ids(seat_ids, policy)?;
    // Everything loaded at once; judged in the contract's order.
    let ReserveLoad {
        user_found,
        previous,
        seats: loaded,
        event: found,
    } = tx.load_for_reserve(user, event, seat_ids, key).await?;
    if let Some(first) = rules::replay(previous.as_ref(), event, seat_ids, now, policy)? {
        return Ok(first);
    }
    let found = found.ok_or_else(|| Error::not_found(Entity::Event, event.get()))?;
    rules::seats_of(event, seat_ids, &loaded)?;
    rules::check_not_cancelled(event, found.cancelled)?;
    if !user_found {
        return Err(Error::not_found(Entity::User, user.get()).into());
    }
    let seats = rules::confirm(event, seat_ids, &loaded, user, now, policy)?;
    if found.orphans == OrphanPolicy::Refuse {
        let runs = tx.runs_of(event, seat_ids).await?;
        rules::check_orphans(&runs, seat_ids, now)?;
    }

    // Decided. A key found but not replayed has expired: the new
    // reservation takes it.
    if let Some(expired) = previous {
        tx.forget_key(expired.id).await?;
    }
    let made = tx
        .insert_reservation(NewReservation {
            user,
            event,
            seats: &seats,
            total_cents: rules::total_cents(&seats),
            created_at: now,
            key,
        })
        .await?;
    tx.audit(NewAuditRecord {
        actor: Some(user),
        action: AuditAction::Reserve,
        event: Some(event),
        user: None,
        reservation: Some(made.id),
        seats: &made.seat_labels(),
        reason: "",
        at: now,
    })
    .await?;
    Ok(made)
}

/// [`BookingStore::cancel`](crate::BookingStore::cancel) over a transaction.
pub async fn cancel<T: Tx>(
    tx: &mut T,
    user: UserId,
    reservation: ReservationId,
    now: Timestamp,
) -> Result<Reservation, T::Error> {
    let found = tx
        .lock_reservation(reservation)
        .await?
        .ok_or_else(|| Error::not_found(Entity::Reservation, reservation.get()))?;
    rules::cancel(&found, user)?;
    let cancelled = tx.cancel_reservation(&found, user, None, now).await?;
    tx.audit(NewAuditRecord {
        actor: Some(user),
        action: AuditAction::Cancel,
        event: Some(cancelled.event),
        user: None,
        reservation: Some(cancelled.id),
        seats: &cancelled.seat_labels(),
        reason: "",
        at: now,
    })
    .await?;
    Ok(cancelled)
}

/// [`BookingStore::staff_cancel`](crate::BookingStore::staff_cancel) over a transaction.
pub async fn staff_cancel<T: Tx>(
    tx: &mut T,
    by: UserId,
    reservation: ReservationId,
    reason: &str,
    now: Timestamp,
) -> Result<Reservation, T::Error> {
    rules::check_cancel_reason(reason)?;
    let by_found = tx.lock_user(by).await?;
    let found = tx
        .lock_reservation(reservation)
        .await?
        .ok_or_else(|| Error::not_found(Entity::Reservation, reservation.get()))?;
    rules::staff_cancel(&found)?;
    if !by_found {
        return Err(Error::not_found(Entity::User, by.get()).into());
    }
    let cancelled = tx.cancel_reservation(&found, by, Some(reason), now).await?;
    tx.audit(NewAuditRecord {
        actor: Some(by),
        action: AuditAction::StaffCancel,
        event: Some(cancelled.event),
        user: None,
        reservation: Some(cancelled.id),
        seats: &cancelled.seat_labels(),
        reason,
        at: now,
    })
    .await?;
    Ok(cancelled)
}

/// [`BookingStore::edit_event`](crate::BookingStore::edit_event) over a transaction.
pub async fn edit_event<T: Tx>(
    tx: &mut T,
    by: UserId,
    event: EventId,
    edit: &EventEdit,
    now: Timestamp,
) -> Result<Event, T::Error> {
    let by_found = tx.lock_user(by).await?;
    let found = tx
        .lock_event(event)
        .await?
        .ok_or_else(|| Error::not_found(Entity::Event, event.get()))?;
    rules::check_not_cancelled(event, found.cancelled.is_some())?;
    let edited = edit.apply(&found)?;
    if !by_found {
        return Err(Error::not_found(Entity::User, by.get()).into());
    }
    tx.set_event_details(&edited).await?;
    tx.audit(NewAuditRecord {
        actor: Some(by),
        action: AuditAction::EditEvent,
        event: Some(event),
        user: None,
        reservation: None,
        seats: &[],
        reason: &edit.changed_fields().join(", "),
        at: now,
    })
    .await?;
    Ok(edited)
}

/// [`BookingStore::cancel_event`](crate::BookingStore::cancel_event) over
/// a transaction: every seat of the event locked first (see [`Tx`]), then
/// the event; the event marked cancelled, its holds released and each
/// confirmed reservation cancelled as staff cancel one, each change with
/// its audit record.
pub async fn cancel_event<T: Tx>(
    tx: &mut T,
    by: UserId,
    event: EventId,
    reason: &str,
    now: Timestamp,
) -> Result<EventCancellation, T::Error> {
    rules::check_cancel_reason(reason)?;
    let by_found = tx.lock_user(by).await?;
    let held = tx.lock_event_seats(event).await?;
    let found = tx
        .lock_event(event)
        .await?
        .ok_or_else(|| Error::not_found(Entity::Event, event.get()))?;
    rules::check_not_cancelled(event, found.cancelled.is_some())?;
    if !by_found {
        return Err(Error::not_found(Entity::User, by.get()).into());
    }
    let cancellation = Cancellation {
        at: now,
        by,
        reason: reason.to_owned(),
    };
    tx.set_event_cancelled(event, &cancellation).await?;
    tx.audit(NewAuditRecord {
        actor: Some(by),
        action: AuditAction::CancelEvent,
        event: Some(event),
        user: None,
        reservation: None,
        seats: &[],
        reason,
        at: now,
    })
    .await?;
    tx.release_holds(&held).await?;
    let mut reservations = Vec::new();
    for confirmed in tx.confirmed_reservations(event).await? {
        let cancelled = tx
            .cancel_reservation(&confirmed, by, Some(reason), now)
            .await?;
        tx.audit(NewAuditRecord {
            actor: Some(by),
            action: AuditAction::StaffCancel,
            event: Some(event),
            user: None,
            reservation: Some(cancelled.id),
            seats: &cancelled.seat_labels(),
            reason,
            at: now,
        })
        .await?;
        reservations.push(cancelled.id);
    }
    Ok(EventCancellation {
        event: Event {
            cancelled: Some(cancellation),
            ..found
        },
        reservations,
    })
}

/// The check [`BookingStore::create_event`](crate::BookingStore::create_event)
/// makes of its creator, before the backend writes the event: an unknown
/// `created_by` → `NotFound(User)`; `None` (the command line, an embedding
/// program) needs none.
pub async fn lock_creator<T: Tx>(tx: &mut T, created_by: Option<UserId>) -> Result<(), T::Error> {
    match created_by {
        Some(by) if !tx.lock_user(by).await? => {
            Err(Error::not_found(Entity::User, by.get()).into())
        }
        _ => Ok(()),
    }
}

/// The audit record of a new event, written by the backend in the
/// transaction that created it ([`lock_creator`] checked `created_by`).
pub async fn audit_new_event<T: Tx>(
    tx: &mut T,
    created_by: Option<UserId>,
    event: EventId,
    now: Timestamp,
) -> Result<(), T::Error> {
    tx.audit(NewAuditRecord {
        actor: created_by,
        action: AuditAction::CreateEvent,
        event: Some(event),
        user: None,
        reservation: None,
        seats: &[],
        reason: "",
        at: now,
    })
    .await
}

/// The audit record of a role change, written by the backend in the
/// transaction that made `user` staff (or a customer again), as `by` did
/// (`None`: the command line, an embedding program). Its reason is the new
/// role ([`audit::role`](crate::audit::role)).
pub async fn audit_set_staff<T: Tx>(
    tx: &mut T,
    by: Option<UserId>,
    user: UserId,
    staff: bool,
    now: Timestamp,
) -> Result<(), T::Error> {
    tx.audit(NewAuditRecord {
        actor: by,
        action: AuditAction::SetStaff,
        event: None,
        user: Some(user),
        reservation: None,
        seats: &[],
        reason: crate::audit::role(staff),
        at: now,
    })
    .await
}

/// [`BookingStore::block`](crate::BookingStore::block) over a transaction.
pub async fn block<T: Tx>(
    tx: &mut T,
    by: UserId,
    event: EventId,
    seat_ids: &[SeatId],
    reason: &str,
    now: Timestamp,
) -> Result<Vec<Seat>, T::Error> {
    rules::check_block_ids(seat_ids)?;
    rules::check_reason(reason)?;
    let by_found = tx.lock_user(by).await?;
    let (loaded, found) = lock_seats_of_event(tx, event, seat_ids).await?;
    rules::seats_of(event, seat_ids, &loaded)?;
    rules::check_not_cancelled(event, found.cancelled)?;
    rules::block(event, seat_ids, &loaded, reason, now)?;
    if !by_found {
        return Err(Error::not_found(Entity::User, by.get()).into());
    }
    let blocked = tx.set_blocked(&loaded, Some(reason)).await?;
    audit_seats(tx, by, AuditAction::Block, event, &blocked, reason, now).await?;
    Ok(blocked)
}

/// [`BookingStore::unblock`](crate::BookingStore::unblock) over a transaction.
pub async fn unblock<T: Tx>(
    tx: &mut T,
    by: UserId,
    event: EventId,
    seat_ids: &[SeatId],
    reason: &str,
    now: Timestamp,
) -> Result<Vec<Seat>, T::Error> {
    rules::check_block_ids(seat_ids)?;
    rules::check_reason(reason)?;
    let by_found = tx.lock_user(by).await?;
    let (loaded, found) = lock_seats_of_event(tx, event, seat_ids).await?;
    rules::seats_of(event, seat_ids, &loaded)?;
    rules::check_not_cancelled(event, found.cancelled)?;
    rules::unblock(event, seat_ids, &loaded, reason)?;
    if !by_found {
        return Err(Error::not_found(Entity::User, by.get()).into());
    }
    let unblocked = tx.set_blocked(&loaded, None).await?;
    audit_seats(tx, by, AuditAction::Unblock, event, &unblocked, reason, now).await?;
    Ok(unblocked)
}

/// Records a staff action on `seats` (no reservation) in the audit log.
async fn audit_seats<T: Tx>(
    tx: &mut T,
    actor: UserId,
    action: AuditAction,
    event: EventId,
    seats: &[Seat],
    reason: &str,
    at: Timestamp,
) -> Result<(), T::Error> {
    let labels: Vec<String> = seats.iter().map(Seat::label).collect();
    tx.audit(NewAuditRecord {
        actor: Some(actor),
        action,
        event: Some(event),
        user: None,
        reservation: None,
        seats: &labels,
        reason,
        at,
    })
    .await
}

/// The seats of `seat_ids` in `event`, locked, then what the write needs
/// to know of the event (read after the locks: see [`Tx`]);
/// `NotFound(Event)` when there is no such event.
async fn lock_seats_of_event<T: Tx>(
    tx: &mut T,
    event: EventId,
    seat_ids: &[SeatId],
) -> Result<(Vec<SeatRecord>, EventRules), T::Error> {
    let loaded = tx.lock_seats(event, seat_ids).await?;
    match tx.event(event).await? {
        Some(found) => Ok((loaded, found)),
        None => Err(Error::not_found(Entity::Event, event.get()).into()),
    }
}

/// Why `seat` of `event` was not found: no such event, or no such seat in it.
async fn missing_seat<T: Tx>(tx: &mut T, event: EventId, seat: SeatId) -> T::Error {
    match tx.event(event).await {
        Ok(Some(_)) => Error::not_found(Entity::Seat, seat.get()).into(),
        Ok(None) => Error::not_found(Entity::Event, event.get()).into(),
        Err(e) => e,
    }
}

/// Runs `operation` over a transaction that never waits (one whose [`Tx`]
/// futures are ready when first polled) to its end, on this thread.
///
/// # Errors
///
/// The operation's; a storage error of `backend` if it was not done at its
/// first poll (a bug of that backend's [`Tx`]).
pub fn run_ready<T, E: From<Error>>(
    backend: &'static str,
    operation: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(operation).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => {
            Err(Error::storage(backend, "a transaction that cannot wait waited").into())
        }
    }
}
