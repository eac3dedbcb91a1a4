//! Migration 5 makes each event of a database written before venues
//! existed exactly what `Venue::from_seat_map` makes of its seat map, holds
//! and reservations included.

use booking_core::{
    AccountStore, BookingStore, EventId, NewEvent, OrphanPolicy, SeatMap, SeatState,
};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};

mod embedded {
    // The crate's own migrations, to build a database as an older version
    // of the program left it.
    refinery::embed_migrations!("migrations");
}

/// Two prices, a gap in row A, and a row past Z.
const MAP: &str = "A:1-3:10000,A:5-6:10000,B-C:1-6:5000,AA:2-4:7500";

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

/// Reserves A2 and B3 for `ann`, reserves and cancels A1, blocks B5 and
/// B6 and unblocks B5.
async fn reserve_cancel_and_block(store: &PgStore, event: EventId, ann: booking_core::UserId) {
    let seats = store.seats(event).await.unwrap();
    let (a2, b3) = (seats[1].seat.id, seats[7].seat.id);
    store.hold(ann, event, a2).await.unwrap();
    store.hold(ann, event, b3).await.unwrap();
    let kept = store.reserve(ann, event, &[a2, b3], None).await.unwrap();
    assert_eq!(kept.seat_labels(), ["A2", "B3"]);
    store.hold(ann, event, seats[0].seat.id).await.unwrap();
    let cancelled = store
        .reserve(ann, event, &[seats[0].seat.id], None)
        .await
        .unwrap();
    store.cancel(ann, cancelled.id).await.unwrap();
    store
        .block(event, &[seats[9].seat.id, seats[10].seat.id], "house")
        .await
        .unwrap();
    store.unblock(event, &[seats[9].seat.id]).await.unwrap();
}

#[tokio::test]
async fn events_from_before_venues_become_what_their_seat_maps_make() {
    let db = TestDatabase::create().await;
    let map: SeatMap = MAP.parse().unwrap();
    let (client, driver) = database_before_venues(&db.url, &map).await;

    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let old = EventId::new(1);
    let fresh = store
        .create_event(NewEvent {
            name: "New".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: map.clone().into(),
            orphans: OrphanPolicy::Allow,
        })
        .await
        .unwrap();
    let seats = async |event| {
        store
            .seats(event)
            .await
            .unwrap()
            .into_iter()
            .map(|mut r| {
                (r.seat.id, r.seat.event) = (booking_core::SeatId::new(0), EventId::new(0));
                r.seat
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(seats(old).await, seats(fresh.event.id).await);
    let listed = store.seats(old).await.unwrap();
    assert!(matches!(listed[0].state, SeatState::Held { .. }));
    assert_eq!(listed[5].seat.label(), "B1");
    assert!(matches!(listed[5].state, SeatState::Reserved { .. }));

    let summary = store.event(old).await.unwrap();
    let mut expected = fresh.categories.clone();
    expected[0].seats.held = 1; // $100.00: A1
    expected[0].seats.available -= 1;
    expected[2].seats.reserved = 1; // $50.00: B1
    expected[2].seats.available -= 1;
    assert_eq!(summary.categories, expected);
    let ann = store.credentials("ann").await.unwrap().unwrap().user.id;
    assert_eq!(
        store.reservations(ann).await.unwrap()[0].seat_labels(),
        ["B1"]
    );

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
