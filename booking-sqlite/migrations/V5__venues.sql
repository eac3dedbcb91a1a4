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
--
-- The seats table is rebuilt (SQLite cannot drop its old UNIQUE on row and
-- number): copied aside, dropped, created anew and filled. Foreign keys
-- that point at seats are checked at commit, once the seats are back.

PRAGMA defer_foreign_keys = ON;

ALTER TABLE events ADD COLUMN orphans TEXT NOT NULL DEFAULT 'allow'
    CHECK (orphans IN ('allow', 'refuse'));

CREATE TABLE event_sections (
    event_id    INTEGER NOT NULL REFERENCES events (id),
    idx         INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    total_seats INTEGER NOT NULL,
    PRIMARY KEY (event_id, idx)
) WITHOUT ROWID;

CREATE TABLE event_categories (
    event_id    INTEGER NOT NULL REFERENCES events (id),
    idx         INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    color       TEXT    NOT NULL,
    total_seats INTEGER NOT NULL,
    PRIMARY KEY (event_id, idx)
) WITHOUT ROWID;

INSERT INTO event_sections (event_id, idx, name, total_seats)
SELECT id, 0, '', total_seats FROM events;

INSERT INTO event_categories (event_id, idx, name, price_cents, color, total_seats)
SELECT event_id, idx, printf('$%d.%02d', price_cents / 100, price_cents % 100), price_cents,
       CASE idx % 8
           WHEN 0 THEN '#7b3fa0' WHEN 1 THEN '#1f6fb2' WHEN 2 THEN '#2e8540'
           WHEN 3 THEN '#b8860b' WHEN 4 THEN '#c0392b' WHEN 5 THEN '#16a085'
           WHEN 6 THEN '#8e5b3c' ELSE '#5d6d7e'
       END,
       seats
FROM (SELECT event_id, price_cents, COUNT(*) AS seats,
             DENSE_RANK() OVER (PARTITION BY event_id ORDER BY price_cents DESC) - 1 AS idx
      FROM seats GROUP BY event_id, price_cents);

CREATE TEMP TABLE seats_v4 AS SELECT * FROM seats;
DROP TABLE seats;

CREATE TABLE seats (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    section         INTEGER NOT NULL,
    line            INTEGER NOT NULL CHECK (line >= 0),
    row             INTEGER NOT NULL,
    run             INTEGER NOT NULL CHECK (run >= 0),
    place           INTEGER NOT NULL CHECK (place >= 0),
    number          INTEGER NOT NULL,
    label           TEXT    NOT NULL,
    category        INTEGER NOT NULL,
    price_cents     INTEGER NOT NULL CHECK (price_cents >= 0),
    accessible      INTEGER NOT NULL DEFAULT 0 CHECK (accessible IN (0, 1)),
    companion       INTEGER NOT NULL DEFAULT 0 CHECK (companion IN (0, 1)),
    restricted_view INTEGER NOT NULL DEFAULT 0 CHECK (restricted_view IN (0, 1)),
    rank            INTEGER NOT NULL CHECK (rank >= 0),
    reservation_id  INTEGER REFERENCES reservations (id),
    held_by         INTEGER REFERENCES users (id),
    held_since      INTEGER,
    held_until      INTEGER,
    blocked_reason  TEXT,
    UNIQUE (event_id, section, row, number),
    UNIQUE (event_id, section, line, run, place),
    UNIQUE (event_id, label),
    FOREIGN KEY (event_id, section) REFERENCES event_sections (event_id, idx),
    FOREIGN KEY (event_id, category) REFERENCES event_categories (event_id, idx),
    CHECK ((held_by IS NULL) = (held_until IS NULL)),
    CHECK ((held_by IS NULL) = (held_since IS NULL)),
    CHECK (reservation_id IS NULL OR held_by IS NULL),
    -- A blocked seat is neither held nor reserved.
    CHECK (blocked_reason IS NULL OR (held_by IS NULL AND reservation_id IS NULL))
);

WITH islands AS (
    SELECT s.*,
           DENSE_RANK() OVER (PARTITION BY event_id ORDER BY row) - 1 AS line,
           -- Constant along a run of consecutive numbers.
           number - ROW_NUMBER() OVER (PARTITION BY event_id, row ORDER BY number) AS island
    FROM seats_v4 s
),
runs AS (
    SELECT i.*,
           DENSE_RANK() OVER (PARTITION BY event_id, row ORDER BY island) - 1 AS run,
           ROW_NUMBER() OVER (PARTITION BY event_id, row, island ORDER BY number) - 1 AS place
    FROM islands i
),
-- Twice the middle of each event's first row.
fronts AS (
    SELECT event_id, MIN(number) + MAX(number) AS front2
    FROM seats_v4 s
    WHERE row = (SELECT MIN(row) FROM seats_v4 t WHERE t.event_id = s.event_id)
    GROUP BY event_id
)
INSERT INTO seats (id, event_id, section, line, row, run, place, number, label, category,
                   price_cents, rank, reservation_id, held_by, held_since, held_until)
SELECT r.id, r.event_id, 0, r.line, r.row, r.run, r.place, r.number,
       CASE
           WHEN r.row < 26 THEN char(65 + r.row)
           WHEN r.row < 702 THEN char(65 + (r.row - 26) / 26, 65 + (r.row - 26) % 26)
           ELSE char(65 + (r.row - 702) / 676, 65 + (r.row - 702) / 26 % 26, 65 + (r.row - 702) % 26)
       END || r.number,
       c.idx, r.price_cents,
       -- 4 × the squared distance to the middle of the first row, in seats.
       (2 * r.number - f.front2) * (2 * r.number - f.front2) + 4 * r.line * r.line,
       r.reservation_id, r.held_by, r.held_since, r.held_until
FROM runs r
JOIN fronts f ON f.event_id = r.event_id
JOIN event_categories c ON c.event_id = r.event_id AND c.price_cents = r.price_cents;

DROP TABLE seats_v4;

-- Which seats of each row are closed: reserved or blocked, states only a
-- write changes (a hold ends by time alone). `closed` has a '1' or a '0'
-- per seat in the row's order (runs in order, each left to right). Every
-- write that reserves, cancels, blocks or unblocks seats works their rows
-- out again in its transaction; best available reads the rows that have
-- closed seats and orders them by what is still open, instead of by their
-- best seats, sold or not.
CREATE TABLE event_rows (
    event_id     INTEGER NOT NULL REFERENCES events (id),
    section      INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    closed       TEXT    NOT NULL,
    closed_seats INTEGER NOT NULL CHECK (closed_seats >= 0),
    PRIMARY KEY (event_id, section, line)
) WITHOUT ROWID;
CREATE INDEX event_rows_with_closed_seats ON event_rows (event_id) WHERE closed_seats > 0;
INSERT INTO event_rows (event_id, section, line, closed, closed_seats)
SELECT event_id, section, line,
       group_concat(CASE WHEN reservation_id IS NULL AND blocked_reason IS NULL THEN '0' ELSE '1' END, '' ORDER BY run, place),
       SUM(reservation_id IS NOT NULL OR blocked_reason IS NOT NULL)
FROM seats GROUP BY event_id, section, line;

CREATE INDEX seats_by_row ON seats (event_id, row, number);
CREATE INDEX seats_by_holder ON seats (event_id, held_by) WHERE held_by IS NOT NULL;
CREATE INDEX seats_by_reservation ON seats (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX seats_reserved_by_event ON seats (event_id) WHERE reservation_id IS NOT NULL;
-- The seats that are not available (or may not be: a hold may have ended),
-- for counting an event's seats by section and category without reading
-- the available ones.
CREATE INDEX seats_taken ON seats (event_id, section, category)
    WHERE reservation_id IS NOT NULL OR held_by IS NOT NULL OR blocked_reason IS NOT NULL;
