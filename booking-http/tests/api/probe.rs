//! [`Probe`]: a memory store the tests watch and slow down, each method
//! forwarded to the store it wraps.

use std::future::Future;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use booking_core::{
    AccountStore, AuditFilter, AuditRecord, BestAvailable, BookingStore, Credentials, Event,
    EventEdit, EventId, EventSummary, Hold, IdempotencyKey, MemoryStore, NewEvent, Policy,
    Reservation, ReservationFilter, ReservationId, Result, Row, Seat, SeatId, SeatRecord, Session,
    SessionId, User, UserId, Username,
};
use tokio::sync::Semaphore;

/// A memory store that counts `create_user` calls, and whose reserves
/// wait until [`Probe::open`] when it is made [`Probe::gated`].
pub struct Probe {
    inner: MemoryStore,
    /// How many times `create_user` was called.
    pub creations: AtomicUsize,
    /// Reserves wait for a permit of it.
    reserves: Semaphore,
}

impl Probe {
    /// A probe whose reserves go through at once.
    pub fn new(inner: MemoryStore) -> Self {
        Self {
            inner,
            creations: AtomicUsize::new(0),
            reserves: Semaphore::new(Semaphore::MAX_PERMITS),
        }
    }

    /// A probe whose reserves wait until [`Probe::open`].
    pub fn gated(inner: MemoryStore) -> Self {
        Self {
            reserves: Semaphore::new(0),
            ..Self::new(inner)
        }
    }

    /// Lets every reserve, waiting or to come, go through.
    pub fn open(&self) {
        self.reserves.add_permits(Semaphore::MAX_PERMITS);
    }
}

#[deny(clippy::missing_trait_methods)]
impl BookingStore for Probe {
    fn policy(&self) -> &Policy {
        self.inner.policy()
    }
    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<EventSummary>> + Send {
        self.inner.create_event(event)
    }
    fn events(&self) -> impl Future<Output = Result<Vec<EventSummary>>> + Send {
        self.inner.events()
    }
    fn event(&self, event: EventId) -> impl Future<Output = Result<EventSummary>> + Send {
        self.inner.event(event)
    }
    fn seats(&self, event: EventId) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.inner.seats(event)
    }
    fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.inner.seats_in_rows(event, rows)
    }
    fn seats_in_section(
        &self,
        event: EventId,
        section: &str,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.inner.seats_in_section(event, section)
    }
    fn seats_held_by(
        &self,
        user: UserId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.inner.seats_held_by(user, event)
    }
    fn hold(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Hold>> + Send {
        self.inner.hold(user, event, seat)
    }
    fn release(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Seat>> + Send {
        self.inner.release(user, event, seat)
    }
    async fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<Reservation> {
        let _permit = self.reserves.acquire().await.expect("never closed");
        self.inner.reserve(user, event, seat_ids, key).await
    }
    fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send {
        self.inner.block(by, event, seat_ids, reason)
    }
    fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send {
        self.inner.unblock(by, event, seat_ids, reason)
    }
    fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> impl Future<Output = Result<Vec<Hold>>> + Send {
        self.inner.best_available(user, event, request)
    }
    fn reservations(&self, user: UserId) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        self.inner.reservations(user)
    }
    fn cancel(
        &self,
        user: UserId,
        reservation: ReservationId,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        self.inner.cancel(user, reservation)
    }
    fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        self.inner.staff_cancel(by, reservation, reason)
    }
    fn edit_event(
        &self,
        by: UserId,
        event: EventId,
        edit: &EventEdit,
    ) -> impl Future<Output = Result<Event>> + Send {
        self.inner.edit_event(by, event, edit)
    }
    fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        self.inner.event_reservations(event, filter)
    }
    fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> impl Future<Output = Result<booking_core::EventCancellation>> + Send {
        self.inner.cancel_event(by, event, reason)
    }
    fn audit_log(
        &self,
        filter: &AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send {
        self.inner.audit_log(filter)
    }
}

#[deny(clippy::missing_trait_methods)]
impl AccountStore for Probe {
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> impl Future<Output = Result<User>> + Send {
        self.creations.fetch_add(1, Ordering::SeqCst);
        self.inner.create_user(username, password_hash)
    }
    fn credentials(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Credentials>>> + Send {
        self.inner.credentials(username)
    }
    fn username_taken(&self, username: &Username) -> impl Future<Output = Result<bool>> + Send {
        self.inner.username_taken(username)
    }
    fn user(&self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send {
        self.inner.user(user)
    }
    fn set_staff(&self, user: UserId, staff: bool) -> impl Future<Output = Result<User>> + Send {
        self.inner.set_staff(user, staff)
    }
    fn create_session(
        &self,
        id: &SessionId,
        user: UserId,
        ttl: Duration,
    ) -> impl Future<Output = Result<Session>> + Send {
        self.inner.create_session(id, user, ttl)
    }
    fn session(&self, id: &SessionId) -> impl Future<Output = Result<Option<Session>>> + Send {
        self.inner.session(id)
    }
    fn delete_session(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send {
        self.inner.delete_session(id)
    }
    fn delete_expired_sessions(&self) -> impl Future<Output = Result<u64>> + Send {
        self.inner.delete_expired_sessions()
    }
}
