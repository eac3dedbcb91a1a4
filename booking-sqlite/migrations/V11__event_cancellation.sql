-- An event staff cancelled: when, by whom and why. Its reservations are
-- cancelled with it, each as a staff cancel with that reason.
ALTER TABLE events ADD COLUMN cancelled_at INTEGER;
ALTER TABLE events ADD COLUMN cancelled_by INTEGER REFERENCES users (id);
ALTER TABLE events ADD COLUMN cancel_reason TEXT;

-- The audit log's actor and event become optional (an event created, or a
-- role changed, from the server's command line has no actor; a role
-- change has no event), and a record may name the user whose role it
-- changed. SQLite cannot drop a NOT NULL, so the table is made anew with
-- every record and id as they were (nothing else refers to it), and its
-- triggers again. The id sequence goes on from where it was.
CREATE TABLE audit_log_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Microseconds since the epoch, as every instant here.
    at             INTEGER NOT NULL,
    actor_id       INTEGER REFERENCES users (id),
    action         TEXT    NOT NULL,
    event_id       INTEGER REFERENCES events (id),
    reservation_id INTEGER REFERENCES reservations (id),
    -- The seats' labels, one a line (a label has no control character).
    seats          TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    -- The user whose role a `set_staff` record changed.
    user_id        INTEGER REFERENCES users (id)
);
INSERT INTO audit_log_new (id, at, actor_id, action, event_id, reservation_id, seats, reason)
    SELECT id, at, actor_id, action, event_id, reservation_id, seats, reason FROM audit_log;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'audit_log_new', seq FROM sqlite_sequence WHERE name = 'audit_log'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_log_new');
UPDATE sqlite_sequence
    SET seq = MAX(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'))
    WHERE name = 'audit_log_new';
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
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
