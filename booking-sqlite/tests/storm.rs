//! A storm: many tasks holding, reserving, releasing and cancelling at random
//! on one small event of a SQLite file; then the invariants are checked with
//! SQL on the file itself, and through the store.

mod common;

use std::sync::Arc;
use std::time::Duration;

use booking_core::testkit::check_invariants;
use booking_core::{
    AccountStore, BookingStore, Clock, Error, ManualClock, NewEvent, Policy, SeatState, Username,
};
use booking_sqlite::{SqliteOptions, SqliteStore};

const TASKS: u64 = 16;
const OPS: usize = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn storm_keeps_the_invariants_on_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("storm.db");
    let clock = ManualClock::default();
    let options = SqliteOptions::default()
        .with_clock(clock.clone())
        .with_policy(Policy::default().with_max_seats_per_user(3));
    let store = Arc::new(SqliteStore::open(&path, options).unwrap());
    let event = store
        .create_event(NewEvent {
            name: "Storm".into(),
            venue: "Hall".into(),
            starts_at: clock.now(),
            seat_map: "A-B:1-6:2500".parse().unwrap(),
        })
        .await
        .unwrap()
        .event
        .id;
    let seats: Vec<_> = store
        .seats(event)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seat.id)
        .collect();
    let mut users = Vec::new();
    for i in 0..TASKS {
        let name = Username::new(format!("storm{i}")).unwrap();
        users.push(store.create_user(&name, "hash").await.unwrap().id);
    }

    let tasks: Vec<_> = users
        .iter()
        .zip(1..)
        .map(|(&user, seed)| {
            let (store, seats, clock) = (Arc::clone(&store), seats.clone(), clock.clone());
            tokio::spawn(async move {
                let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ seed;
                let mut next = move |n: usize| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    usize::try_from(rng % n as u64).unwrap()
                };
                let mut confirmed = Vec::new();
                for _ in 0..OPS {
                    let seat = seats[next(seats.len())];
                    let outcome = match next(10) {
                        0..=3 => store.hold(user, event, seat).await.map(drop),
                        4 => store.release(user, event, seat).await,
                        5..=7 => {
                            let mine: Vec<_> = store
                                .seats(event)
                                .await
                                .unwrap()
                                .into_iter()
                                .filter(
                                    |r| matches!(r.state, SeatState::Held { by, .. } if by == user),
                                )
                                .map(|r| r.seat.id)
                                .collect();
                            let ask = if mine.is_empty() { vec![seat] } else { mine };
                            store
                                .reserve(user, event, &ask, None)
                                .await
                                .map(|r| confirmed.push(r.id))
                        }
                        8 => match confirmed.pop() {
                            Some(id) => store.cancel(user, id).await.map(drop),
                            None => Ok(()),
                        },
                        _ => {
                            clock.advance(Duration::from_secs(45));
                            Ok(())
                        }
                    };
                    match outcome {
                        Ok(()) | Err(Error::HoldLimit { .. }) => {}
                        Err(e) if e.conflicts().is_some() => {}
                        Err(e) => panic!("unexpected error {e:?}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    check_invariants(&*store, event, &users).await.unwrap();
    let reservations: i64 = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row("SELECT COUNT(*) FROM reservations", [], |r| r.get(0))
            .unwrap()
    };
    assert!(reservations > 0, "the storm reserved something");
    drop(store);
    common::assert_invariants(&path);
}
