//! A storm: many tasks holding, reserving, releasing and cancelling at random
//! on one small event of a SQLite file; then the invariants are checked with
//! SQL on the file itself, and through the store.

mod common;

use std::sync::Arc;

use booking_core::testkit::{check_invariants, storm};
use booking_core::{AccountStore, BookingStore, Clock, ManualClock, NewEvent, Policy, Username};
use booking_sqlite::{SqliteOptions, SqliteStore};

const TASKS: usize = 16;
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
            description: String::new(),
            venue: "Hall".into(),
            starts_at: clock.now(),
            seating: "A-B:1-6:2500".parse().unwrap(),
            orphans: booking_core::OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .unwrap()
        .event
        .id;
    let mut users = Vec::new();
    for i in 0..TASKS {
        let name = Username::new(format!("storm{i}")).unwrap();
        users.push(store.create_user(&name, "hash").await.unwrap().id);
    }
    storm(&[Arc::clone(&store)], event, &users, OPS, Some(&clock)).await;

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
