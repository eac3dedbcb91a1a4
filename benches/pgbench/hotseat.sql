-- The hot seat with the store's SQL as it was before a hold learned to
-- refuse a seat already someone else's from an unlocked read, taken with
-- the user's lock: here every client queues for the seat's lock.
-- Every client tries to hold seat 61
-- with PgStore::hold (hold.sql's transaction); whoever gets it releases it
-- at once (PgStore::release), the others roll back (seat_locked), and all
-- try again. So every run ends with the seat available.
--
-- Unlike the Rust bench's rounds, clients do not wait for each other: a
-- loser tries again at once. run.sh counts the holds won from the seat
-- updates (two per win).
--
-- The store judges the locked seat row in Rust (booking_core::rules::hold).
-- pgbench reads a NULL column as an empty string it cannot test, so the
-- same judgement rides along as one more column of that SELECT, may_hold:
-- not reserved, and free, its hold ended, or held by this user. Then the
-- per-user limit (10) applies to the COUNT.
\set user :client_id + 1
\set event 2
\set seat 61
-- hold
BEGIN;
SELECT transaction_timestamp() \gset
SELECT username FROM users WHERE id = :user FOR UPDATE;
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until,
       (SELECT COUNT(*) FROM seats h
        WHERE h.event_id = s.event_id AND h.held_by = :user
          AND h.held_until > :transaction_timestamp AND h.id <> s.id) AS count,
       s.reservation_id IS NULL AND (s.held_until IS NULL OR s.held_until <= :transaction_timestamp OR s.held_by = :user) AS may_hold
    FROM seats s WHERE s.id = :seat AND s.event_id = :event FOR UPDATE OF s \gset
\if :may_hold AND :count < 10
UPDATE seats SET reservation_id = NULL, held_by = :user, held_since = :transaction_timestamp::timestamptz, held_until = :transaction_timestamp::timestamptz + interval '300 seconds' WHERE id = :seat;
COMMIT;
-- release
BEGIN;
SELECT transaction_timestamp();
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id = :seat AND s.event_id = :event FOR UPDATE;
UPDATE seats SET reservation_id = NULL, held_by = NULL, held_since = NULL, held_until = NULL WHERE id = :seat;
COMMIT;
\else
ROLLBACK;
\endif
