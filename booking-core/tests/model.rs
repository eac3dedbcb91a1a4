//! Model-based test: random sequences of holds, releases, reserves, cancels,
//! blocks and unblocks, best-available requests and clock moves, by three
//! users on a six-seat row, run against
//! `MemoryStore` and against a plain model written independently of
//! `booking_core::rules`. After every step the answers must agree, every
//! seat's state must match the model's, and the API invariants must hold.

use std::time::Duration;

use booking_core::testkit::check_invariants;
use booking_core::{
    AccountStore, BestAvailable, BookingStore, Clock, EventId, ManualClock, MemoryStore, NewEvent,
    Policy, ReservationId, SeatId, SeatMap, SeatState, Timestamp, UserId, Username,
};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

const USERS: usize = 3;
const SEATS: usize = 6;
const MAX_HELD: usize = 2;
const TTL_SECS: i64 = 300;
/// Two lock times: reached by one extension at the right moment.
const MAX_HOLD_SECS: i64 = 600;

/// A seat in the model. Instants are seconds since the test began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ModelSeat {
    Free,
    Held { user: usize, since: i64, until: i64 },
    Reserved { reservation: usize },
}

#[derive(Clone, Debug)]
struct ModelReservation {
    user: usize,
    seats: Vec<usize>,
    cancelled: bool,
}

#[derive(Clone, Debug)]
struct Model {
    now: i64,
    seats: [ModelSeat; SEATS],
    blocked: [bool; SEATS],
    reservations: Vec<ModelReservation>,
    /// The answer the last operation should get: `Ok` or the error code.
    expected: Result<(), &'static str>,
}

#[derive(Clone, Debug)]
enum Op {
    Hold {
        user: usize,
        seat: usize,
    },
    Release {
        user: usize,
        seat: usize,
    },
    /// Seat indexes; may be empty, repeat a seat or be too long.
    Reserve {
        user: usize,
        seats: Vec<usize>,
    },
    /// Cancels reservation number `index % count`.
    Cancel {
        user: usize,
        index: usize,
    },
    Advance {
        secs: i64,
    },
    Block {
        seat: usize,
    },
    Unblock {
        seat: usize,
    },
    /// Best available for `count` seats together (0 to `MAX_HELD + 1`).
    Best {
        user: usize,
        count: usize,
    },
}

/// Each seat's rank in the row of six, as the venue ranking gives it: four
/// times its squared distance to the middle (between seats 3 and 4).
const RANKS: [u64; SEATS] = [25, 9, 1, 1, 9, 25];

impl Model {
    /// A seat as it stands now: an ended hold is free.
    fn seat(&self, seat: usize) -> ModelSeat {
        match self.seats[seat] {
            ModelSeat::Held { until, .. } if until <= self.now => ModelSeat::Free,
            state => state,
        }
    }

    fn held_by(&self, user: usize) -> usize {
        (0..SEATS)
            .filter(|&s| matches!(self.seat(s), ModelSeat::Held { user: u, .. } if u == user))
            .count()
    }

    /// Whether a seat can be held now by anyone.
    fn free(&self, seat: usize) -> bool {
        self.seat(seat) == ModelSeat::Free && !self.blocked[seat]
    }

    fn hold(&mut self, user: usize, seat: usize) -> Result<(), &'static str> {
        let since = match self.seat(seat) {
            ModelSeat::Reserved { .. } => return Err("seat_reserved"),
            ModelSeat::Held { user: other, .. } if other != user => return Err("seat_locked"),
            _ if self.blocked[seat] => return Err("seat_blocked"),
            // The caller's own hold: extended without counting it again,
            // unless it already ends as late as it may.
            ModelSeat::Held { since, until, .. } if until >= since + MAX_HOLD_SECS => {
                return Err("max_hold_reached");
            }
            ModelSeat::Held { since, .. } => since,
            ModelSeat::Free if self.held_by(user) >= MAX_HELD => return Err("hold_limit"),
            ModelSeat::Free => self.now,
        };
        self.seats[seat] = ModelSeat::Held {
            user,
            since,
            until: (self.now + TTL_SECS).min(since + MAX_HOLD_SECS),
        };
        Ok(())
    }

    fn release(&mut self, user: usize, seat: usize) -> Result<(), &'static str> {
        match self.seat(seat) {
            ModelSeat::Held { user: u, .. } if u == user => {
                self.seats[seat] = ModelSeat::Free;
                Ok(())
            }
            _ => Err("not_lock_holder"),
        }
    }

    fn reserve(&mut self, user: usize, seats: &[usize]) -> Result<(), &'static str> {
        let mut sorted = seats.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if seats.is_empty() || sorted.len() != seats.len() || seats.len() > MAX_HELD {
            return Err("invalid_input");
        }
        // Seat indexes are in row-then-number order: the first conflict decides.
        for &seat in &sorted {
            match self.seats[seat] {
                ModelSeat::Reserved { .. } => return Err("seat_reserved"),
                _ if self.blocked[seat] => return Err("seat_blocked"),
                ModelSeat::Held { user: u, until, .. } if u == user && until > self.now => {}
                ModelSeat::Held { user: u, .. } if u == user => return Err("lock_expired"),
                _ => return Err("not_lock_holder"),
            }
        }
        let reservation = self.reservations.len();
        for &seat in &sorted {
            self.seats[seat] = ModelSeat::Reserved { reservation };
        }
        self.reservations.push(ModelReservation {
            user,
            seats: sorted,
            cancelled: false,
        });
        Ok(())
    }

    fn block(&mut self, seat: usize) -> Result<(), &'static str> {
        match self.seat(seat) {
            ModelSeat::Reserved { .. } => Err("seat_reserved"),
            ModelSeat::Held { .. } => Err("seat_locked"),
            ModelSeat::Free => {
                self.seats[seat] = ModelSeat::Free;
                self.blocked[seat] = true;
                Ok(())
            }
        }
    }

    /// Best available by brute force over the one row: every `count` free
    /// seats side by side, the first by (strands a seat, rank sum, place).
    fn best(&mut self, user: usize, count: usize) -> Result<(), &'static str> {
        if count == 0 || count > MAX_HELD {
            return Err("invalid_input");
        }
        if self.held_by(user) + count > MAX_HELD {
            return Err("hold_limit");
        }
        let free = |i: Option<usize>| i.is_some_and(|i| i < SEATS && self.free(i));
        let best = (0..=SEATS - count)
            .filter(|&start| (start..start + count).all(|i| self.free(i)))
            .min_by_key(|&start| {
                let left = start.checked_sub(1);
                let right = start + count;
                let strands = (free(left) && !free(left.and_then(|l| l.checked_sub(1))))
                    || (free(Some(right)) && !free(Some(right + 1)));
                (
                    strands,
                    RANKS[start..start + count].iter().sum::<u64>(),
                    start,
                )
            })
            .ok_or("no_adjacent_seats")?;
        for seat in best..best + count {
            self.seats[seat] = ModelSeat::Held {
                user,
                since: self.now,
                until: (self.now + TTL_SECS).min(self.now + MAX_HOLD_SECS),
            };
        }
        Ok(())
    }

    fn cancel(&mut self, user: usize, index: usize) -> Result<(), &'static str> {
        let reservation = &mut self.reservations[index];
        if reservation.user != user {
            return Err("not_found");
        }
        if reservation.cancelled {
            return Err("already_cancelled");
        }
        reservation.cancelled = true;
        for &seat in &reservation.seats {
            self.seats[seat] = ModelSeat::Free;
        }
        Ok(())
    }
}

struct BookingModel;

impl ReferenceStateMachine for BookingModel {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model {
            now: 0,
            seats: [ModelSeat::Free; SEATS],
            blocked: [false; SEATS],
            reservations: Vec::new(),
            expected: Ok(()),
        })
        .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Op> {
        let user = 0..USERS;
        let seat = 0..SEATS;
        let hold = (user.clone(), seat.clone()).prop_map(|(user, seat)| Op::Hold { user, seat });
        let release =
            (user.clone(), seat.clone()).prop_map(|(user, seat)| Op::Release { user, seat });
        let reserve = (
            user.clone(),
            proptest::collection::vec(seat.clone(), 0..=MAX_HELD + 1),
        )
            .prop_map(|(user, seats)| Op::Reserve { user, seats });
        let advance = prop_oneof![Just(60), Just(150), Just(299), Just(300)]
            .prop_map(|secs| Op::Advance { secs });
        let block = seat.clone().prop_map(|seat| Op::Block { seat });
        let unblock = seat.prop_map(|seat| Op::Unblock { seat });
        let best =
            (user.clone(), 0..=MAX_HELD + 1).prop_map(|(user, count)| Op::Best { user, count });
        if state.reservations.is_empty() {
            prop_oneof![
                4 => hold, 1 => release, 3 => reserve, 1 => advance,
                1 => block, 1 => unblock, 3 => best,
            ]
            .boxed()
        } else {
            let cancel = (user, 0..state.reservations.len())
                .prop_map(|(user, index)| Op::Cancel { user, index });
            prop_oneof![
                4 => hold, 1 => release, 3 => reserve, 2 => cancel, 1 => advance,
                1 => block, 1 => unblock, 3 => best,
            ]
            .boxed()
        }
    }

    fn preconditions(state: &Model, op: &Op) -> bool {
        match op {
            Op::Cancel { index, .. } => *index < state.reservations.len(),
            _ => true,
        }
    }

    fn apply(mut state: Model, op: &Op) -> Model {
        state.expected = match op {
            Op::Hold { user, seat } => state.hold(*user, *seat),
            Op::Release { user, seat } => state.release(*user, *seat),
            Op::Reserve { user, seats } => state.reserve(*user, seats),
            Op::Cancel { user, index } => state.cancel(*user, *index),
            Op::Advance { secs } => {
                state.now += secs;
                Ok(())
            }
            Op::Block { seat } => state.block(*seat),
            Op::Unblock { seat } => {
                state.blocked[*seat] = false;
                Ok(())
            }
            Op::Best { user, count } => state.best(*user, *count),
        };
        state
    }
}

/// `MemoryStore` with the ids the model's indexes stand for.
struct Sut {
    runtime: tokio::runtime::Runtime,
    store: MemoryStore,
    clock: ManualClock,
    start: Timestamp,
    event: EventId,
    users: Vec<UserId>,
    seats: Vec<SeatId>,
    reservations: Vec<ReservationId>,
}

impl Sut {
    fn model_state(&self, state: SeatState) -> ModelSeat {
        let index = |found: Option<usize>| found.expect("an id the model knows");
        match state {
            SeatState::Available => ModelSeat::Free,
            SeatState::Held { by, since, until } => ModelSeat::Held {
                user: index(self.users.iter().position(|u| *u == by)),
                since: (since - self.start).num_seconds(),
                until: (until - self.start).num_seconds(),
            },
            SeatState::Reserved { reservation } => ModelSeat::Reserved {
                reservation: index(self.reservations.iter().position(|r| *r == reservation)),
            },
        }
    }
}

struct MemoryStoreMatchesModel;

impl StateMachineTest for MemoryStoreMatchesModel {
    type SystemUnderTest = Sut;
    type Reference = BookingModel;

    fn init_test(_: &Model) -> Sut {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let clock = ManualClock::default();
        let policy = Policy::default()
            .with_lock_ttl(Duration::from_secs(TTL_SECS.unsigned_abs()))
            .with_max_hold(Duration::from_secs(MAX_HOLD_SECS.unsigned_abs()))
            .with_max_seats_per_user(u32::try_from(MAX_HELD).unwrap());
        let store = MemoryStore::new(clock.clone(), policy);
        let (event, users, seats) = runtime.block_on(async {
            let mut users = Vec::new();
            for i in 0..USERS {
                let name = Username::new(format!("user{i}")).unwrap();
                users.push(store.create_user(&name, "hash").await.unwrap().id);
            }
            let event = store
                .create_event(NewEvent {
                    name: "Model".into(),
                    description: String::new(),
                    venue: "Hall".into(),
                    starts_at: clock.now(),
                    seating: SeatMap::grid(1, u32::try_from(SEATS).unwrap(), 100)
                        .unwrap()
                        .into(),
                    orphans: booking_core::OrphanPolicy::Allow,
                    created_by: None,
                })
                .await
                .unwrap()
                .event
                .id;
            let seats = store.seats(event).await.unwrap();
            (event, users, seats.iter().map(|r| r.seat.id).collect())
        });
        Sut {
            runtime,
            start: clock.now(),
            store,
            clock,
            event,
            users,
            seats,
            reservations: Vec::new(),
        }
    }

    fn apply(mut sut: Sut, model: &Model, op: Op) -> Sut {
        let (store, event) = (&sut.store, sut.event);
        let outcome = sut.runtime.block_on(async {
            match &op {
                Op::Hold { user, seat } => store
                    .hold(sut.users[*user], event, sut.seats[*seat])
                    .await
                    .map(|_| None),
                Op::Release { user, seat } => store
                    .release(sut.users[*user], event, sut.seats[*seat])
                    .await
                    .map(|released| {
                        assert_eq!(released.id, sut.seats[*seat], "the seat released");
                        None
                    }),
                Op::Reserve { user, seats } => {
                    let ids: Vec<_> = seats.iter().map(|s| sut.seats[*s]).collect();
                    store
                        .reserve(sut.users[*user], event, &ids, None)
                        .await
                        .map(|r| Some(r.id))
                }
                Op::Cancel { user, index } => store
                    .cancel(sut.users[*user], sut.reservations[*index])
                    .await
                    .map(|_| None),
                Op::Advance { secs } => {
                    sut.clock.advance(Duration::from_secs(secs.unsigned_abs()));
                    Ok(None)
                }
                Op::Block { seat } => store
                    .block(sut.users[0], event, &[sut.seats[*seat]], "model")
                    .await
                    .map(|_| None),
                Op::Unblock { seat } => store
                    .unblock(sut.users[0], event, &[sut.seats[*seat]], "model")
                    .await
                    .map(|_| None),
                Op::Best { user, count } => {
                    let request = BestAvailable::new(u32::try_from(*count).unwrap());
                    store
                        .best_available(sut.users[*user], event, &request)
                        .await
                        .map(|_| None)
                }
            }
        });
        let answer = outcome
            .as_ref()
            .map(|_| ())
            .map_err(booking_core::Error::code);
        assert_eq!(answer, model.expected, "{op:?}");
        if let Ok(Some(reservation)) = outcome {
            sut.reservations.push(reservation);
        }
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        sut.runtime.block_on(async {
            let seats = sut.store.seats(sut.event).await.unwrap();
            let states: Vec<ModelSeat> = seats.iter().map(|r| sut.model_state(r.state)).collect();
            let expected: Vec<ModelSeat> = (0..SEATS).map(|s| model.seat(s)).collect();
            assert_eq!(states, expected, "every seat's state matches the model");
            let blocked: Vec<bool> = seats.iter().map(|r| r.blocked.is_some()).collect();
            assert_eq!(blocked, model.blocked, "blocked seats match the model");
            check_invariants(&sut.store, sut.event, &sut.users)
                .await
                .expect("API invariants");
        });
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        .. ProptestConfig::default()
    })]

    #[test]
    fn memory_store_matches_the_model(sequential 1..60 => MemoryStoreMatchesModel);
}
