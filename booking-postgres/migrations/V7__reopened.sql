-- How many writes have opened seats of each event (a cancel, an unblock),
-- in all: a store that keeps an event's closed seats in memory reads them
-- again when it sees this grow (booking-postgres/src/occupancy.rs).
ALTER TABLE events ADD COLUMN reopened BIGINT NOT NULL DEFAULT 0;
