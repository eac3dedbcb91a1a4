//! Events, seats, holds and reservations: each handler extracts, calls the
//! store, and maps the answer.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use booking_core::{EventId, IdempotencyKey, ReservationId, Row, SeatId, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, CurrentUser, EventPath, ReservationPath, SeatPath,
};
use crate::state::AppState;
use crate::views::{EventView, ReservationView, SeatsView, lifetime, rfc3339};

type AppStateRef<S> = State<Arc<AppState<S>>>;
type ApiResult = Result<Json<Value>, ApiError>;

/// The header that makes a reserve idempotent.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// `GET /api/events/`
pub async fn events<S: Store>(State(state): AppStateRef<S>, _: CurrentUser) -> ApiResult {
    let events: Vec<EventView> = state
        .store
        .events()
        .await?
        .into_iter()
        .map(EventView::from)
        .collect();
    Ok(Json(json!({ "events": events })))
}

/// `GET /api/events/{event_id}/`
pub async fn event<S: Store>(
    State(state): AppStateRef<S>,
    _: CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
) -> ApiResult {
    let event = state.store.event(EventId::new(event)).await?;
    Ok(Json(json!({ "event": EventView::from(event) })))
}

/// The query of a seat-map read.
#[derive(Deserialize)]
pub struct SeatsQuery {
    /// Only these rows: `A-J`, or one row `C` (for large events).
    rows: Option<String>,
}

/// `GET /api/events/{event_id}/seats/[?rows=A-J]`
pub async fn seats<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    ApiQuery(query): ApiQuery<SeatsQuery>,
) -> Result<SeatsView, ApiError> {
    let event = EventId::new(event);
    let records = match query.rows.as_deref() {
        None => state.store.seats(event).await?,
        Some(rows) => {
            let (first, last) = rows.split_once('-').unwrap_or((rows, rows));
            let range = first.trim().parse::<Row>()?..=last.trim().parse::<Row>()?;
            state.store.seats_in_rows(event, range).await?
        }
    };
    Ok(SeatsView::new(records, user.id))
}

/// `POST /api/events/{event_id}/seats/{seat_id}/lock/`
pub async fn lock<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(SeatPath {
        event_id: event,
        seat_id: seat,
    }): ApiPath<SeatPath>,
) -> ApiResult {
    let hold = state
        .store
        .hold(user.id, EventId::new(event), SeatId::new(seat))
        .await?;
    metrics::counter!("booking_holds_total").increment(1);
    state.watchers.nudge(hold.seat.event);
    let label = hold.seat.label();
    Ok(Json(json!({
        "success": true,
        "message": format!("Seat {label} locked for {}", lifetime(state.store.policy().lock_ttl)),
        "seat": {
            "id": hold.seat.id.get(),
            "seat_number": label,
            "locked_until": rfc3339(hold.until),
            "status": "locked",
        },
    })))
}

/// `POST /api/events/{event_id}/seats/{seat_id}/unlock/`
pub async fn unlock<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(SeatPath {
        event_id: event,
        seat_id: seat,
    }): ApiPath<SeatPath>,
) -> ApiResult {
    let event = EventId::new(event);
    state
        .store
        .release(user.id, event, SeatId::new(seat))
        .await?;
    state.watchers.nudge(event);
    Ok(Json(json!({ "success": true })))
}

/// The body of a reserve.
#[derive(Deserialize)]
pub struct ReserveBody {
    seat_ids: Vec<i64>,
}

/// `POST /api/events/{event_id}/reserve/`
pub async fn reserve<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReserveBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = match headers.get(IDEMPOTENCY_HEADER) {
        None => None,
        Some(value) => Some(IdempotencyKey::new(value.to_str().map_err(|_| {
            ApiError::invalid_input("Idempotency-Key must be visible ASCII")
        })?)?),
    };
    let seat_ids: Vec<SeatId> = body.seat_ids.into_iter().map(SeatId::new).collect();
    let reservation = state
        .store
        .reserve(user.id, EventId::new(event), &seat_ids, key.as_ref())
        .await?;
    metrics::counter!("booking_reservations_total").increment(1);
    state.watchers.nudge(reservation.event);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "reservation": ReservationView::from(reservation) })),
    ))
}

/// `GET /api/reservations/`
pub async fn reservations<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
) -> ApiResult {
    let reservations: Vec<ReservationView> = state
        .store
        .reservations(user.id)
        .await?
        .into_iter()
        .map(ReservationView::from)
        .collect();
    Ok(Json(json!({ "reservations": reservations })))
}

/// `POST /api/reservations/{id}/cancel/`
pub async fn cancel<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiPath(ReservationPath { id }): ApiPath<ReservationPath>,
) -> ApiResult {
    let reservation = state.store.cancel(user.id, ReservationId::new(id)).await?;
    metrics::counter!("booking_cancellations_total").increment(1);
    state.watchers.nudge(reservation.event);
    Ok(Json(
        json!({ "success": true, "reservation": ReservationView::from(reservation) }),
    ))
}
