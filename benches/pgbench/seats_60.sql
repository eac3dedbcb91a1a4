-- PgStore::seats (booking-postgres/src/store.rs), one read transaction:
-- the seat map of event 1 (60 seats), every row (indexes 0 to 18277, A to
-- ZZZ), as the store asks for it.
\set event 1
\set first_row 0
\set last_row 18277
BEGIN;
SELECT transaction_timestamp();
SELECT 1 FROM events WHERE id = :event;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.event_id = :event AND s.row_index BETWEEN :first_row AND :last_row ORDER BY s.row_index, s.number;
COMMIT;
