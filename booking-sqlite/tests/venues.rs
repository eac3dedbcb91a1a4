//! Migration 5 makes each event of a database written before venues
//! existed exactly what `Venue::from_seat_map` makes of its seat map, holds
//! and reservations included.

use booking_core::{
    AccountStore, BookingStore, EventId, NewEvent, OrphanPolicy, SeatMap, SeatState,
};
use booking_sqlite::{SqliteOptions, SqliteStore};
use rusqlite::Connection;

mod embedded {
    // The crate's own migrations, to build a database as an older version
    // of the program left it.
    refinery::embed_migrations!("migrations");
}

/// Two prices, a gap in row A, and a row past Z.
const MAP: &str = "A:1-3:10000,A:5-6:10000,B-C:1-6:5000,AA:2-4:7500";

/// Far in the future, in microseconds (the year 2096).
const LATER: i64 = 4_000_000_000_000_000;

/// Each seat's place, label, category and rank, as stored, by id.
fn layout(conn: &Connection, event: i64) -> Vec<String> {
    conn.prepare(
        "SELECT format('%d %d %d %d %d %s %d %d', section, line, row, run, place, label,
                       category, rank)
         FROM seats WHERE event_id = ?1 ORDER BY id",
    )
    .unwrap()
    .query_map([event], |r| r.get(0))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

#[tokio::test]
async fn events_from_before_venues_become_what_their_seat_maps_make() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booking.db");
    let map: SeatMap = MAP.parse().unwrap();
    {
        let mut conn = Connection::open(&path).unwrap();
        embedded::migrations::runner()
            .set_target(refinery::Target::Version(4))
            .run(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, username, password_hash) VALUES (1, 'ann', 'hash');",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events (id, name, venue, starts_at, total_seats) VALUES (1, 'Old', 'Hall', 0, ?1)",
            [i64::try_from(map.len()).unwrap()],
        )
        .unwrap();
        for spec in map.seats() {
            conn.execute(
                "INSERT INTO seats (event_id, row, number, price_cents) VALUES (1, ?1, ?2, ?3)",
                rusqlite::params![spec.row.index(), spec.number, spec.price_cents],
            )
            .unwrap();
        }
        // A1 held by ann, B1 (the sixth seat) reserved by her.
        conn.execute_batch(&format!(
            "UPDATE seats SET held_by = 1, held_since = 0, held_until = {LATER} WHERE id = 1;
             INSERT INTO reservations (id, user_id, event_id, status, total_cents, created_at)
                 VALUES (1, 1, 1, 'confirmed', 5000, 0);
             INSERT INTO reservation_seats (reservation_id, seat_id, confirmed) VALUES (1, 6, 1);
             UPDATE seats SET reservation_id = 1 WHERE id = 6;"
        ))
        .unwrap();
    }

    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
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
    let seats = |event| {
        let store = store.clone();
        async move {
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
        }
    };
    assert_eq!(seats(old).await, seats(fresh.event.id).await);
    let listed = store.seats(old).await.unwrap();
    assert!(matches!(listed[0].state, SeatState::Held { .. }));
    assert_eq!(listed[5].seat.label(), "B1");
    assert!(matches!(listed[5].state, SeatState::Reserved { .. }));

    let summary = store.event(old).await.unwrap();
    assert_eq!(summary.categories, {
        let mut categories = fresh.categories.clone();
        categories[2].seats.reserved = 1; // $50.00
        categories[2].seats.available -= 1;
        categories[0].seats.held = 1;
        categories[0].seats.available -= 1;
        categories
    });
    assert_eq!(
        (
            summary.available_seats,
            summary.held_seats,
            summary.reserved_seats
        ),
        (fresh.total_seats - 2, 1, 1)
    );
    let ann = store.credentials("ann").await.unwrap().unwrap().user.id;
    let reservations = store.reservations(ann).await.unwrap();
    assert_eq!(reservations[0].seat_labels(), ["B1"]);
    drop(store);

    let conn = Connection::open(&path).unwrap();
    assert_eq!(layout(&conn, 1), layout(&conn, fresh.event.id.get()));
    let problems: Vec<String> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}
