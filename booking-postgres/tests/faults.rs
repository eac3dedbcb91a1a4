//! Faults: a connection killed in the middle of an operation gives a storage
//! error, leaves nothing half-done, and the pool serves the next call.

use std::time::Duration;

use booking_core::{AccountStore, BookingStore, Error, NewEvent, SeatState, Username};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};
use tokio_postgres::NoTls;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_fails_cleanly_and_the_pool_recovers() {
    let db = TestDatabase::create().await;
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
            seat_map: "A:1-2:1000".parse().unwrap(),
        })
        .await
        .unwrap()
        .event
        .id;
    let seats = booking_core::testkit::seat_ids(&store, event).await;
    for &seat in &seats {
        store.hold(alice, event, seat).await.unwrap();
    }

    // Another session locks the second seat, so the reserve stops mid-way,
    // after it has locked alice's row and the first seat.
    let (blocker, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(connection);
    blocker.batch_execute("BEGIN").await.unwrap();
    blocker
        .execute(
            "SELECT 1 FROM seats WHERE id = $1 FOR UPDATE",
            &[&seats[1].get()],
        )
        .await
        .unwrap();

    let reserving = {
        let (store, seats) = (store.clone(), seats.clone());
        tokio::spawn(async move { store.reserve(alice, event, &seats, None).await })
    };
    // Find the waiting backend and kill it.
    let victim: i32 = loop {
        let row = blocker
            .query_opt(
                "SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            break row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    blocker
        .execute("SELECT pg_terminate_backend($1)", &[&victim])
        .await
        .unwrap();
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
