//! [`Observed`]: the store as the API uses it. What every write means
//! beyond the store (a metric, a nudge to the live streams) is done here,
//! once, not in each handler.

use std::future::Future;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use booking_core::{
    AccountStore, AuditFilter, AuditRecord, BestAvailable, BookingStore, Credentials, Event,
    EventCancellation, EventEdit, EventId, EventSummary, Hold, IdempotencyKey, NewEvent, Policy,
    Reservation, ReservationFilter, ReservationId, Result, Row, Seat, SeatId, SeatRecord, Session,
    SessionId, User, UserId, Username,
};

use crate::watchers::Watchers;

/// A store whose writes are observed: each write that changes seats
/// nudges the live streams of its event, and counts in the metrics
/// (`booking_holds_total`, `booking_reservations_total`,
/// `booking_cancellations_total`, and `booking_conflicts_total` by code for
/// a write refused over seats in conflict). Reads and the account methods
/// are forwarded as they are.
///
/// Cancel safety: as the wrapped store's. The nudge and the metrics follow
/// the write's answer, so a dropped write is neither counted nor nudged;
/// the watchers see its change at their next read.
pub struct Observed<S> {
    store: S,
    watchers: Arc<Watchers>,
}

impl<S> Observed<S> {
    /// `store`, its writes nudging `watchers`.
    pub(crate) fn new(store: S, watchers: Arc<Watchers>) -> Self {
        Self { store, watchers }
    }

    /// The store itself, unobserved.
    pub fn inner(&self) -> &S {
        &self.store
    }

    /// Nudges the live streams of `event` after a write that changed it, or
    /// counts the conflicts of one refused.
    fn observe<T>(&self, event: EventId, result: Result<T>) -> Result<T> {
        match &result {
            Ok(_) => self.watchers.nudge(event),
            Err(err) if err.conflicts().is_some() => {
                metrics::counter!("booking_conflicts_total", "code" => err.code()).increment(1);
            }
            Err(_) => {}
        }
        result
    }
}

#[deny(clippy::missing_trait_methods)]
impl<S: BookingStore> BookingStore for Observed<S> {
    fn policy(&self) -> &Policy {
        self.store.policy()
    }

    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<EventSummary>> + Send {
        self.store.create_event(event)
    }

    fn events(&self) -> impl Future<Output = Result<Vec<EventSummary>>> + Send {
        self.store.events()
    }

    fn event(&self, event: EventId) -> impl Future<Output = Result<EventSummary>> + Send {
        self.store.event(event)
    }

    fn seats(&self, event: EventId) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.store.seats(event)
    }

    fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.store.seats_in_rows(event, rows)
    }

    fn seats_in_section(
        &self,
        event: EventId,
        section: &str,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.store.seats_in_section(event, section)
    }

    fn seats_held_by(
        &self,
        user: UserId,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<SeatRecord>>> + Send {
        self.store.seats_held_by(user, event)
    }

    async fn hold(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Hold> {
        let hold = self.observe(event, self.store.hold(user, event, seat).await)?;
        metrics::counter!("booking_holds_total").increment(1);
        Ok(hold)
    }

    async fn release(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Seat> {
        self.observe(event, self.store.release(user, event, seat).await)
    }

    async fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<Reservation> {
        let made = self.store.reserve(user, event, seat_ids, key).await;
        let reservation = self.observe(event, made)?;
        metrics::counter!("booking_reservations_total").increment(1);
        Ok(reservation)
    }

    async fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        self.observe(event, self.store.block(by, event, seat_ids, reason).await)
    }

    async fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        self.observe(event, self.store.unblock(by, event, seat_ids, reason).await)
    }

    async fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> Result<Vec<Hold>> {
        let held = self.store.best_available(user, event, request).await;
        let holds = self.observe(event, held)?;
        metrics::counter!("booking_holds_total").increment(holds.len() as u64);
        Ok(holds)
    }

    fn reservations(&self, user: UserId) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        self.store.reservations(user)
    }

    async fn cancel(&self, user: UserId, reservation: ReservationId) -> Result<Reservation> {
        let cancelled = self.store.cancel(user, reservation).await?;
        self.watchers.nudge(cancelled.event);
        metrics::counter!("booking_cancellations_total").increment(1);
        Ok(cancelled)
    }

    async fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> Result<Reservation> {
        let cancelled = self.store.staff_cancel(by, reservation, reason).await?;
        self.watchers.nudge(cancelled.event);
        metrics::counter!("booking_cancellations_total").increment(1);
        Ok(cancelled)
    }

    fn edit_event(
        &self,
        by: UserId,
        event: EventId,
        edit: &EventEdit,
    ) -> impl Future<Output = Result<Event>> + Send {
        self.store.edit_event(by, event, edit)
    }

    /// Nudges the event's streams, and counts each reservation it
    /// cancelled as a cancellation.
    async fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> Result<EventCancellation> {
        let cancelled = self.store.cancel_event(by, event, reason).await?;
        self.watchers.nudge(event);
        metrics::counter!("booking_cancellations_total")
            .increment(cancelled.reservations.len() as u64);
        Ok(cancelled)
    }

    fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> impl Future<Output = Result<Vec<Reservation>>> + Send {
        self.store.event_reservations(event, filter)
    }

    fn audit_log(
        &self,
        filter: &AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send {
        self.store.audit_log(filter)
    }
}

#[deny(clippy::missing_trait_methods)]
impl<S: AccountStore> AccountStore for Observed<S> {
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> impl Future<Output = Result<User>> + Send {
        self.store.create_user(username, password_hash)
    }

    fn credentials(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Credentials>>> + Send {
        self.store.credentials(username)
    }

    fn username_taken(&self, username: &Username) -> impl Future<Output = Result<bool>> + Send {
        self.store.username_taken(username)
    }

    fn user(&self, user: UserId) -> impl Future<Output = Result<Option<User>>> + Send {
        self.store.user(user)
    }

    fn set_staff(&self, user: UserId, staff: bool) -> impl Future<Output = Result<User>> + Send {
        self.store.set_staff(user, staff)
    }

    fn create_session(
        &self,
        id: &SessionId,
        user: UserId,
        ttl: Duration,
    ) -> impl Future<Output = Result<Session>> + Send {
        self.store.create_session(id, user, ttl)
    }

    fn session(&self, id: &SessionId) -> impl Future<Output = Result<Option<Session>>> + Send {
        self.store.session(id)
    }

    fn delete_session(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send {
        self.store.delete_session(id)
    }

    fn delete_expired_sessions(&self) -> impl Future<Output = Result<u64>> + Send {
        self.store.delete_expired_sessions()
    }
}

#[cfg(test)]
mod tests {
    use booking_core::{Clock, ManualClock, MemoryStore, OrphanPolicy};
    use futures_util::FutureExt;

    use super::*;

    /// Every write that changes seats nudges its event's live streams; a
    /// refused one does not.
    #[tokio::test]
    async fn writes_nudge_the_live_streams_of_their_event() {
        let clock = ManualClock::default();
        let watchers = Arc::new(Watchers::default());
        let store = Observed::new(
            MemoryStore::new(clock.clone(), Policy::default()),
            Arc::clone(&watchers),
        );
        let event = store
            .create_event(NewEvent {
                name: "Show".into(),
                description: String::new(),
                venue: "Hall".into(),
                starts_at: clock.now() + chrono::TimeDelta::days(1),
                seating: "A:1-4:100".parse().unwrap(),
                orphans: OrphanPolicy::Allow,
                created_by: None,
            })
            .await
            .unwrap()
            .event
            .id;
        let seats: Vec<SeatId> = store
            .seats(event)
            .await
            .unwrap()
            .iter()
            .map(|r| r.seat.id)
            .collect();
        let user = store
            .create_user(&Username::new("alice").unwrap(), "a hash")
            .await
            .unwrap()
            .id;
        let (watch, _) = watchers.get_or_insert(event, Arc::default());
        let nudged = || watch.nudged.notified().now_or_never().is_some();

        store.hold(user, event, seats[0]).await.unwrap();
        assert!(nudged(), "hold");
        store.release(user, event, seats[0]).await.unwrap();
        assert!(nudged(), "release");
        let refused = store.release(user, event, seats[0]).await;
        assert!(refused.is_err() && !nudged(), "a refused release");
        let holds = store
            .best_available(user, event, &BestAvailable::new(2))
            .await
            .unwrap();
        assert!(nudged(), "best available");
        let held: Vec<SeatId> = holds.iter().map(|hold| hold.seat.id).collect();
        let reservation = store.reserve(user, event, &held, None).await.unwrap();
        assert!(nudged(), "reserve");
        store.cancel(user, reservation.id).await.unwrap();
        assert!(nudged(), "cancel");
        store
            .block(user, event, &seats[3..], "broken")
            .await
            .unwrap();
        assert!(nudged(), "block");
        store.unblock(user, event, &seats[3..], "").await.unwrap();
        assert!(nudged(), "unblock");
    }
}
