//! Extractors whose rejections are [`ApiError`]s, and the session and CSRF
//! cookies.

use std::ops::RangeInclusive;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use booking_core::{AccountStore, IdempotencyKey, Row, SessionId, Store, User};
use rand::TryRngCore;
use rand::rngs::OsRng;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie (`HttpOnly`).
pub const SESSION_COOKIE: &str = "sessionid";
/// The CSRF cookie (readable by JavaScript, which echoes it in [`CSRF_HEADER`]).
pub const CSRF_COOKIE: &str = "csrftoken";
/// The header unsafe requests carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrftoken";
/// The header that makes a reserve idempotent.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// A JSON body; malformed input is a JSON [`ApiError`] (400, 413 or 415)
/// whose text names the field at fault, in words rather than parser terms.
///
/// The whole body must be UTF-8, as JSON requires: serde skips the fields it
/// ignores without looking inside their strings, so the check is made here,
/// on every byte, before the body is parsed.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json",
            ));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "The body is too large: 64 KiB at most (1 MiB for a new event \
                         or its preview, which may carry a venue file)",
                    )
                } else {
                    ApiError::invalid_input("The body could not be read")
                }
            })?;
        if std::str::from_utf8(&body).is_err() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "The body is not valid UTF-8",
            ));
        }
        let mut json = serde_json::Deserializer::from_slice(&body);
        let value = serde_path_to_error::deserialize(&mut json).map_err(|e| json_error(&e))?;
        json.end().map_err(|_| not_json())?;
        Ok(Self(value))
    }
}

/// `application/json`, or any `application/...+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_json",
        "The body is not valid JSON",
    )
}

/// The error for a body that is not JSON, or not the JSON asked for.
fn json_error(err: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    if err.inner().classify() != serde_json::error::Category::Data {
        return not_json();
    }
    let field = err.path().to_string();
    let message = err.inner().to_string();
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return ApiError::invalid_input(if field == "." {
            format!("The field {missing} is missing")
        } else {
            format!("The field {field}.{missing} is missing")
        });
    }
    // A root that is no object (`[1]` reads as a struct's fields in order).
    if field == "." || field.starts_with('[') {
        return ApiError::invalid_input(
            "The body must be a JSON object with the fields this endpoint takes",
        );
    }
    ApiError::invalid_input(format!("The field {field} has the wrong type or value"))
}

/// Path parameters; an id that is not a number is an unknown resource
/// (404), as Django's `<int:id>` routes answer, and the text says which.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The path of an event's routes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventPath {
    /// The event's id.
    pub event_id: i64,
}

/// The path of a seat's routes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SeatPath {
    /// The event's id.
    pub event_id: i64,
    /// The seat's id.
    pub seat_id: i64,
}

/// The path of a reservation's routes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReservationPath {
    /// The reservation's id.
    pub id: i64,
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        let PathRejection::FailedToDeserializePathParams(err) = rejection else {
            return Self::not_found("No such resource");
        };
        let (key, value) = match err.kind() {
            ErrorKind::ParseErrorAtKey { key, value, .. } => (key.as_str(), value.as_str()),
            _ => return Self::not_found("No such resource: its ids must be numbers"),
        };
        let what = match key {
            "event_id" => "event id",
            "seat_id" => "seat id",
            "id" => "reservation id",
            other => other,
        };
        let digits = value.strip_prefix('-').unwrap_or(value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            Self::not_found(format!("No such resource: the {what} is out of range"))
        } else {
            Self::not_found(format!("No such resource: the {what} must be a number"))
        }
    }
}

/// Query parameters; malformed ones are 400 `invalid_input`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        Self::invalid_input("The query string is malformed")
    }
}

/// The request's `Idempotency-Key`, if it has one; a malformed one is 400
/// `invalid_input`.
pub struct Idempotency(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for Idempotency {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_HEADER) else {
            return Ok(Self(None));
        };
        let text = value
            .to_str()
            .map_err(|_| ApiError::invalid_input("Idempotency-Key must be visible ASCII"))?;
        Ok(Self(Some(IdempotencyKey::new(text)?)))
    }
}

/// The query of a seat-map read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeatsQuery {
    /// Only these rows: a range `A-J`, or one row `C` (for large events).
    rows: Option<String>,
    /// Only this section, by its exact name (`Balcony`, `Block 112`).
    section: Option<String>,
}

/// Which seats of an event a seat-map read asks for ([`SeatsQuery`]); a
/// malformed `rows` is 400 `invalid_input`.
pub enum SeatFilter {
    /// Every seat.
    All,
    /// The seats of these rows.
    Rows(RangeInclusive<Row>),
    /// The seats of one section, of these rows only if given.
    Section {
        /// The section's name.
        name: String,
        /// Only these rows of it.
        rows: Option<RangeInclusive<Row>>,
    },
}

impl<S: Send + Sync> FromRequestParts<S> for SeatFilter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiQuery(query) = ApiQuery::<SeatsQuery>::from_request_parts(parts, state).await?;
        let rows = query.rows.as_deref().map(row_range).transpose()?;
        Ok(match (query.section, rows) {
            (None, None) => Self::All,
            (None, Some(rows)) => Self::Rows(rows),
            (Some(name), rows) => Self::Section { name, rows },
        })
    }
}

/// The rows of `?rows=`: `A-J`, or one row `C`; anything else is 400
/// `invalid_input`.
pub fn row_range(rows: &str) -> Result<RangeInclusive<Row>, ApiError> {
    let (first, last) = rows.split_once('-').unwrap_or((rows, rows));
    Ok(first.trim().parse::<Row>()?..=last.trim().parse::<Row>()?)
}

/// The logged-in user; no or an ended session → 401 `not_authenticated`.
pub struct CurrentUser(pub User);

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, ApiError> {
        let session = CurrentSession::from_request_parts(parts, state).await?;
        Ok(Self(session.user))
    }
}

/// The logged-in user, who must be staff (the box office's endpoints): no
/// or an ended session → 401 `not_authenticated`; a customer → 403
/// `forbidden`.
pub struct StaffUser(pub User);

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, ApiError> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.staff {
            Ok(Self(user))
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The logged-in user and their session's id (for work that outlives the
/// request and must stop when the session does).
pub struct CurrentSession {
    /// The user.
    pub user: User,
    /// The session's id.
    pub id: SessionId,
}

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(id) = jar
            .get(SESSION_COOKIE)
            .and_then(|c| SessionId::new(c.value()).ok())
        else {
            return Err(ApiError::not_authenticated());
        };
        match state.store.session(&id).await? {
            Some(session) => Ok(Self {
                user: session.user,
                id,
            }),
            None => Err(ApiError::not_authenticated()),
        }
    }
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; bytes];
    OsRng.try_fill_bytes(&mut buf).map_err(|e| {
        tracing::error!(error = %e, "the OS random generator failed");
        ApiError::unavailable()
    })?;
    Ok(hex(&buf))
}

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

/// A cookie for the whole site, `SameSite=Lax`, `Secure` when configured.
pub fn site_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(name, value);
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(secure);
    cookie
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::get;
    use booking_core::{AccountStore, MemoryStore, Username};
    use tower::ServiceExt;

    use super::*;
    use crate::state::Settings;

    /// `StaffUser` answers 401 without a session, 403 `forbidden` to a
    /// customer, and lets staff through.
    #[tokio::test]
    async fn staff_user_lets_only_staff_through() {
        let state = AppState::new(MemoryStore::default(), Settings::default());
        let hour = Duration::from_secs(3600);
        let mut cookies = Vec::new();
        for (name, staff) in [("ann", false), ("boss", true)] {
            let user = state
                .store
                .create_user(&Username::new(name).unwrap(), "hash")
                .await
                .unwrap();
            state.store.set_staff(None, user.id, staff).await.unwrap();
            let id = SessionId::new(format!("{name}-0123456789abcdef")).unwrap();
            state
                .store
                .create_session(&id, user.id, hour)
                .await
                .unwrap();
            cookies.push(Some(format!("{SESSION_COOKIE}={}", id.as_str())));
        }
        let router = Router::new()
            .route(
                "/staff",
                get(async |StaffUser(user): StaffUser| user.username.to_string()),
            )
            .with_state(state);
        let [ann, boss] = [cookies[0].clone(), cookies[1].clone()];
        for (cookie, status, code) in [
            (None, StatusCode::UNAUTHORIZED, "not_authenticated"),
            (ann, StatusCode::FORBIDDEN, "forbidden"),
            (boss, StatusCode::OK, ""),
        ] {
            let mut request = Request::get("/staff");
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            let response = router
                .clone()
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), status);
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            if code.is_empty() {
                assert_eq!(&body[..], b"boss");
            } else {
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(
                    (json["code"].as_str(), json["success"].as_bool()),
                    (Some(code), Some(false))
                );
            }
        }
    }
}
