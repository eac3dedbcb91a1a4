//! Migration 5 makes each event of a database written before venues
//! existed exactly what `Venue::from_seat_map` makes of its seat map, holds
//! and reservations included; and every write keeps `event_rows` (which
//! seats of each row are reserved or blocked) true to the seats.

use booking_core::testkit::migrated::{
    SEAT_MAP, check_migrated_event, new_event, reserve_cancel_and_block,
};
use booking_core::{BookingStore, EventId, SeatMap};
use booking_sqlite::{SqliteOptions, SqliteStore};
use rusqlite::Connection;
use std::sync::Arc;

mod embedded {
    // The crate's own migrations, to build a database as an older version
    // of the program left it.
    refinery::embed_migrations!("migrations");
}

/// Far in the future, in microseconds (the year 2096).
const LATER: i64 = 4_000_000_000_000_000;

/// Each seat's place, label, category and rank, as stored, by id.
fn layout(conn: &Connection, event: i64) -> Vec<String> {
    conn.prepare(
        "SELECT format('%d %d %d %d %d %s %d %d', section, line, row_index, run, place, label,
                       category, rank)
         FROM seats WHERE event_id = ?1 ORDER BY id",
    )
    .unwrap()
    .query_map([event], |r| r.get(0))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// The rows whose `event_rows` entry is not what their seats say (see
/// migration 5): none, if every write keeps it.
fn stale_event_rows(conn: &Connection) -> Vec<String> {
    conn.prepare(
        "SELECT r.event_id || ' ' || r.section || ' ' || r.line || ': ' || r.closed
         FROM event_rows r
         WHERE (r.closed, r.closed_seats) IS NOT (
             SELECT group_concat(CASE WHEN reservation_id IS NULL AND blocked_reason IS NULL
                                      THEN '0' ELSE '1' END, '' ORDER BY run, place),
                    SUM(reservation_id IS NOT NULL OR blocked_reason IS NOT NULL)
             FROM seats s
             WHERE s.event_id = r.event_id AND s.section = r.section AND s.line = r.line)
         OR (SELECT COUNT(*) FROM event_rows) <>
            (SELECT COUNT(*) FROM (SELECT DISTINCT event_id, section, line FROM seats))",
    )
    .unwrap()
    .query_map([], |r| r.get(0))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// A database at schema version 4 (before venues) with event 1 on `map`,
/// its first seat held by user 1 (ann) and its sixth reserved by her.
fn database_before_venues(path: &std::path::Path, map: &SeatMap) {
    let mut conn = Connection::open(path).unwrap();
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

#[tokio::test]
async fn events_from_before_venues_become_what_their_seat_maps_make() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booking.db");
    let map: SeatMap = SEAT_MAP.parse().unwrap();
    database_before_venues(&path, &map);

    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let old = EventId::new(1);
    let fresh = store.create_event(new_event(&map)).await.unwrap();
    let ann = check_migrated_event(&store, old, &fresh).await;

    // Reserve, cancel and block on the new event: each keeps `event_rows`.
    reserve_cancel_and_block(&store, fresh.event.id, ann).await;
    drop(store);

    let conn = Connection::open(&path).unwrap();
    assert_eq!(stale_event_rows(&conn), Vec::<String>::new());
    let closed: Vec<String> = conn
        .prepare("SELECT closed FROM event_rows WHERE event_id = 1 ORDER BY line")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        closed,
        ["00000", "100000", "000000", "000"],
        "B1 is reserved"
    );
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

/// The writer keeps each event's closed seats, and learns of a cancel made
/// by another process on the same file (`PRAGMA data_version`): best
/// available offers the seats again.
#[tokio::test]
async fn best_available_sees_seats_another_process_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booking.db");
    let here = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let elsewhere = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    booking_core::testkit::best_available_sees_seats_reopened_elsewhere(&here, &elsewhere).await;
}

/// Best available on one store races with cancels, blocks and unblocks on
/// another store of the same file (another process), and still finds every
/// seat they open again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn best_available_follows_another_process_writes_while_they_race() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booking.db");
    let here = Arc::new(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    let elsewhere = Arc::new(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    booking_core::testkit::best_available_follows_writes_elsewhere(&here, &elsewhere).await;
}
