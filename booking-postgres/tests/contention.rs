//! A hold on a seat whose row lock another transaction has: refused at once
//! when the seat is already someone else's, waited for when it may be free.

use std::time::{Duration, Instant};

use booking_core::{
    AccountStore, BookingStore, Error, EventId, NewEvent, SeatId, UserId, Username,
};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};
use tokio_postgres::{Client, NoTls};

struct Setup {
    db: TestDatabase,
    store: PgStore,
    alice: UserId,
    bob: UserId,
    event: EventId,
    seat: SeatId,
    /// Another session, which takes the seat's row lock.
    blocker: Client,
}

async fn setup() -> Setup {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let mut users = Vec::new();
    for name in ["alice", "bob"] {
        let name = Username::new(name).unwrap();
        users.push(store.create_user(&name, "hash").await.unwrap().id);
    }
    let event = store
        .create_event(NewEvent {
            name: "Contention".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: "A:1-1:1000".parse().unwrap(),
            orphans: booking_core::OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .unwrap()
        .event
        .id;
    let seat = booking_core::testkit::seat_ids(&store, event).await[0];
    let (blocker, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(connection);
    Setup {
        db,
        store,
        alice: users[0],
        bob: users[1],
        event,
        seat,
        blocker,
    }
}

impl Setup {
    /// Opens a transaction in the blocker that locks the seat's row.
    async fn lock_the_row(&self) {
        self.blocker.batch_execute("BEGIN").await.unwrap();
        self.blocker
            .execute(
                "SELECT 1 FROM seats WHERE id = $1 FOR UPDATE",
                &[&self.seat.get()],
            )
            .await
            .unwrap();
    }

    async fn finish(self) {
        assert_invariants(&self.db.url).await;
        drop(self.store);
        drop(self.blocker);
        self.db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_someone_holds_is_refused_without_waiting_for_its_lock() {
    let s = setup().await;
    s.store.hold(s.bob, s.event, s.seat).await.unwrap();
    s.lock_the_row().await;

    // Before, alice's hold queued for the lock until the blocker ended.
    let refused = tokio::time::timeout(
        Duration::from_secs(10),
        s.store.hold(s.alice, s.event, s.seat),
    )
    .await
    .expect("refused while the row is locked, not after");
    assert!(matches!(refused, Err(Error::SeatLocked(_))), "{refused:?}");

    s.blocker.batch_execute("ROLLBACK").await.unwrap();
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_that_may_be_free_is_waited_for() {
    let s = setup().await;
    s.lock_the_row().await;
    let holding = {
        let store = s.store.clone();
        let (alice, event, seat) = (s.alice, s.event, s.seat);
        tokio::spawn(async move { store.hold(alice, event, seat).await })
    };
    // Wait until alice's hold waits for the lock.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "alice's hold neither waited for the seat's lock nor ended within 30 s"
        );
        let waiting = s
            .blocker
            .query_opt(
                "SELECT 1 FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        if waiting.is_some() {
            break;
        }
        assert!(!holding.is_finished(), "the hold did not wait: {holding:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The blocker's transaction gives the seat to bob.
    s.blocker
        .execute(
            "UPDATE seats SET held_by = $2, held_since = now(), held_until = now() + interval '5 minutes'
             WHERE id = $1",
            &[&s.seat.get(), &s.bob.get()],
        )
        .await
        .unwrap();
    s.blocker.batch_execute("COMMIT").await.unwrap();

    let outcome = tokio::time::timeout(Duration::from_secs(10), holding)
        .await
        .expect("the hold returns once the lock is free")
        .unwrap();
    assert!(matches!(outcome, Err(Error::SeatLocked(_))), "{outcome:?}");
    s.finish().await;
}
