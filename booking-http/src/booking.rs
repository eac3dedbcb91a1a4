//! Events, seats, holds and reservations: each handler extracts, calls the
//! store, and maps the answer. Each carries its OpenAPI operation; the
//! errors every operation shares are added in [`crate::openapi`].

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use booking_core::{
    BestAvailable, BookingStore, EventId, ReservationId, Result, SeatId, SeatRecord, Store,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorSchema};
use crate::extract::{
    ApiJson, ApiPath, CurrentUser, EventPath, Idempotency, ReservationPath, SeatFilter, SeatPath,
    SeatsQuery,
};
use crate::state::AppState;
use crate::views::{
    BestAvailableAnswer, CancelAnswer, EventDetail, EventList, LockAnswer, MessageAnswer,
    ReservationList, ReserveAnswer, RowsAnswer, SeatsSchema, SeatsView,
};

type AppStateRef<S> = State<Arc<AppState<S>>>;

/// Every event that is not cancelled, soonest first.
#[utoipa::path(get, path = "/api/events/", tag = "events",
    responses((status = 200, description = "The events on sale (a cancelled one is left out; `GET /api/events/{event_id}/` still answers for it).", body = EventList)))]
pub async fn events<S: Store>(
    State(state): AppStateRef<S>,
    _: CurrentUser,
) -> Result<Json<EventList>, ApiError> {
    let mut events = state.store.events().await?;
    events.retain(|e| e.event.cancelled.is_none());
    Ok(Json(EventList::new(events)))
}

/// One event with its seat counts.
#[utoipa::path(get, path = "/api/events/{event_id}/", tag = "events",
    params(EventPath),
    responses(
        (status = 200, description = "The event.", body = EventDetail),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn event<S: Store>(
    State(state): AppStateRef<S>,
    _: CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
) -> Result<Json<EventDetail>, ApiError> {
    let event = state.store.event(EventId::new(event)).await?;
    Ok(Json(EventDetail::new(event)))
}

/// The seat map as the caller sees it, by section, row and number.
#[utoipa::path(get, path = "/api/events/{event_id}/seats/", tag = "events",
    params(EventPath, SeatsQuery),
    responses(
        (status = 200, description = "The seats.", body = SeatsSchema),
        (status = 400, description = "`invalid_input`: `rows` is not a row or a range of rows. `unknown_section`: the event has no section of that name.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn seats<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    filter: SeatFilter,
) -> Result<SeatsView, ApiError> {
    let records = read_seats(&*state, EventId::new(event), filter).await?;
    Ok(SeatsView::new(records, user.id))
}

/// The rows of the seat map, each with its number of seats: what a page
/// lays out before it reads a large section's seats a few rows at a time.
#[utoipa::path(get, path = "/api/events/{event_id}/rows/", tag = "events",
    params(EventPath, SeatsQuery),
    responses(
        (status = 200, description = "The rows.", body = RowsAnswer),
        (status = 400, description = "`invalid_input`: `rows` is not a row or a range of rows. `unknown_section`: the event has no section of that name.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn rows<S: Store>(
    State(state): AppStateRef<S>,
    _: CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    filter: SeatFilter,
) -> Result<Json<RowsAnswer>, ApiError> {
    let records = read_seats(&*state, EventId::new(event), filter).await?;
    Ok(Json(RowsAnswer::new(&records)))
}

/// The seats of `event` that `filter` picks.
async fn read_seats<S: Store>(
    state: &AppState<S>,
    event: EventId,
    filter: SeatFilter,
) -> Result<Vec<SeatRecord>> {
    let store = &state.store;
    match filter {
        SeatFilter::All => store.seats(event).await,
        SeatFilter::Rows(rows) => store.seats_in_rows(event, rows).await,
        // A section is at most a few thousand seats: its rows are picked
        // from it here.
        SeatFilter::Section { name, rows } => {
            let mut seats = store.seats_in_section(event, &name).await?;
            if let Some(rows) = rows {
                seats.retain(|record| rows.contains(&record.seat.row));
            }
            Ok(seats)
        }
    }
}

/// The seats the caller holds now in an event, in every section, as the
/// seat map lists them.
#[utoipa::path(get, path = "/api/events/{event_id}/holds/", tag = "events",
    params(EventPath),
    responses(
        (status = 200, description = "The seats you hold.", body = SeatsSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn holds<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
) -> Result<SeatsView, ApiError> {
    let records = state
        .store
        .seats_held_by(user.id, EventId::new(event))
        .await?;
    Ok(SeatsView::new(records, user.id))
}

/// Holds a seat for the caller, or extends the caller's own hold.
#[utoipa::path(post, path = "/api/events/{event_id}/seats/{seat_id}/lock/", tag = "holds",
    params(SeatPath),
    responses(
        (status = 200, description = "The seat is held.", body = LockAnswer),
        (status = 404, description = "`not_found`: no such event, or no such seat in it.", body = ErrorSchema),
        (status = 409, description = "`seat_locked`: someone else holds it; `seat_reserved`: it is reserved; `seat_blocked`: it is blocked from sale; `hold_limit`: the caller holds as many seats of this event as allowed; `max_hold_reached`: the caller has held it as long as a hold may last (`max_hold`, from when it was first taken): release it, or let it become available, first. `event_cancelled`: the event is cancelled.", body = ErrorSchema),
    ))]
pub async fn lock<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(SeatPath {
        event_id: event,
        seat_id: seat,
    }): ApiPath<SeatPath>,
) -> Result<Json<LockAnswer>, ApiError> {
    let hold = state
        .store
        .hold(user.id, EventId::new(event), SeatId::new(seat))
        .await?;
    Ok(Json(LockAnswer::new(&hold)))
}

/// Releases a seat the caller holds.
#[utoipa::path(post, path = "/api/events/{event_id}/seats/{seat_id}/unlock/", tag = "holds",
    params(SeatPath),
    responses(
        (status = 200, description = "The seat is released.", body = MessageAnswer),
        (status = 404, description = "`not_found`: no such event, or no such seat in it.", body = ErrorSchema),
        (status = 409, description = "`not_lock_holder`: the caller does not hold it.", body = ErrorSchema),
    ))]
pub async fn unlock<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(SeatPath {
        event_id: event,
        seat_id: seat,
    }): ApiPath<SeatPath>,
) -> Result<Json<MessageAnswer>, ApiError> {
    let seat = state
        .store
        .release(user.id, EventId::new(event), SeatId::new(seat))
        .await?;
    Ok(Json(MessageAnswer::unlocked(&seat)))
}

/// The body of a best-available request.
#[derive(Deserialize, ToSchema)]
pub struct BestAvailableBody {
    /// How many seats, together: 1 to `max_seats_per_user`, counting the
    /// seats the caller holds already.
    count: u32,
    /// Only these price categories, by name; absent, `null` or empty: any.
    #[serde(default)]
    categories: Option<Vec<String>>,
    /// Only these sections, by name; absent, `null` or empty: any.
    #[serde(default)]
    sections: Option<Vec<String>>,
    /// `true`: wheelchair spaces only; `false`: no wheelchair space;
    /// absent or `null`: either. Not with `wheelchair`.
    #[serde(default)]
    accessible: Option<bool>,
    /// How many of the `count` seats are wheelchair spaces, exactly: the
    /// others are the seats beside them, for companions. `{"count": 2,
    /// "wheelchair": 1}` is a wheelchair space and its companion seat; `0`:
    /// no wheelchair space; absent or `null`: as `accessible` says. At most
    /// `count`.
    #[serde(default)]
    wheelchair: Option<u32>,
    /// When no row has `count` seats together, take them in two
    /// neighbouring rows of one section (absent or `null`: `false`).
    #[serde(default)]
    allow_split: Option<bool>,
}

impl From<BestAvailableBody> for BestAvailable {
    fn from(body: BestAvailableBody) -> Self {
        Self {
            count: body.count,
            categories: body.categories.unwrap_or_default(),
            sections: body.sections.unwrap_or_default(),
            accessible: body.accessible,
            wheelchair: body.wheelchair,
            allow_split: body.allow_split.unwrap_or_default(),
        }
    }
}

/// Holds the best `count` seats together for the caller, in one step:
/// adjacent in one row, of the categories and sections asked for, with
/// the wheelchair spaces asked for, best by the venue's ranking, stranding
/// no single seat when another choice would not.
#[utoipa::path(post, path = "/api/events/{event_id}/best-available/", tag = "holds",
    params(EventPath),
    request_body = BestAvailableBody,
    responses(
        (status = 200, description = "The seats are held by the caller, each for the lock time.", body = BestAvailableAnswer),
        (status = 400, description = "`invalid_input`: `count` is 0 or over `max_seats_per_user`, `wheelchair` is over `count`, or both `wheelchair` and `accessible` are given. `unknown_category`, `unknown_section`: the event has no category or section of a name in `categories` or `sections`.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
        (status = 409, description = "`no_adjacent_seats`: no `count` seats together match the request, with exactly `wheelchair` wheelchair spaces among them when it says `wheelchair` (nor, with `allow_split`, in two neighbouring rows); nothing was held. `hold_limit`: the seats the caller holds in this event plus `count` are over `max_seats_per_user`. `event_cancelled`: the event is cancelled.", body = ErrorSchema),
    ))]
pub async fn best_available<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    ApiJson(body): ApiJson<BestAvailableBody>,
) -> Result<Json<BestAvailableAnswer>, ApiError> {
    let holds = state
        .store
        .best_available(user.id, EventId::new(event), &body.into())
        .await?;
    Ok(Json(BestAvailableAnswer::new(&holds, user.id)))
}

/// The body of a reserve.
#[derive(Deserialize, ToSchema)]
pub struct ReserveBody {
    /// The seats to reserve, all held by the caller: 1 to
    /// `max_seats_per_user` distinct ids.
    seat_ids: Vec<i64>,
}

impl ReserveBody {
    /// The seats' ids.
    fn seat_ids(&self) -> Vec<SeatId> {
        self.seat_ids.iter().copied().map(SeatId::new).collect()
    }
}

/// Reserves seats the caller holds, all of them or none.
#[utoipa::path(post, path = "/api/events/{event_id}/reserve/", tag = "reservations",
    params(
        EventPath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried reserve return the first successful answer (per user, kept 24 hours): 1 to 255 visible ASCII characters."),
    ),
    request_body = ReserveBody,
    responses(
        (status = 201, description = "The reservation is made (or, with a known `Idempotency-Key`, the first answer again).", body = ReserveAnswer),
        (status = 400, description = "`invalid_input`: an empty list, duplicate ids, more than `max_seats_per_user`, or a malformed `Idempotency-Key`.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event, or a seat id that is not in it.", body = ErrorSchema),
        (status = 409, description = "`lock_expired`, `not_lock_holder`, `seat_reserved`: a seat is not held by the caller, listed in `conflicts`; nothing changed. `idempotency_key_reused`: the key came with another body. `event_cancelled`: the event is cancelled.", body = ErrorSchema),
    ))]
pub async fn reserve<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    Idempotency(key): Idempotency,
    ApiJson(body): ApiJson<ReserveBody>,
) -> Result<(StatusCode, Json<ReserveAnswer>), ApiError> {
    let reservation = state
        .store
        .reserve(user.id, EventId::new(event), &body.seat_ids(), key.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(reservation.into())))
}

/// The caller's reservations, newest first, cancelled ones included.
#[utoipa::path(get, path = "/api/reservations/", tag = "reservations",
    responses((status = 200, description = "The reservations.", body = ReservationList)))]
pub async fn reservations<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<ReservationList>, ApiError> {
    let reservations = state.store.reservations(user.id).await?;
    Ok(Json(ReservationList::new(reservations)))
}

/// Cancels one of the caller's reservations; its seats become available.
#[utoipa::path(post, path = "/api/reservations/{id}/cancel/", tag = "reservations",
    params(ReservationPath),
    responses(
        (status = 200, description = "The reservation is cancelled.", body = CancelAnswer),
        (status = 404, description = "`not_found`: no such reservation of the caller's (someone else's is not revealed).", body = ErrorSchema),
        (status = 409, description = "`already_cancelled`.", body = ErrorSchema),
    ))]
pub async fn cancel<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(ReservationPath { id }): ApiPath<ReservationPath>,
) -> Result<Json<CancelAnswer>, ApiError> {
    let reservation = state.store.cancel(user.id, ReservationId::new(id)).await?;
    Ok(Json(reservation.into()))
}
