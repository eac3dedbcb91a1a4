//! [`PgStore`]: the store traits on PostgreSQL.
//!
//! Every operation is one transaction on a pooled connection: it locks the
//! rows it will change with `SELECT ... FOR UPDATE` (the user's row first,
//! then seats in ascending id order, so two transactions never wait on each
//! other in a cycle), applies `booking_core::rules` with the transaction's
//! instant, and writes back. Serialization failures and deadlocks are
//! retried a bounded number of times, and a transaction whose connection
//! broke before its `COMMIT` was sent is run once more on a fresh
//! connection; anything else rolls back and surfaces as a storage error.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use booking_core::audit::NewAuditRecord;
use booking_core::best::{EventLayout, Layout, LayoutSeat, Position, Search, Wanted};
use booking_core::tx::{self, EventRules, NewReservation, ReserveLoad, SeatToHold, Tx};
use booking_core::venue::{PlacedSeat, Point, Venue};
use booking_core::{
    AccountStore, AuditAction, AuditFilter, AuditRecord, BestAvailable, BookingStore, Cancellation,
    CategorySummary, Clock, Credentials, Entity, Error, Event, EventCancellation, EventEdit,
    EventId, EventSummary, Hold, IdempotencyKey, NewEvent, OrphanPolicy, Policy, Reservation,
    ReservationFilter, ReservationId, ReservationStatus, Result, Row, Seat, SeatCounts, SeatId,
    SeatRecord, SeatState, SectionSummary, Session, SessionId, TakenSeats, Timestamp, User, UserId,
    Username, count_taken,
};
use booking_core::{rules, sql_free_seat, sql_live_hold};
use deadpool_postgres::{Pool, Transaction};

use crate::connections::{self, transaction};
use crate::error::{BACKEND, ConnectError, OpError};
use crate::occupancy::{self, EventCache};
use crate::options::PgOptions;
use crate::picking::{Picked, Picking};

/// The first key of `pg_advisory_xact_lock(key, event)`: best-available
/// requests for one event run one after another (see
/// [`PgStore::best_available`]).
const BEST_AVAILABLE_LOCK: i32 = 0x6265_7374;

/// An event at least this large changes the seats table's statistics
/// enough to refresh them at once (see `PgStore::analyze_seats`).
const ANALYZE_AFTER_SEATS: usize = 1_000;

/// A booking store on PostgreSQL. Clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    database: Arc<str>,
    clock: Option<Arc<dyn Clock>>,
    policy: Policy,
    /// Each event's seating and closed seats for best available.
    events: Arc<occupancy::Events>,
    /// The seats best-available requests in flight have picked.
    picking: Arc<Picking>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("policy", &self.policy)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host/db`) and
    /// brings its schema up to date.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, ConnectError> {
        let config: tokio_postgres::Config = url.parse().map_err(ConnectError::Url)?;
        let database = config.get_dbname().unwrap_or_default().into();
        let pool = connections::pool(config, &options).await?;
        Ok(Self {
            pool,
            database,
            clock: options.clock,
            policy: options.policy,
            events: Arc::default(),
            picking: Arc::default(),
        })
    }

    /// The name of the database it is connected to.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The connection pool (for tests and operations tooling).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl PgStore {
    /// Refreshes the seats table's statistics after a large event was
    /// added. Until autovacuum gets to it, the planner believes an event has
    /// a few hundred seats: it counted a 100,000-seat event's available
    /// seats by reading all of them instead of through the partial indexes,
    /// and its cost estimate switched JIT compilation on (125 ms a query).
    /// Best effort: the event exists either way, and autovacuum would get
    /// there in the end.
    async fn analyze_seats(&self) {
        let analyzed = connections::statement(&self.pool, async |client| {
            Ok(client.batch_execute("ANALYZE seats").await?)
        })
        .await;
        if let Err(e) = analyzed {
            tracing::warn!(error = %e, "ANALYZE seats after a large new event failed");
        }
    }

    async fn now(&self, tx: &Transaction<'_>) -> Result<Timestamp, OpError> {
        if let Some(clock) = &self.clock {
            return Ok(clock.now());
        }
        // Cached, as every statement: a text query would be prepared, run
        // and closed each time, two round trips more.
        let stmt = tx.prepare_cached("SELECT transaction_timestamp()").await?;
        Ok(tx.query_one(&stmt, &[]).await?.get(0))
    }
}

const SEAT_COLUMNS: &str = "s.id, s.event_id, s.row_index, s.number, s.price_cents, s.reservation_id, s.held_by, s.held_since, s.held_until, \
     es.name, s.label, ec.name, s.accessible, s.companion, s.restricted_view, s.blocked_reason";
/// How many columns `SEAT_COLUMNS` names (the index of a column after them).
const SEAT_COLUMN_COUNT: usize = 16;
/// The seats `s` with their section `es` and category `ec`, for
/// `SEAT_COLUMNS`. A lock must name its table: `FOR UPDATE OF s`.
const SEATS: &str = "seats s
     JOIN event_sections es ON es.event_id = s.event_id AND es.idx = s.section
     JOIN event_categories ec ON ec.event_id = s.event_id AND ec.idx = s.category";

fn seat_record(row: &tokio_postgres::Row) -> Result<SeatRecord> {
    let id: i64 = row.get(0);
    let bad = || Error::storage(BACKEND, format!("seat {id} has a bad row or number"));
    let row_index: i32 = row.get(2);
    let number: i32 = row.get(3);
    Ok(SeatRecord {
        seat: Seat {
            id: SeatId::new(id),
            event: EventId::new(row.get(1)),
            row: u32::try_from(row_index)
                .ok()
                .and_then(Row::from_index)
                .ok_or_else(bad)?,
            number: u32::try_from(number).map_err(|_| bad())?,
            section: row.get(9),
            label: row.get(10),
            category: row.get(11),
            price_cents: row.get(4),
            accessible: row.get(12),
            companion: row.get(13),
            restricted_view: row.get(14),
        },
        state: SeatState::from_columns(
            BACKEND,
            row.get::<_, Option<i64>>(5).map(ReservationId::new),
            row.get::<_, Option<i64>>(6).map(UserId::new),
            row.get(7),
            row.get(8),
        )?,
        blocked: row.get(15),
    })
}

/// Checks that `event` exists.
async fn require_event(tx: &Transaction<'_>, event: EventId) -> Result<(), OpError> {
    match find_event(tx, event).await? {
        Some(_) => Ok(()),
        None => Err(Error::not_found(Entity::Event, event.get()).into()),
    }
}

/// What the writes need to know of event `$1`, for [`event_rules`].
const FIND_EVENT: &str = "SELECT orphans, cancelled_at IS NOT NULL FROM events WHERE id = $1";

/// What the writes need to know of `event`, if there is such an event.
async fn find_event(tx: &Transaction<'_>, event: EventId) -> Result<Option<EventRules>, OpError> {
    let stmt = tx.prepare_cached(FIND_EVENT).await?;
    event_rules(tx.query_opt(&stmt, &[&event.get()]).await?)
}

/// The answer of [`FIND_EVENT`].
fn event_rules(row: Option<tokio_postgres::Row>) -> Result<Option<EventRules>, OpError> {
    match row {
        Some(row) => Ok(Some(EventRules {
            orphans: orphan_policy(row.get(0))?,
            cancelled: row.get(1),
        })),
        None => Ok(None),
    }
}

/// The columns of `events` that make an [`Event`], for [`event_from`].
const EVENT_COLUMNS: &str =
    "id, name, description, venue, starts_at, orphans, cancelled_at, cancelled_by, cancel_reason";

/// An [`Event`] from a row that starts with [`EVENT_COLUMNS`].
fn event_from(row: &tokio_postgres::Row) -> Result<Event> {
    let id = EventId::new(row.get(0));
    let cancelled = Cancellation::from_columns(BACKEND, id, row.get(6), row.get(7), row.get(8))?;
    Ok(Event {
        id,
        name: row.get(1),
        description: row.get(2),
        venue: row.get(3),
        starts_at: row.get(4),
        orphans: orphan_policy(row.get(5))?,
        cancelled,
    })
}

/// The index of `event`'s section named `name` (exactly, case included);
/// [`Error::UnknownSection`] when it has none. The names are compared
/// here rather than in SQL: a name with a NUL, which no section has, is
/// text PostgreSQL refuses.
async fn section_index(tx: &Transaction<'_>, event: EventId, name: &str) -> Result<i32, OpError> {
    let stmt = tx
        .prepare_cached("SELECT idx, name FROM event_sections WHERE event_id = $1")
        .await?;
    let rows = tx.query(&stmt, &[&event.get()]).await?;
    rows.iter()
        .find(|row| row.get::<_, &str>(1) == name)
        .map(|row| row.get(0))
        .ok_or_else(|| {
            Error::UnknownSection {
                name: name.to_owned(),
            }
            .into()
        })
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

/// The lock of [`lock_user`].
const LOCK_USER: &str = "SELECT username, staff FROM users WHERE id = $1 FOR UPDATE";

/// Locks the user's row (serializing that user's holds and reserves);
/// `None` if there is no such user.
async fn lock_user(tx: &Transaction<'_>, user: UserId) -> Result<Option<User>, OpError> {
    let stmt = tx.prepare_cached(LOCK_USER).await?;
    match tx.query_opt(&stmt, &[&user.get()]).await? {
        Some(row) => Ok(Some(User {
            id: user,
            username: Username::new(row.get::<_, String>(0))?,
            staff: row.get(1),
        })),
        None => Ok(None),
    }
}

/// Locks `user`'s row as [`lock_user`] does and, in the same statement,
/// reads `seat` of `event` as committed, without its lock.
async fn lock_user_and_read_seat(
    tx: &Transaction<'_>,
    user: UserId,
    seat: SeatId,
    event: EventId,
) -> Result<(Option<User>, Option<SeatRecord>), OpError> {
    // No seat when the event is cancelled: the hold is then refused under
    // the seat's lock, in the contract's order.
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {SEAT_COLUMNS}, u.username, u.staff
             FROM users u LEFT JOIN ({SEATS}) ON s.id = $2 AND s.event_id = $3
                 AND NOT EXISTS (SELECT 1 FROM events
                                 WHERE id = $3 AND cancelled_at IS NOT NULL)
             WHERE u.id = $1 FOR UPDATE OF u"
        ))
        .await?;
    let Some(row) = tx
        .query_opt(&stmt, &[&user.get(), &seat.get(), &event.get()])
        .await?
    else {
        return Ok((None, None));
    };
    let found = User {
        id: user,
        username: Username::new(row.get::<_, String>(SEAT_COLUMN_COUNT))?,
        staff: row.get(SEAT_COLUMN_COUNT + 1),
    };
    // The seat's columns are NULL when it is not there.
    let seen = match row.get::<_, Option<i64>>(0) {
        Some(_) => Some(seat_record(&row)?),
        None => None,
    };
    Ok((Some(found), seen))
}

async fn seats_where(
    tx: &Transaction<'_>,
    condition: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<SeatRecord>, OpError> {
    let sql = format!("SELECT {SEAT_COLUMNS} FROM {SEATS} WHERE {condition}");
    let stmt = tx.prepare_cached(&sql).await?;
    let rows = tx.query(&stmt, params).await?;
    Ok(rows.iter().map(seat_record).collect::<Result<_>>()?)
}

/// `seat` of `event`, locked, with the number of `user`'s other live holds
/// in the event (the hold limit's count); then, in a statement sent with
/// it (one round trip) that runs once the seat's lock is taken, what the
/// writes need to know of the event (whether it is cancelled: see `Tx`).
async fn seat_to_hold(
    tx: &Transaction<'_>,
    seat: SeatId,
    user: UserId,
    now: Timestamp,
    event: EventId,
) -> Result<(Option<tokio_postgres::Row>, Option<EventRules>), OpError> {
    let stmt = tx
        .prepare_cached(&format!(
            // The condition's columns are the inner table's, `h`.
            concat!(
                "SELECT {columns},
                        (SELECT COUNT(*) FROM seats h
                         WHERE h.event_id = s.event_id AND h.held_by = $2 AND ",
                sql_live_hold!("$3"),
                " AND h.id <> s.id)
                 FROM {seats} WHERE s.id = $1 AND s.event_id = $4 FOR UPDATE OF s"
            ),
            columns = SEAT_COLUMNS,
            seats = SEATS,
        ))
        .await?;
    // Both prepared first: a statement still to be prepared would be sent
    // after the other, and could run before it.
    let rules = tx.prepare_cached(FIND_EVENT).await?;
    let (row, rules) = tokio::try_join!(
        async {
            Ok::<_, OpError>(
                tx.query_opt(&stmt, &[&seat.get(), &user.get(), &now, &event.get()])
                    .await?,
            )
        },
        async { Ok::<_, OpError>(tx.query_opt(&rules, &[&event.get()]).await?) },
    )?;
    Ok((row, event_rules(rules)?))
}

async fn set_seat_state(
    tx: &Transaction<'_>,
    seat: SeatId,
    state: SeatState,
) -> Result<(), OpError> {
    let (reservation, held_by, held_since, held_until) = state.to_columns();
    let stmt = tx
        .prepare_cached(
            "UPDATE seats SET reservation_id = $2, held_by = $3, held_since = $4, held_until = $5
             WHERE id = $1",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &seat.get(),
            &reservation.map(ReservationId::get),
            &held_by.map(UserId::get),
            &held_since,
            &held_until,
        ],
    )
    .await?;
    Ok(())
}

/// Sets every seat of `ids` to `state`, in one statement.
async fn set_seats_state(
    tx: &Transaction<'_>,
    ids: &[i64],
    state: SeatState,
) -> Result<(), OpError> {
    let (reservation, held_by, held_since, held_until) = state.to_columns();
    let stmt = tx
        .prepare_cached(
            "UPDATE seats SET reservation_id = $2, held_by = $3, held_since = $4, held_until = $5
             WHERE id = ANY($1)",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &ids,
            &reservation.map(ReservationId::get),
            &held_by.map(UserId::get),
            &held_since,
            &held_until,
        ],
    )
    .await?;
    Ok(())
}

/// Each event's summary as of `now` (or only `event`'s), by start time then
/// id: four statements, however many events and seats. Only the seats that
/// are not available are read, through the partial index `seats_taken`.
async fn summaries(
    tx: &Transaction<'_>,
    event: Option<EventId>,
    now: Timestamp,
) -> Result<Vec<EventSummary>, OpError> {
    let only = event.map(EventId::get);
    let count =
        |n: i64| u32::try_from(n).map_err(|_| Error::storage(BACKEND, "a seat count out of range"));
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE $1::BIGINT IS NULL OR id = $1 ORDER BY starts_at, id"
        ))
        .await?;
    let events = tx.query(&stmt, &[&only]).await?;
    let stmt = tx
        .prepare_cached(
            "SELECT event_id, name, total_seats::BIGINT, position_x, position_y FROM event_sections
             WHERE $1::BIGINT IS NULL OR event_id = $1 ORDER BY event_id, idx",
        )
        .await?;
    let mut sections: HashMap<i64, Vec<SectionSummary>> = HashMap::new();
    for r in tx.query(&stmt, &[&only]).await? {
        let (x, y): (Option<f64>, Option<f64>) = (r.get(3), r.get(4));
        sections.entry(r.get(0)).or_default().push(SectionSummary {
            name: r.get(1),
            position: x.zip(y).map(|(x, y)| Point { x, y }),
            seats: SeatCounts::all_available(count(r.get(2))?),
        });
    }
    let stmt = tx
        .prepare_cached(
            "SELECT event_id, name, price_cents, color, total_seats::BIGINT FROM event_categories
             WHERE $1::BIGINT IS NULL OR event_id = $1 ORDER BY event_id, idx",
        )
        .await?;
    let mut categories: HashMap<i64, Vec<CategorySummary>> = HashMap::new();
    for r in tx.query(&stmt, &[&only]).await? {
        categories
            .entry(r.get(0))
            .or_default()
            .push(CategorySummary {
                name: r.get(1),
                price_cents: r.get(2),
                color: r.get(3),
                seats: SeatCounts::all_available(count(r.get(4))?),
            });
    }
    let stmt = tx
        .prepare_cached(concat!(
            "SELECT event_id, section, category,
                    COUNT(*) FILTER (WHERE reservation_id IS NOT NULL),
                    COUNT(*) FILTER (WHERE ",
            sql_live_hold!("$2"),
            "),
                    COUNT(*) FILTER (WHERE blocked_reason IS NOT NULL)
             FROM seats
             WHERE ($1::BIGINT IS NULL OR event_id = $1)
               AND (reservation_id IS NOT NULL OR held_by IS NOT NULL OR blocked_reason IS NOT NULL)
             GROUP BY event_id, section, category"
        ))
        .await?;
    for r in tx.query(&stmt, &[&only, &now]).await? {
        let event: i64 = r.get(0);
        let index = |i: usize| {
            usize::try_from(r.get::<_, i32>(i))
                .map_err(|_| Error::storage(BACKEND, "a bad section or category"))
        };
        let taken = TakenSeats {
            section: index(1)?,
            category: index(2)?,
            reserved: count(r.get(3))?,
            held: count(r.get(4))?,
            blocked: count(r.get(5))?,
        };
        count_taken(&mut sections, &mut categories, &event, &taken, BACKEND)?;
    }
    events
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            Ok(EventSummary::new(
                event_from(r)?,
                categories.remove(&id).unwrap_or_default(),
                sections.remove(&id).unwrap_or_default(),
            ))
        })
        .collect()
}

async fn load_reservation(
    tx: &Transaction<'_>,
    id: ReservationId,
) -> Result<Option<Reservation>, OpError> {
    Ok(load_reservations(tx, "r.id = $1", &[&id.get()])
        .await?
        .pop())
}

/// The reservations `condition` picks (over `reservations r`, with
/// `params`), newest first, each with its seats: two queries, however many
/// reservations there are.
async fn load_reservations(
    tx: &Transaction<'_>,
    condition: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Reservation>, OpError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT r.id, r.user_id, r.event_id, e.name, r.status, r.total_cents, r.created_at,
                    r.cancelled_at, r.idempotency_key, r.cancelled_by, r.cancel_reason
             FROM reservations r JOIN events e ON e.id = r.event_id
             WHERE {condition} ORDER BY r.created_at DESC, r.id DESC"
        ))
        .await?;
    let seats_stmt = tx
        .prepare_cached(&format!(
            "SELECT {SEAT_COLUMNS}, rs.reservation_id
             FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
             JOIN event_sections es ON es.event_id = s.event_id AND es.idx = s.section
             JOIN event_categories ec ON ec.event_id = s.event_id AND ec.idx = s.category
             WHERE rs.reservation_id IN (SELECT r.id FROM reservations r WHERE {condition})
             ORDER BY s.row_index, s.number"
        ))
        .await?;
    // Sent together: one round trip.
    let (heads, seat_rows) =
        tokio::try_join!(tx.query(&stmt, params), tx.query(&seats_stmt, params))?;
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    let mut seats: HashMap<i64, Vec<Seat>> = HashMap::new();
    for row in seat_rows {
        let reservation: i64 = row.get(SEAT_COLUMN_COUNT);
        seats
            .entry(reservation)
            .or_default()
            .push(seat_record(&row)?.seat);
    }
    let mut found = Vec::with_capacity(heads.len());
    for head in heads {
        let id: i64 = head.get(0);
        found.push(Reservation {
            id: ReservationId::new(id),
            user: UserId::new(head.get(1)),
            event: EventId::new(head.get(2)),
            event_name: head.get(3),
            seats: seats.remove(&id).unwrap_or_default(),
            status: head
                .get::<_, String>(4)
                .parse::<ReservationStatus>()
                .map_err(|e| Error::storage(BACKEND, e.to_string()))?,
            total_cents: head.get(5),
            created_at: head.get(6),
            cancelled_at: head.get(7),
            cancelled_by: head.get::<_, Option<i64>>(9).map(UserId::new),
            cancel_reason: head.get(10),
            idempotency_key: head
                .get::<_, Option<String>>(8)
                .map(IdempotencyKey::new)
                .transpose()?,
        });
    }
    Ok(found)
}

/// Every seat of the runs that hold `ids` (seats of `event`), each run in
/// order: what [`rules::check_orphans`] judges. Read as committed, without
/// locks: a seat taken meanwhile by someone else is their choice, judged
/// when they made it.
async fn runs_of(
    tx: &Transaction<'_>,
    event: EventId,
    seat_ids: &[SeatId],
) -> Result<Vec<Vec<SeatRecord>>, OpError> {
    let ids: Vec<i64> = seat_ids.iter().map(|s| s.get()).collect();
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {SEAT_COLUMNS}, s.section, s.line, s.run FROM {SEATS}
             WHERE s.event_id = $1 AND (s.section, s.line, s.run) IN
                 (SELECT section, line, run FROM seats WHERE id = ANY($2) AND event_id = $1)
             ORDER BY s.section, s.line, s.run, s.place"
        ))
        .await?;
    let mut runs: Vec<((i32, i32, i32), Vec<SeatRecord>)> = Vec::new();
    for row in tx.query(&stmt, &[&event.get(), &ids]).await? {
        let key = (
            row.get(SEAT_COLUMN_COUNT),
            row.get(SEAT_COLUMN_COUNT + 1),
            row.get(SEAT_COLUMN_COUNT + 2),
        );
        let record = seat_record(&row)?;
        match runs.last_mut() {
            Some((last, run)) if *last == key => run.push(record),
            _ => runs.push((key, vec![record])),
        }
    }
    Ok(runs.into_iter().map(|(_, run)| run).collect())
}

/// The seating of `event` for best available, read from the database.
async fn load_layout(tx: &Transaction<'_>, event: EventId) -> Result<EventLayout, OpError> {
    let stmt = tx
        .prepare_cached("SELECT name FROM event_sections WHERE event_id = $1 ORDER BY idx")
        .await?;
    let sections = tx.query(&stmt, &[&event.get()]).await?;
    let stmt = tx
        .prepare_cached("SELECT name FROM event_categories WHERE event_id = $1 ORDER BY idx")
        .await?;
    let categories = tx.query(&stmt, &[&event.get()]).await?;
    let stmt = tx
        .prepare_cached(
            "SELECT id, section, line, run, place, rank, category, accessible
             FROM seats WHERE event_id = $1",
        )
        .await?;
    let bad = || Error::storage(BACKEND, "a seat's place out of range");
    let mut seats = Vec::new();
    for row in tx.query(&stmt, &[&event.get()]).await? {
        let number = |i: usize| u32::try_from(row.get::<_, i32>(i)).map_err(|_| bad());
        seats.push((
            Position {
                section: number(1)?,
                line: number(2)?,
                run: number(3)?,
                place: number(4)?,
            },
            LayoutSeat {
                seat: SeatId::new(row.get(0)),
                rank: number(5)?,
                category: number(6)?,
                accessible: row.get(7),
            },
        ));
    }
    Ok(EventLayout {
        layout: Layout::new(seats),
        categories: categories.iter().map(|r| r.get(0)).collect(),
        sections: sections.iter().map(|r| r.get(0)).collect(),
    })
}

/// Marks `seats` blocked with `reason`, or not blocked (`None`). Blocking
/// clears an ended hold: a blocked seat is never held.
async fn set_blocked(
    tx: &Transaction<'_>,
    seats: &[SeatRecord],
    reason: Option<&str>,
) -> Result<Vec<Seat>, OpError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE seats SET blocked_reason = $2,
                 held_by = CASE WHEN $2::TEXT IS NULL THEN held_by END,
                 held_since = CASE WHEN $2::TEXT IS NULL THEN held_since END,
                 held_until = CASE WHEN $2::TEXT IS NULL THEN held_until END
             WHERE id = ANY($1)",
        )
        .await?;
    let ids: Vec<i64> = seats.iter().map(|r| r.seat.id.get()).collect();
    tx.execute(&stmt, &[&ids, &reason]).await?;
    refresh_closed(tx, &ids).await?;
    if let (None, Some(first)) = (reason, seats.first()) {
        // Unblocked: open (the seats are all of one event).
        occupancy::reopened(tx, first.seat.event).await?;
    }
    Ok(seats.iter().map(|r| r.seat.clone()).collect())
}

/// A count or index of a venue (at most a million seats) as stored.
fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

/// Inserts the sections and categories of a new event, with their totals.
async fn insert_groups(
    tx: &Transaction<'_>,
    id: i64,
    venue: &Venue,
    placed: &[PlacedSeat],
) -> Result<(), OpError> {
    let mut section_totals = vec![0i32; venue.sections.len()];
    let mut category_totals = vec![0i32; venue.categories.len()];
    for p in placed {
        section_totals[p.section] += 1;
        category_totals[p.seat.category] += 1;
    }
    let names: Vec<&str> = venue.sections.iter().map(|s| s.name.as_str()).collect();
    let xs: Vec<Option<f64>> = venue
        .sections
        .iter()
        .map(|s| s.position.map(|p| p.x))
        .collect();
    let ys: Vec<Option<f64>> = venue
        .sections
        .iter()
        .map(|s| s.position.map(|p| p.y))
        .collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO event_sections (event_id, idx, name, total_seats, position_x, position_y)
             SELECT $1, i - 1, n, t, x, y
             FROM UNNEST($2::TEXT[], $3::INTEGER[], $4::DOUBLE PRECISION[], $5::DOUBLE PRECISION[])
               WITH ORDINALITY AS u (n, t, x, y, i)",
        )
        .await?;
    tx.execute(&stmt, &[&id, &names, &section_totals, &xs, &ys])
        .await?;
    let names: Vec<&str> = venue.categories.iter().map(|c| c.name.as_str()).collect();
    let prices: Vec<i64> = venue.categories.iter().map(|c| c.price_cents).collect();
    let colors: Vec<&str> = venue.categories.iter().map(|c| c.color.as_str()).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO event_categories (event_id, idx, name, price_cents, color, total_seats)
             SELECT $1, i - 1, n, p, c, t
             FROM UNNEST($2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::INTEGER[])
                  WITH ORDINALITY AS u (n, p, c, t, i)",
        )
        .await?;
    tx.execute(&stmt, &[&id, &names, &prices, &colors, &category_totals])
        .await?;
    Ok(())
}

/// Inserts the seats of a new event, in the order given (ids ascend in it),
/// in one statement.
async fn insert_seats(
    tx: &Transaction<'_>,
    id: i64,
    venue: &Venue,
    placed: &[PlacedSeat],
) -> Result<(), OpError> {
    let column = |f: &dyn Fn(&PlacedSeat) -> i32| -> Vec<i32> { placed.iter().map(f).collect() };
    let flags = |f: fn(&PlacedSeat) -> bool| -> Vec<bool> { placed.iter().map(f).collect() };
    let labels: Vec<&str> = placed.iter().map(|p| p.label.as_str()).collect();
    let prices: Vec<i64> = placed
        .iter()
        .map(|p| venue.categories[p.seat.category].price_cents)
        .collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO seats (event_id, section, line, row_index, run, place, number,
                 label, category, price_cents, accessible, companion, restricted_view, rank)
             SELECT $1, u.* FROM UNNEST($2::INTEGER[], $3::INTEGER[], $4::INTEGER[],
                 $5::INTEGER[], $6::INTEGER[], $7::INTEGER[], $8::TEXT[], $9::INTEGER[],
                 $10::BIGINT[], $11::BOOLEAN[], $12::BOOLEAN[], $13::BOOLEAN[],
                 $14::INTEGER[]) AS u",
        )
        .await?;
    let columns: [&(dyn tokio_postgres::types::ToSql + Sync); 14] = [
        &id,
        &column(&|p| int(p.section)),
        &column(&|p| int(p.line)),
        &column(&|p| int(p.row.index())),
        &column(&|p| int(p.run)),
        &column(&|p| int(p.place)),
        &column(&|p| int(p.seat.number)),
        &labels,
        &column(&|p| int(p.seat.category)),
        &prices,
        &flags(|p| p.seat.accessible),
        &flags(|p| p.seat.companion),
        &flags(|p| p.seat.restricted_view),
        &column(&|p| int(p.seat.rank)),
    ];
    tx.execute(&stmt, &columns).await?;
    Ok(())
}

/// Inserts the rows of a new event into `event_rows`, no seat closed.
async fn insert_rows(tx: &Transaction<'_>, id: i64, venue: &Venue) -> Result<(), OpError> {
    let mut sections = Vec::new();
    let mut lines = Vec::new();
    let mut closed = Vec::new();
    for (section, s) in venue.sections.iter().enumerate() {
        for (line, row) in s.rows.iter().enumerate() {
            sections.push(int(section));
            lines.push(int(line));
            closed.push("0".repeat(row.runs.iter().map(Vec::len).sum()));
        }
    }
    let stmt = tx
        .prepare_cached(
            "INSERT INTO event_rows (event_id, section, line, closed, closed_seats)
             SELECT $1, s, l, c, 0 FROM UNNEST($2::INTEGER[], $3::INTEGER[], $4::TEXT[]) AS u (s, l, c)",
        )
        .await?;
    tx.execute(&stmt, &[&id, &sections, &lines, &closed])
        .await?;
    Ok(())
}

/// Works out again which seats of the rows of `ids` are closed (reserved
/// or blocked; see `event_rows`), after a write that reserved, cancelled,
/// blocked or unblocked them (and locked them). Each row is locked first,
/// in (section, line) order, and read anew after, by a later statement
/// (with a snapshot taken once the locks are held): two writers in one row
/// take turns, and the last to commit sees the other's seats.
///
/// Both statements are prepared before either is sent, and go together
/// (one round trip): joined after a write prepared before, as
/// `PgTx::insert_reservation` does, they follow it in the same one.
async fn refresh_closed(tx: &Transaction<'_>, ids: &[i64]) -> Result<(), OpError> {
    let lock = tx
        .prepare_cached(
            "SELECT 1 FROM event_rows r
             WHERE (r.event_id, r.section, r.line) IN
                 (SELECT event_id, section, line FROM seats WHERE id = ANY($1))
             ORDER BY r.section, r.line FOR UPDATE",
        )
        .await?;
    let refresh = tx
        .prepare_cached(
            "UPDATE event_rows r SET (closed, closed_seats) = (
                 SELECT string_agg(CASE WHEN reservation_id IS NULL AND blocked_reason IS NULL
                                        THEN '0' ELSE '1' END, '' ORDER BY run, place),
                        COUNT(*) FILTER (WHERE reservation_id IS NOT NULL
                                            OR blocked_reason IS NOT NULL)
                 FROM seats s
                 WHERE s.event_id = r.event_id AND s.section = r.section AND s.line = r.line)
             WHERE (r.event_id, r.section, r.line) IN
                 (SELECT event_id, section, line FROM seats WHERE id = ANY($1))",
        )
        .await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&ids];
    tokio::try_join!(tx.execute(&lock, &params), tx.execute(&refresh, &params))?;
    Ok(())
}

/// The closed seats of each row of `event` that has some, by (section,
/// line): a flag per seat in the row's order, for
/// [`Search::with_closed_seats`].
async fn closed_seats(
    tx: &Transaction<'_>,
    event: EventId,
) -> Result<HashMap<(u32, u32), Vec<bool>>, OpError> {
    let stmt = tx
        .prepare_cached(
            "SELECT section, line, closed FROM event_rows WHERE event_id = $1 AND closed_seats > 0",
        )
        .await?;
    let bad = || Error::storage(BACKEND, "a bad row of event_rows");
    let mut closed = HashMap::new();
    for row in tx.query(&stmt, &[&event.get()]).await? {
        let key = (
            u32::try_from(row.get::<_, i32>(0)).map_err(|_| bad())?,
            u32::try_from(row.get::<_, i32>(1)).map_err(|_| bad())?,
        );
        let flags: String = row.get(2);
        closed.insert(key, flags.bytes().map(|b| b == b'1').collect());
    }
    Ok(closed)
}

/// How many times best available picks seats without waiting for any
/// before it searches under locks (see `PgStore::best_available`).
const OPTIMISTIC_TRIES: usize = 4;

/// How many times best available searches again, in all, before it
/// searches under locks: a search after another request of this store
/// claimed the seats first costs no statement.
const MAX_SEARCHES: usize = 64;

/// The seats of `event` held by a hold that is live at `now` (through the
/// partial index `seats_by_holder`), at most 256 of them: closing some is as
/// right as closing all, and a crowd of thousands holding at once would have
/// every request read thousands.
async fn live_holds(
    tx: &Transaction<'_>,
    event: EventId,
    now: Timestamp,
) -> Result<Vec<SeatId>, OpError> {
    let stmt = tx
        .prepare_cached(concat!(
            "SELECT id FROM seats WHERE event_id = $1 AND ",
            sql_live_hold!("$2"),
            " LIMIT 256"
        ))
        .await?;
    Ok(tx
        .query(&stmt, &[&event.get(), &now])
        .await?
        .iter()
        .map(|row| SeatId::new(row.get(0)))
        .collect())
}

/// Whether each of `ids` is free at `now` (what `SeatRecord::is_free`
/// says, in SQL) and whether it is closed (reserved or blocked); with
/// `lock`, each row read `FOR UPDATE` (waiting for it).
async fn seat_states(
    tx: &Transaction<'_>,
    ids: &[SeatId],
    now: Timestamp,
    lock: bool,
) -> Result<Vec<SeatNow>, OpError> {
    let sql = format!(
        concat!(
            "SELECT id, ",
            sql_free_seat!("$2"),
            ", reservation_id IS NOT NULL OR blocked_reason IS NOT NULL",
            " FROM seats WHERE id = ANY($1){}"
        ),
        if lock { " ORDER BY id FOR UPDATE" } else { "" }
    );
    let stmt = tx.prepare_cached(&sql).await?;
    let ids: Vec<i64> = ids.iter().map(|s| s.get()).collect();
    Ok(tx
        .query(&stmt, &[&ids, &now])
        .await?
        .iter()
        .map(|row| SeatNow {
            seat: SeatId::new(row.get(0)),
            free: row.get(1),
            closed: row.get(2),
        })
        .collect())
}

/// A seat's state as best available reads it.
#[derive(Clone, Copy, Debug)]
struct SeatNow {
    seat: SeatId,
    /// Whether it can be held.
    free: bool,
    /// Whether it is reserved or blocked.
    closed: bool,
}

/// What a best-available request knows of its event: its layout and cache
/// (the closed seats), the `events.reopened` the request read, and the
/// seats of live holds.
struct Known<'a> {
    layout: &'a EventLayout,
    cache: &'a EventCache,
    reopened: i64,
    holding: &'a [SeatId],
}

/// Steps 1 and 2 of `PgStore::best_available`, knowing the seats closed
/// (`known`, live holds included): the chosen seats, locked and free at
/// `now`; `None` when the search found none, or kept finding seats
/// someone else took first. Which seats of the rows it reads are closed
/// goes into the cache ([`EventCache::observe`]).
async fn best_optimistically(
    tx: &Transaction<'_>,
    known: &Known<'_>,
    wanted: &Wanted,
    request: &BestAvailable,
    picked: &Picked<'_>,
    now: Timestamp,
) -> Result<Option<Vec<SeatRecord>>, OpError> {
    // Seats picked by others, or found taken or being written when
    // locked: taken, to this search.
    let mut taken: HashSet<SeatId> = picked.by_others();
    // What the rows read so far said: a search after a collision reads only
    // rows it has not read (the seats it then picks are judged under their
    // locks anyway).
    let mut free: HashMap<SeatId, bool> = HashMap::new();
    let (mut locked_tries, mut searches) = (0, 0);
    while locked_tries < OPTIMISTIC_TRIES && searches < MAX_SEARCHES {
        searches += 1;
        // Closed to this search's order, as the live holds are: the seats
        // it already counts as taken, and those its reads found not free.
        // Its first row read is then the one that has room, rather than the
        // best row, found with the best block picked by another request.
        let closed: Vec<SeatId> = known
            .holding
            .iter()
            .chain(&taken)
            .copied()
            .chain(
                free.iter()
                    .filter(|&(_, &free)| !free)
                    .map(|(&seat, _)| seat),
            )
            .collect();
        let mut search = known.cache.search(
            known.layout,
            wanted.clone(),
            booking_core::best::request(request),
            &closed,
        );
        while let Some(seats) = search.next_seats() {
            let unread: Vec<SeatId> = seats
                .into_iter()
                .filter(|seat| !free.contains_key(seat))
                .collect();
            if !unread.is_empty() {
                let found = seat_states(tx, &unread, now, false).await?;
                free.extend(found.iter().map(|s| (s.seat, s.free)));
                known.cache.observe(
                    known.layout,
                    known.reopened,
                    found.iter().map(|s| (s.seat, s.closed)),
                );
            }
            search.visit(|seat| free.get(&seat) == Some(&true) && !taken.contains(&seat));
        }
        let Some(chosen) = search.answer() else {
            return Ok(None);
        };
        if !picked.claim(&chosen) {
            taken.extend(picked.by_others());
            continue;
        }
        locked_tries += 1;
        let ids: Vec<i64> = chosen.iter().map(|s| s.get()).collect();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&ids];
        // Sent together: the savepoint, then the lock.
        let ((), locked) = tokio::try_join!(
            async { Ok::<_, OpError>(tx.batch_execute("SAVEPOINT best_available").await?) },
            seats_where(
                tx,
                "s.id = ANY($1) ORDER BY s.id FOR UPDATE OF s SKIP LOCKED",
                &params,
            ),
        )?;
        let ours: HashSet<SeatId> = locked
            .iter()
            .filter(|r| r.is_free(now))
            .map(|r| r.seat.id)
            .collect();
        if ours.len() == chosen.len() {
            return Ok(Some(locked));
        }
        // Let go of the seats locked for nothing.
        tx.batch_execute("ROLLBACK TO SAVEPOINT best_available")
            .await?;
        taken.extend(chosen.into_iter().filter(|seat| !ours.contains(seat)));
    }
    Ok(None)
}

/// Step 3 of `PgStore::best_available`: the search under the event's
/// advisory lock, knowing the closed seats as read then (not from the
/// cache), each row visited locked; the chosen seats, locked (and free,
/// unless a rule says otherwise), or `None` when there are none.
async fn best_under_locks(
    tx: &Transaction<'_>,
    event: EventId,
    layout: &EventLayout,
    wanted: Wanted,
    request: &BestAvailable,
    now: Timestamp,
) -> Result<Option<Vec<SeatRecord>>, OpError> {
    let stmt = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1, $2)")
        .await?;
    // Event ids above 2^31 share a lock with another event: harmless.
    #[allow(clippy::cast_possible_truncation)]
    let key = event.get() as i32;
    tx.execute(&stmt, &[&BEST_AVAILABLE_LOCK, &key]).await?;
    let closed = closed_seats(tx, event).await?;
    let mut search = Search::with_closed_seats(
        &layout.layout,
        wanted,
        booking_core::best::request(request),
        &closed,
    );
    while let Some(seats) = search.next_seats() {
        let free: HashSet<SeatId> = seat_states(tx, &seats, now, true)
            .await?
            .iter()
            .filter(|s| s.free)
            .map(|s| s.seat)
            .collect();
        search.visit(|seat| free.contains(&seat));
    }
    let Some(chosen) = search.answer() else {
        return Ok(None);
    };
    let ids: Vec<i64> = chosen.iter().map(|s| s.get()).collect();
    Ok(Some(
        seats_where(tx, "s.id = ANY($1) ORDER BY s.id FOR UPDATE OF s", &[&ids]).await?,
    ))
}

/// Writes `holds` (of `user`, on seats of `event` this transaction has
/// locked), in one statement, unless the event is cancelled: that
/// statement starts after the seats' locks were taken, so it sees a cancel
/// that held them first (see `Tx`); then nothing is written and the
/// answer is `EventCancelled`.
async fn hold_seats(
    tx: &Transaction<'_>,
    user: UserId,
    event: EventId,
    holds: &[Hold],
) -> Result<(), OpError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE seats s SET reservation_id = NULL, held_by = $2,
                 held_since = u.since, held_until = u.until
             FROM UNNEST($1::BIGINT[], $3::TIMESTAMPTZ[], $4::TIMESTAMPTZ[]) AS u (id, since, until)
             WHERE s.id = u.id
               AND NOT EXISTS (SELECT 1 FROM events WHERE id = $5 AND cancelled_at IS NOT NULL)",
        )
        .await?;
    let ids: Vec<i64> = holds.iter().map(|h| h.seat.id.get()).collect();
    let since: Vec<Timestamp> = holds.iter().map(|h| h.since).collect();
    let until: Vec<Timestamp> = holds.iter().map(|h| h.until).collect();
    let written = tx
        .execute(&stmt, &[&ids, &user.get(), &since, &until, &event.get()])
        .await?;
    if written == 0 && !holds.is_empty() {
        return Err(Error::EventCancelled { id: event }.into());
    }
    Ok(())
}

/// Appends `record` to the audit log, in `tx`.
async fn insert_audit(tx: &Transaction<'_>, record: &NewAuditRecord<'_>) -> Result<(), OpError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO audit_log
                 (at, actor_id, action, event_id, reservation_id, seats, reason, user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &record.at,
            &record.actor.map(UserId::get),
            &record.action.as_str(),
            &record.event.map(EventId::get),
            &record.reservation.map(ReservationId::get),
            &record.seats,
            &record.reason,
            &record.user.map(UserId::get),
        ],
    )
    .await?;
    Ok(())
}

/// The lookup of a user's reservation by its idempotency key.
const RESERVATION_BY_KEY: &str =
    "SELECT id FROM reservations WHERE user_id = $1 AND idempotency_key = $2";

/// The seats of ids `$1` that are seats of event `$2`, locked in id order
/// (`Tx::lock_seats`).
fn lock_seats_sql() -> String {
    format!(
        "SELECT {SEAT_COLUMNS} FROM {SEATS}
         WHERE s.id = ANY($1) AND s.event_id = $2 ORDER BY s.id FOR UPDATE OF s"
    )
}

/// A transaction of this store, for [`booking_core::tx`]: rows are locked
/// `FOR UPDATE` (the user's row first, then seats in id order). The second
/// field is the `events.reopened` a reservation's insert read (see
/// `PgStore::reserve`).
struct PgTx<'t, 'c>(&'t Transaction<'c>, Option<i64>);

impl<'t, 'c> PgTx<'t, 'c> {
    fn new(tx: &'t Transaction<'c>) -> Self {
        Self(tx, None)
    }
}

impl Tx for PgTx<'_, '_> {
    type Error = OpError;

    async fn lock_user(&mut self, user: UserId) -> Result<bool, OpError> {
        Ok(lock_user(self.0, user).await?.is_some())
    }

    /// One statement: the user's row locked, and the seat as committed.
    async fn lock_user_and_peek_seat(
        &mut self,
        user: UserId,
        event: EventId,
        seat: SeatId,
    ) -> Result<(bool, Option<SeatRecord>), OpError> {
        let (found, seen) = lock_user_and_read_seat(self.0, user, seat, event).await?;
        Ok((found.is_some(), seen))
    }

    async fn event(&mut self, event: EventId) -> Result<Option<EventRules>, OpError> {
        find_event(self.0, event).await
    }

    async fn seat_to_hold(
        &mut self,
        event: EventId,
        seat: SeatId,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<SeatToHold>, OpError> {
        let (row, found) = seat_to_hold(self.0, seat, user, now, event).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let held: i64 = row.get(SEAT_COLUMN_COUNT);
        Ok(Some(SeatToHold {
            record: seat_record(&row)?,
            held_elsewhere: u32::try_from(held).unwrap_or(u32::MAX),
            event_cancelled: found.is_some_and(|e| e.cancelled),
        }))
    }

    /// One seat by its id: a plainer plan than `lock_seats`' array.
    async fn lock_seat(
        &mut self,
        event: EventId,
        seat: SeatId,
    ) -> Result<Option<SeatRecord>, OpError> {
        Ok(seats_where(
            self.0,
            "s.id = $1 AND s.event_id = $2 FOR UPDATE OF s",
            &[&seat.get(), &event.get()],
        )
        .await?
        .pop())
    }

    async fn lock_seats(
        &mut self,
        event: EventId,
        seat_ids: &[SeatId],
    ) -> Result<Vec<SeatRecord>, OpError> {
        let ids: Vec<i64> = seat_ids.iter().map(|s| s.get()).collect();
        let stmt = self.0.prepare_cached(&lock_seats_sql()).await?;
        let rows = self.0.query(&stmt, &[&ids, &event.get()]).await?;
        Ok(rows.iter().map(seat_record).collect::<Result<_>>()?)
    }

    async fn reservation_by_key(
        &mut self,
        user: UserId,
        key: &IdempotencyKey,
    ) -> Result<Option<Reservation>, OpError> {
        let tx = self.0;
        let stmt = tx.prepare_cached(RESERVATION_BY_KEY).await?;
        match tx.query_opt(&stmt, &[&user.get(), &key.as_str()]).await? {
            Some(row) => load_reservation(tx, ReservationId::new(row.get(0))).await,
            None => Ok(None),
        }
    }

    /// The four loads sent together (one round trip), run in their order:
    /// each statement takes its snapshot once the one before is done, so
    /// the key's lookup runs with the user's row locked, and the event is
    /// read with the seats locked. Every statement is prepared before any
    /// is sent, so that none waits for a preparation and goes out of turn.
    /// A key's reservation, when there is one, is read after.
    async fn load_for_reserve(
        &mut self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<ReserveLoad, OpError> {
        let tx = self.0;
        let lock_user = tx.prepare_cached(LOCK_USER).await?;
        let by_key = tx.prepare_cached(RESERVATION_BY_KEY).await?;
        let lock_seats = tx.prepare_cached(&lock_seats_sql()).await?;
        let find_event = tx.prepare_cached(FIND_EVENT).await?;
        let ids: Vec<i64> = seat_ids.iter().map(|s| s.get()).collect();
        let (user_row, key_row, seat_rows, event_row) = tokio::try_join!(
            async { Ok::<_, OpError>(tx.query_opt(&lock_user, &[&user.get()]).await?) },
            async {
                Ok::<_, OpError>(match key {
                    Some(key) => tx.query_opt(&by_key, &[&user.get(), &key.as_str()]).await?,
                    None => None,
                })
            },
            async { Ok::<_, OpError>(tx.query(&lock_seats, &[&ids, &event.get()]).await?) },
            async { Ok::<_, OpError>(tx.query_opt(&find_event, &[&event.get()]).await?) },
        )?;
        let previous = match key_row {
            Some(row) => load_reservation(tx, ReservationId::new(row.get(0))).await?,
            None => None,
        };
        Ok(ReserveLoad {
            user_found: user_row.is_some(),
            previous,
            seats: seat_rows.iter().map(seat_record).collect::<Result<_>>()?,
            event: event_rules(event_row)?,
        })
    }

    async fn runs_of(
        &mut self,
        event: EventId,
        seat_ids: &[SeatId],
    ) -> Result<Vec<Vec<SeatRecord>>, OpError> {
        runs_of(self.0, event, seat_ids).await
    }

    async fn lock_reservation(
        &mut self,
        id: ReservationId,
    ) -> Result<Option<Reservation>, OpError> {
        // Its seats first (a reservation's seats never change), then its
        // row: every write locks seats before reservations (an event
        // cancel locks its seats, then cancels its reservations), so two
        // never wait for each other in a cycle.
        let tx = self.0;
        let seats = tx
            .prepare_cached(
                "SELECT 1 FROM seats WHERE id IN
                     (SELECT seat_id FROM reservation_seats WHERE reservation_id = $1)
                 ORDER BY id FOR UPDATE",
            )
            .await?;
        let stmt = tx
            .prepare_cached("SELECT 1 FROM reservations WHERE id = $1 FOR UPDATE")
            .await?;
        // Sent together (one round trip), run in this order.
        tokio::try_join!(
            async { Ok::<_, OpError>(tx.execute(&seats, &[&id.get()]).await?) },
            async { Ok::<_, OpError>(tx.query_opt(&stmt, &[&id.get()]).await?) },
        )?;
        load_reservation(tx, id).await
    }

    async fn set_seat_state(&mut self, seat: SeatId, state: SeatState) -> Result<(), OpError> {
        set_seat_state(self.0, seat, state).await
    }

    async fn forget_key(&mut self, reservation: ReservationId) -> Result<(), OpError> {
        let stmt = self
            .0
            .prepare_cached("UPDATE reservations SET idempotency_key = NULL WHERE id = $1")
            .await?;
        self.0.execute(&stmt, &[&reservation.get()]).await?;
        Ok(())
    }

    async fn insert_reservation(
        &mut self,
        new: NewReservation<'_>,
    ) -> Result<Reservation, OpError> {
        let tx = self.0;
        // One statement writes the reservation, its seats' links and the
        // seats' state; the instant as stored (to the microsecond) and the
        // event's name come back with the id, so the reservation is made up
        // from what this transaction wrote, not read back. So does the
        // event's `reopened`, read with the seats locked: a write that
        // opens them again comes after this one and adds to it.
        let stmt = tx
            .prepare_cached(
                "WITH made AS (
                     INSERT INTO reservations
                         (user_id, event_id, status, total_cents, created_at, idempotency_key)
                     VALUES ($1, $2, 'confirmed', $3, $4, $5)
                     RETURNING id, created_at),
                 linked AS (
                     INSERT INTO reservation_seats (reservation_id, seat_id, confirmed)
                     SELECT made.id, seat, TRUE FROM made, unnest($6::BIGINT[]) AS seat),
                 reserved AS (
                     UPDATE seats SET reservation_id = made.id,
                         held_by = NULL, held_since = NULL, held_until = NULL
                     FROM made WHERE seats.id = ANY($6))
                 SELECT made.id, made.created_at, e.name, e.reopened
                 FROM made JOIN events e ON e.id = $2",
            )
            .await?;
        let ids: Vec<i64> = new.seats.iter().map(|s| s.id.get()).collect();
        // Sent together with the refresh of the rows' closed seats (one
        // round trip), run in this order: the refresh reads the seats as
        // this statement left them.
        let (inserted, ()) = tokio::try_join!(
            async {
                Ok::<_, OpError>(
                    tx.query_one(
                        &stmt,
                        &[
                            &new.user.get(),
                            &new.event.get(),
                            &new.total_cents,
                            &new.created_at,
                            &new.key.map(IdempotencyKey::as_str),
                            &ids,
                        ],
                    )
                    .await?,
                )
            },
            refresh_closed(tx, &ids),
        )?;
        let id = ReservationId::new(inserted.get(0));
        self.1 = Some(inserted.get(3));
        Ok(Reservation {
            id,
            user: new.user,
            event: new.event,
            event_name: inserted.get(2),
            // By row then number, as `load_reservations` orders them.
            seats: new.seats.to_vec(),
            status: ReservationStatus::Confirmed,
            total_cents: new.total_cents,
            created_at: inserted.get(1),
            cancelled_at: None,
            cancelled_by: None,
            cancel_reason: None,
            idempotency_key: new.key.cloned(),
        })
    }

    async fn cancel_reservation(
        &mut self,
        reservation: &Reservation,
        by: UserId,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Reservation, OpError> {
        let tx = self.0;
        let id = reservation.id.get();
        let ids: Vec<i64> = reservation.seats.iter().map(|s| s.id.get()).collect();
        seats_where(tx, "s.id = ANY($1) ORDER BY s.id FOR UPDATE OF s", &[&ids]).await?;
        let stmt = tx
            .prepare_cached(
                "UPDATE reservations SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3,
                     cancel_reason = $4
                 WHERE id = $1",
            )
            .await?;
        tx.execute(&stmt, &[&id, &now, &by.get(), &reason]).await?;
        let stmt = tx
            .prepare_cached(
                "UPDATE reservation_seats SET confirmed = NULL WHERE reservation_id = $1",
            )
            .await?;
        tx.execute(&stmt, &[&id]).await?;
        set_seats_state(tx, &ids, SeatState::Available).await?;
        refresh_closed(tx, &ids).await?;
        occupancy::reopened(tx, reservation.event).await?;
        load_reservation(tx, reservation.id)
            .await?
            .ok_or_else(|| Error::storage(BACKEND, "the reservation vanished").into())
    }

    async fn set_blocked(
        &mut self,
        seats: &[SeatRecord],
        reason: Option<&str>,
    ) -> Result<Vec<Seat>, OpError> {
        set_blocked(self.0, seats, reason).await
    }

    async fn lock_event(&mut self, event: EventId) -> Result<Option<Event>, OpError> {
        let stmt = self
            .0
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 FOR UPDATE"
            ))
            .await?;
        match self.0.query_opt(&stmt, &[&event.get()]).await? {
            Some(row) => Ok(Some(event_from(&row)?)),
            None => Ok(None),
        }
    }

    async fn lock_event_seats(&mut self, event: EventId) -> Result<Vec<SeatId>, OpError> {
        let stmt = self
            .0
            .prepare_cached(
                "SELECT id, held_by IS NOT NULL FROM seats WHERE event_id = $1
                 ORDER BY id FOR UPDATE",
            )
            .await?;
        Ok(self
            .0
            .query(&stmt, &[&event.get()])
            .await?
            .iter()
            .filter(|row| row.get::<_, bool>(1))
            .map(|row| SeatId::new(row.get(0)))
            .collect())
    }

    async fn release_holds(&mut self, seats: &[SeatId]) -> Result<(), OpError> {
        let ids: Vec<i64> = seats.iter().map(|s| s.get()).collect();
        set_seats_state(self.0, &ids, SeatState::Available).await
    }

    async fn confirmed_reservations(
        &mut self,
        event: EventId,
    ) -> Result<Vec<Reservation>, OpError> {
        let mut found = load_reservations(
            self.0,
            "r.event_id = $1 AND r.status = 'confirmed'",
            &[&event.get()],
        )
        .await?;
        found.sort_unstable_by_key(|r| r.id);
        Ok(found)
    }

    async fn set_event_cancelled(
        &mut self,
        event: EventId,
        cancellation: &Cancellation,
    ) -> Result<(), OpError> {
        let stmt = self
            .0
            .prepare_cached(
                "UPDATE events SET cancelled_at = $2, cancelled_by = $3, cancel_reason = $4
                 WHERE id = $1",
            )
            .await?;
        self.0
            .execute(
                &stmt,
                &[
                    &event.get(),
                    &cancellation.at,
                    &cancellation.by.get(),
                    &cancellation.reason,
                ],
            )
            .await?;
        Ok(())
    }

    async fn set_event_details(&mut self, event: &Event) -> Result<(), OpError> {
        let stmt = self
            .0
            .prepare_cached(
                "UPDATE events SET name = $2, description = $3, venue = $4, starts_at = $5
                 WHERE id = $1",
            )
            .await?;
        self.0
            .execute(
                &stmt,
                &[
                    &event.id.get(),
                    &event.name,
                    &event.description,
                    &event.venue,
                    &event.starts_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn audit(&mut self, record: NewAuditRecord<'_>) -> Result<(), OpError> {
        insert_audit(self.0, &record).await
    }
}

impl BookingStore for PgStore {
    fn policy(&self) -> &Policy {
        &self.policy
    }

    async fn create_event(&self, new: NewEvent) -> Result<EventSummary> {
        new.validate()?;
        let placed = new.seating.placed_seats();
        let total =
            i32::try_from(placed.len()).map_err(|_| Error::invalid_input("too many seats"))?;
        let summary = transaction!(self, None, |tx, now| {
            tx::lock_creator(&mut PgTx::new(&tx), new.created_by).await?;
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO events (name, description, venue, starts_at, total_seats, orphans)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .await?;
            let details: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
                &new.name,
                &new.description,
                &new.venue,
                &new.starts_at,
                &total,
                &new.orphans.as_str(),
            ];
            let id: i64 = tx.query_one(&stmt, &details).await?.get(0);
            insert_groups(&tx, id, &new.seating, &placed).await?;
            insert_seats(&tx, id, &new.seating, &placed).await?;
            insert_rows(&tx, id, &new.seating).await?;
            tx::audit_new_event(&mut PgTx::new(&tx), new.created_by, EventId::new(id), now).await?;
            summaries(&tx, Some(EventId::new(id)), now)
                .await?
                .pop()
                .ok_or_else(|| Error::storage(BACKEND, "the new event vanished"))?
        })?;
        if placed.len() >= ANALYZE_AFTER_SEATS {
            self.analyze_seats().await;
        }
        Ok(summary)
    }

    async fn events(&self) -> Result<Vec<EventSummary>> {
        transaction!(self, None, |tx, now| summaries(&tx, None, now).await?)
    }

    async fn event(&self, event: EventId) -> Result<EventSummary> {
        transaction!(self, None, |tx, now| {
            summaries(&tx, Some(event), now)
                .await?
                .pop()
                .ok_or_else(|| Error::not_found(Entity::Event, event.get()))?
        })
    }

    async fn seats(&self, event: EventId) -> Result<Vec<SeatRecord>> {
        let all =
            Row::from_index(0).expect("row A")..=Row::from_index(Row::COUNT - 1).expect("row ZZZ");
        self.seats_in_rows(event, all).await
    }

    async fn seats_in_rows(
        &self,
        event: EventId,
        rows: RangeInclusive<Row>,
    ) -> Result<Vec<SeatRecord>> {
        let (first, last) = (
            i32::try_from(rows.start().index()).unwrap_or(i32::MAX),
            i32::try_from(rows.end().index()).unwrap_or(i32::MAX),
        );
        transaction!(self, None, |tx, now| {
            require_event(&tx, event).await?;
            let mut seats = seats_where(
                &tx,
                "s.event_id = $1 AND s.row_index BETWEEN $2 AND $3 ORDER BY s.id",
                &[&event.get(), &first, &last],
            )
            .await?;
            for record in &mut seats {
                record.state = record.state.at(now);
            }
            seats
        })
    }

    async fn seats_in_section(&self, event: EventId, section: &str) -> Result<Vec<SeatRecord>> {
        transaction!(self, None, |tx, now| {
            require_event(&tx, event).await?;
            let index = section_index(&tx, event, section).await?;
            // Through the index of `seats_by_section_row_number`.
            let mut seats = seats_where(
                &tx,
                "s.event_id = $1 AND s.section = $2 ORDER BY s.id",
                &[&event.get(), &index],
            )
            .await?;
            for record in &mut seats {
                record.state = record.state.at(now);
            }
            seats
        })
    }

    async fn seats_held_by(&self, user: UserId, event: EventId) -> Result<Vec<SeatRecord>> {
        transaction!(self, None, |tx, now| {
            require_event(&tx, event).await?;
            // Through `seats_by_holder`; whether each hold still runs is
            // judged by `SeatState::at`, as everywhere.
            let mut seats = seats_where(
                &tx,
                "s.event_id = $1 AND s.held_by = $2 ORDER BY s.id",
                &[&event.get(), &user.get()],
            )
            .await?;
            for record in &mut seats {
                record.state = record.state.at(now);
            }
            seats.retain(|r| r.state.is_held_by(user));
            seats
        })
    }

    async fn hold(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Hold> {
        transaction!(self, None, |tx, now| {
            tx::hold(&mut PgTx::new(&tx), user, event, seat, now, &self.policy).await?
        })
    }

    async fn release(&self, user: UserId, event: EventId, seat: SeatId) -> Result<Seat> {
        transaction!(self, None, |tx, now| {
            tx::release(&mut PgTx::new(&tx), user, event, seat, now).await?
        })
    }

    async fn reserve(
        &self,
        user: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        key: Option<&IdempotencyKey>,
    ) -> Result<Reservation> {
        let (made, reopened) = transaction!(self, None, |tx, now| {
            let mut pg = PgTx::new(&tx);
            let made = tx::reserve(&mut pg, user, event, seat_ids, key, now, &self.policy).await?;
            (made, pg.1)
        })?;
        // Committed: what this store knows of the event's closed seats
        // learns the reservation's, under the `reopened` its insert read (a
        // replay wrote nothing, and read none). Otherwise the next
        // best-available requests would read the seats' row to find them
        // taken (see `occupancy.rs`).
        if let Some(reopened) = reopened {
            let cache = self.events.event(event);
            if let Some(layout) = cache.loaded_layout() {
                cache.observe(&layout, reopened, made.seats.iter().map(|s| (s.id, true)));
            }
        }
        Ok(made)
    }

    async fn block(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        // Bad ids are refused before a connection is taken.
        rules::check_block_ids(seat_ids)?;
        transaction!(self, None, |tx, now| {
            tx::block(&mut PgTx::new(&tx), by, event, seat_ids, reason, now).await?
        })
    }

    async fn unblock(
        &self,
        by: UserId,
        event: EventId,
        seat_ids: &[SeatId],
        reason: &str,
    ) -> Result<Vec<Seat>> {
        rules::check_block_ids(seat_ids)?;
        transaction!(self, None, |tx, now| {
            tx::unblock(&mut PgTx::new(&tx), by, event, seat_ids, reason, now).await?
        })
    }

    /// Best available in one transaction: the user's row first (as every
    /// write), then the seats, optimistically:
    ///
    /// 1. The search reads the rows it visits without locks, knowing which
    ///    seats are closed (kept in memory, checked against
    ///    `events.reopened`: see `occupancy.rs`) and which are held by a live
    ///    hold, so it reads the rows that have room first (usually one).
    /// 2. Seats that other requests of this store have picked count as
    ///    taken, until no request that may have read them free before
    ///    their hold was committed is left (`picking.rs`); the seats it picks are
    ///    claimed there, then locked `FOR UPDATE SKIP LOCKED` and judged
    ///    under their locks. Taken meanwhile, or being written by another
    ///    transaction (another process's best available, say), they count
    ///    as taken: the locks are let go (back to a savepoint) and the
    ///    search runs again without them (at most `OPTIMISTIC_TRIES` times
    ///    for seats found locked, `MAX_SEARCHES` in all).
    ///    Nobody waits on anybody's seats here, so concurrent requests
    ///    spread over the next best blocks instead of queueing for the best
    ///    one.
    /// 3. When that finds nothing (the answer may be "no seats together"),
    ///    or keeps colliding, the search runs once more the careful way: a
    ///    per-event advisory lock, so that such searches run one after
    ///    another, then each row visited read `FOR UPDATE`: a hold or
    ///    reserve on one of its seats waits for this transaction, or this
    ///    one for it and then reads what it wrote. The rows it does not
    ///    visit cannot change its answer, whatever their state (see
    ///    [`Search`]). So a request is refused only by a search that waited
    ///    for every seat it read. A deadlock with a reserve or cancel that
    ///    locks seats of several rows is retried, as every transaction's is.
    async fn best_available(
        &self,
        user: UserId,
        event: EventId,
        request: &BestAvailable,
    ) -> Result<Vec<Hold>> {
        let policy = &self.policy;
        let cache = self.events.event(event);
        // Let go of once the transaction has ended, whatever its outcome.
        let picked = self.picking.request();
        transaction!(self, None, |tx, now| {
            // The user's row, locked, whether the event exists and how
            // often its seats have reopened (see `occupancy.rs`), then the
            // user's live holds and the event's: sent at once (one round
            // trip) and run in that order, so the count sees the user's
            // last hold.
            let lock = tx
                .prepare_cached(
                    "SELECT e.reopened, e.cancelled_at IS NOT NULL
                     FROM users u LEFT JOIN events e ON e.id = $2
                     WHERE u.id = $1 FOR UPDATE OF u",
                )
                .await?;
            let count = tx
                .prepare_cached(concat!(
                    "SELECT COUNT(*) FROM seats WHERE event_id = $1 AND held_by = $2 AND ",
                    sql_live_hold!("$3")
                ))
                .await?;
            let (locked, held, holding) = tokio::try_join!(
                async {
                    Ok::<_, OpError>(tx.query_opt(&lock, &[&user.get(), &event.get()]).await?)
                },
                async {
                    Ok::<_, OpError>(
                        tx.query_one(&count, &[&event.get(), &user.get(), &now])
                            .await?,
                    )
                },
                live_holds(&tx, event, now),
            )?;
            let Some(locked) = locked else {
                let found = find_event(&tx, event)
                    .await?
                    .ok_or_else(|| Error::not_found(Entity::Event, event.get()))?;
                rules::check_not_cancelled(event, found.cancelled)?;
                return Err(Error::not_found(Entity::User, user.get()).into());
            };
            let Some(reopened) = locked.get::<_, Option<i64>>(0) else {
                return Err(Error::not_found(Entity::Event, event.get()).into());
            };
            // Cancelled for good: refused at once. One cancelled since is
            // found by `hold_seats`.
            rules::check_not_cancelled(event, locked.get(1))?;
            let layout = cache.layout(load_layout(&tx, event)).await?;
            // The request's own faults (names the event lacks) come before
            // the user's state (the hold limit), as the contract orders them.
            let wanted = layout.wanted(request)?;
            cache
                .refresh(&layout, reopened, closed_seats(&tx, event))
                .await?;
            let held = u32::try_from(held.get::<_, i64>(0)).unwrap_or(u32::MAX);
            rules::check_best_available(request.count, held, policy)?;
            let known = Known {
                layout: &layout,
                cache: &cache,
                reopened,
                holding: &holding,
            };
            let loaded =
                match best_optimistically(&tx, &known, &wanted, request, &picked, now).await? {
                    Some(loaded) => loaded,
                    None => best_under_locks(&tx, event, &layout, wanted, request, now)
                        .await?
                        .ok_or(Error::NoAdjacentSeats {
                            count: request.count,
                        })?,
                };
            let records: Vec<&SeatRecord> = loaded.iter().collect();
            let mut holds = rules::hold_all(&records, user, held, now, policy)?;
            holds.sort_by_key(|h| h.seat.sort_key());
            hold_seats(&tx, user, event, &holds).await?;
            holds
        })
    }

    async fn reservations(&self, user: UserId) -> Result<Vec<Reservation>> {
        transaction!(self, None, |tx, _now| {
            load_reservations(&tx, "r.user_id = $1", &[&user.get()]).await?
        })
    }

    async fn cancel(&self, user: UserId, reservation: ReservationId) -> Result<Reservation> {
        transaction!(self, None, |tx, now| {
            tx::cancel(&mut PgTx::new(&tx), user, reservation, now).await?
        })
    }

    async fn staff_cancel(
        &self,
        by: UserId,
        reservation: ReservationId,
        reason: &str,
    ) -> Result<Reservation> {
        transaction!(self, None, |tx, now| {
            tx::staff_cancel(&mut PgTx::new(&tx), by, reservation, reason, now).await?
        })
    }

    async fn edit_event(&self, by: UserId, event: EventId, edit: &EventEdit) -> Result<Event> {
        transaction!(self, None, |tx, now| {
            tx::edit_event(&mut PgTx::new(&tx), by, event, edit, now).await?
        })
    }

    async fn cancel_event(
        &self,
        by: UserId,
        event: EventId,
        reason: &str,
    ) -> Result<EventCancellation> {
        transaction!(self, None, |tx, now| {
            tx::cancel_event(&mut PgTx::new(&tx), by, event, reason, now).await?
        })
    }

    async fn event_reservations(
        &self,
        event: EventId,
        filter: &ReservationFilter,
    ) -> Result<Vec<Reservation>> {
        filter.validate()?;
        let limit = i64::from(filter.limit);
        transaction!(self, None, |tx, _now| {
            require_event(&tx, event).await?;
            let mut page = load_reservations(
                &tx,
                "r.id IN (
                     SELECT r.id FROM reservations r
                     WHERE r.event_id = $1 AND ($2::TEXT IS NULL OR r.status = $2)
                       AND ($3::BIGINT IS NULL OR r.user_id = $3)
                       AND ($4::TEXT IS NULL OR EXISTS (
                           SELECT 1 FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
                           WHERE rs.reservation_id = r.id AND s.label = $4))
                       AND ($5::BIGINT IS NULL OR r.id < $5)
                     ORDER BY r.id DESC LIMIT $6)",
                &[
                    &event.get(),
                    &filter.status.map(ReservationStatus::as_str),
                    &filter.user.map(UserId::get),
                    &filter.seat,
                    &filter.before.map(ReservationId::get),
                    &limit,
                ],
            )
            .await?;
            page.sort_unstable_by_key(|r| std::cmp::Reverse(r.id));
            page
        })
    }

    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        filter.validate()?;
        let limit = i64::from(filter.limit);
        transaction!(self, None, |tx, _now| {
            let stmt = tx
                .prepare_cached(
                    "SELECT id, at, actor_id, action, event_id, reservation_id, seats, reason,
                            user_id
                     FROM audit_log
                     WHERE ($1::BIGINT IS NULL OR event_id = $1)
                       AND ($2::BIGINT IS NULL OR actor_id = $2)
                       AND ($3::TEXT IS NULL OR action = $3)
                       AND ($4::TIMESTAMPTZ IS NULL OR at >= $4)
                       AND ($5::TIMESTAMPTZ IS NULL OR at < $5)
                       AND ($6::BIGINT IS NULL OR id < $6)
                     ORDER BY id DESC LIMIT $7",
                )
                .await?;
            let rows = tx
                .query(
                    &stmt,
                    &[
                        &filter.event.map(EventId::get),
                        &filter.actor.map(UserId::get),
                        &filter.action.map(AuditAction::as_str),
                        &filter.since,
                        &filter.until,
                        &filter.before,
                        &limit,
                    ],
                )
                .await?;
            let mut records = Vec::with_capacity(rows.len());
            for row in rows {
                records.push(AuditRecord {
                    id: row.get(0),
                    at: row.get(1),
                    actor: row.get::<_, Option<i64>>(2).map(UserId::new),
                    action: row
                        .get::<_, &str>(3)
                        .parse()
                        .map_err(|e: Error| Error::storage(BACKEND, e.to_string()))?,
                    event: row.get::<_, Option<i64>>(4).map(EventId::new),
                    reservation: row.get::<_, Option<i64>>(5).map(ReservationId::new),
                    user: row.get::<_, Option<i64>>(8).map(UserId::new),
                    seats: row.get(6),
                    reason: row.get(7),
                });
            }
            records
        })
    }
}

impl AccountStore for PgStore {
    async fn create_user(&self, username: &Username, password_hash: &str) -> Result<User> {
        transaction!(self, Some(username.as_str()), |tx, _now| {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id",
                )
                .await?;
            let id: i64 = tx
                .query_one(&stmt, &[&username.as_str(), &password_hash])
                .await?
                .get(0);
            User {
                id: UserId::new(id),
                username: username.clone(),
                staff: false,
            }
        })
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        // Text that is no valid name belongs to nobody: no query needed (and
        // a NUL, which PostgreSQL refuses in text, never reaches it).
        let Ok(username) = Username::new(username) else {
            return Ok(None);
        };
        transaction!(self, None, |tx, _now| {
            let stmt = tx
                .prepare_cached("SELECT id, password_hash, staff FROM users WHERE username = $1")
                .await?;
            tx.query_opt(&stmt, &[&username.as_str()])
                .await?
                .map(|row| Credentials {
                    user: User {
                        id: UserId::new(row.get(0)),
                        username: username.clone(),
                        staff: row.get(2),
                    },
                    password_hash: row.get(1),
                })
        })
    }

    async fn username_taken(&self, username: &Username) -> Result<bool> {
        let folded = username.folded();
        connections::statement(&self.pool, async |client| {
            let stmt = client
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = $1)")
                .await?;
            Ok(client.query_one(&stmt, &[&folded]).await?.get(0))
        })
        .await
    }

    async fn user(&self, user: UserId) -> Result<Option<User>> {
        transaction!(self, None, |tx, _now| {
            let stmt = tx
                .prepare_cached("SELECT username, staff FROM users WHERE id = $1")
                .await?;
            match tx.query_opt(&stmt, &[&user.get()]).await? {
                Some(row) => Some(User {
                    id: user,
                    username: Username::new(row.get::<_, String>(0))?,
                    staff: row.get(1),
                }),
                None => None,
            }
        })
    }

    async fn set_staff(&self, by: Option<UserId>, user: UserId, staff: bool) -> Result<User> {
        transaction!(self, None, |tx, now| {
            if let Some(by) = by
                && lock_user(&tx, by).await?.is_none()
            {
                return Err(Error::not_found(Entity::User, by.get()).into());
            }
            let Some(mut found) = lock_user(&tx, user).await? else {
                return Err(Error::not_found(Entity::User, user.get()).into());
            };
            if found.staff != staff {
                let stmt = tx
                    .prepare_cached("UPDATE users SET staff = $2 WHERE id = $1")
                    .await?;
                tx.execute(&stmt, &[&user.get(), &staff]).await?;
                tx::audit_set_staff(&mut PgTx::new(&tx), by, user, staff, now).await?;
                found.staff = staff;
            }
            found
        })
    }

    async fn create_session(&self, id: &SessionId, user: UserId, ttl: Duration) -> Result<Session> {
        transaction!(self, None, |tx, now| {
            let stmt = tx
                .prepare_cached("SELECT username, staff FROM users WHERE id = $1")
                .await?;
            let Some(row) = tx.query_opt(&stmt, &[&user.get()]).await? else {
                return Err(Error::not_found(Entity::User, user.get()).into());
            };
            let found = User {
                id: user,
                username: Username::new(row.get::<_, String>(0))?,
                staff: row.get(1),
            };
            let expires_at = booking_core::add_duration(now, ttl);
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO sessions (id_sha256, user_id, expires_at) VALUES ($1, $2, $3)",
                )
                .await?;
            tx.execute(&stmt, &[&id.digest(), &user.get(), &expires_at])
                .await?;
            Session {
                id: id.clone(),
                user: found,
                expires_at,
            }
        })
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>> {
        // Every request looks its session up: one statement, one round trip
        // (a transaction would take four), judged by the injected clock or
        // else the database's.
        let now = self.clock.as_ref().map(|clock| clock.now());
        connections::statement(&self.pool, async |client| {
            let stmt = client
                .prepare_cached(
                    "SELECT u.id, u.username, s.expires_at, u.staff FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.id_sha256 = $1 AND s.expires_at > COALESCE($2, transaction_timestamp())",
                )
                .await?;
            let Some(row) = client.query_opt(&stmt, &[&id.digest(), &now]).await? else {
                return Ok(None);
            };
            Ok(Some(Session {
                id: id.clone(),
                user: User {
                    id: UserId::new(row.get(0)),
                    username: Username::new(row.get::<_, String>(1))?,
                    staff: row.get(3),
                },
                expires_at: row.get(2),
            }))
        })
        .await
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool> {
        transaction!(self, None, |tx, _now| {
            let stmt = tx
                .prepare_cached("DELETE FROM sessions WHERE id_sha256 = $1")
                .await?;
            tx.execute(&stmt, &[&id.digest()]).await? > 0
        })
    }

    async fn delete_expired_sessions(&self) -> Result<u64> {
        transaction!(self, None, |tx, now| {
            let stmt = tx
                .prepare_cached("DELETE FROM sessions WHERE expires_at <= $1")
                .await?;
            tx.execute(&stmt, &[&now]).await?
        })
    }
}
