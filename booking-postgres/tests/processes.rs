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
            created_by: None,
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

/// Best available through two stores at once, racing manual holds on the
/// seats it looks at first: every request is served (there is room), no
/// seat is given twice, each answer is seats together, and the database
/// holds exactly what was answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn best_available_across_two_stores_against_manual_holds() {
    let s = setup(48, "A-T:1-20:1000").await;
    let tasks: Vec<_> = s
        .users
        .iter()
        .enumerate()
        .map(|(i, &user)| {
            let store = Arc::clone(&s.stores[i % 2]);
            let (event, seats) = (s.event, s.seats.clone());
            tokio::spawn(async move {
                if i % 4 < 2 {
                    let count = 2 + u32::try_from(i % 5).unwrap();
                    let request = booking_core::BestAvailable::new(count);
                    let holds = store.best_available(user, event, &request).await;
                    let holds = holds.unwrap_or_else(|e| panic!("request {i} refused: {e:?}"));
                    assert_eq!(holds.len(), usize::try_from(count).unwrap());
                    assert!(
                        holds.windows(2).all(|w| w[0].seat.row == w[1].seat.row
                            && w[0].seat.number + 1 == w[1].seat.number),
                        "not together: {holds:?}"
                    );
                    (
                        user,
                        holds.into_iter().map(|h| h.seat.id).collect::<Vec<_>>(),
                    )
                } else {
                    // Seats of the front rows' middles, where best
                    // available looks first.
                    let mut got = Vec::new();
                    for k in 0..2 {
                        let seat = seats[(i * 3 + k * 21) % 80];
                        match store.hold(user, event, seat).await {
                            Ok(hold) => got.push(hold.seat.id),
                            Err(e) if e.conflicts().is_some() => {}
                            Err(e) => panic!("unexpected {e:?}"),
                        }
                    }
                    (user, got)
                }
            })
        })
        .collect();
    let mut granted = std::collections::HashMap::new();
    for task in tasks {
        let (user, seats) = task.await.unwrap();
        for seat in seats {
            assert!(
                granted.insert(seat, user).is_none(),
                "seat {seat} given twice"
            );
        }
    }
    for record in s.stores[0].seats(s.event).await.unwrap() {
        match (record.state, granted.get(&record.seat.id)) {
            (SeatState::Held { by, .. }, Some(&user)) => assert_eq!(by, user),
            (SeatState::Available, None) => {}
            other => panic!("seat {}: {other:?}", record.seat.label()),
        }
    }
    assert_invariants(&s.db.url).await;
    for store in &s.stores {
        store.pool().close();
    }
    drop(s.stores);
    s.db.drop_database().await;
}

/// A store that keeps an event's closed seats learns of a cancel made by
/// another process (`events.reopened`), and offers the seats again.
#[tokio::test]
async fn best_available_sees_seats_another_store_reopened() {
    let db = TestDatabase::create().await;
    let here = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let elsewhere = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    booking_core::testkit::best_available_sees_seats_reopened_elsewhere(&here, &elsewhere).await;
    assert_invariants(&db.url).await;
    here.pool().close();
    elsewhere.pool().close();
    drop((here, elsewhere));
    db.drop_database().await;
}

/// Best available on one store races with cancels, blocks and unblocks on
/// another store of the same database (another process), and still finds
/// every seat they open again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn best_available_follows_another_store_writes_while_they_race() {
    let db = TestDatabase::create().await;
    let here = Arc::new(
        PgStore::connect(&db.url, PgOptions::default())
            .await
            .unwrap(),
    );
    let elsewhere = Arc::new(
        PgStore::connect(&db.url, PgOptions::default())
            .await
            .unwrap(),
    );
    booking_core::testkit::best_available_follows_writes_elsewhere(&here, &elsewhere).await;
    assert_invariants(&db.url).await;
    here.pool().close();
    elsewhere.pool().close();
    drop((here, elsewhere));
    db.drop_database().await;
}
