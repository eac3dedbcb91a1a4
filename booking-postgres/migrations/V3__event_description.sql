-- An event's description, as the original design's events carry it (its
-- client shows it on the event page). Events created before have none.
ALTER TABLE events ADD COLUMN description TEXT NOT NULL DEFAULT '';
