-- The alternative hold: one conditional UPDATE, in its own implicit
-- transaction, instead of hold.sql's transaction of nine statements. The
-- client takes or extends its hold on its own seat; no row comes back when
-- the seat is reserved or held by someone else.
--
-- Alone it cannot enforce the per-user hold limit under READ COMMITTED:
-- a COUNT of the user's holds in the WHERE clause sees the snapshot taken
-- when the statement started, so two of the user's holds on different
-- seats running at once both see the old count and both succeed. That is
-- why the store locks the user's row first (FOR UPDATE), which serializes
-- one user's holds.
\set user :client_id + 1
\set event 2
\set seat 62 + :client_id
UPDATE seats SET held_by = :user, held_since = now(), held_until = now() + interval '300 seconds'
    WHERE id = :seat AND event_id = :event AND reservation_id IS NULL
      AND (held_by IS NULL OR held_by = :user OR held_until <= now())
    RETURNING id, held_until;
