-- The booking schema. Instants are integer microseconds since the Unix epoch (UTC).
-- A seat's state is three nullable columns: reservation_id, or held_by with
-- held_until, or none of them (available); CHECKs forbid other mixes.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL
);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL,
    venue     TEXT    NOT NULL,
    starts_at INTEGER NOT NULL
);

CREATE TABLE reservations (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    event_id        INTEGER NOT NULL REFERENCES events (id),
    status          TEXT    NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    total_cents     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    cancelled_at    INTEGER,
    idempotency_key TEXT
);
CREATE INDEX reservations_by_user ON reservations (user_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX reservations_by_key ON reservations (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE seats (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events (id),
    row            INTEGER NOT NULL,
    number         INTEGER NOT NULL,
    price_cents    INTEGER NOT NULL CHECK (price_cents >= 0),
    reservation_id INTEGER REFERENCES reservations (id),
    held_by        INTEGER REFERENCES users (id),
    held_until     INTEGER,
    UNIQUE (event_id, row, number),
    CHECK ((held_by IS NULL) = (held_until IS NULL)),
    CHECK (reservation_id IS NULL OR held_by IS NULL)
);
CREATE INDEX seats_by_holder ON seats (event_id, held_by) WHERE held_by IS NOT NULL;
CREATE INDEX seats_by_reservation ON seats (reservation_id) WHERE reservation_id IS NOT NULL;

-- Which seats each reservation has, kept after a cancel. `confirmed` is 1
-- while the reservation stands and NULL after: the partial unique index
-- lets a seat be in at most one confirmed reservation, whatever the code does.
CREATE TABLE reservation_seats (
    reservation_id INTEGER NOT NULL REFERENCES reservations (id),
    seat_id        INTEGER NOT NULL REFERENCES seats (id),
    confirmed      INTEGER CHECK (confirmed = 1),
    PRIMARY KEY (reservation_id, seat_id)
);
CREATE UNIQUE INDEX one_confirmed_reservation_per_seat ON reservation_seats (seat_id)
    WHERE confirmed = 1;
