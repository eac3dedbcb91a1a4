//! The box office's helpers over the store traits: an event's sales per
//! price category ([`Sales`]), and the seats a staff action names by row or
//! section ([`SeatSelection`]). They read through the store and decide
//! nothing of their own: the writes stay the store's, each one transaction.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::model::{EventSummary, Reservation, ReservationStatus, SeatCounts};
use crate::seatmap::Row;
use crate::store::BookingStore;

/// One price category's sales: how many of its seats stand where, and what
/// the sold ones brought in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySales {
    /// The category's name (`""` for the event-wide total).
    pub name: String,
    /// The price of each of its seats, in cents (`0` for the total).
    pub price_cents: i64,
    /// All its seats.
    pub total: u32,
    /// Seats in a confirmed reservation.
    pub sold: u32,
    /// Seats held by an unexpired hold.
    pub held: u32,
    /// Seats free to hold.
    pub available: u32,
    /// Seats blocked from sale.
    pub blocked: u32,
    /// What the sold seats cost, in cents.
    pub revenue_cents: i64,
}

impl CategorySales {
    fn new(name: String, price_cents: i64, seats: SeatCounts) -> Self {
        Self {
            name,
            price_cents,
            total: seats.total,
            sold: seats.reserved,
            held: seats.held,
            available: seats.available,
            blocked: seats.blocked,
            revenue_cents: price_cents * i64::from(seats.reserved),
        }
    }
}

/// An event's sales summary, as of the instant its summary was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sales {
    /// The event.
    pub event: EventId,
    /// Each price category, in the venue's order.
    pub categories: Vec<CategorySales>,
    /// The whole event: the sums of the categories.
    pub total: CategorySales,
}

impl Sales {
    /// The sales of `summary`'s event. Every seat of a category has the
    /// category's price, so its revenue is its price times its seats sold:
    /// the sum of its confirmed reservations' totals.
    pub fn of(summary: &EventSummary) -> Self {
        let categories: Vec<CategorySales> = summary
            .categories
            .iter()
            .map(|c| CategorySales::new(c.name.clone(), c.price_cents, c.seats))
            .collect();
        let mut total = CategorySales::new(String::new(), 0, SeatCounts::default());
        for c in &categories {
            total.total += c.total;
            total.sold += c.sold;
            total.held += c.held;
            total.available += c.available;
            total.blocked += c.blocked;
            total.revenue_cents += c.revenue_cents;
        }
        Self {
            event: summary.event.id,
            categories,
            total,
        }
    }

    /// The sales of `event` now, from the store's summary of it.
    ///
    /// # Errors
    ///
    /// Unknown event → `NotFound(Event)`; the store's errors.
    pub async fn read<S: BookingStore>(store: &S, event: EventId) -> Result<Self> {
        Ok(Self::of(&store.event(event).await?))
    }
}

/// Which of an event's reservations to list, newest first (by id,
/// descending): every condition given must hold. A page is at most
/// `limit` reservations; the next page is read with `before` set to the
/// last id of this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationFilter {
    /// Only confirmed, or only cancelled, reservations.
    pub status: Option<ReservationStatus>,
    /// Only this customer's.
    pub user: Option<UserId>,
    /// Only those with the seat of this label (`A1`, `Balcony A1`).
    pub seat: Option<String>,
    /// Only reservations with a smaller id (the next page).
    pub before: Option<ReservationId>,
    /// At most this many: 1 to [`ReservationFilter::MAX_LIMIT`].
    pub limit: u32,
}

impl Default for ReservationFilter {
    /// Every reservation, [`ReservationFilter::DEFAULT_LIMIT`] at a time.
    fn default() -> Self {
        Self {
            status: None,
            user: None,
            seat: None,
            before: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

impl ReservationFilter {
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 100;
    /// The largest page.
    pub const MAX_LIMIT: u32 = 1000;

    /// Checks the page size, and that a seat label is text a label can be
    /// (no control character) (→ `InvalidInput`).
    pub fn validate(&self) -> Result<()> {
        if !(1..=Self::MAX_LIMIT).contains(&self.limit) {
            return Err(Error::invalid_input(format!(
                "a page of reservations has 1 to {} of them",
                Self::MAX_LIMIT
            )));
        }
        if self
            .seat
            .as_ref()
            .is_some_and(|label| label.chars().any(char::is_control))
        {
            return Err(Error::invalid_input(
                "a seat label has no control characters",
            ));
        }
        Ok(())
    }

    /// Whether `reservation` (of the event listed) meets every condition
    /// (the page size aside).
    pub fn matches(&self, reservation: &Reservation) -> bool {
        self.status.is_none_or(|s| s == reservation.status)
            && self.user.is_none_or(|u| u == reservation.user)
            && self
                .seat
                .as_ref()
                .is_none_or(|label| reservation.seats.iter().any(|s| s.label == *label))
            && self.before.is_none_or(|id| reservation.id < id)
    }
}

/// The seats a staff action (a block, an unblock) is about: a list, a row
/// of a section, or a whole section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeatSelection {
    /// These seats.
    Seats(Vec<SeatId>),
    /// Every seat of one row of one section.
    Row {
        /// The section's name (`""` for an event made from a seat map).
        section: String,
        /// The row.
        row: Row,
    },
    /// Every seat of one section.
    Section(String),
}

impl SeatSelection {
    /// The ids of the seats of `event` this names, by row then number (a
    /// list as it is given). A seat's place never changes, so the ids read
    /// here are the ones the write then locks: a block of them is as
    /// all-or-nothing as any.
    ///
    /// # Errors
    ///
    /// Unknown event → `NotFound(Event)`; a section the event does not
    /// have → `UnknownSection`; a row the section does not have →
    /// `InvalidInput`; the store's errors.
    pub async fn seat_ids<S: BookingStore>(
        &self,
        store: &S,
        event: EventId,
    ) -> Result<Vec<SeatId>> {
        match self {
            Self::Seats(ids) => Ok(ids.clone()),
            Self::Section(name) => Ok(store
                .seats_in_section(event, name)
                .await?
                .iter()
                .map(|r| r.seat.id)
                .collect()),
            Self::Row { section, row } => {
                let ids: Vec<SeatId> = store
                    .seats_in_section(event, section)
                    .await?
                    .iter()
                    .filter(|r| r.seat.row == *row)
                    .map(|r| r.seat.id)
                    .collect();
                if ids.is_empty() {
                    return Err(Error::invalid_input(format!(
                        "section {section:?} has no row {row}"
                    )));
                }
                Ok(ids)
            }
        }
    }
}
