//! The JSON shapes of API.md, built from core types.

use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use booking_core::{EventSummary, Reservation, SeatRecord, SeatState, Timestamp, UserId};
use chrono::SecondsFormat;
use serde::Serialize;
use serde::ser::SerializeStruct;

/// An instant as an RFC 3339 UTC string: `2025-12-21T10:05:00Z`.
pub fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Cents as dollars for display: `120000` → `"$1,200.00"`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// A lifetime as people say it: "5 minutes", "1 minute", "90 seconds".
pub fn lifetime(d: Duration) -> String {
    booking_core::describe_duration(d)
}

/// An event with its seat counts.
#[derive(Serialize)]
pub struct EventView {
    id: i64,
    name: String,
    venue: String,
    starts_at: String,
    total_seats: u32,
    available_seats: u32,
}

impl From<EventSummary> for EventView {
    fn from(e: EventSummary) -> Self {
        Self {
            id: e.event.id.get(),
            name: e.event.name,
            venue: e.event.venue,
            starts_at: rfc3339(e.event.starts_at),
            total_seats: e.total_seats,
            available_seats: e.available_seats,
        }
    }
}

/// A seat as the seat grid shows it to `viewer`.
#[derive(Serialize)]
pub struct SeatView {
    id: i64,
    seat_number: String,
    row: String,
    number: u32,
    price_cents: i64,
    status: &'static str,
    is_locked: bool,
    locked_until: Option<String>,
    locked_by_me: bool,
}

impl SeatView {
    /// `record` as `viewer` sees it.
    pub fn new(record: &SeatRecord, viewer: UserId) -> Self {
        let (status, locked_until, locked_by_me) = match record.state {
            SeatState::Available => ("available", None, false),
            SeatState::Held { by, until, .. } => ("locked", Some(rfc3339(until)), by == viewer),
            SeatState::Reserved { .. } => ("reserved", None, false),
        };
        Self {
            id: record.seat.id.get(),
            seat_number: record.seat.label(),
            row: record.seat.row.to_string(),
            number: record.seat.number,
            price_cents: record.seat.price_cents,
            status,
            is_locked: locked_until.is_some(),
            locked_until,
            locked_by_me,
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
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let viewer = self.viewer;
        serializer.collect_seq(self.records.iter().map(|r| SeatView::new(r, viewer)))
    }
}

/// The answer of a seat-map read: `{"seats": [...]}`, each seat as `viewer`
/// sees it.
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
    /// seven-digit id, a three-letter row, a four-digit number and a
    /// six-digit price in cents.
    const SEAT_BYTES: usize = 184;

    /// The map of `records` (by row then number) as `viewer` sees it.
    pub fn new(records: Vec<SeatRecord>, viewer: UserId) -> Self {
        Self { records, viewer }
    }
}

impl Serialize for SeatsView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_struct("SeatsView", 1)?;
        map.serialize_field("seats", &SeatList::new(&self.records, self.viewer))?;
        map.end()
    }
}

impl IntoResponse for SeatsView {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(16 + self.records.len() * Self::SEAT_BYTES);
        // serde_json fails only on a map with keys that are not strings or a
        // `Serialize` that fails on purpose; seat views have neither.
        serde_json::to_writer(&mut body, &self).expect("seat views always serialize");
        ([(CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// A reservation.
#[derive(Serialize)]
pub struct ReservationView {
    id: i64,
    event_id: i64,
    event_name: String,
    seats: Vec<String>,
    status: &'static str,
    total_cents: i64,
    total_price: String,
    created_at: String,
    cancelled_at: Option<String>,
}

impl From<Reservation> for ReservationView {
    fn from(r: Reservation) -> Self {
        Self {
            id: r.id.get(),
            event_id: r.event.get(),
            seats: r.seat_labels(),
            event_name: r.event_name,
            status: r.status.as_str(),
            total_cents: r.total_cents,
            total_price: dollars(r.total_cents),
            created_at: rfc3339(r.created_at),
            cancelled_at: r.cancelled_at.map(rfc3339),
        }
    }
}

#[cfg(test)]
mod tests {
    use booking_core::{EventId, Seat, SeatId};

    use super::*;

    #[test]
    fn dollars_have_separators_and_cents() {
        assert_eq!(dollars(0), "$0.00");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(20_000), "$200.00");
        assert_eq!(dollars(120_000), "$1,200.00");
        assert_eq!(dollars(123_456_789), "$1,234,567.89");
        assert_eq!(dollars(-150), "-$1.50");
    }

    #[test]
    fn a_long_seat_fits_the_room_a_seat_map_sizes_for() {
        let viewer = UserId::new(1);
        let seat = Seat {
            id: SeatId::new(9_999_999),
            event: EventId::new(1),
            row: "ZZZ".parse().unwrap(),
            number: 9_999,
            price_cents: 999_999,
        };
        let until = "2026-11-25T14:00:00Z".parse().unwrap();
        let state = SeatState::Held {
            by: UserId::new(2),
            since: until,
            until,
        };
        let map = SeatsView::new(vec![SeatRecord { seat, state }], viewer);
        let json = serde_json::to_string(&map).unwrap();
        // One seat and the `{"seats":[]}` around it; the seat's comma in a
        // longer map takes the last byte.
        assert!(
            json.len() < 16 + SeatsView::SEAT_BYTES,
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
