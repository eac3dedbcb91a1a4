//! `booking-http`: the REST API (`docs/API.md`, and the OpenAPI document of
//! [`openapi()`]) over any
//! [`booking_core::Store`], as an axum [`Router`](axum::Router), and the
//! `booking-server` binary that serves it.
//!
//! ```ignore
//! let state = booking_http::AppState::new(store, booking_http::Settings::default());
//! let router = booking_http::app(state);
//! // The timeouts and connection cap a server open to anyone needs; any
//! // axum server will do too (give it `ConnectInfo<SocketAddr>`).
//! booking_http::serve(listener, router, booking_http::ServeLimits::default(), shutdown).await;
//! ```
//!
//! The library needs none of the crate's features: `sqlite`, `postgres`
//! (the backends), `server` (the command line, logs and signals) and
//! `mimalloc` are the `booking-server` binary's, so `default-features =
//! false` embeds [`app()`] without compiling any database.
//!
//! Every write the API makes goes through [`Observed`], which counts it
//! in the metrics and nudges the event's live streams. A write runs to its
//! end even when its request times out (`Settings::request_timeout`): the
//! answer is then 503 `timeout`, meaning "outcome unknown", and a reserve
//! retried with the same `Idempotency-Key` answers what the first one did.
//!
//! Checks run in the API's order: method (405), CSRF (403), session (401),
//! input (400/413/415), existence (404), business rules (409). Every error
//! is an [`ApiError`]: JSON `{"success": false, "error", "code"}`.

mod accounts;
mod admin;
mod app;
mod booking;
mod client;
mod csrf;
mod error;
mod export;
mod extract;
mod live;
mod observed;
mod openapi;
mod serve;
mod state;
mod throttle;
mod views;
mod watchers;
mod web;

pub use accounts::{MIN_PASSWORD_CHARS, NewAccount, hash_password};
pub use app::{MAX_BODY_BYTES, MAX_VENUE_BODY_BYTES, app, metrics_app};
pub use error::{ApiError, ERROR_CODES};
pub use extract::StaffUser;
pub use observed::Observed;
pub use openapi::document_of_api as openapi;
pub use serve::{ServeLimits, serve};
pub use state::{AppState, Settings};

/// Public types can cross threads: checked at compile time.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<ApiError>();
    send_sync::<Settings>();
    send_sync::<AppState<booking_core::MemoryStore>>();
};
