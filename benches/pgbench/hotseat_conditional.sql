-- The hot seat with the alternative hold (hold_conditional.sql's single
-- conditional UPDATE): every client tries to hold seat 61; the one that
-- gets a row back releases it at once with a single conditional UPDATE
-- too, the others try again. So every run ends with the seat available.
-- run.sh counts the holds won from the seat updates (two per win).
\set user :client_id + 1
\set event 2
\set seat 61
\set won 0
UPDATE seats SET held_by = :user, held_since = now(), held_until = now() + interval '300 seconds'
    WHERE id = :seat AND event_id = :event AND reservation_id IS NULL
      AND (held_by IS NULL OR held_by = :user OR held_until <= now())
    RETURNING 1 AS won \aset
\if :won
UPDATE seats SET held_by = NULL, held_since = NULL, held_until = NULL
    WHERE id = :seat AND held_by = :user AND held_until > now();
\endif
