//! [`MemoryStore`]: the reference implementation of the store traits, kept
//! in memory behind one lock.
//!
//! It is what the conformance suite is checked against, and a real option for
//! tests and for single-process embedding. Every operation takes the lock
//! once, reads the clock under it (so operations apply in the order of their
//! instants), computes its outcome with [`rules`](crate::rules) and only then
//! writes, so a failed operation changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::sync::PoisonError;
use std::time::Duration;

#[cfg(loom)]
use loom::sync::{Arc, RwLock};
#[cfg(not(loom))]
use std::sync::{Arc, RwLock};

use crate::audit::{AuditFilter, AuditRecord, NewAuditRecord};
use crate::best::{self, EventLayout, Layout, LayoutSeat, Position};
use crate::boxoffice::ReservationFilter;
use crate::clock::{self, Clock, SystemClock, Timestamp};
use crate::error::{Entity, Error, Result};
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::model::{
    BestAvailable, Cancellation, CategorySummary, Credentials, Event, EventCancellation, EventEdit,
    EventSummary, Hold, IdempotencyKey, NewEvent, Policy, Reservation, ReservationStatus, Seat,
    SeatCounts, SeatRecord, SeatState, SectionSummary, Session, SessionId, User, Username,
};
use crate::rules;
use crate::seatmap::Row;
use crate::store::{AccountStore, BookingStore};
use crate::tx::{self, EventRules, NewReservation, SeatToHold, Tx};
use crate::venue::{Category, Point};

const BACKEND: &str = "memory";

/// An in-memory store. Clones share the same data.
#[derive(Clone)]
pub struct MemoryStore {
    state: Arc<RwLock<State>>,
    clock: std::sync::Arc<dyn Clock>,
    policy: Policy,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("clock", &self.clock)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    /// An empty store on the system clock with the default policy.
    fn default() -> Self {
        Self::new(SystemClock, Policy::default())
    }
}

impl MemoryStore {
    /// An empty store judging time by `clock` and enforcing `policy`.
    pub fn new(clock: impl Clock, policy: Policy) -> Self {
        Self {
            state: Arc::new(RwLock::new(State::default())),
            clock: std::sync::Arc::new(clock),
            policy,
        }
    }

    fn read<T>(&self, f: impl FnOnce(&State, Timestamp) -> Result<T>) -> Result<T> {
        let state = self.state.read().map_err(poisoned)?;
        f(&state, self.clock.now())
    }

    fn write<T>(&self, f: impl FnOnce(&mut State, Timestamp) -> Result<T>) -> Result<T> {
        let mut state = self.state.write().map_err(poisoned)?;
        let now = self.clock.now();
        f(&mut state, now)
    }
}

/// Runs a write over the state (whose futures are all ready at once).
fn run<T>(operation: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tx::run_ready(BACKEND, operation)
}

fn poisoned<T>(_: PoisonError<T>) -> Error {
    Error::storage(BACKEND, "the store's lock was poisoned by a panic")
}

#[derive(Default)]
struct State {
    last_event: i64,
    last_seat: i64,
    last_user: i64,
    last_reservation: i64,
    events: BTreeMap<EventId, EventData>,
    /// Where each seat lives: its event and index in that event's `seats`.
    seat_index: HashMap<SeatId, (EventId, usize)>,
    users: BTreeMap<UserId, Credentials>,
    /// By [`Username::folded`]: one user per name, regardless of case.
    user_by_name: HashMap<String, UserId>,
    /// By [`SessionId::digest`], as the database backends keep them.
    sessions: HashMap<String, (UserId, Timestamp)>,
    reservations: BTreeMap<ReservationId, Reservation>,
    idempotency_keys: HashMap<(UserId, IdempotencyKey), ReservationId>,
    /// The audit log, oldest first (ids from 1, in order).
    audit: Vec<AuditRecord>,
}

struct EventData {
    event: Event,
    /// By section, row and number (ids ascend in that order too).
    seats: Vec<SeatRecord>,
    /// Each seat's (section, category), by index, as `seats`.
    groups: Vec<(usize, usize)>,
    categories: Vec<Category>,
    /// Where an overview draws each section, by index.
    positions: Vec<Option<Point>>,
    /// Its seating for best available, and the names of its sections.
    layout: EventLayout,
}

impl EventData {
    fn summary(&self, now: Timestamp) -> EventSummary {
        let mut by_category = vec![SeatCounts::default(); self.categories.len()];
        let mut by_section = vec![SeatCounts::default(); self.layout.sections.len()];
        for (record, &(section, category)) in self.seats.iter().zip(&self.groups) {
            let blocked = record.blocked.is_some();
            by_category[category].add(record.state, blocked, now);
            by_section[section].add(record.state, blocked, now);
        }
        EventSummary::new(
            self.event.clone(),
            self.categories
                .iter()
                .zip(by_category)
                .map(|(c, seats)| CategorySummary {
                    name: c.name.clone(),
                    price_cents: c.price_cents,
                    color: c.color.clone(),
                    seats,
                })
                .collect(),
            self.layout
                .sections
                .iter()
                .zip(&self.positions)
                .zip(by_section)
                .map(|((name, position), seats)| SectionSummary {
                    name: name.clone(),
                    position: *position,
                    seats,
                })
                .collect(),
        )
    }

    /// How many seats `user` holds at `now`, `except` one.
    fn held_by(&self, user: UserId, except: Option<SeatId>, now: Timestamp) -> u32 {
        let n = self
            .seats
            .iter()
            .filter(|r| Some(r.seat.id) != except)
            .filter(|r| r.state.at(now).is_held_by(user))
            .count();
        u32::try_from(n).expect("at most a million seats")
    }
}

impl State {
    fn event_data(&self, id: EventId) -> Result<&EventData> {
        self.events
            .get(&id)
            .ok_or_else(|| Error::not_found(Entity::Event, id.get()))
    }

    /// The index of `seat` in `event`'s seats, if it is one of them.
    fn index_in(&self, event: EventId, seat: SeatId) -> Option<usize> {
        match self.seat_index.get(&seat) {
            Some(&(of, index)) if of == event => Some(index),
            _ => None,
        }
    }

    fn require_user(&self, user: UserId) -> Result<()> {
        if self.users.contains_key(&user) {
            Ok(())
        } else {
            Err(Error::not_found(Entity::User, user.get()))
        }
    }

    fn seat_mut(&mut self, event: EventId, index: usize) -> &mut SeatRecord {
        &mut self.events.get_mut(&event).expect("checked").seats[index]
    }

    fn create_event(&mut self, new: NewEvent, now: Timestamp) -> Result<EventSummary> {
        new.validate()?;
        self.last_event += 1;
        let id = EventId::new(self.last_event);
        let venue = &new.seating;
        let placed = venue.placed_seats();
        let mut seats = Vec::with_capacity(placed.len());
        let mut groups = Vec::with_capacity(placed.len());
        let mut layout = Vec::with_capacity(placed.len());
        let index = |i: usize| u32::try_from(i).expect("a venue's sizes fit in u32");
        for p in placed {
            self.last_seat += 1;
            let seat = SeatId::new(self.last_seat);
            self.seat_index.insert(seat, (id, seats.len()));
            let category = &venue.categories[p.seat.category];
            seats.push(SeatRecord {
                seat: Seat {
                    id: seat,
                    event: id,
                    section: venue.sections[p.section].name.clone(),
                    row: p.row,
                    number: p.seat.number,
                    label: p.label,
                    category: category.name.clone(),
                    price_cents: category.price_cents,
                    accessible: p.seat.accessible,
                    companion: p.seat.companion,
                    restricted_view: p.seat.restricted_view,
                },
                state: SeatState::Available,
                blocked: None,
            });
            groups.push((p.section, p.seat.category));
            layout.push((
                Position {
                    section: index(p.section),
                    line: index(p.line),
                    run: index(p.run),
                    place: index(p.place),
                },
                LayoutSeat {
                    seat,
                    rank: p.seat.rank,
                    category: index(p.seat.category),
                    accessible: p.seat.accessible,
                },
            ));
        }
        let data = EventData {
            event: Event {
                id,
                name: new.name,
                description: new.description,
                venue: new.venue,
                starts_at: new.starts_at,
                orphans: new.orphans,
                cancelled: None,
            },
            seats,
            groups,
            layout: EventLayout {
                layout: Layout::new(layout),
                categories: venue.categories.iter().map(|c| c.name.clone()).collect(),
                sections: venue.sections.iter().map(|s| s.name.clone()).collect(),
            },
            categories: venue.categories.clone(),
            positions: venue.sections.iter().map(|s| s.position).collect(),
        };
        let summary = data.summary(now);
        self.events.insert(id, data);
        Ok(summary)
    }

    fn best_available(
        &mut self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
        now: Timestamp,
        policy: &Policy,
    ) -> Result<Vec<Hold>> {
        let data = self.event_data(event)?;
        rules::check_not_cancelled(event, data.event.cancelled.is_some())?;
        // The request's own faults (names the event lacks) come before the
        // user's state (the hold limit), as the contract orders them.
        let wanted = data.layout.wanted(request)?;
        self.require_user(user)?;
        let held = data.held_by(user, None, now);
        rules::check_best_available(request.count, held, policy)?;
        let position = |id: &SeatId| self.seat_index[id].1;
        let chosen = best::search(&data.layout.layout, wanted, best::request(request), |ids| {
            Ok::<_, Error>(
                ids.iter()
                    .filter(|id| data.seats[position(id)].is_free(now))
                    .copied()
                    .collect(),
            )
        })?
        .ok_or(Error::NoAdjacentSeats {
            count: request.count,
        })?;
        let records: Vec<&SeatRecord> = chosen.iter().map(|id| &data.seats[position(id)]).collect();
        let mut holds = rules::hold_all(&records, user, held, now, policy)?;
        holds.sort_by_key(|h| h.seat.sort_key());
        for hold in &holds {
            let (_, index) = self.seat_index[&hold.seat.id];
            self.seat_mut(event, index).state = SeatState::Held {
                by: user,
                since: hold.since,
                until: hold.until,
            };
        }
        Ok(holds)
    }
}

/// The memory store's transaction: the state, under the store's write lock.
/// Every future is ready at once (see [`tx::run_ready`]).
impl Tx for State {
    type Error = Error;

    async fn lock_user(&mut self, user: UserId) -> Result<bool> {
        Ok(self.users.contains_key(&user))
    }

    async fn event(&mut self, event: EventId) -> Result<Option<EventRules>> {
        Ok(self.events.get(&event).map(|data| EventRules {
            orphans: data.event.orphans,
            cancelled: data.event.cancelled.is_some(),
        }))
    }

    async fn seat_to_hold(
        &mut self,
        event: EventId,
        seat: SeatId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<SeatToHold>> {
        let Some(index) = self.index_in(event, seat) else {
            return Ok(None);
        };
        let data = &self.events[&event];
        Ok(Some(SeatToHold {
            record: data.seats[index].clone(),
            held_elsewhere: data.held_by(user, Some(seat), now),
            event_cancelled: data.event.cancelled.is_some(),
        }))
    }

    async fn lock_seats(&mut self, event: EventId, seat_ids: &[SeatId]) -> Result<Vec<SeatRecord>> {
        let mut indexes: Vec<usize> = seat_ids
            .iter()
            .filter_map(|&seat| self.index_in(event, seat))
            .collect();
        indexes.sort_unstable();
        Ok(indexes
            .into_iter()
            .map(|i| self.events[&event].seats[i].clone())
            .collect())
    }

    async fn reservation_by_key(
        &mut self,
        user: UserId,
        key: &IdempotencyKey,
    ) -> Result<Option<Reservation>> {
        Ok(self
            .idempotency_keys
            .get(&(user, key.clone()))
            .map(|id| self.reservations[id].clone()))
    }

    async fn runs_of(
        &mut self,
        event: EventId,
        seat_ids: &[SeatId],
    ) -> Result<Vec<Vec<SeatRecord>>> {
        let data = self.event_data(event)?;
        let mut runs: Vec<Vec<SeatRecord>> = Vec::new();
        for seat in seat_ids {
            let run = data.layout.layout.run_of(*seat).unwrap_or_default();
            if runs
                .iter()
                .any(|r| r.first().map(|f| f.seat.id) == run.first().map(|f| f.seat))
            {
                continue;
            }
            let records = run.iter().map(|s| self.seat_index[&s.seat].1);
            runs.push(records.map(|i| data.seats[i].clone()).collect());
        }
        Ok(runs)
    }

    async fn lock_reservation(&mut self, id: ReservationId) -> Result<Option<Reservation>> {
        Ok(self.reservations.get(&id).cloned())
    }

    async fn set_seat_state(&mut self, seat: SeatId, state: SeatState) -> Result<()> {
        let (event, index) = self.seat_index[&seat];
        self.seat_mut(event, index).state = state;
        Ok(())
    }

    async fn forget_key(&mut self, reservation: ReservationId) -> Result<()> {
        let old = self.reservations.get_mut(&reservation).expect("found");
        if let Some(key) = old.idempotency_key.take() {
            self.idempotency_keys.remove(&(old.user, key));
        }
        Ok(())
    }

    async fn insert_reservation(&mut self, new: NewReservation<'_>) -> Result<Reservation> {
        self.last_reservation += 1;
        let id = ReservationId::new(self.last_reservation);
        for seat in new.seats {
            self.set_seat_state(seat.id, SeatState::Reserved { reservation: id })
                .await?;
        }
        let reservation = Reservation {
            id,
            user: new.user,
            event: new.event,
            event_name: self.event_data(new.event)?.event.name.clone(),
            total_cents: new.total_cents,
            seats: new.seats.to_vec(),
            status: ReservationStatus::Confirmed,
            created_at: new.created_at,
            cancelled_at: None,
            cancelled_by: None,
            cancel_reason: None,
            idempotency_key: new.key.cloned(),
        };
        if let Some(key) = new.key {
            self.idempotency_keys.insert((new.user, key.clone()), id);
        }
        self.reservations.insert(id, reservation.clone());
        Ok(reservation)
    }

    async fn cancel_reservation(
        &mut self,
        reservation: &Reservation,
        by: UserId,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Reservation> {
        for seat in &reservation.seats {
            self.set_seat_state(seat.id, SeatState::Available).await?;
        }
        let stored = self.reservations.get_mut(&reservation.id).expect("found");
        stored.status = ReservationStatus::Cancelled;
        stored.cancelled_at = Some(now);
        stored.cancelled_by = Some(by);
        stored.cancel_reason = reason.map(str::to_owned);
        Ok(stored.clone())
    }

    async fn set_blocked(
        &mut self,
        seats: &[SeatRecord],
        reason: Option<&str>,
    ) -> Result<Vec<Seat>> {
        for record in seats {
            let (event, index) = self.seat_index[&record.seat.id];
            let seat = self.seat_mut(event, index);
            seat.blocked = reason.map(str::to_owned);
            if reason.is_some() {
                // An ended hold is cleared: a blocked seat is never held.
                seat.state = SeatState::Available;
            }
        }
        Ok(seats.iter().map(|r| r.seat.clone()).collect())
    }

    async fn lock_event(&mut self, event: EventId) -> Result<Option<Event>> {
        Ok(self.events.get(&event).map(|data| data.event.clone()))
    }

    async fn set_event_details(&mut self, event: &Event) -> Result<()> {
        let stored = &mut self.events.get_mut(&event.id).expect("locked").event;
        stored.name.clone_from(&event.name);
        stored.description.clone_from(&event.description);
        stored.venue.clone_from(&event.venue);
        stored.starts_at = event.starts_at;
        // Reservations keep their event's name for listings.
        for reservation in self.reservations.values_mut() {
            if reservation.event == event.id {
                reservation.event_name.clone_from(&event.name);
            }
        }
        Ok(())
    }

    async fn lock_event_seats(&mut self, event: EventId) -> Result<Vec<SeatId>> {
        Ok(self.events.get(&event).map_or_else(Vec::new, |data| {
            data.seats
                .iter()
                .filter(|r| matches!(r.state, SeatState::Held { .. }))
                .map(|r| r.seat.id)
                .collect()
        }))
    }

    async fn confirmed_reservations(&mut self, event: EventId) -> Result<Vec<Reservation>> {
        Ok(self
            .reservations
            .values()
            .filter(|r| r.event == event && r.status == ReservationStatus::Confirmed)
            .cloned()
            .collect())
    }

    async fn set_event_cancelled(
        &mut self,
        event: EventId,
        cancellation: &Cancellation,
    ) -> Result<()> {
        self.events.get_mut(&event).expect("locked").event.cancelled = Some(cancellation.clone());
        Ok(())
    }

    async fn audit(&mut self, record: NewAuditRecord<'_>) -> Result<()> {
        let id = i64::try_from(self.audit.len()).expect("fits") + 1;
        self.audit.push(record.with_id(id));
        Ok(())
    }
}

impl BookingStore for MemoryStore {
    fn policy(&self) -> &Policy {
        &self.policy
    }

    async fn create_event(&self, event: NewEvent) -> Result<EventSummary> {
        self.write(|state, now| state.create_event(event, now))
    }

    async fn events(&self) -> Result<Vec<EventSummary>> {
        self.read(|state, now| {
            let mut events: Vec<_> = state.events.values().map(|e| e.summary(now)).collect();
            events.sort_by_key(|e| (e.event.starts_at, e.event.id));
            Ok(events)
        })
    }

    async fn event(&self, event: EventId) -> Result<EventSummary> {
        self.read(|state, now| Ok(state.event_data(event)?.summary(now)))
    }

    async fn seats(&self, event: EventId) -> Result<Vec<SeatRecord>> {
        self.read(|state, now| {
            Ok(state
                .event_data(event)?
                .seats
                .iter()
                .map(|r| SeatRecord {
                    seat: r.seat.clone(),
                    state: r.state.at(now),
                    blocked: r.blocked.clone(),
                })
                .collect())
        })
    }

    async fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> Result<Vec<SeatRecord>> {
        self.read(|state, now| {
            Ok(state
                .event_data(event)?
                .seats
                .iter()
                .filter(|r| rows.contains(&r.seat.row))
                .map(|r| SeatRecord {
                    seat: r.seat.clone(),
                    state: r.state.at(now),
                    blocked: r.blocked.clone(),
                })
                .collect())
        })
    }

    async fn seats_in_section(&self, event: EventId, section: &str) -> Result<Vec<SeatRecord>> {
        self.read(|state, now| {
            let data = state.event_data(event)?;
            let index = data
                .layout
                .sections
                .iter()
                .position(|name| name == section)
                .ok_or_else(|| Error::UnknownSection {
                    name: section.to_owned(),
                })?;
            Ok(data
                .seats
                .iter()
                .zip(&data.groups)
                .filter(|(_, (seat_section, _))| *seat_section == index)
                .map(|(r, _)| SeatRecord {
                    seat: r.seat.clone(),
                    state: r.state.at(now),
                    blocked: r.blocked.clone(),
                })
                .collect())
        })
    }

    async fn hold(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Hold> {
        self.write(|state, now| run(tx::hold(state, user, event, seat, now, &self.policy)))
    }

    async fn release(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Seat> {
        self.write(|state, now| run(tx::release(state, user, event, seat, now)))
    }

    async fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<Reservation> {
        self.write(|state, now| {
            run(tx::reserve(
                state,
                user,
                event,
                seat_ids,
                key,
                now,
                &self.policy,
            ))
        })
    }

    async fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        self.write(|state, now| run(tx::block(state, by, event, seat_ids, reason, now)))
    }

    async fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        self.write(|state, now| run(tx::unblock(state, by, event, seat_ids, reason, now)))
    }

    async fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> Result<Vec<Hold>> {
        self.write(|state, now| state.best_available(user, event, request, now, &self.policy))
    }

    async fn reservations(&self, user: UserId) -> Result<Vec<Reservation>> {
        self.read(|state, _| {
            let mut mine: Vec<_> = state
                .reservations
                .values()
                .filter(|r| r.user == user)
                .cloned()
                .collect();
            mine.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
            Ok(mine)
        })
    }

    async fn cancel(&self, user: UserId, reservation: ReservationId) -> Result<Reservation> {
        self.write(|state, now| run(tx::cancel(state, user, reservation, now)))
    }

    async fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> Result<Reservation> {
        self.write(|state, now| run(tx::staff_cancel(state, by, reservation, reason, now)))
    }

    async fn edit_event(&self, by: UserId, event: EventId, edit: &EventEdit) -> Result<Event> {
        self.write(|state, now| run(tx::edit_event(state, by, event, edit, now)))
    }

    async fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> Result<EventCancellation> {
        self.write(|state, now| run(tx::cancel_event(state, by, event, reason, now)))
    }

    async fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> Result<Vec<Reservation>> {
        filter.validate()?;
        self.read(|state, _| {
            state.event_data(event)?;
            Ok(state
                .reservations
                .values()
                .rev()
                .filter(|r| r.event == event && filter.matches(r))
                .take(filter.limit as usize)
                .cloned()
                .collect())
        })
    }

    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        filter.validate()?;
        self.read(|state, _| {
            Ok(state
                .audit
                .iter()
                .rev()
                .filter(|r| filter.matches(r))
                .take(filter.limit as usize)
                .cloned()
                .collect())
        })
    }
}

impl AccountStore for MemoryStore {
    async fn create_user(&self, username: &Username, password_hash: &str) -> Result<User> {
        self.write(|state, _| {
            if state.user_by_name.contains_key(&username.folded()) {
                return Err(Error::UsernameTaken {
                    username: username.to_string(),
                });
            }
            state.last_user += 1;
            let user = User {
                id: UserId::new(state.last_user),
                username: username.clone(),
                staff: false,
            };
            state.user_by_name.insert(username.folded(), user.id);
            state.users.insert(
                user.id,
                Credentials {
                    user: user.clone(),
                    password_hash: password_hash.to_owned(),
                },
            );
            Ok(user)
        })
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        self.read(|state, _| {
            Ok(state
                .user_by_name
                .get(&username.to_ascii_lowercase())
                .map(|id| &state.users[id])
                .filter(|found| found.user.username.as_str() == username)
                .cloned())
        })
    }

    async fn username_taken(&self, username: &Username) -> Result<bool> {
        self.read(|state, _| Ok(state.user_by_name.contains_key(&username.folded())))
    }

    async fn user(&self, user: UserId) -> Result<Option<User>> {
        self.read(|state, _| Ok(state.users.get(&user).map(|c| c.user.clone())))
    }

    async fn set_staff(&self, user: UserId, staff: bool) -> Result<User> {
        self.write(|state, _| {
            let found = state
                .users
                .get_mut(&user)
                .ok_or_else(|| Error::not_found(Entity::User, user.get()))?;
            found.user.staff = staff;
            Ok(found.user.clone())
        })
    }

    async fn create_session(&self, id: &SessionId, user: UserId, ttl: Duration) -> Result<Session> {
        self.write(|state, now| {
            state.require_user(user)?;
            let digest = id.digest();
            if state.sessions.contains_key(&digest) {
                return Err(Error::invalid_input("that session id is already in use"));
            }
            let expires_at = clock::add(now, ttl);
            state.sessions.insert(digest, (user, expires_at));
            Ok(Session {
                id: id.clone(),
                user: state.users[&user].user.clone(),
                expires_at,
            })
        })
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>> {
        self.read(|state, now| {
            Ok(state
                .sessions
                .get(&id.digest())
                .filter(|(_, expires_at)| *expires_at > now)
                .map(|&(user, expires_at)| Session {
                    id: id.clone(),
                    user: state.users[&user].user.clone(),
                    expires_at,
                }))
        })
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool> {
        self.write(|state, _| Ok(state.sessions.remove(&id.digest()).is_some()))
    }

    async fn delete_expired_sessions(&self) -> Result<u64> {
        self.write(|state, now| {
            let before = state.sessions.len();
            state
                .sessions
                .retain(|_, (_, expires_at)| *expires_at > now);
            Ok(u64::try_from(before - state.sessions.len()).expect("fits"))
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Like the database backends, the memory store keeps a session's
    /// digest, never its id.
    #[test]
    fn sessions_are_kept_by_digest() {
        let store = MemoryStore::default();
        let id = SessionId::new("0123456789abcdef0123456789abcdef").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let ann = store
                .create_user(&Username::new("ann").unwrap(), "hash")
                .await
                .unwrap();
            store
                .create_session(&id, ann.id, Duration::from_secs(60))
                .await
                .unwrap();
        });
        let state = store.state.read().unwrap();
        let keys: Vec<&String> = state.sessions.keys().collect();
        assert_eq!(keys, [&id.digest()]);
    }
}
