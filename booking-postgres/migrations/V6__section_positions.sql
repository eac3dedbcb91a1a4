-- Where an overview of the venue draws each section: the venue file's
-- `position`, absent for events made before (and for files without one).
ALTER TABLE event_sections ADD COLUMN position_x DOUBLE PRECISION,
                           ADD COLUMN position_y DOUBLE PRECISION;
