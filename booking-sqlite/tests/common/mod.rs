//! Checks of the API's invariants made with SQL straight on a database file,
//! apart from the store's own code.

use std::path::Path;

use rusqlite::Connection;

/// Each query lists rows that break an invariant; all must be empty.
const VIOLATIONS: [(&str, &str); 5] = [
    (
        "1: a seat in two confirmed reservations",
        "SELECT seat_id FROM reservation_seats WHERE confirmed = 1
         GROUP BY seat_id HAVING COUNT(*) > 1",
    ),
    (
        "2: a confirmed reservation's seat not reserved by it, or of another event",
        "SELECT rs.seat_id FROM reservation_seats rs
         JOIN reservations r ON r.id = rs.reservation_id JOIN seats s ON s.id = rs.seat_id
         WHERE r.status = 'confirmed'
           AND (s.reservation_id IS NOT r.id OR s.event_id <> r.event_id OR rs.confirmed IS NOT 1)",
    ),
    (
        "2: a reserved seat whose reservation is not confirmed or does not list it",
        "SELECT s.id FROM seats s
         LEFT JOIN reservations r ON r.id = s.reservation_id
         LEFT JOIN reservation_seats rs ON rs.reservation_id = s.reservation_id AND rs.seat_id = s.id
         WHERE s.reservation_id IS NOT NULL AND (r.status IS NOT 'confirmed' OR rs.seat_id IS NULL)",
    ),
    (
        "4: a cancelled reservation still holding a seat",
        "SELECT rs.seat_id FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
         WHERE r.status = 'cancelled' AND rs.confirmed IS NOT NULL",
    ),
    (
        "4: a reservation without seats, or whose total is not its seats' sum",
        "SELECT r.id FROM reservations r
         LEFT JOIN reservation_seats rs ON rs.reservation_id = r.id
         LEFT JOIN seats s ON s.id = rs.seat_id
         GROUP BY r.id HAVING COUNT(s.id) = 0 OR SUM(s.price_cents) <> r.total_cents",
    ),
];

/// Checks every invariant on the file at `path`; panics naming the broken one.
pub fn assert_invariants(path: &Path) {
    let conn = Connection::open(path).expect("open the file for checking");
    for (what, sql) in VIOLATIONS {
        let mut stmt = conn.prepare(sql).expect(what);
        let bad: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .expect(what)
            .collect::<Result<_, _>>()
            .expect(what);
        assert!(bad.is_empty(), "invariant {what}: {bad:?}");
    }
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let foreign_keys: Option<String> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .ok();
    assert_eq!(foreign_keys, None, "foreign keys hold");
}
