//! CSRF, the Django way: a `csrftoken` cookie readable by JavaScript, which
//! the client echoes in `X-CSRFToken` on every unsafe request.
//!
//! [`csrf`] runs on every routed request, after method routing (so a wrong
//! method is 405 first) and before any handler (so a CSRF failure is 403
//! before the session is looked at). A request without the cookie gets one
//! with its response; a handler that wants a fresh token (login) adds
//! [`RotateCsrf`] to its response.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use booking_core::Store;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::extract::{CSRF_COOKIE, CSRF_HEADER, random_hex, site_cookie};
use crate::state::AppState;

/// Bytes of randomness in a token (64 hex characters, as Django's).
const TOKEN_BYTES: usize = 32;

/// The request's CSRF token (the cookie's, or the one its response will set).
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Put in a response's extensions: set a new CSRF token with it.
#[derive(Clone, Copy, Debug)]
pub struct RotateCsrf;

/// The CSRF middleware.
pub async fn csrf<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let secure = state.settings.secure_cookies;
    let cookie = CookieJar::from_headers(request.headers())
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|token| !token.is_empty());

    if is_unsafe(request.method()) {
        let header = request
            .headers()
            .get(CSRF_HEADER)
            .map(HeaderValue::as_bytes);
        let valid = match (&cookie, header) {
            (Some(cookie), Some(header)) => bool::from(cookie.as_bytes().ct_eq(header)),
            _ => false,
        };
        if !valid {
            let response = ApiError::csrf_failed().into_response();
            return if cookie.is_none() {
                with_new_token(response, secure)
            } else {
                response
            };
        }
    }

    let (token, fresh) = match cookie {
        Some(token) => (token, false),
        None => match random_hex(TOKEN_BYTES) {
            Ok(token) => (token, true),
            Err(err) => return err.into_response(),
        },
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let response = next.run(request).await;
    if response.extensions().get::<RotateCsrf>().is_some() {
        with_new_token(response, secure)
    } else if fresh {
        with_token(response, token, secure)
    } else {
        response
    }
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn with_new_token(response: Response, secure: bool) -> Response {
    match random_hex(TOKEN_BYTES) {
        Ok(token) => with_token(response, token, secure),
        Err(err) => err.into_response(),
    }
}

fn with_token(mut response: Response, token: String, secure: bool) -> Response {
    let cookie = site_cookie(CSRF_COOKIE, token, secure);
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
