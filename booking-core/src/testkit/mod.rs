//! The conformance suite: one set of async tests that every backend runs
//! against its own store, so every backend keeps the same contract.
//!
//! A backend implements [`StoreFactory`] (how to make a fresh, empty store
//! on a given clock and policy, and how to dispose of it) and calls
//! [`conformance_tests!`](crate::conformance_tests) once in a test file:
//!
//! ```ignore
//! struct Factory;
//!
//! impl booking_core::testkit::StoreFactory for Factory {
//!     type Store = MyStore;
//!     async fn create(&self, ctx: booking_core::testkit::TestContext) -> MyStore {
//!         MyStore::open_in_memory(ctx.clock, ctx.policy).unwrap()
//!     }
//! }
//!
//! booking_core::conformance_tests!(Factory);
//! ```
//!
//! Each generated test is named after the contract item it checks and runs
//! on a multi-threaded tokio runtime. [`check_invariants`] is public too, for
//! backends' own storm tests.

use std::collections::HashMap;
use std::future::Future;

use crate::ManualClock;
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::model::{Policy, ReservationStatus, SeatState};
use crate::store::{BookingStore, Store};

pub mod audit;
pub mod migrated;
pub mod suite;

include!(concat!(env!("OUT_DIR"), "/conformance_list.rs"));

#[doc(hidden)]
pub use tokio;

/// What a factory needs to make a store for one test.
#[derive(Clone, Debug)]
pub struct TestContext {
    /// The clock the store must judge time by; the test moves it.
    pub clock: ManualClock,
    /// The policy the store must enforce.
    pub policy: Policy,
}

/// Makes fresh, empty stores for the conformance tests.
pub trait StoreFactory: Send + Sync + 'static {
    /// The store under test.
    type Store: Store;

    /// A new, empty store on `ctx.clock` enforcing `ctx.policy`. Each call
    /// must give a store that shares no data with any other (a new file, a
    /// new database).
    fn create(&self, ctx: TestContext) -> impl Future<Output = Self::Store> + Send;

    /// Disposes of a store at the end of a test that passed (drop a test
    /// database, say). The default just drops it.
    fn dispose(&self, store: Self::Store) -> impl Future<Output = ()> + Send {
        async move { drop(store) }
    }
}

/// Generates one `#[tokio::test]` per conformance test in the calling module,
/// each running against stores made by `$factory` (an expression of a type
/// that implements [`StoreFactory`]).
///
/// The list of tests is made at build time from the `pub async fn
/// NAME<F: StoreFactory>` items of [`suite`]: a test added there runs on
/// every backend, with nothing else to edit.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_each!($factory);
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[$crate::testkit::tokio::test(
                crate = "::booking_core::testkit::tokio",
                flavor = "multi_thread",
                worker_threads = 4
            )]
            async fn $name() {
                $crate::testkit::suite::$name(&$factory).await;
            }
        )*
    };
}

/// A storm: each of `users`, in its own task, does `ops` random holds,
/// releases, reserves (of what it holds, sometimes plus a seat it may not),
/// cancels of its own reservations and, given a `clock`, clock moves of
/// 40 s, each through one of `stores` chosen at random (several stores on
/// one database stand for several server processes).
///
/// Returns each user's reservations as last answered, in `users`' order.
///
/// # Panics
///
/// On any error but a seat conflict or the hold limit.
pub async fn storm<S: BookingStore>(
    stores: &[std::sync::Arc<S>],
    event: EventId,
    users: &[UserId],
    ops: usize,
    clock: Option<&ManualClock>,
) -> Vec<Vec<crate::Reservation>> {
    let seats = seat_ids(&*stores[0], event).await;
    let tasks: Vec<_> = users
        .iter()
        .zip(1u64..)
        .map(|(&user, seed)| {
            let storm_user = suite::StormUser {
                stores: stores.to_vec(),
                clock: clock.cloned(),
                event,
                seats: seats.clone(),
                user,
                rng: suite::XorShift(0x9E37_79B9_7F4A_7C15 ^ seed),
            };
            tokio::spawn(storm_user.run(ops))
        })
        .collect();
    let mut answered = Vec::with_capacity(tasks.len());
    for task in tasks {
        answered.push(task.await.expect("a storm task panicked"));
    }
    answered
}

/// Best available through `here` finds the seats that `elsewhere` (a
/// store on the same database, as another server process) has opened
/// again, though `here` had seen them reserved: a store that keeps its
/// events' closed seats must learn of another process's cancel.
///
/// The event has two rows of four (the front one better), and two users
/// and a staff user. The front row is sold through `here` and `here` sees
/// it full (it gives the back row, then takes it back); `elsewhere` cancels
/// the front row; then `here` must give the front row. Sold again, the
/// front row is cancelled by staff through `elsewhere`
/// ([`BookingStore::staff_cancel`]); `here` must give it again.
///
/// # Panics
///
/// When a step fails, or `here` gives the back row at the end.
pub async fn best_available_sees_seats_reopened_elsewhere<S: Store>(here: &S, elsewhere: &S) {
    use crate::model::{BestAvailable, NewEvent, OrphanPolicy, Username};
    let event = here
        .create_event(NewEvent {
            name: "Reopened".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: "A-B:1-4:1000".parse().expect("a seat map"),
            orphans: OrphanPolicy::Allow,
        })
        .await
        .expect("the event")
        .event
        .id;
    let mut users = Vec::new();
    for name in ["first", "second", "staff"] {
        let name = Username::new(name.to_owned()).expect("a name");
        users.push(here.create_user(&name, "hash").await.expect("a user").id);
    }
    here.set_staff(users[2], true).await.expect("staff");
    let four = BestAvailable::new(4);
    let row = |holds: &[crate::Hold]| -> Vec<String> {
        holds.iter().map(|h| h.seat.label.clone()).collect()
    };
    let front = here
        .best_available(users[0], event, &four)
        .await
        .expect("front");
    assert_eq!(row(&front), ["A1", "A2", "A3", "A4"]);
    let ids: Vec<SeatId> = front.iter().map(|h| h.seat.id).collect();
    let sold = here
        .reserve(users[0], event, &ids, None)
        .await
        .expect("reserved");
    let back = here
        .best_available(users[1], event, &four)
        .await
        .expect("back");
    assert_eq!(row(&back), ["B1", "B2", "B3", "B4"]);
    for hold in &back {
        here.release(users[1], event, hold.seat.id)
            .await
            .expect("released");
    }
    elsewhere
        .cancel(users[0], sold.id)
        .await
        .expect("cancelled elsewhere");
    let again = here
        .best_available(users[1], event, &four)
        .await
        .expect("again");
    assert_eq!(
        row(&again),
        ["A1", "A2", "A3", "A4"],
        "the front row, open again"
    );
    let ids: Vec<SeatId> = again.iter().map(|h| h.seat.id).collect();
    let sold = here
        .reserve(users[1], event, &ids, None)
        .await
        .expect("reserved again");
    let back = here
        .best_available(users[0], event, &four)
        .await
        .expect("back");
    assert_eq!(row(&back), ["B1", "B2", "B3", "B4"]);
    for hold in &back {
        here.release(users[0], event, hold.seat.id)
            .await
            .expect("released");
    }
    elsewhere
        .staff_cancel(users[2], sold.id, "moved to another date")
        .await
        .expect("cancelled by staff elsewhere");
    let again = here
        .best_available(users[0], event, &four)
        .await
        .expect("again");
    assert_eq!(
        row(&again),
        ["A1", "A2", "A3", "A4"],
        "the front row, open again after a staff cancel"
    );
}

/// The ids of `event`'s seats, by row then number.
///
/// # Panics
///
/// When the store cannot read them.
pub async fn seat_ids<S: BookingStore>(store: &S, event: EventId) -> Vec<SeatId> {
    store
        .seats(event)
        .await
        .expect("the event's seats")
        .iter()
        .map(|r| r.seat.id)
        .collect()
}

/// Checks invariants 1-4 of the API on `event`, through the store's own
/// reads, given every user who may have reservations there.
///
/// 1. a seat is in at most one confirmed reservation;
/// 2. a confirmed reservation's seats are all `Reserved` by it, in its event;
/// 3. every `Reserved` seat belongs to a confirmed reservation that lists it
///    (with holds, one holder per seat is guaranteed by the state's shape);
/// 4. a cancelled reservation holds none of its seats; every reservation has
///    its seats and the total of their prices.
pub async fn check_invariants<S: BookingStore>(
    store: &S,
    event: EventId,
    users: &[UserId],
) -> Result<(), String> {
    let seats = store.seats(event).await.map_err(|e| e.to_string())?;
    let states: HashMap<SeatId, SeatState> = seats.iter().map(|r| (r.seat.id, r.state)).collect();
    let mut owner_of_seat: HashMap<SeatId, ReservationId> = HashMap::new();
    for user in users {
        for r in store.reservations(*user).await.map_err(|e| e.to_string())? {
            if r.user != *user {
                return Err(format!("reservation {} listed for user {user}", r.id));
            }
            if r.seats.is_empty() || r.total_cents != crate::rules::total_cents(&r.seats) {
                return Err(format!(
                    "reservation {} has no seats or a wrong total",
                    r.id
                ));
            }
            if r.event != event {
                continue;
            }
            for seat in &r.seats {
                let state = states.get(&seat.id).ok_or_else(|| {
                    format!("reservation {} has seat {} of another event", r.id, seat.id)
                })?;
                let reserved_by_it = *state == SeatState::Reserved { reservation: r.id };
                match r.status {
                    ReservationStatus::Confirmed => {
                        if let Some(other) = owner_of_seat.insert(seat.id, r.id) {
                            return Err(format!(
                                "invariant 1: seat {} is in confirmed reservations {other} and {}",
                                seat.label(),
                                r.id
                            ));
                        }
                        if !reserved_by_it {
                            return Err(format!(
                                "invariant 2: seat {} of confirmed reservation {} is {state:?}",
                                seat.label(),
                                r.id
                            ));
                        }
                    }
                    ReservationStatus::Cancelled => {
                        if reserved_by_it {
                            return Err(format!(
                                "invariant 4: seat {} is still reserved by cancelled reservation {}",
                                seat.label(),
                                r.id
                            ));
                        }
                    }
                }
            }
        }
    }
    for record in &seats {
        if let SeatState::Reserved { reservation } = record.state
            && owner_of_seat.get(&record.seat.id) != Some(&reservation)
        {
            return Err(format!(
                "invariant 2: seat {} is reserved by {reservation}, which is not a confirmed reservation listing it",
                record.seat.label()
            ));
        }
    }
    Ok(())
}

/// A seat's stored state and what the rules say of it at an instant: what a
/// backend checks its SQL conditions ([`sql_live_hold!`](crate::sql_live_hold),
/// [`sql_free_seat!`](crate::sql_free_seat)) against.
#[derive(Clone, Debug)]
pub struct HoldCase {
    /// The state as stored (its hold may have ended).
    pub state: SeatState,
    /// The seat's block reason, if it is blocked.
    pub blocked: Option<String>,
    /// Whether [`SeatState::at`] says it is held at the instant.
    pub live: bool,
    /// Whether [`SeatRecord::is_free`](crate::SeatRecord::is_free) says so.
    pub free: bool,
}

/// Every kind of seat state at `now`, a hold on both sides of its end
/// (ended a second ago, ending at `now`, ending in a second), each blocked
/// and not, with what the rules say of it.
///
/// # Panics
///
/// Never (its seat is in row A).
pub fn hold_cases(now: crate::Timestamp) -> Vec<HoldCase> {
    let at = |secs: i64| now + chrono::TimeDelta::seconds(secs);
    let held = |until| SeatState::Held {
        by: UserId::new(1),
        since: at(-60),
        until,
    };
    let states = [
        SeatState::Available,
        held(at(-1)),
        held(now),
        held(at(1)),
        SeatState::Reserved {
            reservation: ReservationId::new(1),
        },
    ];
    let mut cases = Vec::new();
    for state in states {
        for blocked in [None, Some(String::new())] {
            let record = crate::SeatRecord {
                seat: crate::Seat {
                    id: SeatId::new(1),
                    event: EventId::new(1),
                    section: String::new(),
                    row: crate::Row::from_index(0).expect("row A"),
                    number: 1,
                    label: "A1".into(),
                    category: String::new(),
                    price_cents: 0,
                    accessible: false,
                    companion: false,
                    restricted_view: false,
                },
                state,
                blocked,
            };
            cases.push(HoldCase {
                live: matches!(state.at(now), SeatState::Held { .. }),
                free: record.is_free(now),
                state,
                blocked: record.blocked,
            });
        }
    }
    cases
}
