-- Seat counts without reading every seat of an event (an events list of a
-- 100,000-seat event read all of them): the total is kept with the event
-- (a seat map never changes once created), reserved seats are counted
-- through a partial index, and live holds through seats_by_holder.
ALTER TABLE events ADD COLUMN total_seats INTEGER NOT NULL DEFAULT 0;
UPDATE events SET total_seats = (SELECT COUNT(*) FROM seats WHERE seats.event_id = events.id);
CREATE INDEX seats_reserved_by_event ON seats (event_id) WHERE reservation_id IS NOT NULL;
