//! Extractors whose rejections are [`ApiError`]s, and the session and CSRF
//! cookies.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use booking_core::{SessionId, Store, User};
use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie (`HttpOnly`).
pub const SESSION_COOKIE: &str = "sessionid";
/// The CSRF cookie (readable by JavaScript, which echoes it in [`CSRF_HEADER`]).
pub const CSRF_COOKIE: &str = "csrftoken";
/// The header unsafe requests carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrftoken";

/// A JSON body; malformed input is a JSON [`ApiError`] (400, 413 or 415).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(e) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text())
            }
            JsonRejection::JsonDataError(e) => Self::invalid_input(e.body_text()),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The body is over 64 KiB",
            ),
            other => Self::invalid_input(other.body_text()),
        }
    }
}

/// Path parameters; an id that is not a number is an unknown resource (404),
/// as Django's `<int:id>` routes answer.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::not_found(format!("No such resource: {}", rejection.body_text()))
    }
}

/// Query parameters; malformed ones are 400 `invalid_input`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::invalid_input(rejection.body_text())
    }
}

/// The logged-in user; no or an ended session → 401 `not_authenticated`.
pub struct CurrentUser(pub User);

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for CurrentUser {
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
            Some(session) => Ok(Self(session.user)),
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
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A cookie for the whole site, `SameSite=Lax`, `Secure` when configured.
pub fn site_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(name, value);
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(secure);
    cookie
}
