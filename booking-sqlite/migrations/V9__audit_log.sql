-- The audit log: who did what, when, to which event, reservation and seats,
-- and why. Each record is written in the transaction of the change it
-- records. It is append-only: the triggers refuse to change or delete a
-- record, and ids are never reused (AUTOINCREMENT).
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Microseconds since the epoch, as every instant here.
    at             INTEGER NOT NULL,
    actor_id       INTEGER NOT NULL REFERENCES users (id),
    action         TEXT    NOT NULL,
    event_id       INTEGER NOT NULL REFERENCES events (id),
    reservation_id INTEGER REFERENCES reservations (id),
    -- The seats' labels, one a line (a label has no control character).
    seats          TEXT    NOT NULL,
    reason         TEXT    NOT NULL
);
CREATE INDEX audit_log_by_event ON audit_log (event_id, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
