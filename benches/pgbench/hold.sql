-- PgStore::hold (booking-postgres/src/store.rs), one transaction: the
-- client extends its hold on its own seat (the rules always allow it, so
-- the script does not judge the row; see hotseat.sql for a script that
-- does). The first run takes the hold, every later one extends it.
--
-- Differences with the store, which change no plan: pgbench cannot
-- compute a timestamp, so the new held_until (the store's now + 300 s) is
-- computed in the UPDATE, and NULL parameters are written as NULL.
\set user :client_id + 1
\set event 2
\set seat 62 + :client_id
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
