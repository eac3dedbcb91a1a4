-- The audit log: who did what, when, to which event, reservation and seats,
-- and why. Each record is written in the transaction of the change it
-- records. It is append-only: the trigger refuses to change or delete a
-- record (TRUNCATE too).
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    actor_id       BIGINT      NOT NULL REFERENCES users (id),
    action         TEXT        NOT NULL,
    event_id       BIGINT      NOT NULL REFERENCES events (id),
    reservation_id BIGINT      REFERENCES reservations (id),
    -- The seats' labels.
    seats          TEXT[]      NOT NULL,
    reason         TEXT        NOT NULL
);
CREATE INDEX audit_log_by_event ON audit_log (event_id, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
