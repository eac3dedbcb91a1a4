-- The data of the pgbench scripts, applied after the store's own schema
-- (booking-postgres/migrations/V1__initial.sql) by run.sh: the same events,
-- seats and users benches/benches/postgres.rs creates, with the ids they get
-- there, written out so the scripts can name them.
--
-- pgbench client c (`:client_id`, from 0) is user c + 1 and holds seat
-- 62 + c of event 2; seat 61 is the hot seat all clients fight over.

-- Users 1 to 64, one per client.
INSERT INTO users (id, username, password_hash)
SELECT u, 'bench' || (u - 1), 'hash' FROM generate_series(1, 64) AS u;

INSERT INTO events (id, name, venue, starts_at) VALUES
    (1, '6x10', 'Hall', now()),
    (2, '7x10', 'Hall', now()),
    (3, '100x100', 'Hall', now());

-- Seats numbered by event, then row (from 0, row A), then number (from 1),
-- as the store inserts them; every seat 100.00.
-- Event 1, 6 × 10: seats 1 to 60, only read (the 60-seat map).
INSERT INTO seats (id, event_id, row_index, number, price_cents)
SELECT r * 10 + n, 1, r, n, 10000
FROM generate_series(0, 5) AS r, generate_series(1, 10) AS n;
-- Event 2, 7 × 10: seats 61 to 130; 61 is the hot seat, 62 to 125 the
-- clients' own seats.
INSERT INTO seats (id, event_id, row_index, number, price_cents)
SELECT 60 + r * 10 + n, 2, r, n, 10000
FROM generate_series(0, 6) AS r, generate_series(1, 10) AS n;
-- Event 3, 100 × 100: seats 131 to 10130, only read (the 10,000-seat map).
INSERT INTO seats (id, event_id, row_index, number, price_cents)
SELECT 130 + r * 100 + n, 3, r, n, 10000
FROM generate_series(0, 99) AS r, generate_series(1, 100) AS n;

-- A session per user, as booking-server looks one up for every request
-- (churn.sql); stored, as the store keeps it, as its id's SHA-256 in hex.
INSERT INTO sessions (id_sha256, user_id, expires_at)
SELECT encode(sha256(('session' || u)::bytea), 'hex'), u, now() + interval '1 day'
FROM generate_series(1, 64) AS u;

-- The identity columns carry on after the fixed ids, should anything
-- insert more.
SELECT setval(pg_get_serial_sequence('users', 'id'), 64);
SELECT setval(pg_get_serial_sequence('events', 'id'), 3);
SELECT setval(pg_get_serial_sequence('seats', 'id'), 10130);

ANALYZE;
