//! [`ApiError`]: every rejection the API sends, as the JSON body of docs/API.md:
//! `{"success": false, "error": "...", "code": "..."}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use booking_core::{Error, SeatConflict};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// Every `code` an error answer can carry: core's rule errors and the
/// adapter's own. The OpenAPI document admits only these, so a new code
/// that is not listed here fails the HTTP tests.
pub const ERROR_CODES: &[&str] = &[
    // Input, sessions and the protocol.
    "invalid_input",
    "invalid_json",
    "unknown_category",
    "unknown_section",
    "unsupported_media_type",
    "payload_too_large",
    "not_authenticated",
    "invalid_credentials",
    "csrf_failed",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "too_many_attempts",
    // Business rules (409).
    "seat_locked",
    "seat_reserved",
    "not_lock_holder",
    "lock_expired",
    "hold_limit",
    "max_hold_reached",
    "seat_blocked",
    "no_adjacent_seats",
    "orphan_seat",
    "already_cancelled",
    "username_taken",
    "idempotency_key_reused",
    // The service.
    "storage_unavailable",
    "timeout",
];

/// An API error: a status, a stable code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    conflicts: Vec<SeatConflict>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    /// An error with `status`, `code` and `message`, which the answer's
    /// `error` gives as a sentence (see `sentence`).
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: sentence(message.into()),
            conflicts: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// 400 `invalid_input`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 401 `not_authenticated`.
    pub fn not_authenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "Authentication credentials were not provided",
        )
    }

    /// 401 `invalid_credentials`: the same answer for an unknown user and a wrong password.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Invalid username or password",
        )
    }

    /// 403 `csrf_failed`.
    pub fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header",
        )
    }

    /// 403 `csrf_failed`, saying why.
    pub fn csrf_rejected(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "csrf_failed", message)
    }

    /// 403 `forbidden`: the user is logged in but is a customer, and only
    /// staff may do this.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Only staff may do this")
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed on this path",
        )
    }

    /// 429 `too_many_attempts` for a login, with `Retry-After`.
    pub fn too_many_attempts(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Too many failed login attempts; try again later",
        )
        .retry_after(retry_after_secs)
    }

    /// 429 `too_many_attempts` for a sign-up, with `Retry-After`.
    pub fn too_many_signups(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Too many sign-ups from this address; try again later",
        )
        .retry_after(retry_after_secs)
    }

    fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// 503 `storage_unavailable`; the detail goes to the log, not the client.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "The service is temporarily unavailable",
        )
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let status = match &err {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::InvalidInput { .. }
            | Error::UnknownCategory { .. }
            | Error::UnknownSection { .. } => StatusCode::BAD_REQUEST,
            Error::Storage { backend, source } => {
                tracing::error!(backend, error = %source, "storage failure");
                return Self::unavailable();
            }
            // Seat conflicts, hold limit, max hold reached, already
            // cancelled, username taken, idempotency key reused, and
            // anything added later: rule conflicts.
            _ => StatusCode::CONFLICT,
        };
        if let Some(conflicts) = err.conflicts() {
            let mut api = Self::new(status, err.code(), err.to_string());
            api.conflicts = conflicts.as_slice().to_vec();
            return api;
        }
        Self::new(status, err.code(), err.to_string())
    }
}

/// `message` as a sentence for people: its first letter capitalised, and a
/// full stop at its end unless it ends with one, `!` or `?`. Core's errors
/// follow Rust's convention (`seat A1 is held by someone else`), so that
/// they read well inside other messages; the answer's `error` is read on
/// its own (`Seat A1 is held by someone else.`).
fn sentence(mut message: String) -> String {
    if let Some(first) = message.chars().next().filter(char::is_ascii_lowercase) {
        message.replace_range(..1, &first.to_ascii_uppercase().to_string());
    }
    if !message.ends_with(['.', '!', '?']) {
        message.push('.');
    }
    message
}

/// The message, for people (as the answer's `error`).
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

/// The schema of an error answer (see [`Body`]).
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)] // Only its schema is used.
pub struct ErrorSchema {
    /// Always `false`.
    #[schema(schema_with = failure)]
    success: bool,
    /// What went wrong, for people.
    error: String,
    /// What went wrong, for programs: one of a fixed list.
    #[schema(schema_with = code)]
    code: String,
    /// The seats in conflict, for a refused reserve (absent otherwise).
    #[schema(nullable = false)]
    conflicts: Option<Vec<ConflictSchema>>,
}

/// The schema of one seat in conflict.
#[derive(ToSchema)]
#[schema(as = SeatConflict)]
#[allow(dead_code)] // Only its schema is used.
pub struct ConflictSchema {
    /// The seat's id.
    seat_id: i64,
    /// The seat's label: `"A1"`.
    seat_number: String,
    /// Why it is in conflict: `seat_locked`, `seat_reserved`,
    /// `not_lock_holder`, `lock_expired` or `seat_blocked`.
    #[schema(schema_with = code)]
    code: String,
}

fn failure() -> RefOr<Schema> {
    crate::views::constant(false)
}

fn code() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(ERROR_CODES.iter().copied()))
        .into()
}

#[derive(Serialize)]
struct Body<'a> {
    success: bool,
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conflicts: Vec<ConflictBody<'a>>,
}

#[derive(Serialize)]
struct ConflictBody<'a> {
    seat_id: i64,
    seat_number: &'a str,
    code: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            success: false,
            error: &self.message,
            code: self.code,
            conflicts: self
                .conflicts
                .iter()
                .map(|c| ConflictBody {
                    seat_id: c.seat_id.get(),
                    seat_number: &c.seat_number,
                    code: c.kind.code(),
                })
                .collect(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_a_sentence() {
        let said = |err: Error| ApiError::from(err).message;
        assert_eq!(
            said(Error::HoldLimit { limit: 4 }),
            "You may hold at most 4 seats of this event at once."
        );
        assert_eq!(
            said(Error::not_found(booking_core::Entity::Event, 7)),
            "Event 7 not found."
        );
        assert_eq!(
            ApiError::invalid_input("Is this a question?").message,
            "Is this a question?"
        );
        assert_eq!(ApiError::invalid_input("").message, ".");
        // Only a first ASCII letter is capitalised; the rest is as written.
        assert_eq!(
            ApiError::invalid_input("\"Q\" is not a row (A to ZZZ)").message,
            "\"Q\" is not a row (A to ZZZ)."
        );
    }
}
