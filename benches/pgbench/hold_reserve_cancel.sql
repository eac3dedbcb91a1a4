-- PgStore::hold, reserve and cancel (booking-postgres/src/store.rs), three
-- transactions: the client holds its own seat, reserves it (no
-- idempotency key) and cancels the reservation, so every run ends with the
-- seat available. The hold is hold.sql's.
--
-- The store binds the seat ids as one BIGINT[] parameter; pgbench has no
-- array variables, so ARRAY[:seat::BIGINT] stands for it (one seat).
\set user :client_id + 1
\set event 2
\set seat 62 + :client_id
-- hold
BEGIN;
SELECT transaction_timestamp() \gset
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until, u.username
    FROM users u LEFT JOIN seats s ON s.id = :seat AND s.event_id = :event
    WHERE u.id = :user FOR UPDATE OF u;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until,
       (SELECT COUNT(*) FROM seats h
        WHERE h.event_id = s.event_id AND h.held_by = :user
          AND h.held_until > :transaction_timestamp AND h.id <> s.id)
    FROM seats s WHERE s.id = :seat AND s.event_id = :event FOR UPDATE OF s;
UPDATE seats SET reservation_id = NULL, held_by = :user, held_since = :transaction_timestamp::timestamptz, held_until = :transaction_timestamp::timestamptz + interval '300 seconds' WHERE id = :seat;
COMMIT;
-- reserve (reserve_in)
BEGIN;
SELECT transaction_timestamp() \gset
SELECT username FROM users WHERE id = :user FOR UPDATE;
SELECT 1 FROM events WHERE id = :event;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id = ANY(ARRAY[:seat::BIGINT]) AND s.event_id = :event ORDER BY s.id FOR UPDATE \gset seat_
INSERT INTO reservations (user_id, event_id, status, total_cents, created_at, idempotency_key)
    VALUES (:user, :event, 'confirmed', :seat_price_cents, :transaction_timestamp, NULL) RETURNING id \gset reservation_
INSERT INTO reservation_seats (reservation_id, seat_id, confirmed) VALUES (:reservation_id, :seat, TRUE);
UPDATE seats SET reservation_id = :reservation_id, held_by = NULL, held_since = NULL, held_until = NULL WHERE id = :seat;
SELECT r.user_id, r.event_id, e.name, r.status, r.total_cents, r.created_at, r.cancelled_at, r.idempotency_key
    FROM reservations r JOIN events e ON e.id = r.event_id WHERE r.id = :reservation_id;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id IN (SELECT seat_id FROM reservation_seats WHERE reservation_id = :reservation_id)
    ORDER BY s.row_index, s.number;
COMMIT;
-- cancel
BEGIN;
SELECT transaction_timestamp() \gset
SELECT 1 FROM reservations WHERE id = :reservation_id FOR UPDATE;
SELECT r.user_id, r.event_id, e.name, r.status, r.total_cents, r.created_at, r.cancelled_at, r.idempotency_key
    FROM reservations r JOIN events e ON e.id = r.event_id WHERE r.id = :reservation_id;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id IN (SELECT seat_id FROM reservation_seats WHERE reservation_id = :reservation_id)
    ORDER BY s.row_index, s.number;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id = ANY(ARRAY[:seat::BIGINT]) ORDER BY s.id FOR UPDATE;
UPDATE reservations SET status = 'cancelled', cancelled_at = :transaction_timestamp WHERE id = :reservation_id;
UPDATE reservation_seats SET confirmed = NULL WHERE reservation_id = :reservation_id;
UPDATE seats SET reservation_id = NULL, held_by = NULL, held_since = NULL, held_until = NULL WHERE id = :seat;
SELECT r.user_id, r.event_id, e.name, r.status, r.total_cents, r.created_at, r.cancelled_at, r.idempotency_key
    FROM reservations r JOIN events e ON e.id = r.event_id WHERE r.id = :reservation_id;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id IN (SELECT seat_id FROM reservation_seats WHERE reservation_id = :reservation_id)
    ORDER BY s.row_index, s.number;
COMMIT;
