//! Migration 5 makes each event of a database written before venues
//! existed exactly what `Venue::from_seat_map` makes of its seat map, holds
//! and reservations included.

use booking_core::testkit::migrated::{
    SEAT_MAP, check_migrated_event, new_event, reserve_cancel_and_block,
};
use booking_core::{BookingStore, EventId, SeatMap};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};

mod embedded {
    // The crate's own migrations, to build a database as an older version
    // of the program left it.
    refinery::embed_migrations!("migrations");
}

/// Each seat's place, label, category and rank, as stored, by id.
async fn layout(client: &tokio_postgres::Client, event: i64) -> Vec<String> {
    client
        .query(
            "SELECT format('%s %s %s %s %s %s %s %s', section, line, row_index, run, place,
                           label, category, rank)
             FROM seats WHERE event_id = $1 ORDER BY id",
            &[&event],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A database at schema version 4 (before venues) with event 1 on `map`,
/// its first seat held by user 1 and its sixth reserved by them; and the
/// connection that made it, with its driver.
async fn database_before_venues(
    url: &str,
    map: &SeatMap,
) -> (
    tokio_postgres::Client,
    tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
) {
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(4))
        .run_async(&mut client)
        .await
        .unwrap();
    let total = i32::try_from(map.len()).unwrap();
    client
        .execute(
            "INSERT INTO users (id, username, password_hash) VALUES (1, 'ann', 'hash')",
            &[],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO events (id, name, venue, starts_at, total_seats)
             VALUES (1, 'Old', 'Hall', now(), $1)",
            &[&total],
        )
        .await
        .unwrap();
    for (id, spec) in (1i64..).zip(map.seats()) {
        let row = i32::try_from(spec.row.index()).unwrap();
        let number = i32::try_from(spec.number).unwrap();
        client
            .execute(
                "INSERT INTO seats (id, event_id, row_index, number, price_cents)
                 VALUES ($1, 1, $2, $3, $4)",
                &[&id, &row, &number, &spec.price_cents],
            )
            .await
            .unwrap();
    }
    // A1 held by ann, B1 (the sixth seat) reserved by her.
    client
        .batch_execute(
            "UPDATE seats SET held_by = 1, held_since = now(), held_until = now() + INTERVAL '1 day'
                 WHERE id = 1;
             INSERT INTO reservations (id, user_id, event_id, status, total_cents, created_at)
                 VALUES (1, 1, 1, 'confirmed', 5000, now());
             INSERT INTO reservation_seats (reservation_id, seat_id, confirmed) VALUES (1, 6, TRUE);
             UPDATE seats SET reservation_id = 1 WHERE id = 6;
             SELECT setval(pg_get_serial_sequence('seats', 'id'), 100);
             SELECT setval(pg_get_serial_sequence('events', 'id'), 100);
             SELECT setval(pg_get_serial_sequence('users', 'id'), 100);
             SELECT setval(pg_get_serial_sequence('reservations', 'id'), 100);",
        )
        .await
        .unwrap();

    (client, driver)
}

#[tokio::test]
async fn events_from_before_venues_become_what_their_seat_maps_make() {
    let db = TestDatabase::create().await;
    let map: SeatMap = SEAT_MAP.parse().unwrap();
    let (client, driver) = database_before_venues(&db.url, &map).await;

    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let old = EventId::new(1);
    let fresh = store.create_event(new_event(&map)).await.unwrap();
    let ann = check_migrated_event(&store, old, &fresh).await;

    assert_eq!(
        layout(&client, 1).await,
        layout(&client, fresh.event.id.get()).await
    );
    // Every kind of write that changes `event_rows` (reserve, cancel,
    // block, unblock) keeps it true to the seats, as the invariants check.
    reserve_cancel_and_block(&store, fresh.event.id, ann).await;
    assert_invariants(&db.url).await;
    drop(client);
    let _ = driver.await;
    store.pool().close();
    drop(store);
    db.drop_database().await;
}
