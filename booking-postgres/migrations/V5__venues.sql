-- Venues: sections, price categories, seat attributes, blocked seats and
-- the layout best available searches.
--
-- Each event has sections and price categories (kept with their seat
-- totals, which never change), and each seat its section, its row's line in
-- the section (from the front), its run of adjacent seats in the row and
-- its place in that run, its label (unique in the event), its category, its
-- attributes, its rank (lower is better) and, while blocked from sale, a
-- reason. Events made before become what `Venue::from_seat_map` makes of
-- their seat map: one section named '', one category per price (dearest
-- first, named "$100.00", coloured from the palette), runs split where a
-- number is missing, and ranks by distance to the middle of the first row.

ALTER TABLE events ADD COLUMN orphans TEXT NOT NULL DEFAULT 'allow'
    CHECK (orphans IN ('allow', 'refuse'));

CREATE TABLE event_sections (
    event_id    BIGINT  NOT NULL REFERENCES events (id),
    idx         INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    total_seats INTEGER NOT NULL,
    PRIMARY KEY (event_id, idx)
);

CREATE TABLE event_categories (
    event_id    BIGINT  NOT NULL REFERENCES events (id),
    idx         INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    price_cents BIGINT  NOT NULL CHECK (price_cents >= 0),
    color       TEXT    NOT NULL,
    total_seats INTEGER NOT NULL,
    PRIMARY KEY (event_id, idx)
);

INSERT INTO event_sections (event_id, idx, name, total_seats)
SELECT id, 0, '', total_seats FROM events;

INSERT INTO event_categories (event_id, idx, name, price_cents, color, total_seats)
SELECT event_id, idx,
       '$' || (price_cents / 100) || '.' || lpad((price_cents % 100)::TEXT, 2, '0'),
       price_cents,
       (ARRAY['#7b3fa0', '#1f6fb2', '#2e8540', '#b8860b',
              '#c0392b', '#16a085', '#8e5b3c', '#5d6d7e'])[idx % 8 + 1],
       seats
FROM (SELECT event_id, price_cents, COUNT(*)::INTEGER AS seats,
             (DENSE_RANK() OVER (PARTITION BY event_id ORDER BY price_cents DESC) - 1)::INTEGER AS idx
      FROM seats GROUP BY event_id, price_cents) AS prices;

ALTER TABLE seats
    ADD COLUMN section         INTEGER,
    ADD COLUMN line            INTEGER,
    ADD COLUMN run             INTEGER,
    ADD COLUMN place           INTEGER,
    ADD COLUMN label           TEXT,
    ADD COLUMN category        INTEGER,
    ADD COLUMN accessible      BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN companion       BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN restricted_view BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN rank            INTEGER,
    ADD COLUMN blocked_reason  TEXT;

WITH islands AS (
    SELECT id, event_id, row_index, number, price_cents,
           DENSE_RANK() OVER (PARTITION BY event_id ORDER BY row_index) - 1 AS line,
           -- Constant along a run of consecutive numbers.
           number - ROW_NUMBER() OVER (PARTITION BY event_id, row_index ORDER BY number) AS island
    FROM seats
),
runs AS (
    SELECT i.*,
           DENSE_RANK() OVER (PARTITION BY event_id, row_index ORDER BY island) - 1 AS run,
           ROW_NUMBER() OVER (PARTITION BY event_id, row_index, island ORDER BY number) - 1 AS place
    FROM islands i
),
-- Twice the middle of each event's first row.
fronts AS (
    SELECT event_id, MIN(number) + MAX(number) AS front2
    FROM seats s
    WHERE row_index = (SELECT MIN(row_index) FROM seats t WHERE t.event_id = s.event_id)
    GROUP BY event_id
)
UPDATE seats s
SET section = 0,
    line = r.line,
    run = r.run,
    place = r.place,
    label = CASE
                WHEN r.row_index < 26 THEN chr(65 + r.row_index)
                WHEN r.row_index < 702
                    THEN chr(65 + (r.row_index - 26) / 26) || chr(65 + (r.row_index - 26) % 26)
                ELSE chr(65 + (r.row_index - 702) / 676) || chr(65 + (r.row_index - 702) / 26 % 26)
                     || chr(65 + (r.row_index - 702) % 26)
            END || r.number,
    category = c.idx,
    -- 4 × the squared distance to the middle of the first row, in seats.
    rank = (2 * r.number - f.front2) * (2 * r.number - f.front2) + 4 * r.line * r.line
FROM runs r
JOIN fronts f ON f.event_id = r.event_id
JOIN event_categories c ON c.event_id = r.event_id AND c.price_cents = r.price_cents
WHERE r.id = s.id;

ALTER TABLE seats
    ALTER COLUMN section SET NOT NULL,
    ALTER COLUMN line SET NOT NULL,
    ALTER COLUMN run SET NOT NULL,
    ALTER COLUMN place SET NOT NULL,
    ALTER COLUMN label SET NOT NULL,
    ALTER COLUMN category SET NOT NULL,
    ALTER COLUMN rank SET NOT NULL,
    DROP CONSTRAINT seats_event_id_row_index_number_key,
    ADD CONSTRAINT seats_by_section_row_number UNIQUE (event_id, section, row_index, number),
    ADD CONSTRAINT seats_by_place UNIQUE (event_id, section, line, run, place),
    ADD CONSTRAINT seats_by_label UNIQUE (event_id, label),
    ADD CONSTRAINT seats_section FOREIGN KEY (event_id, section)
        REFERENCES event_sections (event_id, idx),
    ADD CONSTRAINT seats_category FOREIGN KEY (event_id, category)
        REFERENCES event_categories (event_id, idx),
    ADD CONSTRAINT seats_layout_in_range CHECK (line >= 0 AND run >= 0 AND place >= 0 AND rank >= 0),
    -- A blocked seat is neither held nor reserved.
    ADD CONSTRAINT seats_blocked_is_free
        CHECK (blocked_reason IS NULL OR (held_by IS NULL AND reservation_id IS NULL));

CREATE INDEX seats_by_row ON seats (event_id, row_index, number);
-- The seats that are not available (or may not be: a hold may have ended),
-- for counting an event's seats by section and category without reading
-- the available ones.
CREATE INDEX seats_taken ON seats (event_id, section, category)
    WHERE reservation_id IS NOT NULL OR held_by IS NOT NULL OR blocked_reason IS NOT NULL;

-- Which seats of each row are closed: reserved or blocked, states only a
-- write changes (a hold ends by time alone). `closed` has a '1' or a '0'
-- per seat in the row's order (runs in order, each left to right). Every
-- write that reserves, cancels, blocks or unblocks seats works their rows
-- out again in its transaction; best available reads the rows that have
-- closed seats and orders them by what is still open, instead of by their
-- best seats, sold or not.
CREATE TABLE event_rows (
    event_id     BIGINT  NOT NULL REFERENCES events (id),
    section      INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    closed       TEXT    NOT NULL,
    closed_seats INTEGER NOT NULL CHECK (closed_seats >= 0),
    PRIMARY KEY (event_id, section, line)
);
CREATE INDEX event_rows_with_closed_seats ON event_rows (event_id) WHERE closed_seats > 0;
INSERT INTO event_rows (event_id, section, line, closed, closed_seats)
SELECT event_id, section, line,
       string_agg(CASE WHEN reservation_id IS NULL AND blocked_reason IS NULL THEN '0' ELSE '1' END, '' ORDER BY run, place),
       COUNT(*) FILTER (WHERE reservation_id IS NOT NULL OR blocked_reason IS NOT NULL)
FROM seats GROUP BY event_id, section, line;
