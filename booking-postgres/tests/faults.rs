//! Faults: a connection the server ends before `COMMIT` is retried once on
//! a fresh connection; a second failure gives a storage error and leaves
//! nothing half-done; the pool serves the next call. A storm of backend
//! terminations between bursts of requests fails none of them.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use booking_core::{
    AccountStore, BookingStore, Error, EventId, NewEvent, SeatId, SeatState, UserId, Username,
};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};
use tokio_postgres::{Client, NoTls};

/// A store on a fresh database, with alice holding both seats of an event.
async fn alice_holds_two_seats(db: &TestDatabase) -> (PgStore, UserId, EventId, Vec<SeatId>) {
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let alice = store
        .create_user(&Username::new("alice").unwrap(), "hash")
        .await
        .unwrap()
        .id;
    let event = store
        .create_event(NewEvent {
            name: "Faults".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: "A:1-2:1000".parse().unwrap(),
            orphans: booking_core::OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .unwrap()
        .event
        .id;
    let seats = booking_core::testkit::seat_ids(&store, event).await;
    for &seat in &seats {
        store.hold(alice, event, seat).await.unwrap();
    }
    (store, alice, event, seats)
}

/// A session that locks `seat`, so that a reserve of it stops mid-way,
/// after it has locked alice's row and the seats before it.
async fn lock_seat(url: &str, seat: SeatId) -> Client {
    let (blocker, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    blocker.batch_execute("BEGIN").await.unwrap();
    blocker
        .execute(
            "SELECT 1 FROM seats WHERE id = $1 FOR UPDATE",
            &[&seat.get()],
        )
        .await
        .unwrap();
    blocker
}

/// How long a test waits for the database to reach a state before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// The backend waiting for the blocker's lock, other than those in
/// `except` (killed ones may linger a moment).
///
/// # Panics
///
/// When none waits within [`DEADLINE`].
async fn waiting_backend(blocker: &Client, except: &HashSet<i32>) -> i32 {
    let deadline = Instant::now() + DEADLINE;
    loop {
        assert!(
            Instant::now() < deadline,
            "no backend waited for the blocker's lock within {DEADLINE:?}: \
             the store's transaction never reached the locked seat"
        );
        // The blocker is in a transaction, whose view of the statistics is
        // taken once unless cleared.
        blocker
            .execute("SELECT pg_stat_clear_snapshot()", &[])
            .await
            .unwrap();
        let rows = blocker
            .query(
                "SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        if let Some(pid) = rows.iter().map(|r| r.get(0)).find(|p| !except.contains(p)) {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Terminates the backend waiting for the blocker's lock, and notes it in
/// `killed`.
async fn kill_the_waiting_backend(blocker: &Client, killed: &mut HashSet<i32>) {
    let victim = waiting_backend(blocker, killed).await;
    blocker
        .execute("SELECT pg_terminate_backend($1)", &[&victim])
        .await
        .unwrap();
    killed.insert(victim);
}

/// The server ends the connection mid-transaction, before `COMMIT`: the
/// store runs the transaction again on a fresh connection, and the caller
/// sees only its success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_before_commit_is_retried_on_a_fresh_one() {
    let db = TestDatabase::create().await;
    let (store, alice, event, seats) = alice_holds_two_seats(&db).await;
    let blocker = lock_seat(&db.url, seats[1]).await;
    let mut reserving = {
        let (store, seats) = (store.clone(), seats.clone());
        tokio::spawn(async move { store.reserve(alice, event, &seats, None).await })
    };
    let mut killed = HashSet::new();
    kill_the_waiting_backend(&blocker, &mut killed).await;
    // The retry waits for the same lock, on another backend (without the
    // retry, the reserve returns its error first).
    tokio::select! {
        _ = waiting_backend(&blocker, &killed) => {}
        outcome = &mut reserving => panic!("not retried: {outcome:?}"),
    }
    blocker.batch_execute("ROLLBACK").await.unwrap();
    let reservation = tokio::time::timeout(Duration::from_secs(10), reserving)
        .await
        .expect("the reserve returns")
        .unwrap()
        .expect("retried, not failed");
    assert_eq!(reservation.seats.len(), 2);
    assert_eq!(store.reservations(alice).await.unwrap(), [reservation]);
    assert_invariants(&db.url).await;
    drop(store);
    db.drop_database().await;
}

/// Killed twice before `COMMIT`: the one retry is spent, the caller gets a
/// storage error, nothing is half-done, and the pool serves the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_twice_fails_cleanly_and_the_pool_recovers() {
    let db = TestDatabase::create().await;
    let (store, alice, event, seats) = alice_holds_two_seats(&db).await;
    let blocker = lock_seat(&db.url, seats[1]).await;
    let reserving = {
        let (store, seats) = (store.clone(), seats.clone());
        tokio::spawn(async move { store.reserve(alice, event, &seats, None).await })
    };
    let mut killed = HashSet::new();
    kill_the_waiting_backend(&blocker, &mut killed).await;
    kill_the_waiting_backend(&blocker, &mut killed).await;
    let outcome = tokio::time::timeout(Duration::from_secs(10), reserving)
        .await
        .expect("the reserve returns")
        .unwrap();
    assert!(
        matches!(outcome, Err(Error::Storage { .. })),
        "a storage error: {outcome:?}"
    );
    blocker.batch_execute("ROLLBACK").await.unwrap();

    // Nothing half-done: no reservation, both seats still held by alice.
    assert!(store.reservations(alice).await.unwrap().is_empty());
    for record in store.seats(event).await.unwrap() {
        assert!(matches!(record.state, SeatState::Held { by, .. } if by == alice));
    }
    // The pool recovers: the same reserve now succeeds.
    let reservation = store.reserve(alice, event, &seats, None).await.unwrap();
    assert_eq!(reservation.seats.len(), 2);
    assert_invariants(&db.url).await;
    drop(store);
    db.drop_database().await;
}

/// A storm of terminations: bursts of requests, and between them every
/// backend of the database terminated while the store's runtime is held,
/// so that the pool has not noticed: each burst takes connections the
/// server has ended, whose transactions never began. None of its requests
/// may fail.
///
/// A current-thread runtime, blocked while another thread terminates the
/// backends: the pool's connection tasks cannot run, so a dead connection
/// looks alive until a request sends its `BEGIN` on it. (Between bursts on
/// a free runtime they notice at once, and the pool drops them itself.)
#[tokio::test(flavor = "current_thread")]
async fn a_storm_of_terminations_fails_no_request_that_never_began() {
    const ROUNDS: usize = 12;
    const TASKS: usize = 8;
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url, PgOptions::default().with_max_connections(8))
        .await
        .unwrap();
    let event = store
        .create_event(NewEvent {
            name: "Storm".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: format!("A-L:1-{TASKS}:1000").parse().unwrap(),
            orphans: booking_core::OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .unwrap()
        .event
        .id;
    let seats = Arc::new(booking_core::testkit::seat_ids(&store, event).await);
    let mut users = Vec::new();
    for i in 0..TASKS {
        let name = Username::new(format!("storm{i}")).unwrap();
        users.push(store.create_user(&name, "hash").await.unwrap().id);
    }

    for round in 0..ROUNDS {
        // Blocks this runtime until the backends are gone.
        let url = db.url.clone();
        let terminated = std::thread::spawn(move || terminate_all_backends(&url))
            .join()
            .unwrap();
        assert!(terminated > 0, "round {round}: the pool had connections");
        // Each task reads, holds and reserves a seat of its own.
        let burst: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(i, &user)| {
                let (store, seats) = (store.clone(), Arc::clone(&seats));
                tokio::spawn(async move {
                    let seat = seats[round * TASKS + i];
                    store.event(event).await?;
                    store.hold(user, event, seat).await?;
                    store.reserve(user, event, &[seat], None).await
                })
            })
            .collect();
        for task in burst {
            let outcome = task.await.unwrap();
            assert!(outcome.is_ok(), "round {round}: {outcome:?}");
        }
    }
    let reserved = store
        .seats(event)
        .await
        .unwrap()
        .iter()
        .filter(|r| matches!(r.state, SeatState::Reserved { .. }))
        .count();
    assert_eq!(reserved, ROUNDS * TASKS);
    assert_invariants(&db.url).await;
    drop(store);
    db.drop_database().await;
}

/// Terminates every backend of the database at `url` (on a runtime of its
/// own) and waits until they are gone; returns how many there were.
fn terminate_all_backends(url: &str) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (killer, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
        tokio::spawn(connection);
        let others = "datname = current_database() AND pid <> pg_backend_pid()";
        let terminated = killer
            .query(
                &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}"),
                &[],
            )
            .await
            .unwrap()
            .len();
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left: i64 = killer
                .query_one(
                    &format!("SELECT COUNT(*) FROM pg_stat_activity WHERE {others}"),
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if left == 0 {
                return terminated;
            }
            assert!(
                Instant::now() < deadline,
                "{left} terminated backends still there after {DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}
