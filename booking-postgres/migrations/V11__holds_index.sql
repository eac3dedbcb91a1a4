-- A user's holds in an event, and an event's live holds, found by index
-- conditions on all their terms (`held_until` too). With `seats_by_holder`
-- on (event_id, held_by) alone, the planner could not tell it from
-- `seats_taken`, whose condition a hold's implies as well, and took that
-- one: every hold and every best available then read every taken seat of
-- the event (6,420 of them, 1.1-1.6 ms of the database's time per query,
-- eight seconds into a stadium's on-sale), more as the sale went on.
DROP INDEX seats_by_holder;
CREATE INDEX seats_by_holder ON seats (event_id, held_by, held_until) WHERE held_by IS NOT NULL;
