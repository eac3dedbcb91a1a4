//! The `BookingStore` trait's default reads keep their contract: a store
//! that overrides neither `seats_in_rows` nor `seats_in_section` (a
//! `MemoryStore` behind a wrapper that forwards everything else) runs the
//! whole conformance suite.

use std::future::Future;
use std::time::Duration;

use booking_core::testkit::{StoreFactory, TestContext};
use booking_core::{
    AccountStore, AuditFilter, AuditRecord, BestAvailable, BookingStore, Credentials, Event,
    EventEdit, EventId, EventSummary, Hold, IdempotencyKey, MemoryStore, NewEvent, Policy,
    Reservation, ReservationFilter, ReservationId, Result, Seat, SeatId, SeatRecord, Session,
    SessionId, User, UserId, Username,
};

/// A `MemoryStore` that answers `seats_in_rows` and `seats_in_section`
/// with the trait's defaults.
struct DefaultReads(MemoryStore);

impl BookingStore for DefaultReads {
    fn policy(&self) -> &Policy {
        self.0.policy()
    }
    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<EventSummary>> + Send {
        self.0.create_event(event)
    }
    fn events(&self) -> impl Future<Output = Result<Vec<EventSummary>>> + Send {
        self.0.events()
    }
    fn event(&self, event: EventId) -> impl Future<Output = Result<EventSummary>> + Send {
        self.0.event(event)
    }
    fn seats(&self, event: EventId) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.0.seats(event)
    }
    fn hold(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Hold>> + Send {
        self.0.hold(user, event, seat)
    }
    fn release(
        &self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> impl Future<Output = Result<Seat>> + Send {
        self.0.release(user, event, seat)
    }
    fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        self.0.reserve(user, event, seat_ids, key)
    }
    fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send {
        self.0.block(by, event, seat_ids, reason)
    }
    fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> impl Future<Output = Result<Vec<Seat>>> + Send {
        self.0.unblock(by, event, seat_ids, reason)
    }
    fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> impl Future<Output = Result<Vec<Hold>>> + Send {
        self.0.best_available(user, event, request)
    }
    fn reservations(&self, user: UserId) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        self.0.reservations(user)
    }
    fn cancel(
        &self,
        user: UserId,
        reservation: ReservationId,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        self.0.cancel(user, reservation)
    }
    fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> impl Future<Output = Result<Reservation>> + Send {
        self.0.staff_cancel(by, reservation, reason)
    }
    fn edit_event(
        &self,
        by: UserId,
        event: EventId,
        edit: &EventEdit,
    ) -> impl Future<Output = Result<Event>> + Send {
        self.0.edit_event(by, event, edit)
    }
    fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        self.0.event_reservations(event, filter)
    }
    fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> impl Future<Output = Result<booking_core::EventCancellation>> + Send {
        self.0.cancel_event(by, event, reason)
    }
    fn audit_log(
        &self,
        filter: &AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send {
        self.0.audit_log(filter)
    }
}

#[deny(clippy::missing_trait_methods)]
impl AccountStore for DefaultReads {
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> impl Future<Output = Result<User>> + Send {
        self.0.create_user(username, password_hash)
    }
    fn credentials(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Credentials>>> + Send {
        self.0.credentials(username)
    }
    fn username_taken(&self, username: &Username) -> impl Future<Output = Result<bool>> + Send {
        self.0.username_taken(username)
    }
    fn user(&self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send {
        self.0.user(user)
    }
    fn set_staff(&self, user: UserId, staff: bool) -> impl Future<Output = Result<User>> + Send {
        self.0.set_staff(user, staff)
    }
    fn create_session(
        &self,
        id: &SessionId,
        user: UserId,
        ttl: Duration,
    ) -> impl Future<Output = Result<Session>> + Send {
        self.0.create_session(id, user, ttl)
    }
    fn session(&self, id: &SessionId) -> impl Future<Output = Result<Option<Session>>> + Send {
        self.0.session(id)
    }
    fn delete_session(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send {
        self.0.delete_session(id)
    }
    fn delete_expired_sessions(&self) -> impl Future<Output = Result<u64>> + Send {
        self.0.delete_expired_sessions()
    }
}

struct Factory;

impl StoreFactory for Factory {
    type Store = DefaultReads;

    async fn create(&self, ctx: TestContext) -> DefaultReads {
        DefaultReads(MemoryStore::new(ctx.clock, ctx.policy))
    }
}

booking_core::conformance_tests!(Factory);
