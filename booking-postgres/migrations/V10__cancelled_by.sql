-- Who cancelled a reservation (its owner, or staff) and, when staff did,
-- why: its customer reads both. Reservations cancelled before were
-- cancelled by their owners.
ALTER TABLE reservations ADD COLUMN cancelled_by BIGINT REFERENCES users (id);
ALTER TABLE reservations ADD COLUMN cancel_reason TEXT;
UPDATE reservations SET cancelled_by = user_id WHERE status = 'cancelled';
