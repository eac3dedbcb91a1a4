//! The database killed (as in a crash) and started again while a storm
//! runs, on a server of the test's own: calls fail cleanly with a storage
//! error while it is down (never hang, never a rule error they did not
//! earn), succeed again once it is back, and afterwards the invariants hold
//! and every reservation confirmed before the crash is still confirmed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use booking_core::{
    AccountStore, BookingStore, Error, EventId, NewEvent, ReservationId, ReservationStatus, SeatId,
    UserId, Username,
};
use booking_postgres::testkit::{Cluster, assert_invariants};
use booking_postgres::{PgOptions, PgStore};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The storm's phases, as the tasks see them.
const UP: usize = 0;
const CRASHING: usize = 1;
const DOWN: usize = 2;
const RESTARTING: usize = 3;
const BACK: usize = 4;

/// No call may take longer than this, whatever the database is doing.
const CALL_LIMIT: Duration = Duration::from_secs(15);

/// How long the test waits for the storm to reach each point before it fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// How many successful calls the storm makes before the crash, and how many
/// calls fail while the database is down before it is started again.
const ENOUGH: usize = 50;

/// What the storm has done so far, by phase, as the test waits on it (only
/// calls that began and ended in the same phase are counted, as in [`Tally`]).
#[derive(Default)]
struct Progress {
    ok: [AtomicUsize; 5],
    storage_errors: [AtomicUsize; 5],
    /// Users that have succeeded since the database came back.
    users_back: AtomicUsize,
}

/// Waits until `done` says so, checking every 10 ms.
///
/// # Panics
///
/// When it has not within [`DEADLINE`], naming `what` it waited for.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {DEADLINE:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How one storm user's calls ended, by phase (only calls that began and
/// ended in the same phase are counted).
#[derive(Default, Debug)]
struct Tally {
    ok: [u32; 5],
    rule_errors: [u32; 5],
    storage_errors: [u32; 5],
    /// Reservations the store confirmed and that were not (possibly)
    /// cancelled since.
    confirmed: BTreeSet<ReservationId>,
}

struct StormUser {
    store: Arc<PgStore>,
    event: EventId,
    seats: Vec<SeatId>,
    user: UserId,
    phase: Arc<AtomicUsize>,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    rng: StdRng,
}

impl StormUser {
    async fn run(mut self) -> Tally {
        let mut tally = Tally::default();
        let mut holding: Vec<SeatId> = Vec::new();
        while !self.stop.load(Ordering::SeqCst) {
            let began = self.phase.load(Ordering::SeqCst);
            let store = &self.store;
            let choice = self.rng.random_range(0..10);
            let outcome: Result<(), Error> = match choice {
                0..=5 => {
                    let seat = self.seats[self.rng.random_range(0..self.seats.len())];
                    let held = limit(store.hold(self.user, self.event, seat)).await;
                    if held.is_ok() && !holding.contains(&seat) {
                        holding.push(seat);
                    }
                    held.map(drop)
                }
                6 if !holding.is_empty() => {
                    let seat = holding.swap_remove(self.rng.random_range(0..holding.len()));
                    limit(store.release(self.user, self.event, seat))
                        .await
                        .map(drop)
                }
                7 | 8 if !holding.is_empty() => {
                    let seats = std::mem::take(&mut holding);
                    let reserved = limit(store.reserve(self.user, self.event, &seats, None)).await;
                    if let Ok(reservation) = &reserved {
                        tally.confirmed.insert(reservation.id);
                    }
                    reserved.map(drop)
                }
                _ => match tally.confirmed.pop_first() {
                    // Whatever the answer, it is no longer known confirmed.
                    Some(id) => limit(store.cancel(self.user, id)).await.map(drop),
                    None => continue,
                },
            };
            let ended = self.phase.load(Ordering::SeqCst);
            let failed = matches!(outcome, Err(Error::Storage { .. }));
            let progress = &self.progress;
            match outcome {
                _ if began != ended => {}
                Ok(()) => {
                    if began == BACK && tally.ok[BACK] == 0 {
                        progress.users_back.fetch_add(1, Ordering::SeqCst);
                    }
                    tally.ok[began] += 1;
                    progress.ok[began].fetch_add(1, Ordering::SeqCst);
                }
                Err(Error::Storage { .. }) => {
                    tally.storage_errors[began] += 1;
                    progress.storage_errors[began].fetch_add(1, Ordering::SeqCst);
                }
                Err(_) => tally.rule_errors[began] += 1,
            }
            if failed {
                // A client backs off a little while the database is away.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        tally
    }
}

/// Runs a store call, failing the test if it hangs.
async fn limit<T>(call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::time::timeout(CALL_LIMIT, call)
        .await
        .expect("a store call returns within 15 s, whatever the database is doing")
}

/// Runs `step` (`pg_ctl`, which blocks) on a blocking thread, off the
/// storm's worker threads.
async fn off_the_workers(cluster: Cluster, step: fn(&Cluster)) -> Cluster {
    tokio::task::spawn_blocking(move || {
        step(&cluster);
        cluster
    })
    .await
    .unwrap()
}

/// A store on `cluster` with an event of 20 seats and eight users.
async fn setup(cluster: &Cluster) -> (Arc<PgStore>, EventId, Vec<SeatId>, Vec<UserId>) {
    let store = Arc::new(
        PgStore::connect(&cluster.url(), PgOptions::default().with_max_connections(8))
            .await
            .unwrap(),
    );
    let event = store
        .create_event(NewEvent {
            name: "Restart".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: "A-B:1-10:1500".parse().unwrap(),
            orphans: booking_core::OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .unwrap()
        .event
        .id;
    let seats = booking_core::testkit::seat_ids(&*store, event).await;
    let mut users = Vec::new();
    for i in 0..8 {
        let name = Username::new(format!("user{i}")).unwrap();
        users.push(store.create_user(&name, "hash").await.unwrap().id);
    }
    (store, event, seats, users)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_survives_the_database_crashing_and_coming_back() {
    let cluster = Cluster::start();
    let (store, event, seats, users) = setup(&cluster).await;

    let phase = Arc::new(AtomicUsize::new(UP));
    let progress = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = users
        .iter()
        .zip(1u64..)
        .map(|(&user, seed)| {
            tokio::spawn(
                StormUser {
                    store: Arc::clone(&store),
                    event,
                    seats: seats.clone(),
                    user,
                    phase: Arc::clone(&phase),
                    progress: Arc::clone(&progress),
                    stop: Arc::clone(&stop),
                    rng: StdRng::seed_from_u64(seed),
                }
                .run(),
            )
        })
        .collect();

    let counted = |counts: &[AtomicUsize; 5], phase: usize| counts[phase].load(Ordering::SeqCst);
    wait_until("the storm to succeed before the crash", || {
        counted(&progress.ok, UP) >= ENOUGH
    })
    .await;
    phase.store(CRASHING, Ordering::SeqCst);
    let cluster = off_the_workers(cluster, Cluster::crash).await;
    phase.store(DOWN, Ordering::SeqCst);
    wait_until("calls to fail while the database is down", || {
        counted(&progress.storage_errors, DOWN) >= ENOUGH
    })
    .await;
    phase.store(RESTARTING, Ordering::SeqCst);
    let cluster = off_the_workers(cluster, Cluster::start_again).await;
    phase.store(BACK, Ordering::SeqCst);
    wait_until("every user to succeed again after the restart", || {
        progress.users_back.load(Ordering::SeqCst) == users.len()
    })
    .await;
    stop.store(true, Ordering::SeqCst);

    let mut tallies = Vec::new();
    for task in tasks {
        tallies.push(task.await.expect("a storm task panicked"));
    }
    let sum = |f: fn(&Tally) -> u32| tallies.iter().map(f).sum::<u32>();

    assert!(sum(|t| t.ok[UP]) > 0, "the storm ran before the crash");
    assert_eq!(
        sum(|t| t.storage_errors[UP]),
        0,
        "no storage errors before the crash"
    );
    assert!(
        sum(|t| t.storage_errors[DOWN]) > 0,
        "calls were made while the database was down"
    );
    assert_eq!(
        (sum(|t| t.ok[DOWN]), sum(|t| t.rule_errors[DOWN])),
        (0, 0),
        "while the database is down every call is a storage error"
    );
    // The pool recovers: no pooled connection from before the crash is
    // handed out again.
    assert_eq!(
        sum(|t| t.storage_errors[BACK]),
        0,
        "once the database is back, calls succeed"
    );
    for (user, tally) in users.iter().zip(&tallies) {
        assert!(
            tally.ok[BACK] > 0,
            "user {user} succeeded again after the restart"
        );
    }

    // Every reservation confirmed, and not cancelled since, is still there.
    for (&user, tally) in users.iter().zip(&tallies) {
        let confirmed: BTreeSet<ReservationId> = store
            .reservations(user)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.status == ReservationStatus::Confirmed)
            .map(|r| r.id)
            .collect();
        assert!(
            tally.confirmed.is_subset(&confirmed),
            "user {user}: confirmed {:?}, the database has {confirmed:?}",
            tally.confirmed
        );
    }
    booking_core::testkit::check_invariants(&*store, event, &users)
        .await
        .unwrap();
    assert_invariants(&cluster.url()).await;
}
