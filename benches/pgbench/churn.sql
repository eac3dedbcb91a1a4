-- What booking-server sends to PostgreSQL for one pair of requests of
-- booking-load's churn scenario: POST .../lock/ then POST .../unlock/, each
-- looking its session up (PgStore::session) before the hold or release.
-- Unlike booking-load's users, each client has its own seat (no 409s), so
-- this is the ceiling of the same SQL at the same concurrency.
\set user :client_id + 1
\set event 2
\set seat 62 + :client_id
-- lock: the session, then the hold
SELECT u.id, u.username, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id_sha256 = encode(sha256(('session' || :user)::bytea), 'hex')
      AND s.expires_at > COALESCE(NULL, transaction_timestamp());
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
-- unlock: the session, then the release
SELECT u.id, u.username, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id_sha256 = encode(sha256(('session' || :user)::bytea), 'hex')
      AND s.expires_at > COALESCE(NULL, transaction_timestamp());
BEGIN;
SELECT transaction_timestamp();
SELECT s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until FROM seats s WHERE s.id = :seat AND s.event_id = :event FOR UPDATE;
UPDATE seats SET reservation_id = NULL, held_by = NULL, held_since = NULL, held_until = NULL WHERE id = :seat;
COMMIT;
