//! CSRF, the Django way: a `csrftoken` cookie readable by JavaScript, which
//! the client echoes in `X-CSRFToken` on every unsafe request, and, as
//! Django does, a check of where the request comes from.
//!
//! - A token is 64 lowercase hex characters; a cookie or header of any
//!   other shape is no token.
//! - Without a session the token is random, and the header must equal the
//!   cookie (double submit).
//! - With a session the token is derived from the session id (a SHA-256 of
//!   it, which tells nothing about the id), and the header must equal that,
//!   whatever the cookie says. So login rotates the token, the pre-login
//!   token is dead afterwards, and a token planted in the cookie by someone
//!   else (a sibling subdomain, a plain-HTTP answer) does not fit anyone's
//!   session. Every server process derives the same token for a session.
//! - An unsafe request's `Origin`, when sent, must be the server's own
//!   origin (its `Host`, over HTTPS with `--secure-cookies`, over either
//!   scheme without), a CORS origin or a `--csrf-trusted-origin`. With
//!   `--secure-cookies` (HTTPS) a request without `Origin` must carry a
//!   `Referer` from one of those: a login forged from another site over
//!   HTTPS fails even with a planted cookie.
//!
//! [`csrf`] runs on every routed request, after method routing (so a wrong
//! method is 405 first) and before any handler (so a CSRF failure is 403
//! before the session is looked at). An answer whose request did not carry
//! the right cookie sets it; a handler that starts or ends a session puts
//! [`RotateCsrf`] in its answer's extensions.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use booking_core::{SessionId, Store};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::extract::{CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, hex, random_hex, site_cookie};
use crate::state::{AppState, Settings};

/// Bytes of randomness in a token (64 hex characters, as Django's).
const TOKEN_BYTES: usize = 32;

/// The request's CSRF token (the cookie's, or the one its response will set).
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Put in an answer's extensions by a handler that started a session
/// (`Some(id)`) or ended one (`None`): the answer sets the token that
/// belongs to the new state.
#[derive(Clone, Debug)]
pub struct RotateCsrf(pub Option<SessionId>);

/// The CSRF middleware.
pub async fn csrf<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let settings = &state.settings;
    let jar = CookieJar::from_headers(request.headers());
    let cookie = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|token| well_formed(token));
    let session = jar
        .get(SESSION_COOKIE)
        .and_then(|c| SessionId::new(c.value()).ok());
    // The token this request should carry, if it can have one yet.
    let expected = match &session {
        Some(id) => Some(token_for(id)),
        None => cookie.clone(),
    };

    if is_unsafe(request.method()) {
        let header = request
            .headers()
            .get(CSRF_HEADER)
            .map(HeaderValue::as_bytes);
        let token_ok = match (&expected, header) {
            (Some(expected), Some(header)) => bool::from(expected.as_bytes().ct_eq(header)),
            _ => false,
        };
        let failure = if token_ok {
            origin_failure(request.headers(), settings)
        } else {
            Some(ApiError::csrf_failed())
        };
        if let Some(err) = failure {
            let response = err.into_response();
            return match (&expected, &cookie) {
                (Some(expected), Some(cookie)) if expected == cookie => response,
                (Some(expected), _) => with_token(response, expected.clone(), settings),
                (None, _) => with_new_token(response, settings),
            };
        }
    }

    let token = match expected {
        Some(token) => token,
        None => match random_hex(TOKEN_BYTES) {
            Ok(token) => token,
            Err(err) => return err.into_response(),
        },
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let response = next.run(request).await;
    match response.extensions().get::<RotateCsrf>().cloned() {
        Some(RotateCsrf(Some(session))) => with_token(response, token_for(&session), settings),
        Some(RotateCsrf(None)) => with_new_token(response, settings),
        None if cookie.as_deref() != Some(token.as_str()) => with_token(response, token, settings),
        None => response,
    }
}

/// The token of a session: SHA-256 of the id, with a label so it is like
/// no other hash of it.
fn token_for(session: &SessionId) -> String {
    let mut hash = Sha256::new();
    hash.update(b"booking csrf token\0");
    hash.update(session.as_str().as_bytes());
    hex(&hash.finalize())
}

/// 64 lowercase hex characters.
fn well_formed(token: &str) -> bool {
    token.len() == 2 * TOKEN_BYTES
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Why an unsafe request's origin is not trusted, if it is not.
fn origin_failure(headers: &HeaderMap, settings: &Settings) -> Option<ApiError> {
    // Most requests of scripts: nothing to check, and nothing to build.
    if !settings.secure_cookies && !headers.contains_key(header::ORIGIN) {
        return None;
    }
    // Our own origin: the Host we were asked for, over HTTPS when we serve
    // secure cookies. Without them, a TLS proxy may be in front that we do
    // not know of, so either scheme will do (the host must still match).
    let schemes: &[&str] = if settings.secure_cookies {
        &["https"]
    } else {
        &["http", "https"]
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let own: Vec<String> = host
        .into_iter()
        .flat_map(|host| {
            schemes
                .iter()
                .map(move |scheme| normalize(&format!("{scheme}://{host}")))
        })
        .collect();
    let trusted = |origin: &str| {
        let origin = normalize(origin);
        own.contains(&origin)
            || settings
                .cors_origins
                .iter()
                .filter_map(|o| o.to_str().ok())
                .chain(settings.csrf_trusted_origins.iter().map(String::as_str))
                .any(|allowed| normalize(allowed) == origin)
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        return (!trusted(origin)).then(|| {
            ApiError::csrf_rejected(format!(
                "CSRF check failed: the origin {origin:?} is not trusted"
            ))
        });
    }
    if !settings.secure_cookies {
        return None;
    }
    let referer = headers.get(header::REFERER).and_then(|r| r.to_str().ok());
    let Some(referer) = referer else {
        return Some(ApiError::csrf_rejected(
            "CSRF check failed: over HTTPS an unsafe request needs an Origin or Referer header",
        ));
    };
    let origin = origin_of(referer);
    (!trusted(&origin)).then(|| {
        ApiError::csrf_rejected(format!(
            "CSRF check failed: the referring page {origin:?} is not trusted"
        ))
    })
}

/// `https://host:port` of a URL (the part before its path).
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{authority}")
}

/// An origin in lowercase, without the scheme's default port.
fn normalize(origin: &str) -> String {
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    origin
        .strip_suffix(":443")
        .filter(|o| o.starts_with("https://"))
        .or_else(|| {
            origin
                .strip_suffix(":80")
                .filter(|o| o.starts_with("http://"))
        })
        .map_or_else(|| origin.clone(), str::to_owned)
}

fn with_new_token(response: Response, settings: &Settings) -> Response {
    match random_hex(TOKEN_BYTES) {
        Ok(token) => with_token(response, token, settings),
        Err(err) => err.into_response(),
    }
}

fn with_token(mut response: Response, token: String, settings: &Settings) -> Response {
    let cookie = site_cookie(CSRF_COOKIE, token, settings.secure_cookies);
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_one_shape() {
        assert!(well_formed(&"0a".repeat(32)));
        for bad in ["a", "not-the-token", &"0A".repeat(32), &"0a".repeat(33), ""] {
            assert!(!well_formed(bad), "{bad}");
        }
        let id = SessionId::new("0123456789abcdef0123456789abcdef").unwrap();
        assert!(well_formed(&token_for(&id)));
        assert_ne!(token_for(&id), id.as_str());
    }

    #[test]
    fn origins_compare_without_default_ports() {
        assert_eq!(
            normalize("https://Shop.example:443/"),
            "https://shop.example"
        );
        assert_eq!(normalize("http://shop.example:80"), "http://shop.example");
        assert_eq!(
            normalize("http://shop.example:443"),
            "http://shop.example:443"
        );
        assert_eq!(
            origin_of("https://shop.example/seats?x=1"),
            "https://shop.example"
        );
        assert_eq!(origin_of("garbage"), "");
    }
}
