//! Live seat changes: `GET /api/events/{event_id}/stream/`, a stream of
//! server-sent events.
//!
//! Each process keeps one watcher per event that has viewers
//! ([`crate::watchers`]). The watcher reads the event's seats from the
//! store at least every `poll_interval` (so changes made by other server
//! processes, and holds that simply expire, show up), and at once when
//! this process changed a seat of that event (a nudge). It sends the seats
//! whose state changed to every viewer; a viewer's first message is the
//! whole seat map.
//!
//! Messages are `event: seats` with `data: {"seats": [...], "full": bool}`,
//! each seat as `GET /api/events/{id}/seats/` shows it to that viewer.
//! With `?section=NAME`, a viewer gets only that section's seats (a page
//! that shows one section of a stadium), with `?rows=A-J` only those rows
//! (a page that shows part of a large section), and no message when none
//! of them changed.

use std::convert::Infallible;
use std::ops::RangeInclusive;
use std::sync::{Arc, Weak};

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use booking_core::{
    AccountStore, BookingStore, Error, EventId, Row, SeatRecord, SessionId, Store, UserId,
};
use futures_util::future::ready;
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize, Serializer};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, CurrentSession, EventPath, row_range};
use crate::state::AppState;
use crate::views::SeatView;
use crate::watchers::{Changes, Watch};

/// The query of a live stream.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only the seats of this section, by its exact name (`Block 112`).
    section: Option<String>,
    /// Only the seats of these rows: a range `A-J`, or one row `C` (of the
    /// section, with `section`; else of every section).
    rows: Option<String>,
}

/// Live seat changes, as server-sent events.
///
/// Each message is `event: seats` with `data: {"seats": [...], "full":
/// bool}`: the first is the whole seat map (`full: true`), the rest are the
/// seats whose state changed, each as the seat map shows it to the caller.
/// With `section`, only that section's seats; with `rows`, only those rows.
#[utoipa::path(get, path = "/api/events/{event_id}/stream/", tag = "events",
    params(EventPath, StreamQuery),
    responses(
        (status = 200, description = "A stream of `seats` events (`text/event-stream`), each `data` a JSON `{\"seats\": [Seat], \"full\": bool}`.", content_type = "text/event-stream"),
        (status = 400, description = "`invalid_input`: `rows` is not a row or a range of rows. `unknown_section`: the event has no section of that name.", body = crate::error::ErrorSchema),
        (status = 404, description = "`not_found`: no such event.", body = crate::error::ErrorSchema),
    ))]
pub async fn stream<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    CurrentSession { user, id: session }: CurrentSession,
    ApiPath(EventPath { event_id: event }): ApiPath<EventPath>,
    ApiQuery(StreamQuery { section, rows }): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let rows = rows.as_deref().map(row_range).transpose()?;
    let (watch, first) = watch(&state, EventId::new(event)).await?;
    let viewer = Viewer::new(user.id, section, rows, &first.seats)?;
    let heartbeat = state.settings.live_heartbeat;
    let ended = Box::pin(session_ends(Arc::clone(&state), session));
    let messages = messages(state, watch, &first, viewer).take_until(ended);
    Ok(Sse::new(messages).keep_alive(KeepAlive::new().interval(heartbeat)))
}

/// The messages of one viewer's stream: `first`, then each batch of
/// changes that shows the viewer something, until the server shuts down.
/// The stream owns the watch: the watcher runs while any stream does.
fn messages<S: Store>(
    state: Arc<AppState<S>>,
    watch: Arc<Watch>,
    first: &Changes,
    viewer: Viewer,
) -> impl Stream<Item = Result<Event, Infallible>> + use<S> {
    let changes = watch.changes.subscribe();
    // `first` is the watcher's last read, up to a poll interval old: have it
    // read again now, so what changed since reaches this viewer at once.
    watch.nudged.notify_one();
    let first = stream::iter(viewer.message(first).map(Ok));
    let rest = stream::unfold(
        (changes, watch, state, viewer),
        |(mut changes, watch, state, viewer)| async move {
            let received = tokio::select! {
                received = changes.recv() => received,
                () = state.shutting_down() => return None,
            };
            let batch = match received {
                Ok(batch) => batch,
                Err(broadcast::error::RecvError::Lagged(_)) => Changes {
                    seats: watch.latest(),
                    full: true,
                },
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            let message = viewer.message(&batch);
            Some((message, (changes, watch, state, viewer)))
        },
    )
    .filter_map(|message| ready(message.map(Ok)));
    first.chain(rest)
}

/// Resolves when `session` no longer exists (logout, expiry), checked
/// every `session_check_interval`. A store that cannot answer is asked
/// again next time: a database hiccup does not cut every stream.
async fn session_ends<S: Store>(state: Arc<AppState<S>>, session: SessionId) {
    let mut every = tokio::time::interval(state.settings.session_check_interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        match state.store.session(&session).await {
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(e) => tracing::warn!(error = %e, "live stream: cannot check its session"),
        }
    }
}

/// A message's data: `{"seats": [...], "full": bool}`.
#[derive(Serialize, ToSchema)]
#[schema(as = SeatChanges)]
pub struct Message<'a> {
    /// The seats whose state changed (every seat, when `full`), each as
    /// the seat map shows it to the viewer.
    #[schema(value_type = Vec<SeatView>)]
    seats: Shown<'a>,
    /// Whether `seats` is the whole map (the first message, or after the
    /// viewer fell behind).
    full: bool,
}

/// The seats of a message: those of `run` in `rows` (all of them when
/// `None`), as `viewer` sees them, each made only as it is written.
struct Shown<'a> {
    run: &'a [SeatRecord],
    rows: Option<&'a RangeInclusive<Row>>,
    viewer: UserId,
}

impl<'a> Shown<'a> {
    fn records(&self) -> impl Iterator<Item = &'a SeatRecord> + use<'a> {
        let rows = self.rows;
        self.run
            .iter()
            .filter(move |r| rows.is_none_or(|rows| rows.contains(&r.seat.row)))
    }
}

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let viewer = self.viewer;
        serializer.collect_seq(self.records().map(|r| SeatView::new(r, viewer)))
    }
}

/// Who a stream is for: the seats as they look to `user`, of one section
/// or all, of some rows or all.
#[derive(Clone)]
struct Viewer {
    user: UserId,
    section: Option<Arc<str>>,
    rows: Option<RangeInclusive<Row>>,
}

impl Viewer {
    /// A viewer of `section` (of all seats when `None`), which must be a
    /// section of the event whose seats are `seats`, and of `rows` (of
    /// every row when `None`).
    fn new(
        user: UserId,
        section: Option<String>,
        rows: Option<RangeInclusive<Row>>,
        seats: &[SeatRecord],
    ) -> Result<Self, ApiError> {
        if let Some(name) = &section
            && !seats.iter().any(|r| &r.seat.section == name)
        {
            return Err(Error::UnknownSection { name: name.clone() }.into());
        }
        Ok(Self {
            user,
            section: section.map(Arc::from),
            rows,
        })
    }

    /// The message of `batch` for this viewer: none when it changes nothing
    /// the viewer shows.
    fn message(&self, batch: &Changes) -> Option<Event> {
        let run = match &self.section {
            None => &batch.seats[..],
            Some(name) => section_of(&batch.seats, name),
        };
        let seats = Shown {
            run,
            rows: self.rows.as_ref(),
            viewer: self.user,
        };
        if seats.records().next().is_none() && !batch.full {
            return None;
        }
        let data = Message {
            seats,
            full: batch.full,
        };
        let event = Event::default().event("seats").json_data(data);
        Some(event.unwrap_or_else(|_| Event::default().comment("unserializable")))
    }
}

/// The seats of section `name` in `seats`. Seats are listed by section, so
/// they are one run of the list.
fn section_of<'a>(seats: &'a [SeatRecord], name: &str) -> &'a [SeatRecord] {
    let start = seats
        .iter()
        .position(|r| *r.seat.section == *name)
        .unwrap_or(seats.len());
    let len = seats[start..]
        .iter()
        .take_while(|r| *r.seat.section == *name)
        .count();
    &seats[start..start + len]
}

/// The watcher of `event` (started if there is none) and the seat map now.
async fn watch<S: Store>(
    state: &Arc<AppState<S>>,
    event: EventId,
) -> Result<(Arc<Watch>, Changes), ApiError> {
    let full = |seats| Changes { seats, full: true };
    if let Some(watch) = state.watchers.get(event) {
        let latest = watch.latest();
        return Ok((watch, full(latest)));
    }
    // Unknown events are 404 here, before anything starts.
    let seats = Arc::new(state.store.seats(event).await?);
    let (watch, new) = state.watchers.get_or_insert(event, Arc::clone(&seats));
    if !new {
        // Another viewer started one meanwhile.
        let latest = watch.latest();
        return Ok((watch, full(latest)));
    }
    tokio::spawn(poll(Arc::clone(state), event, Arc::downgrade(&watch)));
    Ok((watch, full(seats)))
}

/// Reads the seat map every poll interval or when nudged, and sends what
/// changed, until the last viewer is gone.
async fn poll<S: Store>(state: Arc<AppState<S>>, event: EventId, watch: Weak<Watch>) {
    let interval = state.settings.live_poll_interval;
    loop {
        {
            let Some(watch) = watch.upgrade() else { break };
            // Wait for a nudge or the interval, whichever comes first.
            let _ = tokio::time::timeout(interval, watch.nudged.notified()).await;
        }
        let Some(watch) = watch.upgrade() else { break };
        let seats = match state.store.seats(event).await {
            Ok(seats) => Arc::new(seats),
            Err(e) => {
                tracing::warn!(%event, error = %e, "live seats: cannot read the seat map");
                continue;
            }
        };
        let previous = watch.replace_latest(Arc::clone(&seats));
        let changed: Vec<SeatRecord> = seats
            .iter()
            .zip(previous.iter())
            .filter(|(now, before)| now != before)
            .map(|(now, _)| now.clone())
            .collect();
        if !changed.is_empty() {
            let _ = watch.changes.send(Changes {
                seats: Arc::new(changed),
                full: false,
            });
        }
    }
    state.watchers.forget(event);
}
