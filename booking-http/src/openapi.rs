//! The OpenAPI 3.1 document of the API, derived from the handlers'
//! `#[utoipa::path]` operations and the view types' schemas, and served at
//! `GET /api/openapi.json`. `docs/openapi.json` is a copy, which a test
//! keeps equal to what this module generates.
//!
//! The errors that many operations share (no session, a CSRF failure, a
//! malformed body, an unavailable database) are added to each operation
//! here, by what the operation is, rather than written on every handler.

use axum::Json;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::ErrorSchema;
use crate::{accounts, admin, booking, live};

/// The operations that need no session: everything else answers 401
/// `not_authenticated` without one.
const PUBLIC_PATHS: &[&str] = &[
    "/api/csrf/",
    "/api/login/",
    "/api/logout/",
    "/api/register/",
    "/api/health/",
    "/api/openapi.json",
];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "booking",
        description = "The booking REST API: events, seat maps, seat holds (locks), \
            all-or-nothing reservations and cancels. Sessions are cookies \
            (`sessionid`); every POST and PATCH carries the `csrftoken` cookie's \
            value in the `X-CSRFToken` header. `/api/admin/` is the box office: \
            staff only. Every error is `{\"success\": false, \
            \"error\", \"code\"}`; docs/API.md in the repository explains each \
            code and what a client should do about it.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        accounts::csrf_token,
        accounts::login,
        accounts::logout,
        accounts::register,
        accounts::me,
        accounts::health,
        booking::events,
        booking::event,
        booking::seats,
        booking::rows,
        booking::holds,
        live::stream,
        booking::lock,
        booking::unlock,
        booking::best_available,
        booking::reserve,
        booking::reservations,
        booking::cancel,
        admin::my_audit_log,
        admin::all_events,
        admin::preview_event,
        admin::create_event,
        admin::edit_event,
        admin::cancel_event,
        admin::block_seats,
        admin::unblock_seats,
        admin::blocks,
        admin::event_reservations,
        admin::export_reservations,
        admin::staff_cancel,
        admin::sales,
        admin::audit_log,
        document,
    ),
    components(schemas(ErrorSchema, live::Message)),
    tags(
        (name = "accounts", description = "CSRF token, sign-up, login, logout, health."),
        (name = "events", description = "Events and their seat maps."),
        (name = "holds", description = "Holding (locking) and releasing seats."),
        (name = "reservations", description = "Reserving held seats, listing and cancelling reservations, and the caller's own audit records."),
        (name = "box office", description = "Staff only (403 `forbidden` to customers): events, seat blocks, everyone's reservations, sales, and the audit log."),
    ),
    modifiers(&SharedErrors),
)]
struct ApiDoc;

/// The whole document.
pub fn document_of_api() -> Document {
    ApiDoc::openapi()
}

/// This document, as JSON.
#[utoipa::path(get, path = "/api/openapi.json", tag = "accounts",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", content_type = "application/json")))]
pub async fn document() -> Json<Document> {
    Json(document_of_api())
}

/// Adds the errors operations share, and the session and CSRF schemes.
struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "sessionid",
                "The session cookie set by login and register (HttpOnly).",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRFToken",
                "Every POST and PATCH: the value of the `csrftoken` cookie.",
            ))),
        );
        for (path, item) in &mut openapi.paths.paths {
            for (unsafe_method, operation) in operations(item) {
                add_shared_errors(path, unsafe_method, operation);
            }
        }
    }
}

/// The GET, POST and PATCH operations of `item`, each with whether it is
/// unsafe.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    let get = item.get.as_mut().map(|op| (false, op));
    let post = item.post.as_mut().map(|op| (true, op));
    let patch = item.patch.as_mut().map(|op| (true, op));
    get.into_iter().chain(post).chain(patch)
}

/// The prefix of the box office's paths: staff only.
const STAFF_PREFIX: &str = "/api/admin/";

/// The paths whose body may be up to 1 MiB (a venue file).
const VENUE_BODY_PATHS: &[&str] = &["/api/admin/events/", "/api/admin/events/preview/"];

fn add_shared_errors(path: &str, unsafe_method: bool, operation: &mut Operation) {
    let mut security = Vec::new();
    if unsafe_method {
        security.push(SecurityRequirement::new("csrf", Vec::<String>::new()));
        add_error(
            operation,
            403,
            "`csrf_failed`: no `X-CSRFToken` header equal to the `csrftoken` cookie.",
        );
    }
    if !PUBLIC_PATHS.contains(&path) {
        security.push(SecurityRequirement::new("session", Vec::<String>::new()));
        add_error(
            operation,
            401,
            "`not_authenticated`: no session, or it has ended.",
        );
    }
    if path.starts_with(STAFF_PREFIX) {
        add_error(
            operation,
            403,
            "`forbidden`: the caller is a customer; only staff may do this.",
        );
    }
    if !security.is_empty() {
        operation.security = Some(security);
    }
    if operation.request_body.is_some() {
        add_error(
            operation,
            400,
            "`invalid_json`: the body is not JSON (or not UTF-8); `invalid_input`: a field is missing or of the wrong type.",
        );
        add_error(
            operation,
            413,
            if VENUE_BODY_PATHS.contains(&path) {
                "`payload_too_large`: the body is over 1 MiB."
            } else {
                "`payload_too_large`: the body is over 64 KiB."
            },
        );
        add_error(
            operation,
            415,
            "`unsupported_media_type`: the body is not sent as `application/json`.",
        );
    }
    if path != "/api/openapi.json" {
        add_error(
            operation,
            503,
            "`storage_unavailable`: the database does not answer; retry later. `timeout`: the request took too long, and a change it asked for may still be made (writes run to completion): retry it, a reserve with the same `Idempotency-Key`, to learn the outcome.",
        );
    }
}

/// Documents an error answer `status` on `operation`: a new response, or
/// `description` added to the one the handler declared.
fn add_error(operation: &mut Operation, status: u16, description: &str) {
    let responses = &mut operation.responses.responses;
    match responses.get_mut(&status.to_string()) {
        Some(RefOr::T(existing)) => {
            existing.description = format!("{} {description}", existing.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            responses.insert(status.to_string(), RefOr::T(error_response(description)));
        }
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                ErrorSchema::name(),
            )))),
        )
        .build()
}
