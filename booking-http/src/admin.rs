//! The box office, `/api/admin/` (staff only: [`StaffUser`]), and the
//! audit log a user reads of their own doing, `/api/audit/`. Each handler
//! extracts, calls the store (or a helper of `booking_core::boxoffice`),
//! and maps the answer; the errors every operation shares, and the 403
//! `forbidden` of every `/api/admin/` operation, are added in
//! [`crate::openapi`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use booking_core::venue::VenueFile;
use booking_core::{
    AccountStore, AuditAction, AuditFilter, AuditRecord, BookingStore, EventEdit, EventId,
    NewEvent, OrphanPolicy, ReservationFilter, ReservationId, Sales, SeatId, SeatMap, SeatRecord,
    SeatSelection, Store, Timestamp, User, UserId, Venue,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorSchema};
use crate::export::Csv;
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, CurrentUser, EventPath, ReservationPath, StaffUser,
};
use crate::state::AppState;
use crate::views::{
    AuditList, AuditRecordView, BlockView, BlocksAnswer, EventCancelAnswer, EventDetail, EventList,
    PreviewAnswer, SalesAnswer, SeatsSchema, SeatsView, StaffCancelAnswer, StaffReservationList,
    StaffReservationView,
};

type AppStateRef<S> = State<Arc<AppState<S>>>;

// ---- events ---------------------------------------------------------------------

/// Every event, soonest first, cancelled ones included (with
/// `cancelled_at` and `cancel_reason`).
#[utoipa::path(get, path = "/api/admin/events/", tag = "box office",
    responses((status = 200, description = "The events.", body = EventList)))]
pub async fn all_events<S: Store>(
    State(state): AppStateRef<S>,
    _: StaffUser,
) -> Result<Json<EventList>, ApiError> {
    Ok(Json(EventList::new(state.store.events().await?)))
}

/// Whether an event refuses reserves that strand a single seat.
#[derive(Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Orphans {
    /// Any pick of held seats may be reserved (the default).
    #[default]
    Allow,
    /// A reserve that leaves one seat alone between taken ones, when
    /// another pick of as many seats would not, is refused (409
    /// `orphan_seat`).
    Refuse,
}

impl From<Orphans> for OrphanPolicy {
    fn from(orphans: Orphans) -> Self {
        match orphans {
            Orphans::Allow => Self::Allow,
            Orphans::Refuse => Self::Refuse,
        }
    }
}

/// A new event: its details, and its seats from a venue file (`venue`) or
/// the compact notation (`seats`), exactly one of the two.
#[derive(Deserialize, ToSchema)]
pub struct NewEventBody {
    /// Its name: 1 to 200 characters, not blank.
    name: String,
    /// When it starts: an RFC 3339 time, `2026-12-03T19:00:00Z`.
    #[schema(examples("2026-12-03T19:00:00Z"))]
    starts_at: String,
    /// Where it takes place (the event's `venue` and `location`): at most
    /// 200 characters; left out, a venue file's `name` (as `booking-server
    /// event add` does), else empty.
    #[serde(default)]
    location: Option<String>,
    /// What it is: at most 5,000 characters.
    #[serde(default)]
    description: Option<String>,
    /// Its seats, as a venue file (docs/venue.md): the file's JSON object
    /// itself.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    venue: Option<serde_json::Value>,
    /// Its seats, in the compact notation: `"A-F:1-10:10000"` (rows A to
    /// F, seats 1 to 10, 10000 cents each; blocks separated by commas).
    #[serde(default)]
    #[schema(examples("A-F:1-10:10000"))]
    seats: Option<String>,
    /// `allow` (the default) or `refuse` reserves that strand one seat.
    #[serde(default)]
    orphans: Option<Orphans>,
}

/// The body of a preview: a new event's (`venue` or `seats`, exactly one);
/// its other fields are not read.
#[derive(Deserialize, ToSchema)]
pub struct PreviewBody {
    /// A venue file's JSON object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    venue: Option<serde_json::Value>,
    /// The compact notation: `"A-F:1-10:10000"`.
    #[serde(default)]
    #[schema(examples("A-F:1-10:10000"))]
    seats: Option<String>,
}

/// The venue of `venue` (a venue file) or `seats` (the compact notation),
/// exactly one of them, with the name a venue file gives the place (`""`
/// for the notation); an error is a sentence that names the place in the
/// file at fault and the problem, for the page to show as it is.
fn seating(
    venue: Option<serde_json::Value>,
    seats: Option<String>,
) -> Result<(Venue, String), ApiError> {
    match (venue, seats) {
        (Some(file), None) => venue_of(file),
        (None, Some(map)) => map
            .parse::<SeatMap>()
            .map(|map| (Venue::from(map), String::new()))
            .map_err(|err| ApiError::invalid_input(format!("A mistake in the seat map: {err}"))),
        _ => Err(ApiError::invalid_input(
            "Give exactly one of venue (a venue file) and seats (the compact notation, \
             such as \"A-F:1-10:10000\")",
        )),
    }
}

/// The venue of a venue file sent as the body's `venue` object, and the
/// file's `name`.
fn venue_of(file: serde_json::Value) -> Result<(Venue, String), ApiError> {
    let mistake = |path: &str, problem: &dyn std::fmt::Display| {
        ApiError::invalid_input(match path {
            "" | "." => format!("A mistake in the venue file: {problem}"),
            path => format!("A mistake in the venue file, at {path}: {problem}"),
        })
    };
    let file: VenueFile = serde_path_to_error::deserialize(file)
        .map_err(|err| mistake(&err.path().to_string(), err.inner()))?;
    let venue = Venue::from_file(&file).map_err(|err| mistake(&err.path, &err.message))?;
    Ok((venue, file.name))
}

/// An RFC 3339 time given as `field`.
fn instant(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid_input(format!(
                "The field {field} is not an RFC 3339 time such as 2026-12-03T19:00:00Z"
            ))
        })
}

impl NewEventBody {
    /// The event asked for, created by `staff` (→ 400 `invalid_input`
    /// naming the problem).
    fn into_new_event(self, staff: UserId) -> Result<NewEvent, ApiError> {
        let starts_at = instant("starts_at", &self.starts_at)?;
        let (seating, place) = seating(self.venue, self.seats)?;
        Ok(NewEvent {
            created_by: Some(staff),
            starts_at,
            seating,
            name: self.name,
            description: self.description.unwrap_or_default(),
            venue: self.location.unwrap_or(place),
            orphans: self.orphans.unwrap_or_default().into(),
        })
    }
}

/// What an event made from a venue file (or the compact notation) would
/// have: its sections and categories with their seats counted. Nothing is
/// created.
#[utoipa::path(post, path = "/api/admin/events/preview/", tag = "box office",
    request_body = PreviewBody,
    responses(
        (status = 200, description = "What the event would have.", body = PreviewAnswer),
        (status = 400, description = "`invalid_input`: neither or both of `venue` and `seats`, or the venue file or the notation is wrong; `error` names the JSON path at fault (`A mistake in the venue file, at sections[1] (Balcony).rows[0]: ...`) and the problem.", body = ErrorSchema),
    ))]
pub async fn preview_event(
    _: StaffUser,
    ApiJson(body): ApiJson<PreviewBody>,
) -> Result<Json<PreviewAnswer>, ApiError> {
    let (venue, _) = seating(body.venue, body.seats)?;
    Ok(Json(PreviewAnswer::new(&venue)))
}

/// Creates an event from a venue file or the compact notation; the audit
/// log records who did.
#[utoipa::path(post, path = "/api/admin/events/", tag = "box office",
    request_body = NewEventBody,
    responses(
        (status = 201, description = "The event is created.", body = EventDetail),
        (status = 400, description = "`invalid_input`: a detail breaks its rule, `starts_at` is no RFC 3339 time, neither or both of `venue` and `seats` are given, or the venue file or the notation is wrong (`error` names the JSON path at fault and the problem).", body = ErrorSchema),
    ))]
pub async fn create_event<S: Store>(
    State(state): AppStateRef<S>,
    StaffUser(staff): StaffUser,
    ApiJson(body): ApiJson<NewEventBody>,
) -> Result<(StatusCode, Json<EventDetail>), ApiError> {
    let event = body.into_new_event(staff.id)?;
    let created = state.store.create_event(event).await?;
    Ok((StatusCode::CREATED, Json(EventDetail::new(created))))
}

/// A change to an event's details: each field given replaces the event's.
#[derive(Deserialize, ToSchema)]
pub struct EditEventBody {
    /// A new name.
    #[serde(default)]
    name: Option<String>,
    /// A new description.
    #[serde(default)]
    description: Option<String>,
    /// A new venue text (the event's `venue` and `location`).
    #[serde(default)]
    location: Option<String>,
    /// A new start time, RFC 3339.
    #[serde(default)]
    #[schema(examples("2026-12-03T19:00:00Z"))]
    starts_at: Option<String>,
}

impl EditEventBody {
    fn edit(self) -> Result<EventEdit, ApiError> {
        Ok(EventEdit {
            starts_at: self
                .starts_at
                .map(|t| instant("starts_at", &t))
                .transpose()?,
            name: self.name,
            description: self.description,
            venue: self.location,
        })
    }
}

/// Changes an event's name, description, venue text or start time. Its
/// seats and reservations stay as they are.
#[utoipa::path(patch, path = "/api/admin/events/{event_id}/", tag = "box office",
    params(EventPath),
    request_body = EditEventBody,
    responses(
        (status = 200, description = "The event as edited.", body = EventDetail),
        (status = 400, description = "`invalid_input`: no field given, or one breaks a new event's rules.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
        (status = 409, description = "`event_cancelled`: the event is cancelled.", body = ErrorSchema),
    ))]
pub async fn edit_event<S: Store>(
    State(state): AppStateRef<S>,
    StaffUser(staff): StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
    ApiJson(body): ApiJson<EditEventBody>,
) -> Result<Json<EventDetail>, ApiError> {
    let event = EventId::new(event_id);
    state
        .store
        .edit_event(staff.id, event, &body.edit()?)
        .await?;
    Ok(Json(EventDetail::new(state.store.event(event).await?)))
}

/// Why staff cancel a reservation or an event.
#[derive(Deserialize, ToSchema)]
pub struct ReasonBody {
    /// Why, for the customers, who see it on their cancelled reservations:
    /// not blank, at most 500 characters, no control characters.
    reason: String,
}

/// Cancels an event: every confirmed reservation of it is cancelled with
/// the reason (its customer sees it), every hold released, and nothing
/// of it can be booked, blocked or edited any more. Its reads still answer.
#[utoipa::path(post, path = "/api/admin/events/{event_id}/cancel/", tag = "box office",
    params(EventPath),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "The event is cancelled, and its reservations with it.", body = EventCancelAnswer),
        (status = 400, description = "`invalid_input`: a blank or bad reason.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
        (status = 409, description = "`event_cancelled`: it is cancelled already.", body = ErrorSchema),
    ))]
pub async fn cancel_event<S: Store>(
    State(state): AppStateRef<S>,
    StaffUser(staff): StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<EventCancelAnswer>, ApiError> {
    let event = EventId::new(event_id);
    let cancelled = state
        .store
        .cancel_event(staff.id, event, &body.reason)
        .await?;
    let summary = state.store.event(event).await?;
    Ok(Json(EventCancelAnswer::new(
        summary,
        cancelled.reservations.len(),
    )))
}

// ---- seats ----------------------------------------------------------------------

/// The seats a block or an unblock is about: `seat_ids`, or a `section`
/// (and one `row` of it), and why.
#[derive(Deserialize, ToSchema)]
pub struct BlockBody {
    /// Why, for the audit log and the staff's seat view (may be empty; at
    /// most 500 characters, no control characters).
    reason: String,
    /// These seats, by id.
    #[serde(default)]
    seat_ids: Option<Vec<i64>>,
    /// Every seat of this section, by its exact name (`""` for an event
    /// made from the compact notation); not with `seat_ids`.
    #[serde(default)]
    section: Option<String>,
    /// Only this row of `section`: `"A"`.
    #[serde(default)]
    row: Option<String>,
}

impl BlockBody {
    /// The seats named (→ 400 `invalid_input` unless exactly one way is).
    fn selection(&self) -> Result<SeatSelection, ApiError> {
        match (&self.seat_ids, &self.section, &self.row) {
            (Some(ids), None, None) => Ok(SeatSelection::Seats(
                ids.iter().copied().map(SeatId::new).collect(),
            )),
            (None, Some(section), None) => Ok(SeatSelection::Section(section.clone())),
            (None, Some(section), Some(row)) => Ok(SeatSelection::Row {
                section: section.clone(),
                row: row.parse()?,
            }),
            _ => Err(ApiError::invalid_input(
                "Name the seats one way: seat_ids, or a section (with a row of it, or not)",
            )),
        }
    }
}

/// The seats of `event` among `ids`, read afresh, as the map lists them.
async fn seats_named(
    store: &impl BookingStore,
    event: EventId,
    selection: &SeatSelection,
    ids: &[SeatId],
) -> Result<Vec<SeatRecord>, ApiError> {
    let records = match selection {
        SeatSelection::Seats(_) => store.seats(event).await?,
        SeatSelection::Row { section, .. } | SeatSelection::Section(section) => {
            store.seats_in_section(event, section).await?
        }
    };
    let wanted: HashSet<SeatId> = ids.iter().copied().collect();
    Ok(records
        .into_iter()
        .filter(|r| wanted.contains(&r.seat.id))
        .collect())
}

/// Blocks seats from sale, all of them or none: one, a list, a row or a
/// section.
#[utoipa::path(post, path = "/api/admin/events/{event_id}/block/", tag = "box office",
    params(EventPath),
    request_body = BlockBody,
    responses(
        (status = 200, description = "The seats, now blocked, as the seat map shows them.", body = SeatsSchema),
        (status = 400, description = "`invalid_input`: the seats named no way or two ways, an empty or duplicate list, a row the section does not have, or a bad reason. `unknown_section`: the event has no section of that name.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event, or a seat id that is not in it.", body = ErrorSchema),
        (status = 409, description = "`seat_locked`, `seat_reserved`: a seat is held or reserved, listed in `conflicts` with every other; nothing was blocked. `event_cancelled`: the event is cancelled.", body = ErrorSchema),
    ))]
pub async fn block_seats<S: Store>(
    State(state): AppStateRef<S>,
    StaffUser(staff): StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<SeatsView, ApiError> {
    change_blocks(
        &state,
        &staff,
        EventId::new(event_id),
        &body,
        Blocking::Block,
    )
    .await
}

/// Puts blocked seats back on sale: one, a list, a row or a section (a
/// seat that was not blocked stays as it is).
#[utoipa::path(post, path = "/api/admin/events/{event_id}/unblock/", tag = "box office",
    params(EventPath),
    request_body = BlockBody,
    responses(
        (status = 200, description = "The seats as the seat map shows them now.", body = SeatsSchema),
        (status = 400, description = "`invalid_input`: the seats named no way or two ways, an empty or duplicate list, a row the section does not have, or a bad reason. `unknown_section`: the event has no section of that name.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event, or a seat id that is not in it.", body = ErrorSchema),
        (status = 409, description = "`event_cancelled`: the event is cancelled.", body = ErrorSchema),
    ))]
pub async fn unblock_seats<S: Store>(
    State(state): AppStateRef<S>,
    StaffUser(staff): StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<SeatsView, ApiError> {
    change_blocks(
        &state,
        &staff,
        EventId::new(event_id),
        &body,
        Blocking::Unblock,
    )
    .await
}

/// Whether staff take seats off sale or put them back.
#[derive(Clone, Copy)]
enum Blocking {
    Block,
    Unblock,
}

/// Blocks or unblocks the seats `body` names, as `staff` do; the seats as
/// the seat map shows them after.
async fn change_blocks<S: Store>(
    state: &AppState<S>,
    staff: &User,
    event: EventId,
    body: &BlockBody,
    blocking: Blocking,
) -> Result<SeatsView, ApiError> {
    let selection = body.selection()?;
    let ids = selection.seat_ids(&state.store, event).await?;
    match blocking {
        Blocking::Block => {
            state
                .store
                .block(staff.id, event, &ids, &body.reason)
                .await?
        }
        Blocking::Unblock => {
            state
                .store
                .unblock(staff.id, event, &ids, &body.reason)
                .await?
        }
    };
    let seats = seats_named(&state.store, event, &selection, &ids).await?;
    Ok(SeatsView::new(seats, staff.id))
}

/// The event's blocked seats, by row then number, each with its reason,
/// and who blocked it and when (the newest block of it in the audit log).
#[utoipa::path(get, path = "/api/admin/events/{event_id}/blocks/", tag = "box office",
    params(EventPath),
    responses(
        (status = 200, description = "The blocked seats.", body = BlocksAnswer),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn blocks<S: Store>(
    State(state): AppStateRef<S>,
    _: StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
) -> Result<Json<BlocksAnswer>, ApiError> {
    let event = EventId::new(event_id);
    let blocked: Vec<SeatRecord> = state
        .store
        .seats(event)
        .await?
        .into_iter()
        .filter(|r| r.blocked.is_some())
        .collect();
    let blocks = last_blocks(&state.store, event, &blocked).await?;
    let names = usernames(
        &state.store,
        blocks.values().filter_map(|r| r.actor).collect(),
    )
    .await?;
    let views = blocked
        .into_iter()
        .map(|record| {
            let block = blocks.get(&record.seat.label);
            let by = block
                .and_then(|b| b.actor)
                .map(|actor| (actor, names.get(&actor).cloned()));
            let reason = record.blocked.unwrap_or_default();
            BlockView::new(&record.seat, reason, by, block.map(|b| b.at))
        })
        .collect();
    Ok(Json(BlocksAnswer::new(views)))
}

/// The newest block record of each of `blocked`'s seats, by label.
async fn last_blocks(
    store: &impl BookingStore,
    event: EventId,
    blocked: &[SeatRecord],
) -> Result<HashMap<String, AuditRecord>, ApiError> {
    let mut missing: HashSet<&str> = blocked.iter().map(|r| r.seat.label.as_str()).collect();
    let mut found = HashMap::new();
    let mut filter = AuditFilter {
        event: Some(event),
        action: Some(AuditAction::Block),
        limit: AuditFilter::MAX_LIMIT,
        ..AuditFilter::default()
    };
    while !missing.is_empty() {
        let page = store.audit_log(&filter).await?;
        for record in &page {
            for label in &record.seats {
                if missing.remove(label.as_str()) {
                    found.insert(label.clone(), record.clone());
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == AuditFilter::MAX_LIMIT as usize => {
                filter.before = Some(last.id);
            }
            _ => break,
        }
    }
    Ok(found)
}

// ---- reservations ---------------------------------------------------------------

/// Which reservations of an event to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReservationSearch {
    /// Only `confirmed`, or only `cancelled`, reservations.
    status: Option<String>,
    /// Only this customer's, by user name (as registered); a name nobody
    /// has matches none.
    user: Option<String>,
    /// Only those with this seat, by its label: `A1`, `Balcony A1`.
    seat: Option<String>,
}

/// A page of a list, newest first.
#[derive(Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The next page: only entries with an id smaller than this (the
    /// last answer's `next_before`).
    before: Option<i64>,
    /// At most this many: 1 to 1000 (default 100).
    limit: Option<u32>,
}

/// The id of the user named `name`, if anyone is.
async fn user_named(store: &impl AccountStore, name: &str) -> Result<Option<UserId>, ApiError> {
    Ok(store.credentials(name).await?.map(|c| c.user.id))
}

/// The user names of `users`, each looked up once. (A list, not any
/// iterator: an iterator borrowing a page would make the handler's future
/// unsendable.)
async fn usernames(
    store: &impl AccountStore,
    users: Vec<UserId>,
) -> Result<HashMap<UserId, String>, ApiError> {
    let mut names = HashMap::new();
    for user in users {
        if names.contains_key(&user) {
            continue;
        }
        if let Some(found) = store.user(user).await? {
            names.insert(user, found.username.as_str().to_owned());
        }
    }
    Ok(names)
}

/// The filter of `search` and `page`, checked (→ 400); `None` when it names
/// a customer nobody is, so it matches nothing.
async fn reservation_filter(
    store: &impl AccountStore,
    search: ReservationSearch,
    page: Page,
) -> Result<Option<ReservationFilter>, ApiError> {
    let mut filter = ReservationFilter {
        status: search.status.as_deref().map(str::parse).transpose()?,
        seat: search.seat,
        before: page.before.map(ReservationId::new),
        limit: page.limit.unwrap_or(ReservationFilter::DEFAULT_LIMIT),
        user: None,
    };
    filter.validate()?;
    if let Some(name) = search.user {
        match user_named(store, &name).await? {
            Some(user) => filter.user = Some(user),
            None => return Ok(None),
        }
    }
    Ok(Some(filter))
}

/// One page of `event`'s reservations that `filter` picks, as staff see
/// them; none (once the event is known to exist) for no filter.
async fn reservations_page(
    store: &impl Store,
    event: EventId,
    filter: Option<&ReservationFilter>,
) -> Result<Vec<StaffReservationView>, ApiError> {
    let Some(filter) = filter else {
        store.event(event).await?;
        return Ok(Vec::new());
    };
    let reservations = store.event_reservations(event, filter).await?;
    let names = usernames(store, reservations.iter().map(|r| r.user).collect()).await?;
    Ok(reservations
        .into_iter()
        .map(|r| {
            let name = names.get(&r.user).cloned();
            StaffReservationView::new(r, name)
        })
        .collect())
}

/// A page of an event's reservations, everyone's, newest first.
#[utoipa::path(get, path = "/api/admin/events/{event_id}/reservations/", tag = "box office",
    params(EventPath, ReservationSearch, Page),
    responses(
        (status = 200, description = "A page of the reservations.", body = StaffReservationList),
        (status = 400, description = "`invalid_input`: an unknown `status`, a `limit` out of range, or a malformed query.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn event_reservations<S: Store>(
    State(state): AppStateRef<S>,
    _: StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
    ApiQuery(search): ApiQuery<ReservationSearch>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<StaffReservationList>, ApiError> {
    let filter = reservation_filter(&state.store, search, page).await?;
    let limit = filter
        .as_ref()
        .map_or(ReservationFilter::DEFAULT_LIMIT, |f| f.limit);
    let page = reservations_page(&state.store, EventId::new(event_id), filter.as_ref()).await?;
    Ok(Json(StaffReservationList::new(page, limit)))
}

/// Every reservation of an event that the filters pick, newest first, as
/// a CSV file for a spreadsheet.
#[utoipa::path(get, path = "/api/admin/events/{event_id}/reservations/export/", tag = "box office",
    params(EventPath, ReservationSearch),
    responses(
        (status = 200, description = "`event-{event_id}-reservations.csv`: RFC 4180 (CRLF line ends, quoted cells), UTF-8, a header line first; a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return starts with `'`, so a spreadsheet shows it as text.", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_input`: an unknown `status`, or a malformed query.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn export_reservations<S: Store>(
    State(state): AppStateRef<S>,
    _: StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
    ApiQuery(search): ApiQuery<ReservationSearch>,
) -> Result<Response, ApiError> {
    let event = EventId::new(event_id);
    let all = Page {
        before: None,
        limit: Some(ReservationFilter::MAX_LIMIT),
    };
    let mut filter = reservation_filter(&state.store, search, all).await?;
    let mut csv = Csv::default();
    csv.line(StaffReservationView::CSV_HEADER);
    loop {
        let page = reservations_page(&state.store, event, filter.as_ref()).await?;
        for reservation in &page {
            csv.line(reservation.csv_cells());
        }
        match (filter.as_mut(), page.last()) {
            (Some(filter), Some(last)) if page.len() == ReservationFilter::MAX_LIMIT as usize => {
                filter.before = Some(ReservationId::new(last.id()));
            }
            _ => break,
        }
    }
    Ok(csv.attachment(&format!("event-{event}-reservations.csv")))
}

/// Cancels anyone's reservation, with a reason its customer sees.
#[utoipa::path(post, path = "/api/admin/reservations/{id}/cancel/", tag = "box office",
    params(ReservationPath),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "The reservation is cancelled; its seats are available again.", body = StaffCancelAnswer),
        (status = 400, description = "`invalid_input`: a blank or bad reason.", body = ErrorSchema),
        (status = 404, description = "`not_found`: no such reservation.", body = ErrorSchema),
        (status = 409, description = "`already_cancelled`.", body = ErrorSchema),
    ))]
pub async fn staff_cancel<S: Store>(
    State(state): AppStateRef<S>,
    StaffUser(staff): StaffUser,
    ApiPath(ReservationPath { id }): ApiPath<ReservationPath>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<StaffCancelAnswer>, ApiError> {
    let cancelled = state
        .store
        .staff_cancel(staff.id, ReservationId::new(id), &body.reason)
        .await?;
    let names = usernames(&state.store, vec![cancelled.user]).await?;
    let name = names.get(&cancelled.user).cloned();
    Ok(Json(StaffCancelAnswer::new(StaffReservationView::new(
        cancelled, name,
    ))))
}

/// An event's sales per price category right now: seats sold, held,
/// available and blocked, and the revenue.
#[utoipa::path(get, path = "/api/admin/events/{event_id}/sales/", tag = "box office",
    params(EventPath),
    responses(
        (status = 200, description = "The sales.", body = SalesAnswer),
        (status = 404, description = "`not_found`: no such event.", body = ErrorSchema),
    ))]
pub async fn sales<S: Store>(
    State(state): AppStateRef<S>,
    _: StaffUser,
    ApiPath(EventPath { event_id }): ApiPath<EventPath>,
) -> Result<Json<SalesAnswer>, ApiError> {
    let sales = Sales::read(&state.store, EventId::new(event_id)).await?;
    Ok(Json(sales.into()))
}

// ---- the audit log --------------------------------------------------------------

/// Which audit records to read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditSearch {
    /// Only this event's, by id.
    event: Option<i64>,
    /// Only this action: `reserve`, `cancel`, `staff_cancel`, `block`,
    /// `unblock`, `edit_event`, ...
    action: Option<String>,
    /// Only records at this instant or later (RFC 3339).
    since: Option<String>,
    /// Only records before this instant (RFC 3339).
    until: Option<String>,
}

/// Whose doing, in the staff's audit log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActorSearch {
    /// Only this user's doing, by user name; a name nobody has matches
    /// none.
    actor: Option<String>,
}

impl AuditSearch {
    /// The filter of this search and `page`, checked (→ 400).
    fn filter(self, page: Page) -> Result<AuditFilter, ApiError> {
        let filter = AuditFilter {
            event: self.event.map(EventId::new),
            action: self.action.as_deref().map(str::parse).transpose()?,
            since: self.since.map(|t| instant("since", &t)).transpose()?,
            until: self.until.map(|t| instant("until", &t)).transpose()?,
            before: page.before,
            limit: page.limit.unwrap_or(AuditFilter::DEFAULT_LIMIT),
            actor: None,
        };
        filter.validate()?;
        Ok(filter)
    }
}

/// The page of the audit log `filter` picks, with each actor's name.
async fn audit_page(store: &impl Store, filter: &AuditFilter) -> Result<AuditList, ApiError> {
    let records = store.audit_log(filter).await?;
    let users = records.iter().flat_map(|r| [r.actor, r.user]).flatten();
    let names = usernames(store, users.collect()).await?;
    let views = records
        .into_iter()
        .map(|r| AuditRecordView::new(r, &names))
        .collect();
    Ok(AuditList::new(views, filter.limit))
}

/// A page of the audit log, everyone's, newest first: who did what, when,
/// to which event, reservation and seats, and why.
#[utoipa::path(get, path = "/api/admin/audit/", tag = "box office",
    params(AuditSearch, ActorSearch, Page),
    responses(
        (status = 200, description = "A page of the audit log.", body = AuditList),
        (status = 400, description = "`invalid_input`: an unknown `action`, a `since` or `until` that is no RFC 3339 time, a `limit` out of range, or a malformed query.", body = ErrorSchema),
    ))]
pub async fn audit_log<S: Store>(
    State(state): AppStateRef<S>,
    _: StaffUser,
    ApiQuery(search): ApiQuery<AuditSearch>,
    ApiQuery(actor): ApiQuery<ActorSearch>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<AuditList>, ApiError> {
    let mut filter = search.filter(page)?;
    if let Some(name) = actor.actor {
        match user_named(&state.store, &name).await? {
            Some(user) => filter.actor = Some(user),
            None => return Ok(Json(AuditList::new(Vec::new(), filter.limit))),
        }
    }
    Ok(Json(audit_page(&state.store, &filter).await?))
}

/// A page of the caller's own records in the audit log (what they did:
/// their reserves and cancels, and a staff member's box-office actions),
/// newest first. Anyone logged in may read their own; nobody else's.
#[utoipa::path(get, path = "/api/audit/", tag = "reservations",
    params(AuditSearch, Page),
    responses(
        (status = 200, description = "A page of the caller's records.", body = AuditList),
        (status = 400, description = "`invalid_input`: an unknown `action`, a `since` or `until` that is no RFC 3339 time, a `limit` out of range, or a malformed query.", body = ErrorSchema),
    ))]
pub async fn my_audit_log<S: Store>(
    State(state): AppStateRef<S>,
    CurrentUser(user): CurrentUser,
    ApiQuery(search): ApiQuery<AuditSearch>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<AuditList>, ApiError> {
    let mut filter = search.filter(page)?;
    filter.actor = Some(user.id);
    Ok(Json(audit_page(&state.store, &filter).await?))
}
