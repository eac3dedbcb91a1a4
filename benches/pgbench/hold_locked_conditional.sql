-- The correct middle way between hold.sql and hold_conditional.sql: in one
-- transaction, lock the user's row (serializing the user's holds, as the
-- store does), then take the seat with one conditional UPDATE whose WHERE
-- also checks the per-user limit (10). Under READ COMMITTED the UPDATE's
-- snapshot is taken after the user's lock is granted, so the count sees
-- every hold of this user that committed before: the limit holds.
--
-- What it gives up against the store: when no row comes back, the reason
-- (no such seat, reserved, held by another, the limit) needs another read,
-- and the rules live in SQL as well as in booking_core::rules.
\set user :client_id + 1
\set event 2
\set seat 62 + :client_id
BEGIN;
SELECT username FROM users WHERE id = :user FOR UPDATE;
UPDATE seats SET held_by = :user, held_since = now(), held_until = now() + interval '300 seconds'
    WHERE id = :seat AND event_id = :event AND reservation_id IS NULL
      AND (held_by IS NULL OR held_by = :user OR held_until <= now())
      AND (SELECT COUNT(*) FROM seats h
           WHERE h.event_id = :event AND h.held_by = :user
             AND h.held_until > now() AND h.id <> :seat) < 10
    RETURNING id, held_until;
COMMIT;
