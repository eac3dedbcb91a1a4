//! [`app`]: the router with every route and middleware of the API.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, post};
use booking_core::Store;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::extract::{CSRF_HEADER, IDEMPOTENCY_HEADER};
use crate::state::AppState;
use crate::{accounts, admin, booking, csrf, live, openapi, web};

/// The largest request body accepted (64 KiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest body of a new event and of its preview (1 MiB): they may
/// carry a venue file, and a stadium's is a few hundred KiB.
pub const MAX_VENUE_BODY_BYTES: usize = 1024 * 1024;

/// The metrics endpoint, `GET /metrics`, on a router of its own: it tells
/// sales volumes and login failures, so it is served apart from the API,
/// on an address the deployment chooses (`--metrics-bind`, loopback by
/// default).
pub fn metrics_app() -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .fallback(|| async { ApiError::not_found("No such path") })
}

/// The whole API over `state`'s store.
pub fn app<S: Store>(state: Arc<AppState<S>>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/api/csrf/", get(accounts::csrf_token))
        .route("/api/login/", post(accounts::login::<S>))
        .route("/api/logout/", post(accounts::logout::<S>))
        .route("/api/register/", post(accounts::register::<S>))
        .route("/api/me/", get(accounts::me))
        .route("/api/health/", get(accounts::health::<S>))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/events/", get(booking::events::<S>))
        .route("/api/events/{event_id}/", get(booking::event::<S>))
        .route("/api/events/{event_id}/seats/", get(booking::seats::<S>))
        .route("/api/events/{event_id}/rows/", get(booking::rows::<S>))
        .route("/api/events/{event_id}/holds/", get(booking::holds::<S>))
        .route("/api/events/{event_id}/stream/", get(live::stream::<S>))
        .route(
            "/api/events/{event_id}/seats/{seat_id}/lock/",
            post(booking::lock::<S>),
        )
        .route(
            "/api/events/{event_id}/seats/{seat_id}/unlock/",
            post(booking::unlock::<S>),
        )
        .route(
            "/api/events/{event_id}/best-available/",
            post(booking::best_available::<S>),
        )
        .route("/api/events/{event_id}/reserve/", post(booking::reserve::<S>))
        .route("/api/reservations/", get(booking::reservations::<S>))
        .route("/api/reservations/{id}/cancel/", post(booking::cancel::<S>))
        .route("/api/audit/", get(admin::my_audit_log::<S>))
        .merge(admin_routes())
        // Route layers run only for a matched route and method: 405 comes first.
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            csrf::csrf::<S>,
        ))
        .route_layer(middleware::from_fn(track_metrics))
        .merge(web::routes())
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.settings.request_timeout,
            timeout,
        ))
        .layer(cors(&state.settings.cors_origins))
        // Every answer: no content sniffing, no `Referer` to other sites,
        // and no caching (API answers carry personal data and change every
        // moment; the page, its assets and the live stream set their own).
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// The box office's routes, `/api/admin/`: staff only (every handler
/// takes a [`StaffUser`](crate::StaffUser)).
fn admin_routes<S: Store>() -> Router<Arc<AppState<S>>> {
    let venue_body = || DefaultBodyLimit::max(MAX_VENUE_BODY_BYTES);
    Router::new()
        .route(
            "/api/admin/events/",
            get(admin::all_events::<S>).post(admin::create_event::<S>.layer(venue_body())),
        )
        .route(
            "/api/admin/events/preview/",
            post(admin::preview_event).layer(venue_body()),
        )
        .route(
            "/api/admin/events/{event_id}/",
            patch(admin::edit_event::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/cancel/",
            post(admin::cancel_event::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/block/",
            post(admin::block_seats::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/unblock/",
            post(admin::unblock_seats::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/blocks/",
            get(admin::blocks::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/reservations/",
            get(admin::event_reservations::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/reservations/export/",
            get(admin::export_reservations::<S>),
        )
        .route(
            "/api/admin/events/{event_id}/sales/",
            get(admin::sales::<S>),
        )
        .route(
            "/api/admin/reservations/{id}/cancel/",
            post(admin::staff_cancel::<S>),
        )
        .route("/api/admin/audit/", get(admin::audit_log::<S>))
}

fn cors(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static(CSRF_HEADER),
            HeaderName::from_static(IDEMPOTENCY_HEADER),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Unknown paths: an API path without its trailing slash is redirected
/// (308 keeps the method and body); anything else is a JSON 404.
async fn fallback(request: Request) -> Response {
    let uri = request.uri();
    let path = uri.path();
    if path.starts_with("/api/") && !path.ends_with('/') {
        let target = match uri.query() {
            Some(query) => format!("{path}/?{query}"),
            None => format!("{path}/"),
        };
        return Redirect::permanent(&target).into_response();
    }
    ApiError::not_found("No such path").into_response()
}

/// Answers 503 `timeout` when a request takes longer than the configured
/// limit.
///
/// # Cancel safety
///
/// An answer never contradicts the database. A write (any method but GET,
/// HEAD and OPTIONS) runs in a task of its own, to completion, whether its
/// answer is still awaited or not: the timeout, or a client that goes
/// away, only stops the waiting. So `timeout` means "the outcome is not
/// known yet": the write may commit after it. A reserve retried with the
/// same `Idempotency-Key` then answers what happened. A read is simply
/// dropped at the timeout; it changes nothing.
async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let read_only = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let outcome = if read_only {
        tokio::time::timeout(limit, next.run(request)).await
    } else {
        let write = tokio::spawn(next.run(request));
        tokio::time::timeout(limit, write).await.map(|joined| {
            joined.unwrap_or_else(|err| {
                tracing::error!(error = %err, "a write's task failed");
                ApiError::unavailable().into_response()
            })
        })
    };
    outcome.unwrap_or_else(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The request took too long. A change it asked for may still be made: \
             retry it (a reserve with the same Idempotency-Key) to learn the outcome",
        )
        .into_response()
    })
}

/// How often the recorder folds the latency samples it has gathered into
/// its histogram buckets.
const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, installed on first use; `None` if the
/// embedding program installed another `metrics` recorder first.
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("booking_sqlite_commit_batch_writes".into()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
                )
                .ok()?
                .install_recorder()
                .ok()?;
            // The recorder keeps every histogram sample until it is folded
            // into the buckets, which only a scrape or an upkeep does: without
            // this, a server nobody scrapes grows by every request it serves.
            // A thread, not a task: it must outlive any one tokio runtime.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(METRICS_UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Counts requests and their latency by method, route and status.
async fn track_metrics(request: Request, next: Next) -> Response {
    prometheus();
    let start = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: Prometheus text format.
async fn render_metrics() -> Response {
    match prometheus() {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => {
            ApiError::not_found("Metrics are recorded by the embedding program").into_response()
        }
    }
}
