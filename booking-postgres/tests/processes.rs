//! Two independent stores (two pools, as two server processes have) on one
//! database, judging time by the database's clock: races and a storm, with
//! the invariants checked in SQL afterwards.

use std::sync::Arc;

use booking_core::{AccountStore, BookingStore, Error, NewEvent, SeatState, UserId, Username};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};

struct Setup {
    db: TestDatabase,
    stores: [Arc<PgStore>; 2],
    event: booking_core::EventId,
    seats: Vec<booking_core::SeatId>,
    users: Vec<UserId>,
}

async fn setup(users: usize, seat_map: &str) -> Setup {
    let db = TestDatabase::create().await;
    let a = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let b = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let event = a
        .create_event(NewEvent {
            name: "Race".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: seat_map.parse().unwrap(),
            orphans: booking_core::OrphanPolicy::Allow,
        })
        .await
        .unwrap()
        .event
        .id;
    let seats = booking_core::testkit::seat_ids(&b, event).await;
    let mut ids = Vec::new();
    for i in 0..users {
        let name = Username::new(format!("user{i}")).unwrap();
        ids.push(a.create_user(&name, "hash").await.unwrap().id);
    }
    Setup {
        db,
        stores: [Arc::new(a), Arc::new(b)],
        event,
        seats,
        users: ids,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_one_winner_per_seat() {
    let s = setup(16, "A:1-6:1000").await;
    for &seat in &s.seats {
        let tasks: Vec<_> = s
            .users
            .iter()
            .enumerate()
            .map(|(i, &user)| {
                let store = Arc::clone(&s.stores[i % 2]);
                let event = s.event;
                tokio::spawn(async move { (user, store.hold(user, event, seat).await) })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (user, Ok(_)) => winners.push(user),
                (_, Err(Error::SeatLocked(_))) => {}
                (_, Err(e)) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "seat {seat}: {winners:?}");
        // The winner reserves through the other store.
        let other = &s.stores[1];
        other
            .reserve(winners[0], s.event, &[seat], None)
            .await
            .unwrap();
    }
    let reserved = s.stores[0]
        .seats(s.event)
        .await
        .unwrap()
        .iter()
        .filter(|r| matches!(r.state, SeatState::Reserved { .. }))
        .count();
    assert_eq!(reserved, s.seats.len());
    assert_invariants(&s.db.url).await;
    drop(s.stores);
    s.db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storm_across_two_stores_keeps_the_invariants() {
    let s = setup(12, "A-B:1-6:2500").await;
    booking_core::testkit::storm(&s.stores, s.event, &s.users, 60, None).await;
    booking_core::testkit::check_invariants(&*s.stores[0], s.event, &s.users)
        .await
        .unwrap();
    assert_invariants(&s.db.url).await;
    drop(s.stores);
    s.db.drop_database().await;
}
