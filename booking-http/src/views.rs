//! The JSON shapes of the API, built from core types. Each answer is a
//! type here, and each type's OpenAPI schema is derived from it
//! ([`crate::openapi`]), so the reference cannot drift from what is sent.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use booking_core::{
    AuditAction, AuditRecord, CategorySales, CategorySummary, EventId, EventSummary, Reservation,
    ReservationId, ReservationStatus, Row, Sales, Seat, SeatCounts, SeatRecord, SeatState,
    SectionSummary, Timestamp, UserId, Venue,
};
use chrono::SecondsFormat;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// An instant as an RFC 3339 UTC string: `2025-12-21T10:05:00Z`.
pub fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Cents as the original design's plain decimal string: `120000` →
/// `"1200.00"` (no currency sign, no thousands separator: clients format
/// money themselves, from `total_cents`).
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// A lifetime as people say it: "5 minutes", "1 minute", "90 seconds".
pub fn lifetime(d: Duration) -> String {
    booking_core::describe_duration(d)
}

/// The `"success": true` that every 2xx answer carries (the original
/// client checks it before it uses any answer). Its schema is the constant.
#[derive(Clone, Copy, Debug, Default)]
pub struct Success;

impl Serialize for Success {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(true)
    }
}

impl PartialSchema for Success {
    fn schema() -> RefOr<Schema> {
        constant(true)
    }
}

impl ToSchema for Success {}

/// A schema that admits only `value`.
pub fn constant(value: impl Into<serde_json::Value>) -> RefOr<Schema> {
    let value = value.into();
    let kind = if value.is_boolean() {
        Type::Boolean
    } else {
        Type::String
    };
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(kind))
        .enum_values(Some([value]))
        .into()
}

/// A schema for an RFC 3339 UTC instant.
fn instant_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::DateTime,
        )))
        .examples(["2025-12-21T10:05:00Z"])
}

/// The schema of a required RFC 3339 instant.
fn instant() -> Schema {
    instant_schema().into()
}

/// The schema of an RFC 3339 instant or `null`.
fn instant_or_null() -> Schema {
    instant_schema()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .into()
}

// ---- events -------------------------------------------------------------------

/// An event with its seat counts. It carries the original design's names
/// too: `event_date` is `starts_at`, `location` is `venue`.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    /// Its id.
    id: i64,
    /// Its name.
    name: String,
    /// What it is (may be empty).
    description: String,
    /// Where it takes place.
    venue: String,
    /// The same text as `venue`, under the original design's name.
    location: String,
    /// When it starts.
    #[schema(schema_with = instant)]
    starts_at: String,
    /// The same instant as `starts_at`, under the original design's name.
    #[schema(schema_with = instant)]
    event_date: String,
    /// All its seats.
    total_seats: u32,
    /// Seats neither held (unexpired), reserved nor blocked, right now.
    available_seats: u32,
    /// Seats in a confirmed reservation.
    reserved_seats: u32,
    /// Seats held (unexpired) right now.
    held_seats: u32,
    /// Seats blocked from sale.
    blocked_seats: u32,
    /// Its price categories, in the venue's order (best first), with
    /// their seats counted the same way.
    categories: Vec<CategoryView>,
    /// Its sections, in the venue's order, with their seats counted the
    /// same way. An event made from the compact seat-map notation has one,
    /// named `""`.
    sections: Vec<SectionView>,
    /// When staff cancelled it; `null` unless they did. A cancelled event
    /// can no longer be booked (409 `event_cancelled`).
    #[schema(schema_with = instant_or_null, required = true)]
    cancelled_at: Option<String>,
    /// Why staff cancelled it, as they gave it; `null` unless they did.
    #[schema(required = true)]
    cancel_reason: Option<String>,
}

impl From<EventSummary> for EventView {
    fn from(e: EventSummary) -> Self {
        let starts_at = rfc3339(e.event.starts_at);
        let (cancelled_at, cancel_reason) = match e.event.cancelled {
            Some(c) => (Some(rfc3339(c.at)), Some(c.reason)),
            None => (None, None),
        };
        Self {
            cancelled_at,
            cancel_reason,
            id: e.event.id.get(),
            name: e.event.name,
            description: e.event.description,
            location: e.event.venue.clone(),
            venue: e.event.venue,
            event_date: starts_at.clone(),
            starts_at,
            total_seats: e.total_seats,
            available_seats: e.available_seats,
            reserved_seats: e.reserved_seats,
            held_seats: e.held_seats,
            blocked_seats: e.blocked_seats,
            categories: e.categories.into_iter().map(CategoryView::from).collect(),
            sections: e.sections.into_iter().map(SectionView::from).collect(),
        }
    }
}

/// A price category of an event, with its seat counts right now.
#[derive(Serialize, ToSchema)]
#[schema(as = Category)]
pub struct CategoryView {
    /// Its name, unique in the event: `"Premium"` (an event made from the
    /// compact notation names each by its price, `"$100.00"`).
    name: String,
    /// The price of each of its seats, in cents.
    price_cents: i64,
    /// The colour a seat map draws it in, `#rrggbb`.
    #[schema(examples("#7b3fa0"), pattern = r"^#[0-9a-f]{6}$")]
    color: String,
    /// All its seats.
    total_seats: u32,
    /// Seats neither held, reserved nor blocked.
    available_seats: u32,
    /// Seats held.
    held_seats: u32,
    /// Seats reserved.
    reserved_seats: u32,
    /// Seats blocked from sale.
    blocked_seats: u32,
}

impl From<CategorySummary> for CategoryView {
    fn from(c: CategorySummary) -> Self {
        let SeatCounts {
            total,
            available,
            held,
            reserved,
            blocked,
        } = c.seats;
        Self {
            name: c.name,
            price_cents: c.price_cents,
            color: c.color,
            total_seats: total,
            available_seats: available,
            held_seats: held,
            reserved_seats: reserved,
            blocked_seats: blocked,
        }
    }
}

/// A section of an event, with its seat counts right now.
#[derive(Serialize, ToSchema)]
#[schema(as = Section)]
pub struct SectionView {
    /// Its name, unique in the event: `"Balcony"`, `"Block 112"`; `""` for
    /// the one section of an event made from the compact notation.
    name: String,
    /// Where an overview of the venue draws the section's centre (the venue
    /// file's `position`), or `null` when the file gives none.
    position: Option<PositionView>,
    /// All its seats.
    total_seats: u32,
    /// Seats neither held, reserved nor blocked.
    available_seats: u32,
    /// Seats held.
    held_seats: u32,
    /// Seats reserved.
    reserved_seats: u32,
    /// Seats blocked from sale.
    blocked_seats: u32,
}

/// A point of a venue's overview. Only where sections are drawn relative to
/// each other matters: `x` grows to the right and `y` away from the stage.
#[derive(Serialize, ToSchema)]
#[schema(as = Position)]
pub struct PositionView {
    /// Across.
    x: f64,
    /// Down (away from the stage).
    y: f64,
}

impl From<SectionSummary> for SectionView {
    fn from(s: SectionSummary) -> Self {
        let SeatCounts {
            total,
            available,
            held,
            reserved,
            blocked,
        } = s.seats;
        Self {
            name: s.name,
            position: s.position.map(|p| PositionView { x: p.x, y: p.y }),
            total_seats: total,
            available_seats: available,
            held_seats: held,
            reserved_seats: reserved,
            blocked_seats: blocked,
        }
    }
}

/// `GET /api/events/` (events not cancelled) and `GET /api/admin/events/`
/// (every event): events, soonest first.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    success: Success,
    /// The events.
    events: Vec<EventView>,
}

impl EventList {
    /// The list of `events`.
    pub fn new(events: Vec<EventSummary>) -> Self {
        Self {
            success: Success,
            events: events.into_iter().map(EventView::from).collect(),
        }
    }
}

/// `GET /api/events/{event_id}/`: one event.
#[derive(Serialize, ToSchema)]
pub struct EventDetail {
    success: Success,
    /// The event.
    event: EventView,
}

impl EventDetail {
    /// The answer for `event`.
    pub fn new(event: EventSummary) -> Self {
        Self {
            success: Success,
            event: event.into(),
        }
    }
}

// ---- seats --------------------------------------------------------------------

/// A seat's state as a viewer sees it.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeatStatus {
    /// Free to hold: never held, released, or its hold has expired.
    Available,
    /// Held (by the viewer when `locked_by_me`).
    Locked,
    /// Taken: in a confirmed reservation, or blocked from sale (then
    /// `blocked` is `true`). The original design's clients know these
    /// three states only, and show a blocked seat as taken this way.
    Reserved,
}

/// A seat as the seat grid shows it to `viewer`.
// It borrows its texts from the seat's record: a seat map makes one view
// per seat as it writes it, so no text is copied.
#[derive(Serialize, ToSchema)]
#[schema(as = Seat)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "a wire format: each flag is a JSON field clients read"
)]
pub struct SeatView<'a> {
    /// Its id.
    id: i64,
    /// Its label, unique in the event: row then number, `"A1"`, when the
    /// event has one section; the section, row and number, `"Balcony A1"`,
    /// when it has several.
    seat_number: &'a str,
    /// Its row: `"A"`.
    row: String,
    /// Its number in the row.
    number: u32,
    /// Its price in cents.
    price_cents: i64,
    /// Its state now.
    status: SeatStatus,
    /// Whether it is held (`status` is `locked`).
    is_locked: bool,
    /// Until when it is held; `null` unless it is.
    #[schema(schema_with = instant_or_null, required = true)]
    locked_until: Option<String>,
    /// Whether the viewer holds it.
    locked_by_me: bool,
    /// Its section's name; `""` for an event made from the compact
    /// seat-map notation (one section).
    section: &'a str,
    /// Its price category's name.
    category: &'a str,
    /// A wheelchair space.
    accessible: bool,
    /// A companion seat, beside a wheelchair space.
    companion: bool,
    /// Its view of the stage is restricted.
    restricted_view: bool,
    /// Blocked from sale (house seats, a broken seat): it shows as
    /// `reserved` and cannot be held.
    blocked: bool,
}

impl<'a> SeatView<'a> {
    /// `record` as `viewer` sees it.
    pub fn new(record: &'a SeatRecord, viewer: UserId) -> Self {
        let blocked = record.blocked.is_some();
        let (status, locked_until, locked_by_me) = match record.state {
            // A blocked seat is neither held nor reserved, but taken.
            SeatState::Available if blocked => (SeatStatus::Reserved, None, false),
            SeatState::Available => (SeatStatus::Available, None, false),
            SeatState::Held { by, until, .. } => {
                (SeatStatus::Locked, Some(rfc3339(until)), by == viewer)
            }
            SeatState::Reserved { .. } => (SeatStatus::Reserved, None, false),
        };
        Self {
            id: record.seat.id.get(),
            seat_number: &record.seat.label,
            row: record.seat.row.to_string(),
            number: record.seat.number,
            price_cents: record.seat.price_cents,
            status,
            is_locked: locked_until.is_some(),
            locked_until,
            locked_by_me,
            section: &record.seat.section,
            category: &record.seat.category,
            accessible: record.seat.accessible,
            companion: record.seat.companion,
            restricted_view: record.seat.restricted_view,
            blocked,
        }
    }
}

/// Seats as `viewer` sees them, written as a JSON array of [`SeatView`]s,
/// each made only as it is written: no view of every seat is kept.
#[derive(Clone, Copy)]
pub struct SeatList<'a> {
    records: &'a [SeatRecord],
    viewer: UserId,
}

impl<'a> SeatList<'a> {
    /// `records` as `viewer` sees them.
    pub fn new(records: &'a [SeatRecord], viewer: UserId) -> Self {
        Self { records, viewer }
    }
}

impl Serialize for SeatList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let viewer = self.viewer;
        serializer.collect_seq(self.records.iter().map(|r| SeatView::new(r, viewer)))
    }
}

impl PartialSchema for SeatList<'_> {
    fn schema() -> RefOr<Schema> {
        Vec::<SeatView>::schema()
    }
}

impl ToSchema for SeatList<'_> {}

/// The answer of a seat-map read: `{"success": true, "seats": [...]}`,
/// each seat as `viewer` sees it, by row then number.
///
/// A map of a large event is large (16 MB of JSON for 100,000 seats), so
/// the seats are serialized straight from their records ([`SeatList`]),
/// into a buffer sized for the whole answer up front rather than doubled as
/// it fills.
pub struct SeatsView {
    records: Vec<SeatRecord>,
    viewer: UserId,
}

impl SeatsView {
    /// About the most one seat takes in JSON: a locked seat with a
    /// seven-digit id, a three-letter row, a four-digit number, a
    /// six-digit price in cents, and a section and a category of 12
    /// characters each. (Longer names only make the buffer grow.)
    const SEAT_BYTES: usize = 360;

    /// The map of `records` (by row then number) as `viewer` sees it.
    pub fn new(records: Vec<SeatRecord>, viewer: UserId) -> Self {
        Self { records, viewer }
    }
}

impl Serialize for SeatsView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("SeatsView", 2)?;
        map.serialize_field("success", &Success)?;
        map.serialize_field("seats", &SeatList::new(&self.records, self.viewer))?;
        map.end()
    }
}

/// The schema of [`SeatsView`], which serializes by hand.
#[derive(ToSchema)]
#[schema(as = SeatMap)]
#[allow(dead_code)] // Only its schema is used.
pub struct SeatsSchema {
    success: Success,
    /// The seats, by row then number.
    seats: Vec<SeatView<'static>>,
}

impl IntoResponse for SeatsView {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(32 + self.records.len() * Self::SEAT_BYTES);
        // serde_json fails only on a map with keys that are not strings or a
        // `Serialize` that fails on purpose; seat views have neither.
        serde_json::to_writer(&mut body, &self).expect("seat views always serialize");
        ([(CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// `GET /api/events/{id}/rows/`: the rows of a seat map, each with how
/// many seats it has, without the seats; what a page needs to lay out a
/// large section before it reads its seats a few rows at a time.
#[derive(Serialize, ToSchema)]
pub struct RowsAnswer {
    success: Success,
    /// The rows, in the seat map's order (by section, then row).
    rows: Vec<RowView>,
}

/// One row of a seat map.
#[derive(Serialize, ToSchema)]
#[schema(as = SeatRow)]
pub struct RowView {
    /// Its section's name (`""` for an event made from the compact notation).
    section: String,
    /// Its label: `"A"`.
    row: String,
    /// How many seats it has.
    seats: u32,
}

impl RowsAnswer {
    /// The rows of `records` (a seat map, by section, then row, then number).
    pub fn new(records: &[SeatRecord]) -> Self {
        let mut rows: Vec<RowView> = Vec::new();
        let mut last: Option<(&str, Row)> = None;
        for record in records {
            let here = (&*record.seat.section, record.seat.row);
            match rows.last_mut() {
                Some(row) if last == Some(here) => row.seats += 1,
                _ => rows.push(RowView {
                    section: record.seat.section.clone(),
                    row: record.seat.row.to_string(),
                    seats: 1,
                }),
            }
            last = Some(here);
        }
        Self {
            success: Success,
            rows,
        }
    }
}

// ---- holds --------------------------------------------------------------------

/// The seat a lock took.
#[derive(Serialize, ToSchema)]
pub struct LockedSeat {
    /// Its id.
    id: i64,
    /// Its label: `"A1"`.
    seat_number: String,
    /// Until when it is held.
    #[schema(schema_with = instant)]
    locked_until: String,
    /// Always `locked`.
    #[schema(schema_with = locked_status)]
    status: SeatStatus,
}

fn locked_status() -> RefOr<Schema> {
    constant("locked")
}

/// `POST .../lock/`: the seat is held, until `seat.locked_until`.
#[derive(Serialize, ToSchema)]
pub struct LockAnswer {
    success: Success,
    /// "Seat A1 locked for 5 minutes".
    message: String,
    /// The seat held.
    seat: LockedSeat,
}

impl LockAnswer {
    /// The answer for `hold`. The message names its real lifetime: the
    /// lock time, or less when the hold reached the longest hold allowed.
    pub fn new(hold: &booking_core::Hold) -> Self {
        let label = hold.seat.label();
        Self {
            success: Success,
            message: format!("Seat {label} locked for {}", lifetime(hold.lifetime())),
            seat: LockedSeat {
                id: hold.seat.id.get(),
                seat_number: label,
                locked_until: rfc3339(hold.until),
                status: SeatStatus::Locked,
            },
        }
    }
}

/// `POST .../best-available/`: the seats now held by the caller, in seat
/// order, each as the seat map shows it to the caller.
#[derive(Serialize, ToSchema)]
pub struct BestAvailableAnswer {
    success: Success,
    /// "Seats A5, A6 locked for 5 minutes".
    message: String,
    /// The seats held.
    #[schema(value_type = Vec<SeatView<'static>>)]
    seats: HeldSeats,
}

/// Seats just held by one user, written as that user's [`SeatView`]s.
struct HeldSeats {
    records: Vec<SeatRecord>,
    holder: UserId,
}

impl Serialize for HeldSeats {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SeatList::new(&self.records, self.holder).serialize(serializer)
    }
}

impl BestAvailableAnswer {
    /// The answer for `holds`, all `holder`'s, taken together (so with
    /// one lifetime).
    pub fn new(holds: &[booking_core::Hold], holder: UserId) -> Self {
        let labels: Vec<String> = holds.iter().map(|h| h.seat.label()).collect();
        let seats = if labels.len() == 1 { "Seat" } else { "Seats" };
        let held_for = holds
            .first()
            .map(|h| lifetime(h.lifetime()))
            .unwrap_or_default();
        Self {
            success: Success,
            message: format!("{seats} {} locked for {held_for}", labels.join(", ")),
            seats: HeldSeats {
                records: holds
                    .iter()
                    .map(|hold| SeatRecord {
                        seat: hold.seat.clone(),
                        state: SeatState::Held {
                            by: hold.user,
                            since: hold.since,
                            until: hold.until,
                        },
                        blocked: None,
                    })
                    .collect(),
                holder,
            },
        }
    }
}

/// An answer that is a message for people: "Seat A3 unlocked".
#[derive(Serialize, ToSchema)]
pub struct MessageAnswer {
    success: Success,
    /// What happened, as a sentence.
    message: String,
}

impl MessageAnswer {
    /// The answer `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            success: Success,
            message: message.into(),
        }
    }

    /// "Seat A3 unlocked".
    pub fn unlocked(seat: &Seat) -> Self {
        Self::new(format!("Seat {} unlocked", seat.label()))
    }
}

// ---- reservations -------------------------------------------------------------

/// A reservation's state.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReservationState {
    /// Its seats are the user's.
    Confirmed,
    /// Cancelled; its seats were released.
    Cancelled,
}

impl From<ReservationStatus> for ReservationState {
    fn from(status: ReservationStatus) -> Self {
        match status {
            ReservationStatus::Confirmed => Self::Confirmed,
            ReservationStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// A reservation.
#[derive(Serialize, ToSchema)]
#[schema(as = Reservation)]
pub struct ReservationView {
    /// Its id.
    id: i64,
    /// Its event's id.
    event_id: i64,
    /// Its event's name.
    event_name: String,
    /// Its seats' labels, by row then number.
    seats: Vec<String>,
    /// Confirmed or cancelled.
    status: ReservationState,
    /// The total in cents.
    total_cents: i64,
    /// The total as a plain decimal string in the event's currency:
    /// `"1200.00"` (no currency sign, no thousands separator).
    #[schema(examples("1200.00"), pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    total_price: String,
    /// When it was made.
    #[schema(schema_with = instant)]
    created_at: String,
    /// When it was cancelled; `null` while it is confirmed.
    #[schema(schema_with = instant_or_null, required = true)]
    cancelled_at: Option<String>,
    /// Whether staff (the box office) cancelled it, rather than its owner.
    cancelled_by_staff: bool,
    /// Why staff cancelled it, as they wrote it; `null` unless staff did.
    #[schema(required = true)]
    cancel_reason: Option<String>,
}

impl From<Reservation> for ReservationView {
    fn from(r: Reservation) -> Self {
        Self {
            id: r.id.get(),
            event_id: r.event.get(),
            seats: r.seat_labels(),
            event_name: r.event_name,
            status: r.status.into(),
            total_cents: r.total_cents,
            total_price: decimal(r.total_cents),
            created_at: rfc3339(r.created_at),
            cancelled_at: r.cancelled_at.map(rfc3339),
            cancelled_by_staff: r.cancelled_by.is_some_and(|by| by != r.user),
            cancel_reason: r.cancel_reason,
        }
    }
}

/// `POST .../reserve/`: the reservation made, and the original design's
/// top-level `message`, `reservation_id` and `seats`.
#[derive(Serialize, ToSchema)]
pub struct ReserveAnswer {
    success: Success,
    /// "Successfully reserved 2 seat(s)".
    message: String,
    /// The reservation's id.
    reservation_id: i64,
    /// Its seats' labels, by row then number.
    seats: Vec<String>,
    /// The reservation.
    reservation: ReservationView,
}

impl From<Reservation> for ReserveAnswer {
    fn from(r: Reservation) -> Self {
        let view = ReservationView::from(r);
        Self {
            success: Success,
            message: format!("Successfully reserved {} seat(s)", view.seats.len()),
            reservation_id: view.id,
            seats: view.seats.clone(),
            reservation: view,
        }
    }
}

/// `GET /api/reservations/`: the caller's reservations, newest first.
#[derive(Serialize, ToSchema)]
pub struct ReservationList {
    success: Success,
    /// The reservations, cancelled ones included.
    reservations: Vec<ReservationView>,
}

impl ReservationList {
    /// The list of `reservations`.
    pub fn new(reservations: Vec<Reservation>) -> Self {
        Self {
            success: Success,
            reservations: reservations.into_iter().map(Into::into).collect(),
        }
    }
}

/// `POST /api/reservations/{id}/cancel/`: the reservation, now cancelled.
#[derive(Serialize, ToSchema)]
pub struct CancelAnswer {
    success: Success,
    /// "Reservation cancelled".
    message: String,
    /// The reservation.
    reservation: ReservationView,
}

impl From<Reservation> for CancelAnswer {
    fn from(r: Reservation) -> Self {
        Self {
            success: Success,
            message: "Reservation cancelled".into(),
            reservation: r.into(),
        }
    }
}

// ---- the box office -------------------------------------------------------------

/// `POST /api/admin/events/{event_id}/cancel/`: the event, now cancelled,
/// and how many reservations were cancelled with it.
#[derive(Serialize, ToSchema)]
pub struct EventCancelAnswer {
    success: Success,
    /// The event, with `cancelled_at` and `cancel_reason`.
    event: EventView,
    /// How many confirmed reservations were cancelled with it (each as a
    /// staff cancel with the event's reason, which its customer sees).
    reservations_cancelled: usize,
}

impl EventCancelAnswer {
    /// The answer for `event`, cancelled with `reservations_cancelled`
    /// reservations.
    pub fn new(event: EventSummary, reservations_cancelled: usize) -> Self {
        Self {
            success: Success,
            event: event.into(),
            reservations_cancelled,
        }
    }
}

/// A section of a venue about to be made an event.
#[derive(Serialize, ToSchema)]
#[schema(as = SectionPreview)]
pub struct SectionPreview {
    /// Its name (`""` for the one section of the compact notation).
    name: String,
    /// Where an overview draws its centre, or `null`.
    position: Option<PositionView>,
    /// How many rows it has.
    rows: u32,
    /// How many seats it has.
    total_seats: u32,
    /// How many of them are wheelchair spaces.
    accessible: u32,
    /// How many are companion seats.
    companion: u32,
}

/// A price category of a venue about to be made an event.
#[derive(Serialize, ToSchema)]
#[schema(as = CategoryPreview)]
pub struct CategoryPreview {
    /// Its name.
    name: String,
    /// The price of each of its seats, in cents.
    price_cents: i64,
    /// Its colour, `#rrggbb`.
    #[schema(examples("#7b3fa0"), pattern = r"^#[0-9a-f]{6}$")]
    color: String,
    /// How many seats it has.
    total_seats: u32,
}

/// What an event made from a venue would have.
#[derive(Serialize, ToSchema)]
#[schema(as = VenuePreview)]
pub struct VenuePreview {
    /// All its seats.
    total_seats: u32,
    /// Its sections, in the venue's order.
    sections: Vec<SectionPreview>,
    /// Its price categories, best first.
    categories: Vec<CategoryPreview>,
}

/// `POST /api/admin/events/preview/`: what the event would have; nothing
/// was created.
#[derive(Serialize, ToSchema)]
pub struct PreviewAnswer {
    success: Success,
    /// The venue's sections and categories, with their seats counted.
    preview: VenuePreview,
}

impl PreviewAnswer {
    /// The preview of `venue`.
    pub fn new(venue: &Venue) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let mut per_category = vec![0_usize; venue.categories.len()];
        let sections = venue
            .sections
            .iter()
            .map(|section| {
                let seats: Vec<_> = section
                    .rows
                    .iter()
                    .flat_map(|r| r.runs.iter().flatten())
                    .collect();
                for seat in &seats {
                    if let Some(n) = per_category.get_mut(seat.category) {
                        *n += 1;
                    }
                }
                SectionPreview {
                    name: section.name.clone(),
                    position: section.position.map(|p| PositionView { x: p.x, y: p.y }),
                    rows: count(section.rows.len()),
                    total_seats: count(seats.len()),
                    accessible: count(seats.iter().filter(|s| s.accessible).count()),
                    companion: count(seats.iter().filter(|s| s.companion).count()),
                }
            })
            .collect();
        let categories = venue
            .categories
            .iter()
            .zip(per_category)
            .map(|(c, seats)| CategoryPreview {
                name: c.name.clone(),
                price_cents: c.price_cents,
                color: c.color.clone(),
                total_seats: count(seats),
            })
            .collect();
        Self {
            success: Success,
            preview: VenuePreview {
                total_seats: count(venue.len()),
                sections,
                categories,
            },
        }
    }
}

/// A reservation as staff see it: whose it is, beside what the customer
/// sees.
#[derive(Serialize, ToSchema)]
#[schema(as = StaffReservation)]
pub struct StaffReservationView {
    /// Its id.
    id: i64,
    /// Its event's id.
    event_id: i64,
    /// Its event's name.
    event_name: String,
    /// The customer's id.
    user_id: i64,
    /// The customer's user name; `null` if the account is gone.
    #[schema(required = true)]
    username: Option<String>,
    /// Its seats' labels, by row then number.
    seats: Vec<String>,
    /// Confirmed or cancelled.
    status: ReservationState,
    /// The total in cents.
    total_cents: i64,
    /// The total as a plain decimal string: `"1200.00"`.
    #[schema(examples("1200.00"), pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    total_price: String,
    /// When it was made.
    #[schema(schema_with = instant)]
    created_at: String,
    /// When it was cancelled; `null` while it is confirmed.
    #[schema(schema_with = instant_or_null, required = true)]
    cancelled_at: Option<String>,
    /// Whether staff cancelled it, rather than its owner.
    cancelled_by_staff: bool,
    /// Why staff cancelled it; `null` unless staff did.
    #[schema(required = true)]
    cancel_reason: Option<String>,
}

impl StaffReservationView {
    /// `reservation`, whose customer is named `username`.
    pub fn new(reservation: Reservation, username: Option<String>) -> Self {
        let user_id = reservation.user.get();
        let ReservationView {
            id,
            event_id,
            event_name,
            seats,
            status,
            total_cents,
            total_price,
            created_at,
            cancelled_at,
            cancelled_by_staff,
            cancel_reason,
        } = reservation.into();
        Self {
            id,
            event_id,
            event_name,
            user_id,
            username,
            seats,
            status,
            total_cents,
            total_price,
            created_at,
            cancelled_at,
            cancelled_by_staff,
            cancel_reason,
        }
    }

    /// Its id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The cells of its line in a CSV export, in [`Self::CSV_HEADER`]'s order.
    pub fn csv_cells(&self) -> [String; 12] {
        [
            self.id.to_string(),
            match self.status {
                ReservationState::Confirmed => "confirmed".into(),
                ReservationState::Cancelled => "cancelled".into(),
            },
            self.user_id.to_string(),
            self.username.clone().unwrap_or_default(),
            self.seats.join(" "),
            self.seats.len().to_string(),
            self.total_cents.to_string(),
            self.total_price.clone(),
            self.created_at.clone(),
            self.cancelled_at.clone().unwrap_or_default(),
            self.cancelled_by_staff.to_string(),
            self.cancel_reason.clone().unwrap_or_default(),
        ]
    }

    /// The header line of a CSV export.
    pub const CSV_HEADER: [&'static str; 12] = [
        "reservation_id",
        "status",
        "user_id",
        "username",
        "seats",
        "seat_count",
        "total_cents",
        "total_price",
        "created_at",
        "cancelled_at",
        "cancelled_by_staff",
        "cancel_reason",
    ];
}

/// `GET /api/admin/events/{event_id}/reservations/`: a page of an event's
/// reservations, newest first.
#[derive(Serialize, ToSchema)]
pub struct StaffReservationList {
    success: Success,
    /// The reservations of this page.
    reservations: Vec<StaffReservationView>,
    /// The `before` that reads the next page; `null` when this page is the
    /// last.
    #[schema(required = true)]
    next_before: Option<i64>,
}

impl StaffReservationList {
    /// A page of `reservations`, at most `limit` long.
    pub fn new(reservations: Vec<StaffReservationView>, limit: u32) -> Self {
        let next_before = next_before(reservations.len(), limit, reservations.last().map(|r| r.id));
        Self {
            success: Success,
            reservations,
            next_before,
        }
    }
}

/// The id the next page starts before: the last of a full page.
fn next_before(len: usize, limit: u32, last: Option<i64>) -> Option<i64> {
    if u32::try_from(len).is_ok_and(|len| len >= limit) {
        last
    } else {
        None
    }
}

/// `POST /api/admin/reservations/{id}/cancel/`: the reservation, now
/// cancelled by staff.
#[derive(Serialize, ToSchema)]
pub struct StaffCancelAnswer {
    success: Success,
    /// "Reservation cancelled".
    message: String,
    /// The reservation.
    reservation: StaffReservationView,
}

impl StaffCancelAnswer {
    /// The answer for `reservation`.
    pub fn new(reservation: StaffReservationView) -> Self {
        Self {
            success: Success,
            message: "Reservation cancelled".into(),
            reservation,
        }
    }
}

/// One price category's sales (or the whole event's).
#[derive(Serialize, ToSchema)]
#[schema(as = CategorySales)]
pub struct CategorySalesView {
    /// The category's name; `""` for the event's total.
    name: String,
    /// The price of each of its seats in cents; `0` for the total.
    price_cents: i64,
    /// All its seats.
    total: u32,
    /// Seats in a confirmed reservation.
    sold: u32,
    /// Seats held right now.
    held: u32,
    /// Seats free to hold.
    available: u32,
    /// Seats blocked from sale.
    blocked: u32,
    /// What the sold seats cost, in cents.
    revenue_cents: i64,
    /// The same as a plain decimal string: `"1200.00"`.
    #[schema(examples("1200.00"), pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    revenue: String,
}

impl From<CategorySales> for CategorySalesView {
    fn from(c: CategorySales) -> Self {
        Self {
            revenue: decimal(c.revenue_cents),
            name: c.name,
            price_cents: c.price_cents,
            total: c.total,
            sold: c.sold,
            held: c.held,
            available: c.available,
            blocked: c.blocked,
            revenue_cents: c.revenue_cents,
        }
    }
}

/// An event's sales.
#[derive(Serialize, ToSchema)]
#[schema(as = Sales)]
pub struct SalesView {
    /// Each price category, in the venue's order.
    categories: Vec<CategorySalesView>,
    /// The whole event: the sums of the categories.
    total: CategorySalesView,
}

/// `GET /api/admin/events/{event_id}/sales/`: an event's sales right now.
#[derive(Serialize, ToSchema)]
pub struct SalesAnswer {
    success: Success,
    /// The sales.
    sales: SalesView,
}

impl From<Sales> for SalesAnswer {
    fn from(sales: Sales) -> Self {
        Self {
            success: Success,
            sales: SalesView {
                categories: sales.categories.into_iter().map(Into::into).collect(),
                total: sales.total.into(),
            },
        }
    }
}

/// A seat blocked from sale, and why.
#[derive(Serialize, ToSchema)]
#[schema(as = BlockedSeat)]
pub struct BlockView {
    /// The seat's id.
    seat_id: i64,
    /// Its label: `"A1"`, `"Balcony A1"`.
    seat_number: String,
    /// Its section (`""` for an event made from the compact notation).
    section: String,
    /// Its row.
    row: String,
    /// Its number in the row.
    number: u32,
    /// Why it is blocked, as staff gave it.
    reason: String,
    /// The id of who blocked it; `null` when the audit log does not say.
    #[schema(required = true)]
    blocked_by_id: Option<i64>,
    /// Their user name; `null` when the audit log does not say.
    #[schema(required = true)]
    blocked_by: Option<String>,
    /// When it was blocked; `null` when the audit log does not say.
    #[schema(schema_with = instant_or_null, required = true)]
    blocked_at: Option<String>,
}

impl BlockView {
    /// The blocked seat `seat`, blocked for `reason` by `by` (an id and a
    /// name) at `at`, as far as the audit log says.
    pub fn new(
        seat: &Seat,
        reason: String,
        by: Option<(UserId, Option<String>)>,
        at: Option<Timestamp>,
    ) -> Self {
        let (blocked_by_id, blocked_by) = match by {
            Some((id, name)) => (Some(id.get()), name),
            None => (None, None),
        };
        Self {
            seat_id: seat.id.get(),
            seat_number: seat.label.clone(),
            section: seat.section.clone(),
            row: seat.row.to_string(),
            number: seat.number,
            reason,
            blocked_by_id,
            blocked_by,
            blocked_at: at.map(rfc3339),
        }
    }
}

/// `GET /api/admin/events/{event_id}/blocks/`: the event's blocked seats,
/// by row then number.
#[derive(Serialize, ToSchema)]
pub struct BlocksAnswer {
    success: Success,
    /// The blocked seats.
    blocks: Vec<BlockView>,
}

impl BlocksAnswer {
    /// The answer listing `blocks`.
    pub fn new(blocks: Vec<BlockView>) -> Self {
        Self {
            success: Success,
            blocks,
        }
    }
}

/// The schema of an audit action: one of [`AuditAction::ALL`].
fn audit_action() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(AuditAction::ALL.iter().map(|a| a.as_str())))
        .into()
}

/// One record of the audit log.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditRecord)]
pub struct AuditRecordView {
    /// Its id: later records have greater ids.
    id: i64,
    /// When it was done.
    #[schema(schema_with = instant)]
    at: String,
    /// Who did it: a user's id; `null` when no user did (the server's own
    /// command line, a program embedding the engine).
    #[schema(required = true)]
    actor_id: Option<i64>,
    /// Their user name; `null` when no user did, or the account is gone.
    #[schema(required = true)]
    actor: Option<String>,
    /// What was done.
    #[schema(schema_with = audit_action)]
    action: &'static str,
    /// The event it was done to; `null` for what concerns no event (a role
    /// change).
    #[schema(required = true)]
    event_id: Option<i64>,
    /// The reservation made or cancelled; `null` for other actions.
    #[schema(required = true)]
    reservation_id: Option<i64>,
    /// The user whose role changed (`set_staff`); `null` for other actions.
    #[schema(required = true)]
    user_id: Option<i64>,
    /// Their user name; `null` for other actions, or if the account is gone.
    #[schema(required = true)]
    user: Option<String>,
    /// The labels of the seats changed.
    seats: Vec<String>,
    /// Why, as staff gave it; `""` when nobody said (an edit lists the
    /// fields it changed).
    reason: String,
}

impl AuditRecordView {
    /// `record`, its users named as `names` says.
    pub fn new(record: AuditRecord, names: &HashMap<UserId, String>) -> Self {
        let name = |user: Option<UserId>| user.and_then(|u| names.get(&u).cloned());
        Self {
            id: record.id,
            at: rfc3339(record.at),
            actor_id: record.actor.map(UserId::get),
            actor: name(record.actor),
            action: record.action.as_str(),
            event_id: record.event.map(EventId::get),
            reservation_id: record.reservation.map(ReservationId::get),
            user_id: record.user.map(UserId::get),
            user: name(record.user),
            seats: record.seats,
            reason: record.reason,
        }
    }
}

/// `GET /api/admin/audit/` and `GET /api/audit/`: a page of the audit
/// log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditList {
    success: Success,
    /// The records of this page.
    records: Vec<AuditRecordView>,
    /// The `before` that reads the next page; `null` when this page is the
    /// last.
    #[schema(required = true)]
    next_before: Option<i64>,
}

impl AuditList {
    /// A page of `records`, at most `limit` long.
    pub fn new(records: Vec<AuditRecordView>, limit: u32) -> Self {
        let next_before = next_before(records.len(), limit, records.last().map(|r| r.id));
        Self {
            success: Success,
            records,
            next_before,
        }
    }
}

// ---- accounts -----------------------------------------------------------------

/// `GET /api/csrf/`: the CSRF token, also set as the `csrftoken` cookie.
#[derive(Serialize, ToSchema)]
pub struct CsrfAnswer {
    success: Success,
    /// The token to echo in the `X-CSRFToken` header.
    csrf_token: String,
}

impl CsrfAnswer {
    /// The answer carrying `token`.
    pub fn new(token: String) -> Self {
        Self {
            success: Success,
            csrf_token: token,
        }
    }
}

/// `GET /api/me/`: who is logged in.
#[derive(Serialize, ToSchema)]
pub struct MeAnswer {
    success: Success,
    /// The user's id.
    user_id: i64,
    /// The user's name.
    username: String,
    /// Whether the user is staff (may use the box office, `/api/admin/`)
    /// rather than a customer; Django's name for it.
    is_staff: bool,
}

impl MeAnswer {
    /// The answer for `user`.
    pub fn new(user: &booking_core::User) -> Self {
        Self {
            success: Success,
            user_id: user.id.get(),
            username: user.username.as_str().to_owned(),
            is_staff: user.staff,
        }
    }
}

/// `POST /api/login/` and `/api/register/`: the user now logged in.
#[derive(Serialize, ToSchema)]
pub struct WelcomeAnswer {
    success: Success,
    /// The user's id.
    user_id: i64,
    /// The user's name, as registered.
    username: String,
    /// "Welcome, alice!".
    message: String,
}

impl WelcomeAnswer {
    /// The answer for `user`.
    pub fn new(user: &booking_core::User) -> Self {
        Self {
            success: Success,
            user_id: user.id.get(),
            username: user.username.as_str().to_owned(),
            message: format!("Welcome, {}!", user.username.as_str()),
        }
    }
}

/// An answer that says only that it worked: `{"success": true}`.
#[derive(Default, Serialize, ToSchema)]
pub struct Done {
    success: Success,
}

/// The store's health.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// The database answers.
    Ok,
}

/// `GET /api/health/`: the database answers.
#[derive(Serialize, ToSchema)]
pub struct HealthAnswer {
    success: Success,
    /// Always `ok` (otherwise the answer is a 503 error).
    status: Health,
}

impl HealthAnswer {
    /// A healthy answer.
    pub fn ok() -> Self {
        Self {
            success: Success,
            status: Health::Ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use booking_core::{EventId, Seat, SeatId};

    use super::*;

    #[test]
    fn prices_are_plain_decimals() {
        assert_eq!(decimal(0), "0.00");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(20_000), "200.00");
        assert_eq!(decimal(120_000), "1200.00");
        assert_eq!(decimal(123_456_789), "1234567.89");
        assert_eq!(decimal(-150), "-1.50");
    }

    #[test]
    fn a_long_seat_fits_the_room_a_seat_map_sizes_for() {
        let viewer = UserId::new(1);
        let seat = Seat {
            id: SeatId::new(9_999_999),
            event: EventId::new(1),
            section: "Upper Tier 9".into(),
            row: "ZZZ".parse().unwrap(),
            number: 9_999,
            label: "Upper Tier 9 ZZZ9999".into(),
            category: "Category 12X".into(),
            price_cents: 999_999,
            accessible: false,
            companion: false,
            restricted_view: false,
        };
        let until = "2026-11-25T14:00:00Z".parse().unwrap();
        let state = SeatState::Held {
            by: UserId::new(2),
            since: until,
            until,
        };
        let map = SeatsView::new(
            vec![SeatRecord {
                seat,
                state,
                blocked: None,
            }],
            viewer,
        );
        let json = serde_json::to_string(&map).unwrap();
        // One seat and the `{"success":true,"seats":[]}` around it; the
        // seat's comma in a longer map takes the last byte.
        assert!(
            json.len() < 32 + SeatsView::SEAT_BYTES,
            "{} bytes: {json}",
            json.len()
        );
    }

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(lifetime(Duration::from_secs(300)), "5 minutes");
        assert_eq!(lifetime(Duration::from_secs(60)), "1 minute");
        assert_eq!(lifetime(Duration::from_secs(90)), "90 seconds");
        assert_eq!(lifetime(Duration::from_secs(1)), "1 second");
    }
}
