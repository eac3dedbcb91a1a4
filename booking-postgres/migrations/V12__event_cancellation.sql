-- An event staff cancelled: when, by whom and why. Its reservations are
-- cancelled with it, each as a staff cancel with that reason.
ALTER TABLE events
    ADD COLUMN cancelled_at  TIMESTAMPTZ,
    ADD COLUMN cancelled_by  BIGINT REFERENCES users (id),
    ADD COLUMN cancel_reason TEXT;

-- The audit log's actor and event become optional (an event created, or a
-- role changed, from the server's command line has no actor; a role
-- change has no event), and a record may name the user whose role it
-- changed.
ALTER TABLE audit_log
    ALTER COLUMN actor_id DROP NOT NULL,
    ALTER COLUMN event_id DROP NOT NULL,
    ADD COLUMN user_id BIGINT REFERENCES users (id);
