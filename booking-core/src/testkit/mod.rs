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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
            created_by: None,
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
    let sold = sell_the_front_row(here, event, users[0], users[1], "the front row").await;
    elsewhere
        .cancel(users[0], sold)
        .await
        .expect("cancelled elsewhere");
    let sold =
        sell_the_front_row(here, event, users[1], users[0], "the front row, open again").await;
    elsewhere
        .staff_cancel(users[2], sold, "moved to another date")
        .await
        .expect("cancelled by staff elsewhere");
    let again = here
        .best_available(users[0], event, &BestAvailable::new(4))
        .await
        .expect("again");
    assert_eq!(
        labels(&again),
        ["A1", "A2", "A3", "A4"],
        "the front row, open again after a staff cancel"
    );
}

/// For [`best_available_sees_seats_reopened_elsewhere`]: `buyer` gets the
/// front row of four through best available (`why` says which time) and
/// reserves it; then `other` gets the back row, which shows `store` saw the
/// front one full, and releases it. Returns the reservation.
async fn sell_the_front_row<S: Store>(
    store: &S,
    event: EventId,
    buyer: UserId,
    other: UserId,
    why: &str,
) -> ReservationId {
    let four = crate::model::BestAvailable::new(4);
    let front = store
        .best_available(buyer, event, &four)
        .await
        .expect("the front row");
    assert_eq!(labels(&front), ["A1", "A2", "A3", "A4"], "{why}");
    let ids: Vec<SeatId> = front.iter().map(|h| h.seat.id).collect();
    let sold = store
        .reserve(buyer, event, &ids, None)
        .await
        .expect("reserved");
    let back = store
        .best_available(other, event, &four)
        .await
        .expect("the back row");
    assert_eq!(
        labels(&back),
        ["B1", "B2", "B3", "B4"],
        "the front row full"
    );
    for hold in &back {
        store
            .release(other, event, hold.seat.id)
            .await
            .expect("released");
    }
    sold.id
}

/// The labels of the seats of `holds`, in order.
fn labels(holds: &[crate::Hold]) -> Vec<String> {
    holds.iter().map(|h| h.seat.label.clone()).collect()
}

/// Best available through `here` keeps up with cancels, blocks and
/// unblocks made through `elsewhere` (a store on the same database, as
/// another server process) while they race with it: a store that keeps its
/// events' closed seats must never go on thinking a seat closed once it is
/// open again.
///
/// An event of ten rows of six. Eight buyers on `here` ask best available
/// for one to three seats and reserve them (40 times each), while two tasks
/// on `elsewhere` cancel reservations at random and one blocks a free seat
/// and unblocks it again, until the buyers are done: the race ends with
/// seats open that `here` saw closed. Then, with nothing else running, a
/// buyer on `here` asks for three seats until refused, then two, then one:
/// after each refusal no row may have that many open seats together (a row
/// the store wrongly thought closed would), and invariants 1-4 hold after
/// the race and at the end.
///
/// # Panics
///
/// On an error that is not a refusal the race explains, open seats left
/// together after a refusal, or a broken invariant.
pub async fn best_available_follows_writes_elsewhere<S: Store>(here: &Arc<S>, elsewhere: &Arc<S>) {
    use crate::model::{NewEvent, OrphanPolicy, Username};
    let event = here
        .create_event(NewEvent {
            name: "Caches".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: "A-J:1-6:1000".parse().expect("a seat map"),
            orphans: OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .expect("the event")
        .event
        .id;
    let mut users = Vec::new();
    for i in 0..9 {
        let name = Username::new(format!("cache{i}")).expect("a name");
        users.push(here.create_user(&name, "hash").await.expect("a user").id);
    }
    let (buyers, last_buyer) = (&users[..8], users[8]);
    let staff = here
        .create_user(
            &Username::new("cachestaff".to_owned()).expect("a name"),
            "hash",
        )
        .await
        .expect("a staff user")
        .id;
    here.set_staff(staff, true).await.expect("made staff");
    let seats: Arc<[SeatId]> = seat_ids(&**here, event).await.into();
    let buyers_done = Arc::new(AtomicBool::new(false));
    let racing: Vec<_> = buyers
        .iter()
        .zip(1u64..)
        .map(|(&user, seed)| tokio::spawn(race_buyer(Arc::clone(here), event, user, seed)))
        .collect();
    let mut others: Vec<_> = (0..2u64)
        .map(|seed| {
            let customers: Arc<[UserId]> = buyers.into();
            tokio::spawn(race_canceller(
                Arc::clone(elsewhere),
                event,
                customers,
                seed,
                Arc::clone(&buyers_done),
            ))
        })
        .collect();
    others.push(tokio::spawn(race_blocker(
        Arc::clone(elsewhere),
        staff,
        event,
        seats,
        Arc::clone(&buyers_done),
    )));
    for task in racing {
        task.await.expect("a buyer of the race panicked");
    }
    buyers_done.store(true, Ordering::Relaxed);
    for task in others {
        task.await
            .expect("a task of the race on `elsewhere` panicked");
    }
    check_invariants(&**here, event, &users)
        .await
        .expect("the invariants after the race");

    // Nothing else runs now: every block of open seats must be found, the
    // largest first. A store that thought some seats closed would pass
    // over their row.
    for count in [3, 2, 1] {
        while buy_best(&**here, event, last_buyer, count).await {}
        let seats = elsewhere.seats(event).await.expect("the seats");
        let longest = longest_open_run(&seats);
        assert!(
            longest < count,
            "best available refused {count} seats together while a row had {longest} open \
             together: the store thought open seats closed"
        );
    }
    check_invariants(&**here, event, &users)
        .await
        .expect("the invariants at the end");
}

/// Best available for `count` seats, reserved at once: false when refused.
async fn buy_best<S: Store>(store: &S, event: EventId, user: UserId, count: u32) -> bool {
    use crate::model::BestAvailable;
    match store
        .best_available(user, event, &BestAvailable::new(count))
        .await
    {
        Ok(holds) => {
            let ids: Vec<SeatId> = holds.iter().map(|h| h.seat.id).collect();
            store
                .reserve(user, event, &ids, None)
                .await
                .expect("a reserve of seats just held");
            true
        }
        Err(crate::Error::NoAdjacentSeats { .. }) => false,
        Err(e) => panic!("best available failed: {e}"),
    }
}

/// A buyer of [`best_available_follows_writes_elsewhere`]: 40 purchases of
/// one to three seats (a refusal lets the others run).
async fn race_buyer<S: Store>(store: Arc<S>, event: EventId, user: UserId, seed: u64) {
    let mut rng = suite::XorShift(0x2545_F491_4F6C_DD1D ^ seed);
    for _ in 0..40 {
        let count = 1 + u32::try_from(rng.below(3)).expect("small");
        if !buy_best(&*store, event, user, count).await {
            tokio::task::yield_now().await;
        }
    }
}

/// Cancels a random confirmed reservation of a random one of `customers`,
/// again and again until `done`.
async fn race_canceller<S: Store>(
    store: Arc<S>,
    event: EventId,
    customers: Arc<[UserId]>,
    seed: u64,
    done: Arc<AtomicBool>,
) {
    let mut rng = suite::XorShift(0x9E37_79B9_7F4A_7C15 ^ seed);
    while !done.load(Ordering::Relaxed) {
        let user = customers[rng.below(customers.len())];
        let confirmed: Vec<_> = store
            .reservations(user)
            .await
            .expect("reservations")
            .into_iter()
            .filter(|r| r.event == event && r.status == ReservationStatus::Confirmed)
            .collect();
        if confirmed.is_empty() {
            tokio::task::yield_now().await;
            continue;
        }
        let chosen = &confirmed[rng.below(confirmed.len())];
        match store.cancel(user, chosen.id).await {
            // The other canceller was first.
            Ok(_) | Err(crate::Error::AlreadyCancelled { .. }) => {}
            Err(e) => panic!("cancel failed: {e}"),
        }
    }
}

/// Blocks a random seat of `seats` and unblocks it again, as `staff`, again
/// and again until `done`.
async fn race_blocker<S: Store>(
    store: Arc<S>,
    staff: UserId,
    event: EventId,
    seats: Arc<[SeatId]>,
    done: Arc<AtomicBool>,
) {
    let mut rng = suite::XorShift(0xD1B5_4A32_D192_ED03);
    while !done.load(Ordering::Relaxed) {
        let seat = seats[rng.below(seats.len())];
        match store.block(staff, event, &[seat], "race").await {
            Ok(_) => {
                tokio::task::yield_now().await;
                store
                    .unblock(staff, event, &[seat], "race over")
                    .await
                    .expect("unblocked");
            }
            // Held or reserved meanwhile: not blocked.
            Err(e) if e.conflicts().is_some() => {}
            Err(e) => panic!("block failed: {e}"),
        }
    }
}

/// The most open seats (available, not blocked) side by side in one row
/// of `seats`, an event of one section without aisles.
fn longest_open_run(seats: &[crate::SeatRecord]) -> u32 {
    let mut open: Vec<(crate::Row, u32)> = seats
        .iter()
        .filter(|r| r.state == SeatState::Available && r.blocked.is_none())
        .map(|r| (r.seat.row, r.seat.number))
        .collect();
    open.sort_unstable();
    let (mut longest, mut run) = (0, 0);
    let mut last: Option<(crate::Row, u32)> = None;
    for (row, number) in open {
        run = match last {
            Some((r, n)) if r == row && n + 1 == number => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        last = Some((row, number));
    }
    longest
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
