//! The domain's data: events, seats and their state, reservations, users,
//! sessions and the policy that bounds holds.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::seatmap::Row;
use crate::venue::Venue;

/// The limits that apply to holds and reservations.
///
/// `#[non_exhaustive]`: start from [`Policy::default`] and set what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// How long a hold lasts from the moment it is taken or extended (default 300 s).
    pub lock_ttl: Duration,
    /// The most seats one user may hold in one event at once, and the most
    /// seats one reservation may contain (default 10).
    pub max_seats_per_user: u32,
    /// How long an idempotency key is remembered after its reservation (default 24 h).
    pub idempotency_ttl: Duration,
    /// The longest one hold may last, counted from when it was first taken,
    /// however often it is extended (default 900 s). Without it a user could
    /// keep seats from everyone else for ever by locking them again and again.
    pub max_hold: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            lock_ttl: Duration::from_secs(300),
            max_seats_per_user: 10,
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            max_hold: Duration::from_secs(900),
        }
    }
}

impl Policy {
    /// This policy with another hold lifetime.
    #[must_use]
    pub fn with_lock_ttl(mut self, lock_ttl: Duration) -> Self {
        self.lock_ttl = lock_ttl;
        self
    }

    /// This policy with another longest hold (see [`Policy::max_hold`]).
    #[must_use]
    pub fn with_max_hold(mut self, max_hold: Duration) -> Self {
        self.max_hold = max_hold;
        self
    }

    /// This policy with another per-user seat limit.
    #[must_use]
    pub fn with_max_seats_per_user(mut self, max: u32) -> Self {
        self.max_seats_per_user = max;
        self
    }
}

/// An event people book seats for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its id.
    pub id: EventId,
    /// Its name, e.g. "The Matrix".
    pub name: String,
    /// What it is, for people choosing one (may be empty).
    pub description: String,
    /// Where it takes place.
    pub venue: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// Whether a reserve that strands a single seat is refused.
    pub orphans: OrphanPolicy,
    /// Its cancellation, once staff cancelled it
    /// ([`BookingStore::cancel_event`](crate::BookingStore::cancel_event)):
    /// then nothing of it can be held, reserved, blocked or edited, and it
    /// stays cancelled.
    #[serde(default)]
    pub cancelled: Option<Cancellation>,
}

/// When, by whom and why an event was cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// The instant of the transaction that cancelled it.
    pub at: Timestamp,
    /// The staff member who cancelled it.
    pub by: UserId,
    /// Why, as staff gave it: each of its customers reads it on their
    /// cancelled reservation.
    pub reason: String,
}

impl Cancellation {
    /// An event's cancellation from the three columns a backend stores it
    /// in (when, by whom, why): all empty while it is not cancelled, all set
    /// once it is.
    ///
    /// # Errors
    ///
    /// Some set and some empty, which no write leaves → `Storage` for
    /// `backend`, naming `event`.
    pub fn from_columns(
        backend: &'static str,
        event: EventId,
        at: Option<Timestamp>,
        by: Option<i64>,
        reason: Option<String>,
    ) -> crate::Result<Option<Self>> {
        match (at, by, reason) {
            (None, None, None) => Ok(None),
            (Some(at), Some(by), Some(reason)) => Ok(Some(Self {
                at,
                by: UserId::new(by),
                reason,
            })),
            _ => Err(crate::Error::storage(
                backend,
                format!("event {event} is cancelled in part"),
            )),
        }
    }
}

/// What [`BookingStore::cancel_event`](crate::BookingStore::cancel_event)
/// did: the event as cancelled, and the reservations it cancelled with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCancellation {
    /// The event, its [`Event::cancelled`] set.
    pub event: Event,
    /// The confirmed reservations it cancelled (each as a staff cancel with
    /// the event's reason), by id ascending.
    pub reservations: Vec<ReservationId>,
}

/// Whether a reserve may leave a single free seat stranded between taken
/// ones (see [`rules::check_orphans`](crate::rules::check_orphans)), set
/// per event when it is created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrphanPolicy {
    /// Any pick of held seats may be reserved (the default).
    #[default]
    Allow,
    /// A reserve that strands a seat when another pick of as many seats in
    /// the same stretch would not is refused with
    /// [`Error::OrphanSeat`](crate::Error::OrphanSeat).
    Refuse,
}

impl OrphanPolicy {
    /// `"allow"` or `"refuse"`, as the backends store it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Refuse => "refuse",
        }
    }
}

/// How many seats of a part of an event (all of it, a section, a price
/// category) stand where, as of one instant. Every seat is in exactly one
/// of `available`, `held`, `reserved` and `blocked`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCounts {
    /// All its seats.
    pub total: u32,
    /// Seats free to hold: neither held (unexpired), reserved nor blocked.
    pub available: u32,
    /// Seats held by an unexpired hold.
    pub held: u32,
    /// Seats in a confirmed reservation.
    pub reserved: u32,
    /// Seats blocked from sale.
    pub blocked: u32,
}

impl SeatCounts {
    /// `total` seats, every one available: what a store starts from before
    /// it counts the seats that are not.
    pub fn all_available(total: u32) -> Self {
        Self {
            total,
            available: total,
            ..Self::default()
        }
    }

    /// Moves seats counted as available to reserved, held and blocked;
    /// `None` (and nothing changed) when fewer are available.
    #[must_use]
    pub fn take(&mut self, taken: &TakenSeats) -> Option<()> {
        let moved = taken
            .reserved
            .checked_add(taken.held)?
            .checked_add(taken.blocked)?;
        self.available = self.available.checked_sub(moved)?;
        self.reserved += taken.reserved;
        self.held += taken.held;
        self.blocked += taken.blocked;
        Some(())
    }

    /// Counts one seat of `total` in the state it is in at `now`.
    pub fn add(&mut self, state: SeatState, blocked: bool, now: Timestamp) {
        self.total += 1;
        match state.at(now) {
            SeatState::Reserved { .. } => self.reserved += 1,
            SeatState::Held { .. } => self.held += 1,
            SeatState::Available if blocked => self.blocked += 1,
            SeatState::Available => self.available += 1,
        }
    }
}

/// The seats of one section and one category of an event that are not
/// available, as a store counts them: what [`count_taken`] folds into the
/// event's summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TakenSeats {
    /// The section, as an index in the venue's order.
    pub section: usize,
    /// The category, as an index in the venue's order.
    pub category: usize,
    /// Seats in a confirmed reservation.
    pub reserved: u32,
    /// Seats held by an unexpired hold.
    pub held: u32,
    /// Seats blocked from sale.
    pub blocked: u32,
}

/// Folds `taken` (seats of `event`) into that event's sections and
/// categories, as a store builds its summaries: by event (keyed as the store
/// keys them), each made with [`SeatCounts::all_available`]. Its seats move
/// from available to reserved, held and blocked in both its section and its
/// category.
///
/// # Errors
///
/// An event, section or category the summaries do not have, or more seats
/// taken than are available: the store's figures do not add up, an
/// [`Error::Storage`](crate::Error::Storage) of `backend`.
pub fn count_taken<K: Eq + std::hash::Hash, H: std::hash::BuildHasher>(
    sections: &mut std::collections::HashMap<K, Vec<SectionSummary>, H>,
    categories: &mut std::collections::HashMap<K, Vec<CategorySummary>, H>,
    event: &K,
    taken: &TakenSeats,
    backend: &'static str,
) -> Result<()> {
    let missing = || Error::storage(backend, "a seat of no section or category");
    let too_many = || Error::storage(backend, "more seats taken than there are");
    let section = sections
        .get_mut(event)
        .and_then(|s| s.get_mut(taken.section))
        .ok_or_else(missing)?;
    section.seats.take(taken).ok_or_else(too_many)?;
    let category = categories
        .get_mut(event)
        .and_then(|c| c.get_mut(taken.category))
        .ok_or_else(missing)?;
    category.seats.take(taken).ok_or_else(too_many)?;
    Ok(())
}

/// One price category of an event with its seat counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySummary {
    /// Its name.
    pub name: String,
    /// The price of each of its seats, in cents.
    pub price_cents: i64,
    /// Its colour, `#rrggbb`.
    pub color: String,
    /// Its seats.
    pub seats: SeatCounts,
}

/// One section of an event with its seat counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SectionSummary {
    /// Its name (empty for the one section of an event made from a seat map).
    pub name: String,
    /// Where an overview of the venue draws it (the venue file's
    /// `position`), if the file says.
    pub position: Option<crate::venue::Point>,
    /// Its seats.
    pub seats: SeatCounts,
}

/// An event with its seat counts as of one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    /// The event.
    pub event: Event,
    /// All its seats.
    pub total_seats: u32,
    /// Seats neither held (unexpired), reserved nor blocked.
    pub available_seats: u32,
    /// Seats in a confirmed reservation.
    pub reserved_seats: u32,
    /// Seats held by an unexpired hold.
    pub held_seats: u32,
    /// Seats blocked from sale.
    pub blocked_seats: u32,
    /// Its price categories, in the venue's order, with their counts.
    pub categories: Vec<CategorySummary>,
    /// Its sections, in the venue's order, with their counts.
    pub sections: Vec<SectionSummary>,
}

impl EventSummary {
    /// A summary whose event-wide counts are the sums of its sections'.
    pub fn new(
        event: Event,
        categories: Vec<CategorySummary>,
        sections: Vec<SectionSummary>,
    ) -> Self {
        let mut all = SeatCounts::default();
        for s in &sections {
            all.total += s.seats.total;
            all.available += s.seats.available;
            all.held += s.seats.held;
            all.reserved += s.seats.reserved;
            all.blocked += s.seats.blocked;
        }
        Self {
            event,
            total_seats: all.total,
            available_seats: all.available,
            reserved_seats: all.reserved,
            held_seats: all.held,
            blocked_seats: all.blocked,
            categories,
            sections,
        }
    }
}

/// What it takes to create an event: its details and its seating.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// Its name: 1 to 200 characters, not blank.
    pub name: String,
    /// What it is, for people choosing one: at most
    /// [`MAX_EVENT_DESCRIPTION`] characters, empty when there is nothing to say.
    pub description: String,
    /// Where it takes place: at most 200 characters.
    pub venue: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// Its seats: a [`Venue`] of sections, rows and price categories, or a
    /// compact [`SeatMap`](crate::SeatMap) made into one (`map.into()`).
    pub seating: Venue,
    /// Whether a reserve may strand a single seat (default: it may).
    pub orphans: OrphanPolicy,
    /// The staff member who creates it, for the audit log's
    /// [`CreateEvent`](crate::AuditAction::CreateEvent) record; `None` when
    /// no user does (the server's own command line, an embedding program).
    pub created_by: Option<UserId>,
}

/// The longest event name or venue, in characters.
pub const MAX_EVENT_TEXT: usize = 200;

/// The longest event description, in characters.
pub const MAX_EVENT_DESCRIPTION: usize = 5_000;

impl NewEvent {
    /// Checks the name and venue; backends call this before writing anything.
    pub fn validate(&self) -> Result<()> {
        check_event_details(&self.name, &self.description, &self.venue)?;
        self.seating.check()
    }
}

/// A change to an event's details, as staff make it: each field given
/// replaces the event's. Its seats, and so its seating, never change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventEdit {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new venue text (where it takes place).
    pub venue: Option<String>,
    /// A new start time.
    pub starts_at: Option<Timestamp>,
}

impl EventEdit {
    /// `event` with this edit made, checked as a new event's details are
    /// (→ `InvalidInput`; an edit that gives no field is one too).
    pub fn apply(&self, event: &Event) -> Result<Event> {
        if self.changed_fields().is_empty() {
            return Err(Error::invalid_input(
                "an edit changes at least one of name, description, venue and starts_at",
            ));
        }
        let mut edited = event.clone();
        if let Some(name) = &self.name {
            edited.name.clone_from(name);
        }
        if let Some(description) = &self.description {
            edited.description.clone_from(description);
        }
        if let Some(venue) = &self.venue {
            edited.venue.clone_from(venue);
        }
        if let Some(starts_at) = self.starts_at {
            edited.starts_at = starts_at;
        }
        check_event_details(&edited.name, &edited.description, &edited.venue)?;
        Ok(edited)
    }

    /// The names of the fields it gives, in a fixed order: what the audit
    /// log says was edited.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("description", self.description.is_some()),
            ("venue", self.venue.is_some()),
            ("starts_at", self.starts_at.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, given)| given.then_some(field))
        .collect()
    }
}

/// Checks an event's name, description and venue text.
fn check_event_details(name: &str, description: &str, venue: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid_input("an event needs a name"));
    }
    if name.chars().count() > MAX_EVENT_TEXT {
        return Err(Error::invalid_input(format!(
            "an event name has at most {MAX_EVENT_TEXT} characters"
        )));
    }
    if venue.chars().count() > MAX_EVENT_TEXT {
        return Err(Error::invalid_input(format!(
            "a venue has at most {MAX_EVENT_TEXT} characters"
        )));
    }
    if description.chars().count() > MAX_EVENT_DESCRIPTION {
        return Err(Error::invalid_input(format!(
            "an event description has at most {MAX_EVENT_DESCRIPTION} characters"
        )));
    }
    // A NUL is no text to PostgreSQL (it would fail as a storage error),
    // and no control character belongs in a name shown on a page. A
    // description may have line breaks and tabs, but no other.
    if name.chars().chain(venue.chars()).any(char::is_control) {
        return Err(Error::invalid_input(
            "an event name or venue cannot contain control characters",
        ));
    }
    if description
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid_input(
            "an event description cannot contain control characters but line breaks and tabs",
        ));
    }
    Ok(())
}

/// A seat of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    /// Its id. An event's seats get ids in the order they are listed:
    /// by section (in the venue's order), then row, then number.
    pub id: SeatId,
    /// The event it belongs to.
    pub event: EventId,
    /// Its section's name (empty for an event made from a seat map).
    pub section: String,
    /// Its row (`A`, `B`, ..., `Z`, `AA`, ...).
    pub row: Row,
    /// Its number within the row, from 1.
    pub number: u32,
    /// Its label, unique in the event: `A1` when the event has one section,
    /// `Balcony A1` when it has several ([`Venue::label`]).
    pub label: String,
    /// Its price category's name.
    pub category: String,
    /// What it costs, in cents (its category's price).
    pub price_cents: i64,
    /// A wheelchair space.
    pub accessible: bool,
    /// A companion seat, beside a wheelchair space.
    pub companion: bool,
    /// A seat with a restricted view.
    pub restricted_view: bool,
}

impl Seat {
    /// Its display label: `A1`, `AB12`, `Balcony A1`.
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// The order seats are listed in: by section, row, then number, which
    /// is the order of their ids.
    pub fn sort_key(&self) -> SeatId {
        self.id
    }
}

/// Where a seat stands, as stored.
///
/// A hold carries the instant it ends; once that instant is reached the seat
/// is available again without anything being written ([`SeatState::at`]).
/// It also carries when its holder first took it, which bounds how far it
/// can be extended ([`Policy::max_hold`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeatState {
    /// Free to hold.
    Available,
    /// Held by `by` since `since` until `until` (exclusive).
    Held {
        /// The holder.
        by: UserId,
        /// When `by` first took this hold; extending it keeps this instant.
        since: Timestamp,
        /// The instant the hold ends.
        until: Timestamp,
    },
    /// Part of a confirmed reservation.
    Reserved {
        /// That reservation.
        reservation: ReservationId,
    },
}

impl SeatState {
    /// The state as it stands at `now`: a hold that has ended is `Available`.
    #[must_use]
    pub fn at(self, now: Timestamp) -> Self {
        match self {
            Self::Held { until, .. } if until <= now => Self::Available,
            state => state,
        }
    }

    /// Whether this is a hold of `user` (judge it [`at`](Self::at) an
    /// instant first: an ended hold is still `Held` before).
    #[must_use]
    pub fn is_held_by(self, user: UserId) -> bool {
        matches!(self, Self::Held { by, .. } if by == user)
    }

    /// Rebuilds a state from the four nullable columns backends store it in
    /// (`reservation_id`, `held_by`, `held_since`, `held_until`); a
    /// combination no write produces is reported as a storage error of
    /// `backend`.
    pub fn from_columns(
        backend: &'static str,
        reservation: Option<ReservationId>,
        held_by: Option<UserId>,
        held_since: Option<Timestamp>,
        held_until: Option<Timestamp>,
    ) -> Result<Self> {
        match (reservation, held_by, held_since, held_until) {
            (None, None, None, None) => Ok(Self::Available),
            (None, Some(by), Some(since), Some(until)) => Ok(Self::Held { by, since, until }),
            (Some(reservation), None, None, None) => Ok(Self::Reserved { reservation }),
            other => Err(Error::storage(
                backend,
                format!("inconsistent seat state columns {other:?}"),
            )),
        }
    }

    /// The four nullable columns this state is stored in:
    /// `(reservation_id, held_by, held_since, held_until)`.
    pub fn to_columns(self) -> SeatColumns {
        match self {
            Self::Available => (None, None, None, None),
            Self::Held { by, since, until } => (None, Some(by), Some(since), Some(until)),
            Self::Reserved { reservation } => (Some(reservation), None, None, None),
        }
    }
}

/// [`SeatState::at`] in SQL: a condition on a seat's columns (`held_by`,
/// `held_until`; see [`SeatState::to_columns`]) that is true when the seat
/// is held by a hold that is live at the instant bound as `$now` (a
/// parameter's placeholder, `"?2"` or `"$3"`).
///
/// The backends' statements that judge holds in SQL spell the condition
/// through this macro, and each backend tests it against [`SeatState::at`].
#[macro_export]
macro_rules! sql_live_hold {
    ($now:literal) => {
        concat!("(held_by IS NOT NULL AND held_until > ", $now, ")")
    };
}

/// [`SeatRecord::is_free`] in SQL: a condition on a seat's columns
/// (`reservation_id`, `held_by`, `held_until`, `blocked_reason`) that is
/// true when the seat is neither reserved, blocked, nor held by a hold
/// live at the instant bound as `$now` (see [`sql_live_hold!`]).
#[macro_export]
macro_rules! sql_free_seat {
    ($now:literal) => {
        concat!(
            "(reservation_id IS NULL AND blocked_reason IS NULL AND NOT ",
            $crate::sql_live_hold!($now),
            ")"
        )
    };
}

/// A seat state as stored: `(reservation_id, held_by, held_since, held_until)`.
pub type SeatColumns = (
    Option<ReservationId>,
    Option<UserId>,
    Option<Timestamp>,
    Option<Timestamp>,
);

/// A seat with its state, as a transaction loaded it or as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatRecord {
    /// The seat.
    pub seat: Seat,
    /// Its state. Listings give it as of the listing's instant; rows loaded
    /// inside a transaction may still carry an ended hold, which the rules
    /// treat as available.
    pub state: SeatState,
    /// `Some(reason)` while the seat is blocked from sale (the reason may be
    /// empty): it can then be neither held nor reserved.
    pub blocked: Option<String>,
}

impl SeatRecord {
    /// Whether the seat can be held at `now` by anyone: not held
    /// (unexpired), not reserved, not blocked.
    pub fn is_free(&self, now: Timestamp) -> bool {
        self.blocked.is_none() && self.state.at(now) == SeatState::Available
    }
}

/// A hold that was taken or extended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The held seat.
    pub seat: Seat,
    /// The holder.
    pub user: UserId,
    /// When the holder first took it (an extension keeps this instant).
    pub since: Timestamp,
    /// The instant it was taken or extended: `until - granted_at` is how
    /// long it lasts from then, which [`Policy::max_hold`] may have cut
    /// short of [`Policy::lock_ttl`].
    pub granted_at: Timestamp,
    /// The instant it ends.
    pub until: Timestamp,
}

impl Hold {
    /// How long the hold lasts from when it was taken or extended.
    pub fn lifetime(&self) -> Duration {
        (self.until - self.granted_at).to_std().unwrap_or_default()
    }
}

/// A best-available request: `count` seats together, of the categories
/// and sections named (any when empty), `wheelchair` of them wheelchair
/// spaces (or all or none of them by `accessible`), falling back to two
/// neighbouring rows with `allow_split`.
///
/// "A wheelchair space and its companion" is `count` 2 with `wheelchair`
/// `Some(1)`: see [`best`](crate::best) for the rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BestAvailable {
    /// How many seats: 1 to [`Policy::max_seats_per_user`].
    pub count: u32,
    /// The price categories accepted, by name; empty: any.
    pub categories: Vec<String>,
    /// The sections accepted, by name; empty: any.
    pub sections: Vec<String>,
    /// `Some(true)`: wheelchair spaces only; `Some(false)`: no wheelchair
    /// space; `None`: either.
    pub accessible: Option<bool>,
    /// How many of the `count` seats are wheelchair spaces, exactly: the
    /// others are seats beside them, for companions. `None`: as
    /// `accessible` says. At most `count`, and not with `accessible`.
    #[serde(default)]
    pub wheelchair: Option<u32>,
    /// Whether two neighbouring rows may share the seats when no row has
    /// them together.
    pub allow_split: bool,
}

impl BestAvailable {
    /// `count` seats together, anywhere.
    pub fn new(count: u32) -> Self {
        Self {
            count,
            ..Self::default()
        }
    }
}

/// Whether a reservation still stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationStatus {
    /// Its seats are reserved.
    Confirmed,
    /// It was cancelled and its seats released.
    Cancelled,
}

impl ReservationStatus {
    /// `"confirmed"` or `"cancelled"`, as the API and the backends spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl FromStr for ReservationStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "confirmed" => Ok(Self::Confirmed),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(Error::invalid_input(format!(
                "unknown reservation status {other:?}"
            ))),
        }
    }
}

/// A set of seats of one event, reserved by one user in one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Its id.
    pub id: ReservationId,
    /// Who made it.
    pub user: UserId,
    /// The event.
    pub event: EventId,
    /// The event's name, so listings need no second lookup.
    pub event_name: String,
    /// Its seats, by row then number.
    pub seats: Vec<Seat>,
    /// Confirmed or cancelled.
    pub status: ReservationStatus,
    /// The sum of its seats' prices, in cents.
    pub total_cents: i64,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<Timestamp>,
    /// Who cancelled it, if it was: its owner, or staff.
    pub cancelled_by: Option<UserId>,
    /// Why staff cancelled it, as they gave it; `None` unless staff did.
    pub cancel_reason: Option<String>,
    /// The idempotency key it was made with, while that key is remembered.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl Reservation {
    /// Its seats' labels, in order: `["A1", "A3"]`.
    pub fn seat_labels(&self) -> Vec<String> {
        self.seats.iter().map(Seat::label).collect()
    }
}

/// A client-chosen key that makes a retried reserve return the first answer.
///
/// 1 to 255 visible ASCII characters (what fits in an HTTP header unescaped).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Validates a key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(Error::invalid_input(format!(
                "an idempotency key has 1 to {} characters",
                Self::MAX_LEN
            )));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid_input(
                "an idempotency key has only visible ASCII characters",
            ));
        }
        Ok(Self(key))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = Error;

    fn try_from(key: String) -> Result<Self> {
        Self::new(key)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> Self {
        key.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated user name: 1 to 150 ASCII letters, digits and `@.+-_`
/// (Django's rule).
///
/// A name is shown and matched at login as it was registered, but two users
/// cannot have names that differ only in case: `Alice` is taken once
/// `alice` exists (stores compare [`Username::folded`] forms).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// The longest name accepted.
    pub const MAX_LEN: usize = 150;

    /// Validates a name.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let allowed = |c: char| c.is_ascii_alphanumeric() || "@.+-_".contains(c);
        if name.is_empty() || name.len() > Self::MAX_LEN || !name.chars().all(allowed) {
            return Err(Error::invalid_input(format!(
                "a user name has 1 to {} ASCII letters, digits and @.+-_",
                Self::MAX_LEN
            )));
        }
        Ok(Self(name))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in lower case: the form that must be unique among users.
    /// Names are ASCII, so this is what SQL's `lower()` gives too.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl TryFrom<String> for Username {
    type Error = Error;

    fn try_from(name: String) -> Result<Self> {
        Self::new(name)
    }
}

impl From<Username> for String {
    fn from(name: Username) -> Self {
        name.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the rules for a new one: at least
/// [`Password::MIN_CHARS`] characters and at most [`Password::MAX_BYTES`]
/// bytes (hashing cost is bounded by input size), not all whitespace, and no
/// control characters (a NUL or a newline in a password is a pasting
/// accident or an attack, never a choice a person can type again).
///
/// Sign-up and the command line check new passwords with it; logins do not
/// (a password is then only compared with its stored hash).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The fewest characters a password may have.
    pub const MIN_CHARS: usize = 8;
    /// The most bytes a password may have.
    pub const MAX_BYTES: usize = 1024;

    /// Checks a new password against the rules.
    pub fn new(password: impl Into<String>) -> Result<Self> {
        let password = password.into();
        if password.chars().count() < Self::MIN_CHARS || password.len() > Self::MAX_BYTES {
            return Err(Error::invalid_input(format!(
                "a password has at least {} characters (and at most {} bytes)",
                Self::MIN_CHARS,
                Self::MAX_BYTES
            )));
        }
        if password.chars().all(char::is_whitespace) {
            return Err(Error::invalid_input(
                "a password cannot be only spaces or other blank characters",
            ));
        }
        if password.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                "a password cannot contain control characters (tabs, line breaks, NUL, ...)",
            ));
        }
        Ok(Self(password))
    }

    /// The password's text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The password's text, for hashing on another thread.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Password {
    /// Never shows the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A user account: a customer, or staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its unique name.
    pub username: Username,
    /// Whether the user is staff (may use the box office: the admin
    /// operations) rather than a customer. New users are customers.
    #[serde(default)]
    pub staff: bool,
}

/// A user with the stored hash of their password, for checking a login.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The password hash (a PHC string such as argon2id's); never the password.
    pub password_hash: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// An opaque session id, as carried in a cookie.
///
/// The server makes them from the OS random generator. Stores keep only its
/// [`SessionId::digest`], so a copy of the sessions table holds no id a
/// client could present. 16 to 128 visible ASCII characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Validates an id.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid_input(
                "a session id has 16 to 128 visible ASCII characters",
            ));
        }
        Ok(Self(id))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a store keeps instead of the id: the SHA-256 of its text, as 64
    /// lowercase hex digits. The ids carry 128 random bits, so a plain hash
    /// is enough (no salt, no slow hash): nobody can search that space.
    pub fn digest(&self) -> String {
        use std::fmt::Write as _;
        Sha256::digest(self.0.as_bytes())
            .iter()
            .fold(String::with_capacity(64), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            })
    }
}

impl fmt::Debug for SessionId {
    /// Shows only a prefix: a session id in a log is a credential in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({}…)", &self.0[..4])
    }
}

/// A live session: who it belongs to and when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// Its user.
    pub user: User,
    /// The instant it ends.
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_djangos_rule() {
        for ok in ["alice", "a", "bob.smith+x@example-1_2", &"x".repeat(150)] {
            assert!(Username::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "with space", "émile", "semi;colon", &"x".repeat(151)] {
            assert!(Username::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_names_fold_to_lower_case() {
        assert_eq!(Username::new("Alice.B").unwrap().folded(), "alice.b");
    }

    #[test]
    fn passwords_need_eight_printable_characters_not_all_blank() {
        for ok in ["s3cret-pass", "correct horse", "pässwörd", "        x"] {
            assert!(Password::new(ok).is_ok(), "{ok:?}");
        }
        let too_long = "x".repeat(Password::MAX_BYTES + 1);
        for bad in [
            "short",
            "        ",
            "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}",
            "\0\0\0\0\0\0\0\0",
            "password\0",
            "pass\tword",
            "line\nbreak",
            &too_long,
        ] {
            let err = Password::new(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad:?}");
        }
        assert_eq!(
            format!("{:?}", Password::new("s3cret-pass").unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn session_ids_are_stored_as_their_sha256() {
        let id = SessionId::new("0123456789abcdef").unwrap();
        // sha256("0123456789abcdef"), from `printf 0123456789abcdef | sha256sum`.
        assert_eq!(
            id.digest(),
            "9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f"
        );
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::new("retry-1").is_ok());
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("a b").is_err());
        assert!(IdempotencyKey::new("k".repeat(256)).is_err());
    }

    #[test]
    fn session_ids_do_not_leak_into_debug_output() {
        let id = SessionId::new("abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{id:?}"), "SessionId(abcd…)");
        assert!(SessionId::new("short").is_err());
    }

    #[test]
    fn seat_state_columns_round_trip() {
        use crate::Clock;
        let until = crate::ManualClock::default().now();
        for state in [
            SeatState::Available,
            SeatState::Held {
                by: UserId::new(3),
                since: until - chrono::TimeDelta::seconds(60),
                until,
            },
            SeatState::Reserved {
                reservation: ReservationId::new(9),
            },
        ] {
            let (r, b, s, u) = state.to_columns();
            assert_eq!(SeatState::from_columns("test", r, b, s, u).unwrap(), state);
        }
        let (r, b, _, u) = SeatState::Held {
            by: UserId::new(3),
            since: until,
            until,
        }
        .to_columns();
        assert!(SeatState::from_columns("test", r, b, None, u).is_err());
        assert!(SeatState::from_columns("test", None, Some(UserId::new(1)), None, None).is_err());
    }

    #[test]
    fn a_hold_ends_at_its_instant() {
        use crate::Clock;
        let now = crate::ManualClock::default().now();
        let held = SeatState::Held {
            by: UserId::new(1),
            since: now,
            until: now,
        };
        assert_eq!(held.at(now), SeatState::Available);
        assert_eq!(
            held.at(now - chrono::TimeDelta::microseconds(1)),
            held,
            "a hold stands until its instant"
        );
    }
}
