//! [`SqliteStore`]: the store traits on a SQLite file.
//!
//! One writer connection runs every write inside a `BEGIN IMMEDIATE`
//! transaction (so two writers never both read and then both write): it
//! loads the rows, calls `booking_core::rules`, and writes back what they
//! decided; an error rolls its changes back. Writes queued together share
//! one transaction and one commit, each in a savepoint of its own (group
//! commit, see [`Connections`]). Reads go to a small pool of
//! read-only connections, which WAL mode lets run beside the writer. Each
//! connection runs on a thread of its own ([`Connections`]), never on the
//! async workers.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use booking_core::audit::NewAuditRecord;
use booking_core::best::{self, EventLayout, Layout, LayoutSeat, Position};
use booking_core::tx::{self, EventRules, NewReservation, SeatToHold, Tx};
use booking_core::venue::Point;
use booking_core::{
    AccountStore, AuditAction, AuditFilter, AuditRecord, BestAvailable, BookingStore, Cancellation,
    CategorySummary, Clock, Credentials, Entity, Error, Event, EventCancellation, EventEdit,
    EventId, EventSummary, Hold, IdempotencyKey, NewEvent, OrphanPolicy, Policy, Reservation,
    ReservationFilter, ReservationId, ReservationStatus, Result, Row, Seat, SeatCounts, SeatId,
    SeatRecord, SeatState, SectionSummary, Session, SessionId, TakenSeats, Timestamp, User, UserId,
    Username, count_taken,
};
use booking_core::{rules, sql_free_seat, sql_live_hold};
use chrono::DateTime;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::connections::Connections;
use crate::error::{BACKEND, OnUnique, OpenError, storage, to_core};
use crate::occupancy;
use crate::options::SqliteOptions;
use crate::schema;

/// A booking store on a SQLite database. Clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Connections,
    /// The file, or `None` in memory.
    path: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    policy: Policy,
    /// Each event's seats without their states, read once (see
    /// [`FixedSeats`]).
    fixed: FixedCache,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("policy", &self.inner.policy)
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. Blocks while it does.
    pub fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, OpenError> {
        let path = path.as_ref();
        schema::create_private(path);
        let mut writer = schema::connect(path, OpenFlags::default(), &options, true)?;
        schema::migrate(&mut writer, path)?;
        let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let readers = (0..options.readers)
            .map(|_| schema::connect(path, read_only, &options, false))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(writer, readers, Some(path.to_owned()), options)
    }

    /// A fresh database in memory (one connection; gone when the store is).
    pub fn open_in_memory(options: SqliteOptions) -> Result<Self, OpenError> {
        let path = Path::new(":memory:");
        let mut conn = schema::connect(path, OpenFlags::default(), &options, false)?;
        schema::migrate(&mut conn, path)?;
        Self::new(conn, Vec::new(), None, options)
    }

    /// The database file, or `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn new(
        writer: Connection,
        readers: Vec<Connection>,
        path: Option<PathBuf>,
        options: SqliteOptions,
    ) -> Result<Self, OpenError> {
        let connections =
            Connections::start(writer, readers, options.batch_limits()).map_err(|source| {
                OpenError::Threads {
                    path: path.clone().unwrap_or_else(|| PathBuf::from(":memory:")),
                    source,
                }
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                connections,
                path,
                clock: options.clock,
                policy: options.policy,
                fixed: FixedCache::default(),
            }),
        })
    }

    /// Runs `f` on the writer inside a transaction, with the instant read
    /// under the write lock; its changes are kept if it returns `Ok`. The
    /// transaction may be shared with other writes, each in a savepoint of
    /// its own (see [`Connections::write`]); the answer comes once it is
    /// committed.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, Timestamp, &Policy) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let clock = Arc::clone(&self.inner.clock);
        let policy = self.inner.policy.clone();
        self.inner
            .connections
            .write(move |conn| f(conn, clock.now(), &policy))
            .await
    }

    /// Runs `f` on a reader, in one read transaction for a consistent view.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, Timestamp) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let clock = Arc::clone(&self.inner.clock);
        self.inner
            .connections
            .on_reader(move |conn| {
                let out = (|| {
                    // Cached like every other statement: reads are the hot path.
                    let run = |sql| conn.prepare_cached(sql)?.execute([]);
                    run("BEGIN").map_err(storage)?;
                    let out = f(conn, clock.now());
                    run("COMMIT").map_err(storage)?;
                    out
                })();
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                out
            })
            .await
    }
}

/// Runs a write operation on the writer's thread (see [`WriteTx`]).
fn run<T>(operation: impl Future<Output = Result<T>>) -> Result<T> {
    tx::run_ready(BACKEND, operation)
}

// ---- conversions ---------------------------------------------------------------

fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// An index or count of a venue (at most a million seats) as SQLite stores it.
fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn instant(us: i64) -> Result<Timestamp> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| Error::storage(BACKEND, format!("instant {us} out of range")))
}

fn opt_instant(us: Option<i64>) -> Result<Option<Timestamp>> {
    us.map(instant).transpose()
}

/// A seat's columns. Its section and category come as indexes, named
/// apart ([`Names`]): joining the names in made SQLite plan the hot seat-map
/// read again at every run (see [`seats_in_rows_sql`]).
const SEAT_COLUMNS: &str = "s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until, \
     s.section, s.label, s.category, s.accessible, s.companion, s.restricted_view, s.blocked_reason";
/// How many columns `SEAT_COLUMNS` names (the index of a column after them).
const SEAT_COLUMN_COUNT: usize = 16;
/// The table `SEAT_COLUMNS` reads.
const SEATS: &str = "seats s";

/// The names of the sections and categories of some seats, by event and
/// index: read for those seats only, one lookup per distinct section and
/// category. A stadium has 120 sections, and a write loads a few seats:
/// reading every name of the event for them was a tenth of the writer's
/// time under best available and reserve (`perf` on `booking-onsale
/// latency`).
#[derive(Default)]
struct Names {
    sections: HashMap<(i64, i64), String>,
    categories: HashMap<(i64, i64), String>,
}

impl Names {
    /// Reads the names of the sections and categories of `seats`.
    fn of_seats<'a>(
        conn: &Connection,
        seats: impl IntoIterator<Item = &'a RawSeat>,
    ) -> Result<Self> {
        let mut names = Self::default();
        let mut section = conn
            .prepare_cached("SELECT name FROM event_sections WHERE event_id = ?1 AND idx = ?2")
            .map_err(storage)?;
        let mut category = conn
            .prepare_cached("SELECT name FROM event_categories WHERE event_id = ?1 AND idx = ?2")
            .map_err(storage)?;
        let read = |stmt: &mut rusqlite::CachedStatement<'_>,
                    known: &mut HashMap<(i64, i64), String>,
                    key: (i64, i64)|
         -> Result<()> {
            if let Entry::Vacant(slot) = known.entry(key) {
                let name = stmt
                    .query_row(params![key.0, key.1], |r| r.get(0))
                    .optional()
                    .map_err(storage)?
                    .ok_or_else(|| Error::storage(BACKEND, "a seat of no section or category"))?;
                slot.insert(name);
            }
            Ok(())
        };
        for seat in seats {
            read(
                &mut section,
                &mut names.sections,
                (seat.event, seat.section),
            )?;
            read(
                &mut category,
                &mut names.categories,
                (seat.event, seat.category),
            )?;
        }
        Ok(names)
    }

    /// The names of `event`'s `section` and `category`.
    fn of(&self, event: i64, section: i64, category: i64) -> Result<(String, String)> {
        let name = |known: &HashMap<(i64, i64), String>, idx| {
            known
                .get(&(event, idx))
                .cloned()
                .ok_or_else(|| Error::storage(BACKEND, "names of a seat not read"))
        };
        Ok((
            name(&self.sections, section)?,
            name(&self.categories, category)?,
        ))
    }
}

/// A seat-map read: the states ([`STATE_COLUMNS`]) of the seats of event
/// `?1` in rows `?2` to `?3`.
///
/// Unordered on purpose (the caller sorts): with an `ORDER BY`, the SQLite
/// that rusqlite bundles (built with `SQLITE_ENABLE_STAT4`) marks the
/// statement to be planned again whenever `?1` is bound, so every read of
/// the hottest query was parsed and planned anew (18% of the server's time
/// under load).
fn seats_in_rows_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {STATE_COLUMNS} FROM seats s WHERE s.event_id = ?1 AND s.row_index BETWEEN ?2 AND ?3"
        )
    });
    &SQL
}

/// A section's seats: the states of the seats of event `?1` in section `?2` (its index),
/// read through the index of the seats' `UNIQUE (event_id, section,
/// row_index, number)`. Unordered, as [`seats_in_rows_sql`] is, for the same reason.
fn seats_in_section_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {STATE_COLUMNS} FROM seats s WHERE s.event_id = ?1 AND s.section = ?2")
    });
    &SQL
}

/// The states of the seats of event `?1` held by user `?2`, ended holds included (through
/// `seats_by_holder`).
fn seats_held_by_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {STATE_COLUMNS} FROM seats s WHERE s.event_id = ?1 AND s.held_by = ?2")
    });
    &SQL
}

/// The index of `event`'s section named `name` (exactly, case included);
/// [`Error::UnknownSection`] when it has none.
fn section_index(conn: &Connection, event: EventId, name: &str) -> Result<i64> {
    conn.prepare_cached("SELECT idx FROM event_sections WHERE event_id = ?1 AND name = ?2")
        .map_err(storage)?
        .query_row(params![event.get(), name], |r| r.get(0))
        .optional()
        .map_err(storage)?
        .ok_or_else(|| Error::UnknownSection {
            name: name.to_owned(),
        })
}

/// A seat row as stored.
struct RawSeat {
    id: i64,
    event: i64,
    row: i64,
    number: i64,
    price_cents: i64,
    reservation: Option<i64>,
    held_by: Option<i64>,
    held_since: Option<i64>,
    held_until: Option<i64>,
    section: i64,
    label: String,
    category: i64,
    accessible: bool,
    companion: bool,
    restricted_view: bool,
    blocked: Option<String>,
}

impl RawSeat {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            event: r.get(1)?,
            row: r.get(2)?,
            number: r.get(3)?,
            price_cents: r.get(4)?,
            reservation: r.get(5)?,
            held_by: r.get(6)?,
            held_since: r.get(7)?,
            held_until: r.get(8)?,
            section: r.get(9)?,
            label: r.get(10)?,
            category: r.get(11)?,
            accessible: r.get(12)?,
            companion: r.get(13)?,
            restricted_view: r.get(14)?,
            blocked: r.get(15)?,
        })
    }

    fn into_record(self, names: &Names) -> Result<SeatRecord> {
        let (section, category) = names.of(self.event, self.section, self.category)?;
        let bad = || Error::storage(BACKEND, format!("seat {} has a bad row or number", self.id));
        let row = u32::try_from(self.row)
            .ok()
            .and_then(Row::from_index)
            .ok_or_else(bad)?;
        let number = u32::try_from(self.number).map_err(|_| bad())?;
        Ok(SeatRecord {
            seat: Seat {
                id: SeatId::new(self.id),
                event: EventId::new(self.event),
                section,
                row,
                number,
                label: self.label,
                category,
                price_cents: self.price_cents,
                accessible: self.accessible,
                companion: self.companion,
                restricted_view: self.restricted_view,
            },
            state: SeatState::from_columns(
                BACKEND,
                self.reservation.map(ReservationId::new),
                self.held_by.map(UserId::new),
                opt_instant(self.held_since)?,
                opt_instant(self.held_until)?,
            )?,
            blocked: self.blocked,
        })
    }
}

/// Runs a seat query and converts every row.
fn query_seats(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SeatRecord>> {
    let mut stmt = conn.prepare_cached(sql).map_err(storage)?;
    let raw = stmt
        .query_map(params, RawSeat::from_row)
        .map_err(storage)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(storage)?;
    drop(stmt);
    let names = Names::of_seats(conn, &raw)?;
    raw.into_iter().map(|r| r.into_record(&names)).collect()
}

// ---- seat-map reads ---------------------------------------------------------
//
// A seat's place, label, category, price and attributes never change once
// its event exists (only its state does: a write sets `reservation_id`,
// `held_*` and `blocked_reason`, nothing else), and events are never
// deleted. So the reads of the seat map take those from [`FixedSeats`],
// read once per event, and read only the state columns: six columns a
// seat instead of sixteen, and four of them read for a free seat.

/// One event's seats without their states, in id order.
struct FixedSeats(Vec<Seat>);

impl FixedSeats {
    /// Reads `event`'s seats (none for an unknown event).
    fn read(conn: &Connection, event: EventId) -> Result<Self> {
        let sql = format!("SELECT {SEAT_COLUMNS} FROM {SEATS} WHERE s.event_id = ?1");
        let mut seats: Vec<Seat> = query_seats(conn, &sql, [event.get()])?
            .into_iter()
            .map(|record| record.seat)
            .collect();
        seats.sort_unstable_by_key(Seat::sort_key);
        Ok(Self(seats))
    }

    /// Seat `id`, with `state`: a record as the seat map lists it.
    fn record(&self, id: SeatId, state: SeatState, blocked: Option<String>) -> Result<SeatRecord> {
        let at = self
            .0
            .binary_search_by_key(&id, Seat::sort_key)
            .map_err(|_| Error::storage(BACKEND, format!("seat {id} is not of its event")))?;
        Ok(SeatRecord {
            seat: self.0[at].clone(),
            state,
            blocked,
        })
    }
}

/// [`FixedSeats`] read so far, by event. Filled only by readers, whose
/// transactions see committed rows only: an event being created in a
/// write that may yet roll back is never cached.
type FixedCache = Arc<Mutex<HashMap<EventId, Arc<FixedSeats>>>>;

/// `event`'s [`FixedSeats`], from `cache` or read (and cached) now;
/// `NotFound(Event)` for an unknown event.
fn fixed_seats(conn: &Connection, cache: &FixedCache, event: EventId) -> Result<Arc<FixedSeats>> {
    let cached = cache.lock().ok().and_then(|c| c.get(&event).cloned());
    if let Some(fixed) = cached {
        return Ok(fixed);
    }
    require_event(conn, event)?;
    let fixed = Arc::new(FixedSeats::read(conn, event)?);
    if let Ok(mut cache) = cache.lock() {
        cache.insert(event, Arc::clone(&fixed));
    }
    Ok(fixed)
}

/// The state columns of a seat-map read, after `s.id`; [`read_states`]
/// reads them.
const STATE_COLUMNS: &str =
    "s.id, s.reservation_id, s.held_until, s.blocked_reason, s.held_by, s.held_since";

/// The seats of a seat-map read, `sql` selecting [`STATE_COLUMNS`]: each
/// seat from `fixed` with its state as stored, sorted by id.
fn read_states(
    conn: &Connection,
    fixed: &FixedSeats,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SeatRecord>> {
    type Raw = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<i64>,
        Option<i64>,
    );
    let mut stmt = conn.prepare_cached(sql).map_err(storage)?;
    let raw = stmt
        .query_map(params, |r| -> rusqlite::Result<Raw> {
            let held_until: Option<i64> = r.get(2)?;
            // The holder and its start only when there is a hold: most
            // seats have none, and every column read costs.
            let (held_by, held_since) = match held_until {
                Some(_) => (r.get(4)?, r.get(5)?),
                None => (None, None),
            };
            Ok((
                r.get(0)?,
                r.get(1)?,
                held_until,
                r.get(3)?,
                held_by,
                held_since,
            ))
        })
        .map_err(storage)?
        .collect::<rusqlite::Result<Vec<Raw>>>()
        .map_err(storage)?;
    let mut seats = raw
        .into_iter()
        .map(
            |(id, reservation, held_until, blocked, held_by, held_since)| {
                let state = SeatState::from_columns(
                    BACKEND,
                    reservation.map(ReservationId::new),
                    held_by.map(UserId::new),
                    opt_instant(held_since)?,
                    opt_instant(held_until)?,
                )?;
                fixed.record(SeatId::new(id), state, blocked)
            },
        )
        .collect::<Result<Vec<_>>>()?;
    seats.sort_unstable_by_key(|record| record.seat.sort_key());
    Ok(seats)
}

fn require_event(conn: &Connection, event: EventId) -> Result<Event> {
    find_event(conn, event)?.ok_or_else(|| Error::not_found(Entity::Event, event.get()))
}

/// An event's row as `event_columns!` reads it.
type RawEvent = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    (Option<i64>, Option<i64>, Option<String>),
);

/// The columns of `events` that make an [`Event`], for [`raw_event`], in its order.
macro_rules! event_columns {
    () => {
        "id, name, description, venue, starts_at, orphans, cancelled_at, cancelled_by, cancel_reason"
    };
}

/// The events, or only event `?1`.
const EVENTS_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE ?1 IS NULL OR id = ?1"
);

fn raw_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        (r.get(6)?, r.get(7)?, r.get(8)?),
    ))
}

fn into_event(raw: RawEvent) -> Result<Event> {
    let (id, name, description, venue, starts_at, orphans, (at, by, reason)) = raw;
    let id = EventId::new(id);
    let cancelled = Cancellation::from_columns(BACKEND, id, opt_instant(at)?, by, reason)?;
    Ok(Event {
        id,
        name,
        description,
        venue,
        starts_at: instant(starts_at)?,
        orphans: orphan_policy(&orphans)?,
        cancelled,
    })
}

/// `event`, if there is one.
fn find_event(conn: &Connection, event: EventId) -> Result<Option<Event>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        event_columns!(),
        " FROM events WHERE id = ?1"
    ))
    .map_err(storage)?
    .query_row([event.get()], raw_event)
    .optional()
    .map_err(storage)?
    .map(into_event)
    .transpose()
}

/// Whether `event` is cancelled (`false` when there is no such event).
fn event_cancelled(conn: &Connection, event: EventId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT cancelled_at IS NOT NULL FROM events WHERE id = ?1")
        .map_err(storage)?
        .query_row([event.get()], |r| r.get(0))
        .optional()
        .map_err(storage)?
        .unwrap_or(false))
}

fn orphan_policy(text: &str) -> Result<OrphanPolicy> {
    match text {
        "allow" => Ok(OrphanPolicy::Allow),
        "refuse" => Ok(OrphanPolicy::Refuse),
        other => Err(Error::storage(
            BACKEND,
            format!("unknown orphan policy {other:?}"),
        )),
    }
}

fn require_user(conn: &Connection, user: UserId) -> Result<User> {
    let found: Option<(String, bool)> = conn
        .prepare_cached("SELECT username, staff FROM users WHERE id = ?1")
        .map_err(storage)?
        .query_row([user.get()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(storage)?;
    let Some((name, staff)) = found else {
        return Err(Error::not_found(Entity::User, user.get()));
    };
    Ok(User {
        id: user,
        username: Username::new(name)?,
        staff,
    })
}

/// The user and expiry of the unexpired session whose id hashes to `?1`,
/// at `?2`: read by every request that carries a session cookie.
const SESSION_SQL: &str =
    "SELECT u.id, u.username, s.expires_at, u.staff FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id_sha256 = ?1 AND s.expires_at > ?2";

/// The sections of every event, or of event `?1`: each with its total.
const SECTIONS_SQL: &str =
    "SELECT event_id, idx, name, total_seats, position_x, position_y FROM event_sections
     WHERE ?1 IS NULL OR event_id = ?1";

/// The categories of every event, or of event `?1`: each with its total.
const CATEGORIES_SQL: &str =
    "SELECT event_id, idx, name, price_cents, color, total_seats FROM event_categories
     WHERE ?1 IS NULL OR event_id = ?1";

/// The reserved, held (as of instant `?2`) and blocked seats of every
/// event, or of event `?1`, by section and category. Only those seats are
/// read, through the partial index `seats_taken` (whose condition the
/// query repeats word for word, so that SQLite uses it).
const TAKEN_SQL: &str = concat!(
    "SELECT event_id, section, category,
            SUM(reservation_id IS NOT NULL),
            SUM",
    sql_live_hold!("?2"),
    ",
            SUM(blocked_reason IS NOT NULL)
     FROM seats
     WHERE (?1 IS NULL OR event_id = ?1)
       AND (reservation_id IS NOT NULL OR held_by IS NOT NULL OR blocked_reason IS NOT NULL)
     GROUP BY event_id, section, category"
);

/// Each event's summary as of `now` (or only `event`'s), by start time then
/// id: four statements, however many events and seats.
fn summaries(
    conn: &Connection,
    event: Option<EventId>,
    now: Timestamp,
) -> Result<Vec<EventSummary>> {
    let only = event.map(EventId::get);
    let count =
        |n: i64| u32::try_from(n).map_err(|_| Error::storage(BACKEND, "a seat count out of range"));
    // Sorted in Rust: an ORDER BY would re-plan the statement at every run
    // (see `seats_in_rows_sql`).
    let mut events = conn
        .prepare_cached(EVENTS_SQL)
        .map_err(storage)?
        .query_map([only], raw_event)
        .map_err(storage)?
        .map(|row| into_event(row.map_err(storage)?))
        .collect::<Result<Vec<_>>>()?;
    events.sort_unstable_by_key(|e| (e.starts_at, e.id));

    let mut sections = section_summaries(conn, only)?;
    let mut categories = category_summaries(conn, only)?;
    let mut stmt = conn.prepare_cached(TAKEN_SQL).map_err(storage)?;
    let mut rows = stmt.query(params![only, micros(now)]).map_err(storage)?;
    while let Some(r) = rows.next().map_err(storage)? {
        let event: i64 = r.get(0).map_err(storage)?;
        let at = |i: usize| -> Result<usize> {
            let n: i64 = r.get(i).map_err(storage)?;
            usize::try_from(n).map_err(|_| Error::storage(BACKEND, "a bad section or category"))
        };
        let taken = TakenSeats {
            section: at(1)?,
            category: at(2)?,
            reserved: count(r.get(3).map_err(storage)?)?,
            held: count(r.get(4).map_err(storage)?)?,
            blocked: count(r.get(5).map_err(storage)?)?,
        };
        count_taken(&mut sections, &mut categories, &event, &taken, BACKEND)?;
    }
    drop(rows);
    Ok(events
        .into_iter()
        .map(|e| {
            let id = e.id.get();
            EventSummary::new(
                e,
                categories.remove(&id).unwrap_or_default(),
                sections.remove(&id).unwrap_or_default(),
            )
        })
        .collect())
}

/// The sections of every event (or of `only`), all seats available.
fn section_summaries(
    conn: &Connection,
    only: Option<i64>,
) -> Result<HashMap<i64, Vec<SectionSummary>>> {
    let count =
        |n: i64| u32::try_from(n).map_err(|_| Error::storage(BACKEND, "a seat count out of range"));
    let mut sections: HashMap<i64, Vec<SectionSummary>> = HashMap::new();
    let mut stmt = conn.prepare_cached(SECTIONS_SQL).map_err(storage)?;
    let mut rows = stmt.query([only]).map_err(storage)?;
    while let Some(r) = rows.next().map_err(storage)? {
        let (event, idx, name, total): (i64, i64, String, i64) = (
            r.get(0).map_err(storage)?,
            r.get(1).map_err(storage)?,
            r.get(2).map_err(storage)?,
            r.get(3).map_err(storage)?,
        );
        let position = point(r.get(4).map_err(storage)?, r.get(5).map_err(storage)?);
        let list = sections.entry(event).or_default();
        if usize::try_from(idx).ok() != Some(list.len()) {
            return Err(Error::storage(BACKEND, "event sections out of order"));
        }
        list.push(SectionSummary {
            name,
            position,
            seats: SeatCounts::all_available(count(total)?),
        });
    }
    drop(rows);
    Ok(sections)
}

/// A section's position from its two columns: both or none.
fn point(x: Option<f64>, y: Option<f64>) -> Option<Point> {
    Some(Point { x: x?, y: y? })
}

/// The categories of every event (or of `only`), all seats available.
fn category_summaries(
    conn: &Connection,
    only: Option<i64>,
) -> Result<HashMap<i64, Vec<CategorySummary>>> {
    let count =
        |n: i64| u32::try_from(n).map_err(|_| Error::storage(BACKEND, "a seat count out of range"));
    let mut categories: HashMap<i64, Vec<CategorySummary>> = HashMap::new();
    let mut stmt = conn.prepare_cached(CATEGORIES_SQL).map_err(storage)?;
    let mut rows = stmt.query([only]).map_err(storage)?;
    while let Some(r) = rows.next().map_err(storage)? {
        let event: i64 = r.get(0).map_err(storage)?;
        let idx: i64 = r.get(1).map_err(storage)?;
        let list = categories.entry(event).or_default();
        if usize::try_from(idx).ok() != Some(list.len()) {
            return Err(Error::storage(BACKEND, "event categories out of order"));
        }
        list.push(CategorySummary {
            name: r.get(2).map_err(storage)?,
            price_cents: r.get(3).map_err(storage)?,
            color: r.get(4).map_err(storage)?,
            seats: SeatCounts::all_available(count(r.get(5).map_err(storage)?)?),
        });
    }
    drop(rows);
    Ok(categories)
}

fn load_reservation(conn: &Connection, id: ReservationId) -> Result<Option<Reservation>> {
    Ok(load_reservations(conn, "r.id = ?1", [id.get()])?.pop())
}

/// The reservations `condition` picks (over `reservations r`, with
/// `params`), newest first, each with its seats: two queries, however many
/// reservations there are.
fn load_reservations<P: rusqlite::Params + Copy>(
    conn: &Connection,
    condition: &str,
    params: P,
) -> Result<Vec<Reservation>> {
    let heads = conn
        .prepare_cached(&format!(
            "SELECT r.id, r.user_id, r.event_id, e.name, r.status, r.total_cents, r.created_at,
                    r.cancelled_at, r.idempotency_key, r.cancelled_by, r.cancel_reason
             FROM reservations r JOIN events e ON e.id = r.event_id
             WHERE {condition} ORDER BY r.created_at DESC, r.id DESC"
        ))
        .map_err(storage)?
        .query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<String>>(8)?,
                (r.get::<_, Option<i64>>(9)?, r.get::<_, Option<String>>(10)?),
            ))
        })
        .map_err(storage)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(storage)?;
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    // Sorted in Rust, not by an ORDER BY: see `seats_in_rows_sql`.
    let mut seats: HashMap<i64, Vec<Seat>> = HashMap::new();
    let seat_rows = conn
        .prepare_cached(&format!(
            "SELECT {SEAT_COLUMNS}, rs.reservation_id
             FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
             WHERE rs.reservation_id IN (SELECT r.id FROM reservations r WHERE {condition})"
        ))
        .map_err(storage)?
        .query_map(params, |r| {
            Ok((RawSeat::from_row(r)?, r.get::<_, i64>(SEAT_COLUMN_COUNT)?))
        })
        .map_err(storage)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(storage)?;
    let names = Names::of_seats(conn, seat_rows.iter().map(|(raw, _)| raw))?;
    for (raw, reservation) in seat_rows {
        seats
            .entry(reservation)
            .or_default()
            .push(raw.into_record(&names)?.seat);
    }
    heads
        .into_iter()
        .map(
            |(
                id,
                user,
                event,
                event_name,
                status,
                total_cents,
                created_at,
                cancelled_at,
                key,
                (cancelled_by, cancel_reason),
            )| {
                let mut seats = seats.remove(&id).unwrap_or_default();
                seats.sort_by_key(Seat::sort_key);
                Ok(Reservation {
                    id: ReservationId::new(id),
                    user: UserId::new(user),
                    event: EventId::new(event),
                    event_name,
                    seats,
                    status: status
                        .parse::<ReservationStatus>()
                        .map_err(|e| Error::storage(BACKEND, e.to_string()))?,
                    total_cents,
                    created_at: instant(created_at)?,
                    cancelled_at: opt_instant(cancelled_at)?,
                    cancelled_by: cancelled_by.map(UserId::new),
                    cancel_reason,
                    idempotency_key: key.map(IdempotencyKey::new).transpose()?,
                })
            },
        )
        .collect()
}

fn set_seat_state(tx: &Connection, seat: SeatId, state: SeatState) -> Result<()> {
    let (reservation, held_by, held_since, held_until) = state.to_columns();
    tx.prepare_cached(
        "UPDATE seats SET reservation_id = ?2, held_by = ?3, held_since = ?4, held_until = ?5
         WHERE id = ?1",
    )
    .map_err(storage)?
    .execute(params![
        seat.get(),
        reservation.map(ReservationId::get),
        held_by.map(UserId::get),
        held_since.map(micros),
        held_until.map(micros),
    ])
    .map_err(storage)?;
    Ok(())
}

/// Every seat of the runs that hold `seat_ids` (of `event`), each run in
/// order: what [`rules::check_orphans`] judges.
fn runs_of(tx: &Connection, event: EventId, seat_ids: &[SeatId]) -> Result<Vec<Vec<SeatRecord>>> {
    let mut runs: Vec<(i64, i64, i64)> = Vec::new();
    let mut place = tx
        .prepare_cached("SELECT section, line, run FROM seats WHERE id = ?1 AND event_id = ?2")
        .map_err(storage)?;
    for seat in seat_ids {
        let run = place
            .query_row(params![seat.get(), event.get()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(storage)?;
        if !runs.contains(&run) {
            runs.push(run);
        }
    }
    let sql = format!(
        "SELECT {SEAT_COLUMNS}, s.place FROM {SEATS}
         WHERE s.event_id = ?1 AND s.section = ?2 AND s.line = ?3 AND s.run = ?4"
    );
    let mut stmt = tx.prepare_cached(&sql).map_err(storage)?;
    let runs = runs
        .into_iter()
        .map(|(section, line, run)| {
            let mut seats = stmt
                .query_map(params![event.get(), section, line, run], |r| {
                    Ok((r.get::<_, i64>(SEAT_COLUMN_COUNT)?, RawSeat::from_row(r)?))
                })
                .map_err(storage)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(storage)?;
            seats.sort_unstable_by_key(|(place, _)| *place);
            Ok(seats.into_iter().map(|(_, raw)| raw).collect())
        })
        .collect::<Result<Vec<Vec<RawSeat>>>>()?;
    drop(stmt);
    let names = Names::of_seats(tx, runs.iter().flatten())?;
    runs.into_iter()
        .map(|run| run.into_iter().map(|raw| raw.into_record(&names)).collect())
        .collect()
}

/// The seating of `event` for best available, read from the database
/// (the writer keeps it: see [`crate::occupancy`]).
pub(crate) fn load_layout(tx: &Connection, event: EventId) -> Result<EventLayout> {
    let names = |sql: &str| -> Result<Vec<String>> {
        tx.prepare_cached(sql)
            .map_err(storage)?
            .query_map([event.get()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(storage)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(storage)
            .map(|mut rows| {
                rows.sort_unstable_by_key(|(idx, _)| *idx);
                rows.into_iter().map(|(_, name)| name).collect()
            })
    };
    let sections = names("SELECT idx, name FROM event_sections WHERE event_id = ?1")?;
    let categories = names("SELECT idx, name FROM event_categories WHERE event_id = ?1")?;
    let bad = || Error::storage(BACKEND, "a seat's place out of range");
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, section, line, run, place, rank, category, accessible
             FROM seats WHERE event_id = ?1",
        )
        .map_err(storage)?;
    let rows = stmt
        .query_map([event.get()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                [
                    r.get::<_, i64>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ],
                r.get::<_, bool>(7)?,
            ))
        })
        .map_err(storage)?;
    let mut seats = Vec::new();
    for row in rows {
        let (id, numbers, accessible) = row.map_err(storage)?;
        let [section, line, run, place, rank, category] =
            numbers.map(|n| u32::try_from(n).map_err(|_| bad()));
        seats.push((
            Position {
                section: section?,
                line: line?,
                run: run?,
                place: place?,
            },
            LayoutSeat {
                seat: SeatId::new(id),
                rank: rank?,
                category: category?,
                accessible,
            },
        ));
    }
    Ok(EventLayout {
        layout: Layout::new(seats),
        categories,
        sections,
    })
}

/// Works out again which seats of the rows of `seats` are closed (reserved
/// or blocked; see `event_rows`), after a write that reserved, cancelled,
/// blocked or unblocked them: once per row, however many of its seats
/// changed.
/// The writer's knowledge of those rows is marked out of date
/// ([`occupancy::rows_changed`]).
fn refresh_closed(tx: &Connection, seats: &[SeatId]) -> Result<()> {
    let mut row_of = tx
        .prepare_cached("SELECT event_id, section, line FROM seats WHERE id = ?1")
        .map_err(storage)?;
    let mut rows: Vec<(i64, i64, i64)> = Vec::new();
    for seat in seats {
        let row = row_of
            .query_row([seat.get()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(storage)?;
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    let mut refresh = tx
        .prepare_cached(
            "UPDATE event_rows SET (closed, closed_seats) = (
                 SELECT group_concat(CASE WHEN reservation_id IS NULL AND blocked_reason IS NULL
                                          THEN '0' ELSE '1' END, '' ORDER BY run, place),
                        SUM(reservation_id IS NOT NULL OR blocked_reason IS NOT NULL)
                 FROM seats s
                 WHERE s.event_id = event_rows.event_id AND s.section = event_rows.section
                   AND s.line = event_rows.line)
             WHERE event_id = ?1 AND section = ?2 AND line = ?3",
        )
        .map_err(storage)?;
    for &(event, section, line) in &rows {
        refresh
            .execute(params![event, section, line])
            .map_err(storage)?;
    }
    occupancy::rows_changed(rows);
    Ok(())
}

/// The closed seats of each row of `event` that has some, by (section,
/// line): a flag per seat in the row's order, for
/// [`best::Search::with_closed_seats`].
pub(crate) fn closed_seats(
    tx: &Connection,
    event: EventId,
) -> Result<HashMap<(u32, u32), Vec<bool>>> {
    let bad = || Error::storage(BACKEND, "a bad row of event_rows");
    let mut stmt = tx
        .prepare_cached(
            // The partial index: else SQLite reads every row of the event
            // through the primary key and filters them.
            "SELECT section, line, closed FROM event_rows INDEXED BY event_rows_with_closed_seats
             WHERE event_id = ?1 AND closed_seats > 0",
        )
        .map_err(storage)?;
    let rows = stmt
        .query_map([event.get()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(storage)?;
    let mut closed = HashMap::new();
    for row in rows {
        let (section, line, flags) = row.map_err(storage)?;
        let key = (
            u32::try_from(section).map_err(|_| bad())?,
            u32::try_from(line).map_err(|_| bad())?,
        );
        closed.insert(key, flags.bytes().map(|b| b == b'1').collect());
    }
    Ok(closed)
}

/// The seats of `event` held by a hold that is live at `now`: closed to
/// best available as long as its transaction runs. Read through the partial
/// index `seats_by_holder` (whose condition the query repeats), so only the
/// held seats are, not the event's; at most 256 of them (closing some of
/// them is as right as closing all: a crowd of thousands holding at once
/// made every request read and close thousands, quadratic in the crowd).
fn live_holds(tx: &Connection, event: EventId, now: Timestamp) -> Result<Vec<SeatId>> {
    tx.prepare_cached(concat!(
        "SELECT id FROM seats WHERE event_id = ?1 AND ",
        sql_live_hold!("?2"),
        " LIMIT 256"
    ))
    .map_err(storage)?
    .query_map(params![event.get(), micros(now)], |r| {
        r.get::<_, i64>(0).map(SeatId::new)
    })
    .map_err(storage)?
    .collect::<rusqlite::Result<_>>()
    .map_err(storage)
}

/// Marks `seats` blocked with `reason`, or not blocked (`None`). Blocking
/// clears an ended hold: a blocked seat is never held.
fn set_blocked(tx: &Connection, seats: &[SeatRecord], reason: Option<&str>) -> Result<Vec<Seat>> {
    let mut stmt = tx
        .prepare_cached(
            "UPDATE seats SET blocked_reason = ?2,
                 held_by = CASE WHEN ?2 IS NULL THEN held_by END,
                 held_since = CASE WHEN ?2 IS NULL THEN held_since END,
                 held_until = CASE WHEN ?2 IS NULL THEN held_until END
             WHERE id = ?1",
        )
        .map_err(storage)?;
    for record in seats {
        stmt.execute(params![record.seat.id.get(), reason])
            .map_err(storage)?;
    }
    let ids: Vec<SeatId> = seats.iter().map(|r| r.seat.id).collect();
    refresh_closed(tx, &ids)?;
    Ok(seats.iter().map(|r| r.seat.clone()).collect())
}

/// The seats of `seat_ids` that are seats of `event`, as stored, in the
/// order of `seat_ids` (ids of no seat of it are left out).
fn load_seats(tx: &Connection, event: EventId, seat_ids: &[SeatId]) -> Result<Vec<SeatRecord>> {
    let sql = format!("SELECT {SEAT_COLUMNS} FROM {SEATS} WHERE s.id = ?1 AND s.event_id = ?2");
    let mut stmt = tx.prepare_cached(&sql).map_err(storage)?;
    let mut raw = Vec::with_capacity(seat_ids.len());
    for seat in seat_ids {
        let rows = stmt
            .query_map(params![seat.get(), event.get()], RawSeat::from_row)
            .map_err(storage)?;
        for row in rows {
            raw.push(row.map_err(storage)?);
        }
    }
    drop(stmt);
    let names = Names::of_seats(tx, &raw)?;
    raw.into_iter().map(|r| r.into_record(&names)).collect()
}

/// How many seats of `event` `user` holds at `now`, `except` one.
fn held_by(
    tx: &Connection,
    event: EventId,
    user: UserId,
    except: Option<SeatId>,
    now: Timestamp,
) -> Result<u32> {
    let held: i64 = tx
        .prepare_cached(concat!(
            "SELECT COUNT(*) FROM seats WHERE event_id = ?1 AND held_by = ?2 AND ",
            sql_live_hold!("?3"),
            " AND id IS NOT ?4"
        ))
        .map_err(storage)?
        .query_row(
            params![
                event.get(),
                user.get(),
                micros(now),
                except.map(SeatId::get)
            ],
            |r| r.get(0),
        )
        .map_err(storage)?;
    Ok(u32::try_from(held).unwrap_or(u32::MAX))
}

/// Best available inside the writer's transaction: the event's layout and
/// its rows' closed seats as the writer knows them ([`crate::occupancy`]),
/// the live holds, then the states of the rows the search visits, a
/// contiguous range of ids per row (an event's seats are numbered by
/// section, row and number, so each row's ids follow each other).
fn best_available_in(
    tx: &Connection,
    user: UserId,
    event: EventId,
    request: &BestAvailable,
    now: Timestamp,
    policy: &Policy,
) -> Result<Vec<Hold>> {
    let found = require_event(tx, event)?;
    rules::check_not_cancelled(event, found.cancelled.is_some())?;
    let holds = occupancy::with_event(tx, event, |layout, occupancy| {
        // The request's own faults (names the event lacks) come before the
        // user's state (the hold limit), as the contract orders them.
        let wanted = layout.wanted(request)?;
        require_user(tx, user)?;
        let held = held_by(tx, event, user, None, now)?;
        rules::check_best_available(request.count, held, policy)?;
        // Only the ids of the free seats of the rows visited (what
        // `SeatRecord::is_free` says, in SQL); whole records only for the
        // seats chosen.
        let mut free_seats = tx
            .prepare_cached(concat!(
                "SELECT id FROM seats WHERE id BETWEEN ?1 AND ?2 AND ",
                sql_free_seat!("?3")
            ))
            .map_err(storage)?;
        let holding = live_holds(tx, event, now)?;
        let mut search = occupancy.search(&layout.layout, wanted, best::request(request), &holding);
        while let Some(ids) = search.next_seats() {
            let mut free = HashSet::new();
            for (first, last) in id_ranges(&ids) {
                let rows = free_seats
                    .query_map(params![first, last, micros(now)], |r| r.get::<_, i64>(0))
                    .map_err(storage)?;
                for id in rows {
                    free.insert(SeatId::new(id.map_err(storage)?));
                }
            }
            search.visit(|seat| free.contains(&seat));
        }
        let chosen = search.answer().ok_or(Error::NoAdjacentSeats {
            count: request.count,
        })?;
        let loaded = load_seats(tx, event, &chosen)?;
        let records: Vec<&SeatRecord> = loaded.iter().collect();
        let mut holds = rules::hold_all(&records, user, held, now, policy)?;
        holds.sort_by_key(|h| h.seat.sort_key());
        Ok(holds)
    })?;
    for hold in &holds {
        set_seat_state(
            tx,
            hold.seat.id,
            SeatState::Held {
                by: user,
                since: hold.since,
                until: hold.until,
            },
        )?;
    }
    Ok(holds)
}

/// Sorted ids as ranges of consecutive ids, `(first, last)`.
fn id_ranges(ids: &[SeatId]) -> Vec<(i64, i64)> {
    let mut ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    ids.sort_unstable();
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for id in ids {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => ranges.push((id, id)),
        }
    }
    ranges
}

/// The writer's transaction, for [`booking_core::tx`]: every call runs at
/// once on the writer's thread, so each future is ready when first polled
/// ([`tx::run_ready`]). The single writer serializes every write: nothing
/// needs a lock of its own.
struct WriteTx<'c>(&'c Connection);

impl Tx for WriteTx<'_> {
    type Error = Error;

    async fn lock_user(&mut self, user: UserId) -> Result<bool> {
        match require_user(self.0, user) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn event(&mut self, event: EventId) -> Result<Option<EventRules>> {
        Ok(find_event(self.0, event)?.map(|found| EventRules {
            orphans: found.orphans,
            cancelled: found.cancelled.is_some(),
        }))
    }

    async fn seat_to_hold(
        &mut self,
        event: EventId,
        seat: SeatId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<SeatToHold>> {
        let Some(record) = load_seats(self.0, event, &[seat])?.pop() else {
            return Ok(None);
        };
        Ok(Some(SeatToHold {
            record,
            held_elsewhere: held_by(self.0, event, user, Some(seat), now)?,
            event_cancelled: event_cancelled(self.0, event)?,
        }))
    }

    async fn lock_seats(&mut self, event: EventId, seat_ids: &[SeatId]) -> Result<Vec<SeatRecord>> {
        let mut loaded = load_seats(self.0, event, seat_ids)?;
        loaded.sort_unstable_by_key(|r| r.seat.id);
        Ok(loaded)
    }

    async fn reservation_by_key(
        &mut self,
        user: UserId,
        key: &IdempotencyKey,
    ) -> Result<Option<Reservation>> {
        let id: Option<i64> = self
            .0
            .prepare_cached(
                "SELECT id FROM reservations WHERE user_id = ?1 AND idempotency_key = ?2",
            )
            .map_err(storage)?
            .query_row(params![user.get(), key.as_str()], |r| r.get(0))
            .optional()
            .map_err(storage)?;
        match id {
            Some(id) => load_reservation(self.0, ReservationId::new(id)),
            None => Ok(None),
        }
    }

    async fn runs_of(
        &mut self,
        event: EventId,
        seat_ids: &[SeatId],
    ) -> Result<Vec<Vec<SeatRecord>>> {
        runs_of(self.0, event, seat_ids)
    }

    async fn lock_reservation(&mut self, id: ReservationId) -> Result<Option<Reservation>> {
        load_reservation(self.0, id)
    }

    async fn set_seat_state(&mut self, seat: SeatId, state: SeatState) -> Result<()> {
        set_seat_state(self.0, seat, state)
    }

    async fn forget_key(&mut self, reservation: ReservationId) -> Result<()> {
        self.0
            .prepare_cached("UPDATE reservations SET idempotency_key = NULL WHERE id = ?1")
            .map_err(storage)?
            .execute([reservation.get()])
            .map_err(storage)?;
        Ok(())
    }

    async fn insert_reservation(&mut self, new: NewReservation<'_>) -> Result<Reservation> {
        let tx = self.0;
        tx.prepare_cached(
            "INSERT INTO reservations (user_id, event_id, status, total_cents, created_at, idempotency_key)
             VALUES (?1, ?2, 'confirmed', ?3, ?4, ?5)",
        )
        .map_err(storage)?
        .execute(params![
            new.user.get(),
            new.event.get(),
            new.total_cents,
            micros(new.created_at),
            new.key.map(IdempotencyKey::as_str)
        ])
        .map_err(storage)?;
        let id = ReservationId::new(tx.last_insert_rowid());
        for seat in new.seats {
            tx.prepare_cached(
                "INSERT INTO reservation_seats (reservation_id, seat_id, confirmed) VALUES (?1, ?2, 1)",
            )
            .map_err(storage)?
            .execute(params![id.get(), seat.id.get()])
            .map_err(storage)?;
            set_seat_state(tx, seat.id, SeatState::Reserved { reservation: id })?;
        }
        let ids: Vec<SeatId> = new.seats.iter().map(|s| s.id).collect();
        refresh_closed(tx, &ids)?;
        load_reservation(tx, id)?
            .ok_or_else(|| Error::storage(BACKEND, "the new reservation vanished"))
    }

    async fn cancel_reservation(
        &mut self,
        reservation: &Reservation,
        by: UserId,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Reservation> {
        let tx = self.0;
        tx.prepare_cached(
            "UPDATE reservations SET status = 'cancelled', cancelled_at = ?2, cancelled_by = ?3,
                 cancel_reason = ?4
             WHERE id = ?1",
        )
        .map_err(storage)?
        .execute(params![reservation.id.get(), micros(now), by.get(), reason])
        .map_err(storage)?;
        tx.prepare_cached(
            "UPDATE reservation_seats SET confirmed = NULL WHERE reservation_id = ?1",
        )
        .map_err(storage)?
        .execute([reservation.id.get()])
        .map_err(storage)?;
        for seat in &reservation.seats {
            set_seat_state(tx, seat.id, SeatState::Available)?;
        }
        let ids: Vec<SeatId> = reservation.seats.iter().map(|s| s.id).collect();
        refresh_closed(tx, &ids)?;
        load_reservation(tx, reservation.id)?
            .ok_or_else(|| Error::storage(BACKEND, "the reservation vanished"))
    }

    async fn set_blocked(
        &mut self,
        seats: &[SeatRecord],
        reason: Option<&str>,
    ) -> Result<Vec<Seat>> {
        set_blocked(self.0, seats, reason)
    }

    async fn lock_event(&mut self, event: EventId) -> Result<Option<Event>> {
        find_event(self.0, event)
    }

    async fn set_event_details(&mut self, event: &Event) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE events SET name = ?2, description = ?3, venue = ?4, starts_at = ?5
                 WHERE id = ?1",
            )
            .map_err(storage)?
            .execute(params![
                event.id.get(),
                event.name,
                event.description,
                event.venue,
                micros(event.starts_at)
            ])
            .map_err(storage)?;
        Ok(())
    }

    /// The single writer serializes every write: reading is locking.
    async fn lock_event_seats(&mut self, event: EventId) -> Result<Vec<SeatId>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT id FROM seats WHERE event_id = ?1 AND held_by IS NOT NULL")
            .map_err(storage)?;
        let ids = stmt
            .query_map([event.get()], |r| r.get::<_, i64>(0))
            .map_err(storage)?
            .map(|id| id.map(SeatId::new).map_err(storage))
            .collect::<Result<Vec<_>>>()?;
        Ok(ids)
    }

    async fn confirmed_reservations(&mut self, event: EventId) -> Result<Vec<Reservation>> {
        let mut found = load_reservations(
            self.0,
            "r.event_id = ?1 AND r.status = 'confirmed'",
            [event.get()],
        )?;
        found.sort_unstable_by_key(|r| r.id);
        Ok(found)
    }

    async fn set_event_cancelled(
        &mut self,
        event: EventId,
        cancellation: &Cancellation,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE events SET cancelled_at = ?2, cancelled_by = ?3, cancel_reason = ?4
                 WHERE id = ?1",
            )
            .map_err(storage)?
            .execute(params![
                event.get(),
                micros(cancellation.at),
                cancellation.by.get(),
                cancellation.reason
            ])
            .map_err(storage)?;
        Ok(())
    }

    async fn audit(&mut self, record: NewAuditRecord<'_>) -> Result<()> {
        insert_audit(self.0, &record)
    }
}

/// The rows of new event `id`, every seat open (see `refresh_closed`).
fn insert_rows(tx: &Connection, id: EventId, venue: &booking_core::Venue) -> Result<()> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO event_rows (event_id, section, line, closed, closed_seats)
             VALUES (?1, ?2, ?3, ?4, 0)",
        )
        .map_err(storage)?;
    for (section, s) in venue.sections.iter().enumerate() {
        for (line, row) in s.rows.iter().enumerate() {
            let seats = row.runs.iter().map(Vec::len).sum::<usize>();
            insert
                .execute(params![
                    id.get(),
                    int(section),
                    int(line),
                    "0".repeat(seats)
                ])
                .map_err(storage)?;
        }
    }
    Ok(())
}

/// Appends `record` to the audit log, in the writer's transaction.
fn insert_audit(tx: &Connection, record: &NewAuditRecord<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log
             (at, actor_id, action, event_id, reservation_id, seats, reason, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(storage)?
    .execute(params![
        micros(record.at),
        record.actor.map(UserId::get),
        record.action.as_str(),
        record.event.map(EventId::get),
        record.reservation.map(ReservationId::get),
        record.seats.join("\n"),
        record.reason,
        record.user.map(UserId::get),
    ])
    .map_err(storage)?;
    Ok(())
}

/// A page of an event's reservations (see
/// [`BookingStore::event_reservations`]), as a condition on `reservations
/// r` for [`load_reservations`]: event `?1`; status `?2`, user `?3`, a seat
/// labelled `?4` and ids below `?5`, each when not `NULL`; the `?6` newest.
const EVENT_RESERVATIONS: &str = "r.id IN (
     SELECT r.id FROM reservations r
     WHERE r.event_id = ?1 AND (?2 IS NULL OR r.status = ?2) AND (?3 IS NULL OR r.user_id = ?3)
       AND (?4 IS NULL OR EXISTS (
           SELECT 1 FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
           WHERE rs.reservation_id = r.id AND s.label = ?4))
       AND (?5 IS NULL OR r.id < ?5)
     ORDER BY r.id DESC LIMIT ?6)";

/// A page of the audit log (see [`BookingStore::audit_log`]): every
/// condition is bound, `NULL` when the filter has none.
const AUDIT_SQL: &str =
    "SELECT id, at, actor_id, action, event_id, reservation_id, seats, reason, user_id
     FROM audit_log
     WHERE (?1 IS NULL OR event_id = ?1) AND (?2 IS NULL OR actor_id = ?2)
       AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR at >= ?4)
       AND (?5 IS NULL OR at < ?5) AND (?6 IS NULL OR id < ?6)
     ORDER BY id DESC LIMIT ?7";

fn audit_log(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
    type Raw = (
        i64,
        i64,
        Option<i64>,
        String,
        Option<i64>,
        Option<i64>,
        String,
        String,
        Option<i64>,
    );
    let rows = conn
        .prepare_cached(AUDIT_SQL)
        .map_err(storage)?
        .query_map(
            params![
                filter.event.map(EventId::get),
                filter.actor.map(UserId::get),
                filter.action.map(AuditAction::as_str),
                filter.since.map(micros),
                filter.until.map(micros),
                filter.before,
                filter.limit,
            ],
            |r| -> rusqlite::Result<Raw> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .map_err(storage)?
        .collect::<rusqlite::Result<Vec<Raw>>>()
        .map_err(storage)?;
    rows.into_iter()
        .map(
            |(id, at, actor, action, event, reservation, seats, reason, user)| {
                Ok(AuditRecord {
                    id,
                    at: instant(at)?,
                    actor: actor.map(UserId::new),
                    action: action
                        .parse()
                        .map_err(|e: Error| Error::storage(BACKEND, e.to_string()))?,
                    event: event.map(EventId::new),
                    reservation: reservation.map(ReservationId::new),
                    user: user.map(UserId::new),
                    seats: seats.lines().map(str::to_owned).collect(),
                    reason,
                })
            },
        )
        .collect()
}

impl BookingStore for SqliteStore {
    fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    async fn create_event(&self, new: NewEvent) -> Result<EventSummary> {
        new.validate()?;
        self.write(move |tx, now, _| {
            run(tx::lock_creator(&mut WriteTx(tx), new.created_by))?;
            let venue = &new.seating;
            let placed = venue.placed_seats();
            let total = i64::try_from(placed.len())
                .map_err(|_| Error::invalid_input("too many seats"))?;
            tx.prepare_cached(
                "INSERT INTO events (name, description, venue, starts_at, total_seats, orphans)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(storage)?
            .execute(params![
                new.name,
                new.description,
                new.venue,
                micros(new.starts_at),
                total,
                new.orphans.as_str(),
            ])
            .map_err(storage)?;
            let id = EventId::new(tx.last_insert_rowid());
            let mut section_totals = vec![0i64; venue.sections.len()];
            let mut category_totals = vec![0i64; venue.categories.len()];
            for p in &placed {
                section_totals[p.section] += 1;
                category_totals[p.seat.category] += 1;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO event_sections
                       (event_id, idx, name, total_seats, position_x, position_y)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(storage)?;
            for ((idx, section), total) in venue.sections.iter().enumerate().zip(section_totals) {
                let (x, y) = (section.position.map(|p| p.x), section.position.map(|p| p.y));
                insert
                    .execute(params![id.get(), int(idx), section.name, total, x, y])
                    .map_err(storage)?;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO event_categories (event_id, idx, name, price_cents, color, total_seats)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(storage)?;
            for ((idx, c), total) in venue.categories.iter().enumerate().zip(category_totals) {
                insert
                    .execute(params![id.get(), int(idx), c.name, c.price_cents, c.color, total])
                    .map_err(storage)?;
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO seats (event_id, section, line, row_index, run, place, number, label,
                         category, price_cents, accessible, companion, restricted_view, rank)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(storage)?;
            for p in &placed {
                insert
                    .execute(params![
                        id.get(),
                        int(p.section),
                        int(p.line),
                        p.row.index(),
                        int(p.run),
                        int(p.place),
                        p.seat.number,
                        p.label,
                        int(p.seat.category),
                        venue.categories[p.seat.category].price_cents,
                        p.seat.accessible,
                        p.seat.companion,
                        p.seat.restricted_view,
                        p.seat.rank,
                    ])
                    .map_err(storage)?;
            }
            insert_rows(tx, id, venue)?;
            run(tx::audit_new_event(&mut WriteTx(tx), new.created_by, id, now))?;
            summaries(tx, Some(id), now)?
                .pop()
                .ok_or_else(|| Error::storage(BACKEND, "the new event vanished"))
        })
        .await
    }

    async fn events(&self) -> Result<Vec<EventSummary>> {
        self.read(|conn, now| summaries(conn, None, now)).await
    }

    async fn event(&self, event: EventId) -> Result<EventSummary> {
        self.read(move |conn, now| {
            summaries(conn, Some(event), now)?
                .pop()
                .ok_or_else(|| Error::not_found(Entity::Event, event.get()))
        })
        .await
    }

    async fn seats(&self, event: EventId) -> Result<Vec<SeatRecord>> {
        self.seats_in_rows(
            event,
            Row::from_index(0).expect("row A")..=Row::from_index(Row::COUNT - 1).expect("row ZZZ"),
        )
        .await
    }

    async fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> Result<Vec<SeatRecord>> {
        let cache = Arc::clone(&self.inner.fixed);
        self.read(move |conn, now| {
            let fixed = fixed_seats(conn, &cache, event)?;
            let mut seats = read_states(
                conn,
                &fixed,
                seats_in_rows_sql(),
                params![event.get(), rows.start().index(), rows.end().index()],
            )?;
            for record in &mut seats {
                record.state = record.state.at(now);
            }
            Ok(seats)
        })
        .await
    }

    async fn seats_in_section(&self, event: EventId, section: &str) -> Result<Vec<SeatRecord>> {
        let section = section.to_owned();
        let cache = Arc::clone(&self.inner.fixed);
        self.read(move |conn, now| {
            let fixed = fixed_seats(conn, &cache, event)?;
            let index = section_index(conn, event, &section)?;
            let mut seats = read_states(
                conn,
                &fixed,
                seats_in_section_sql(),
                params![event.get(), index],
            )?;
            for record in &mut seats {
                record.state = record.state.at(now);
            }
            Ok(seats)
        })
        .await
    }

    async fn seats_held_by(&self, user: UserId, event: EventId) -> Result<Vec<SeatRecord>> {
        let cache = Arc::clone(&self.inner.fixed);
        self.read(move |conn, now| {
            let fixed = fixed_seats(conn, &cache, event)?;
            let mut seats = read_states(
                conn,
                &fixed,
                seats_held_by_sql(),
                params![event.get(), user.get()],
            )?;
            // Whether each hold still runs is judged by `SeatState::at`.
            for record in &mut seats {
                record.state = record.state.at(now);
            }
            seats.retain(|r| r.state.is_held_by(user));
            Ok(seats)
        })
        .await
    }

    async fn hold(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Hold> {
        self.write(move |tx, now, policy| {
            run(tx::hold(&mut WriteTx(tx), user, event, seat, now, policy))
        })
        .await
    }

    async fn release(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Seat> {
        self.write(move |tx, now, _| run(tx::release(&mut WriteTx(tx), user, event, seat, now)))
            .await
    }

    async fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<Reservation> {
        let (seat_ids, key) = (seat_ids.to_vec(), key.cloned());
        self.write(move |tx, now, policy| {
            let mut tx = WriteTx(tx);
            run(tx::reserve(
                &mut tx,
                user,
                event,
                &seat_ids,
                key.as_ref(),
                now,
                policy,
            ))
        })
        .await
    }

    async fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        // Bad ids are refused before the writer's queue.
        rules::check_block_ids(seat_ids)?;
        let (seat_ids, reason) = (seat_ids.to_vec(), reason.to_owned());
        self.write(move |tx, now, _| {
            run(tx::block(
                &mut WriteTx(tx),
                by,
                event,
                &seat_ids,
                &reason,
                now,
            ))
        })
        .await
    }

    async fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        rules::check_block_ids(seat_ids)?;
        let (seat_ids, reason) = (seat_ids.to_vec(), reason.to_owned());
        self.write(move |tx, now, _| {
            run(tx::unblock(
                &mut WriteTx(tx),
                by,
                event,
                &seat_ids,
                &reason,
                now,
            ))
        })
        .await
    }

    async fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> Result<Vec<Hold>> {
        let request = request.clone();
        self.write(move |tx, now, policy| best_available_in(tx, user, event, &request, now, policy))
            .await
    }

    async fn reservations(&self, user: UserId) -> Result<Vec<Reservation>> {
        self.read(move |conn, _| load_reservations(conn, "r.user_id = ?1", [user.get()]))
            .await
    }

    async fn cancel(&self, user: UserId, reservation: ReservationId) -> Result<Reservation> {
        self.write(move |tx, now, _| run(tx::cancel(&mut WriteTx(tx), user, reservation, now)))
            .await
    }

    async fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> Result<Reservation> {
        let reason = reason.to_owned();
        self.write(move |tx, now, _| {
            run(tx::staff_cancel(
                &mut WriteTx(tx),
                by,
                reservation,
                &reason,
                now,
            ))
        })
        .await
    }

    async fn edit_event(&self, by: UserId, event: EventId, edit: &EventEdit) -> Result<Event> {
        let edit = edit.clone();
        self.write(move |tx, now, _| run(tx::edit_event(&mut WriteTx(tx), by, event, &edit, now)))
            .await
    }

    async fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> Result<EventCancellation> {
        let reason = reason.to_owned();
        self.write(move |tx, now, _| {
            run(tx::cancel_event(&mut WriteTx(tx), by, event, &reason, now))
        })
        .await
    }

    async fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> Result<Vec<Reservation>> {
        filter.validate()?;
        let filter = filter.clone();
        self.read(move |conn, _| {
            require_event(conn, event)?;
            let mut page = load_reservations(
                conn,
                EVENT_RESERVATIONS,
                params![
                    event.get(),
                    filter.status.map(ReservationStatus::as_str),
                    filter.user.map(UserId::get),
                    filter.seat,
                    filter.before.map(ReservationId::get),
                    filter.limit,
                ],
            )?;
            page.sort_unstable_by_key(|r| std::cmp::Reverse(r.id));
            Ok(page)
        })
        .await
    }

    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        filter.validate()?;
        let filter = filter.clone();
        self.read(move |conn, _| audit_log(conn, &filter)).await
    }
}

impl AccountStore for SqliteStore {
    async fn create_user(&self, username: &Username, password_hash: &str) -> Result<User> {
        let (username, hash) = (username.clone(), password_hash.to_owned());
        self.write(move |tx, _, _| {
            tx.prepare_cached("INSERT INTO users (username, password_hash) VALUES (?1, ?2)")
                .map_err(storage)?
                .execute(params![username.as_str(), hash])
                .map_err(|e| to_core(e, OnUnique::Username(username.as_str())))?;
            Ok(User {
                id: UserId::new(tx.last_insert_rowid()),
                username,
                staff: false,
            })
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        // Text that is no valid name belongs to nobody: no query needed.
        let Ok(username) = Username::new(username) else {
            return Ok(None);
        };
        self.read(move |conn, _| {
            conn.prepare_cached(
                "SELECT id, username, password_hash, staff FROM users WHERE username = ?1",
            )
            .map_err(storage)?
            .query_row([username.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()
            .map_err(storage)?
            .map(|(id, name, hash, staff)| {
                Ok(Credentials {
                    user: User {
                        id: UserId::new(id),
                        username: Username::new(name)?,
                        staff,
                    },
                    password_hash: hash,
                })
            })
            .transpose()
        })
        .await
    }

    async fn username_taken(&self, username: &Username) -> Result<bool> {
        let folded = username.folded();
        self.read(move |conn, _| {
            conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = ?1)")
                .map_err(storage)?
                .query_row([folded], |r| r.get(0))
                .map_err(storage)
        })
        .await
    }

    async fn user(&self, user: UserId) -> Result<Option<User>> {
        self.read(move |conn, _| match require_user(conn, user) {
            Ok(found) => Ok(Some(found)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn set_staff(&self, by: Option<UserId>, user: UserId, staff: bool) -> Result<User> {
        self.write(move |tx, now, _| {
            if let Some(by) = by {
                require_user(tx, by)?;
            }
            let mut found = require_user(tx, user)?;
            if found.staff == staff {
                return Ok(found);
            }
            tx.prepare_cached("UPDATE users SET staff = ?2 WHERE id = ?1")
                .map_err(storage)?
                .execute(params![user.get(), staff])
                .map_err(storage)?;
            run(tx::audit_set_staff(&mut WriteTx(tx), by, user, staff, now))?;
            found.staff = staff;
            Ok(found)
        })
        .await
    }

    async fn create_session(&self, id: &SessionId, user: UserId, ttl: Duration) -> Result<Session> {
        let id = id.clone();
        self.write(move |tx, now, _| {
            let found = require_user(tx, user)?;
            let expires_at = booking_core::add_duration(now, ttl);
            tx.prepare_cached(
                "INSERT INTO sessions (id_sha256, user_id, expires_at) VALUES (?1, ?2, ?3)",
            )
            .map_err(storage)?
            .execute(params![id.digest(), user.get(), micros(expires_at)])
            .map_err(|e| to_core(e, OnUnique::SessionId))?;
            Ok(Session {
                id,
                user: found,
                expires_at,
            })
        })
        .await
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>> {
        let id = id.clone();
        self.read(move |conn, now| {
            conn.prepare_cached(SESSION_SQL)
                .map_err(storage)?
                .query_row(params![id.digest(), micros(now)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, bool>(3)?,
                    ))
                })
                .optional()
                .map_err(storage)?
                .map(|(user, name, expires_at, staff)| {
                    Ok(Session {
                        id,
                        user: User {
                            id: UserId::new(user),
                            username: Username::new(name)?,
                            staff,
                        },
                        expires_at: instant(expires_at)?,
                    })
                })
                .transpose()
        })
        .await
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool> {
        let id = id.clone();
        self.write(move |tx, _, _| {
            let n = tx
                .prepare_cached("DELETE FROM sessions WHERE id_sha256 = ?1")
                .map_err(storage)?
                .execute([id.digest()])
                .map_err(storage)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_expired_sessions(&self) -> Result<u64> {
        self.write(|tx, now, _| {
            let n = tx
                .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")
                .map_err(storage)?
                .execute([micros(now)])
                .map_err(storage)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;

    /// Polls `future` to its end on this thread, with no runtime at all.
    fn block_on<F: Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Arc::new(Unpark(std::thread::current())).into();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }

    /// The store's futures need no tokio runtime: any executor can poll them.
    #[test]
    fn the_store_works_without_a_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(dir.path().join("booking.db"), SqliteOptions::default()).unwrap();
        let name = Username::new("ann").unwrap();
        let ann = block_on(store.create_user(&name, "hash")).unwrap();
        let found = block_on(store.user(ann.id)).unwrap();
        assert_eq!(found.map(|u| u.username), Some(name));
    }

    /// The last connection to close checkpoints the WAL into the file and
    /// removes it: dropping the last clone of a store waits for that.
    #[tokio::test]
    async fn dropping_the_last_clone_closes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booking.db");
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        let clone = store.clone();
        let name = Username::new("ann").unwrap();
        clone.create_user(&name, "hash").await.unwrap();
        store.events().await.unwrap();
        let wal = dir.path().join("booking.db-wal");
        assert!(wal.exists(), "written through the WAL");
        drop(store);
        assert!(wal.exists(), "a clone still has the file open");
        drop(clone);
        assert!(
            !wal.exists(),
            "closed: the WAL was checkpointed and removed"
        );
    }

    /// Polls `future` once, so that a store call queues its job.
    fn start<F: Future>(future: std::pin::Pin<&mut F>) {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(future.poll(&mut cx).is_pending(), "the writer is held");
    }

    /// Writes in one batch see each other's changes: a retry with the same
    /// idempotency key replays the first reservation, committed with it,
    /// and another buyer of the same seat is refused.
    #[tokio::test]
    async fn writes_in_one_batch_read_each_others_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(dir.path().join("booking.db"), SqliteOptions::default()).unwrap();
        let event = store
            .create_event(NewEvent {
                name: "Batch".into(),
                description: String::new(),
                venue: "Hall".into(),
                starts_at: chrono::Utc::now(),
                seating: "A:1-2:1000".parse().unwrap(),
                orphans: booking_core::OrphanPolicy::Allow,
                created_by: None,
            })
            .await
            .unwrap()
            .event
            .id;
        let seats = store.seats(event).await.unwrap();
        let seat = [seats[0].seat.id];
        let ann = store
            .create_user(&Username::new("ann").unwrap(), "h")
            .await
            .unwrap()
            .id;
        let bob = store
            .create_user(&Username::new("bob").unwrap(), "h")
            .await
            .unwrap()
            .id;
        let key = IdempotencyKey::new("k-1").unwrap();
        store.hold(ann, event, seat[0]).await.unwrap();

        let release = store.inner.connections.hold_writer();
        let mut first = std::pin::pin!(store.reserve(ann, event, &seat, Some(&key)));
        let mut retry = std::pin::pin!(store.reserve(ann, event, &seat, Some(&key)));
        let mut other = std::pin::pin!(store.reserve(bob, event, &seat, None));
        start(first.as_mut());
        start(retry.as_mut());
        start(other.as_mut());
        drop(release);

        let first = first.await.unwrap();
        assert_eq!(retry.await.unwrap(), first, "replayed");
        let other = other.await;
        assert!(
            other.as_ref().is_err_and(|e| e.conflicts().is_some()),
            "{other:?}"
        );
        assert_eq!(store.reservations(ann).await.unwrap(), [first]);
    }

    /// The SQL conditions on holds agree with `SeatState::at` and
    /// `SeatRecord::is_free`, on both sides of a hold's end.
    #[test]
    fn the_sql_conditions_judge_holds_as_the_rules_do() {
        let conn = Connection::open_in_memory().unwrap();
        let sql = concat!(
            "SELECT ",
            sql_live_hold!("?5"),
            ", ",
            sql_free_seat!("?5"),
            " FROM (SELECT ?1 AS reservation_id, ?2 AS held_by, ?3 AS held_until,
                           ?4 AS blocked_reason)"
        );
        let now = chrono::Utc::now();
        for case in booking_core::testkit::hold_cases(now) {
            let (reservation, by, _, until) = case.state.to_columns();
            let (live, free): (bool, bool) = conn
                .query_row(
                    sql,
                    params![
                        reservation.map(ReservationId::get),
                        by.map(UserId::get),
                        until.map(micros),
                        case.blocked,
                        micros(now)
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!((live, free), (case.live, case.free), "{case:?}");
        }
    }

    /// A section's seats are read through an index on the event and the
    /// section: a stadium block reads its own seats, not the stadium's.
    #[test]
    fn a_section_is_read_by_an_index() {
        let path = Path::new(":memory:");
        let options = SqliteOptions::default();
        let mut conn = schema::connect(path, OpenFlags::default(), &options, false).unwrap();
        schema::migrate(&mut conn, path).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", seats_in_section_sql()))
            .unwrap()
            .query_map(params![1, 0], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("INDEX") && step.contains("event_id=? AND section=?")),
            "{plan:?}"
        );
    }

    /// The seat-map read, the session lookup and the event summaries are
    /// planned once, not at every run (see [`schema::connect`]).
    #[test]
    fn the_hot_reads_are_not_prepared_again() {
        let path = Path::new(":memory:");
        let options = SqliteOptions::default();
        let mut conn = schema::connect(path, OpenFlags::default(), &options, false).unwrap();
        schema::migrate(&mut conn, path).unwrap();
        conn.execute_batch(
            "INSERT INTO events (id, name, venue, starts_at, total_seats) VALUES (1, 'e', 'v', 0, 2);
             INSERT INTO event_sections (event_id, idx, name, total_seats) VALUES (1, 0, '', 2);
             INSERT INTO event_categories VALUES (1, 0, '$1.00', 100, '#7b3fa0', 2);
             INSERT INTO seats (event_id, section, line, row_index, run, place, number, label, category,
                                price_cents, rank, held_by, held_since, held_until)
             VALUES (1, 0, 0, 0, 0, 0, 1, 'A1', 0, 100, 1, NULL, NULL, NULL),
                    (1, 0, 0, 0, 0, 1, 2, 'A2', 0, 100, 1, NULL, NULL, NULL);",
        )
        .unwrap();
        let sql = seats_in_rows_sql();
        let fixed = FixedSeats::read(&conn, EventId::new(1)).unwrap();
        for _ in 0..3 {
            read_states(&conn, &fixed, sql, params![1, 0, 10]).unwrap();
        }
        let prepared_again = conn
            .prepare_cached(sql)
            .unwrap()
            .get_status(StatementStatus::RePrepare);
        assert_eq!(prepared_again, 0, "the seat map");

        conn.execute_batch(
            "INSERT INTO users (id, username, password_hash) VALUES (1, 'alice', 'x');
             INSERT INTO sessions (id_sha256, user_id, expires_at) VALUES ('a', 1, 10);",
        )
        .unwrap();
        for digest in ["a", "b", "a"] {
            conn.prepare_cached(SESSION_SQL)
                .unwrap()
                .query_row(params![digest, 5], |_| Ok(()))
                .optional()
                .unwrap();
        }
        let prepared_again = conn
            .prepare_cached(SESSION_SQL)
            .unwrap()
            .get_status(StatementStatus::RePrepare);
        assert_eq!(prepared_again, 0, "the session lookup");

        for event in [None, Some(EventId::new(1)), None, Some(EventId::new(1))] {
            summaries(&conn, event, chrono::Utc::now()).unwrap();
        }
        for sql in [EVENTS_SQL, SECTIONS_SQL, CATEGORIES_SQL, TAKEN_SQL] {
            let prepared_again = conn
                .prepare_cached(sql)
                .unwrap()
                .get_status(StatementStatus::RePrepare);
            assert_eq!(prepared_again, 0, "the event summaries: {sql}");
        }
    }
}
