//! Accounts: CSRF token, login, logout, me, register, health.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use booking_core::{SessionId, Store, User, UserId, Username};
use rand::TryRngCore;
use rand::rngs::OsRng;
use serde::Deserialize;
use serde_json::json;

use crate::client::ClientAddr;
use crate::csrf::{CsrfToken, RotateCsrf};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, SESSION_COOKIE, random_hex, site_cookie};
use crate::state::AppState;

/// The shortest password accepted at sign-up.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted (hashing cost is bounded by input size).
pub const MAX_PASSWORD_BYTES: usize = 1024;

type AppStateRef<S> = State<Arc<AppState<S>>>;

/// A user name and password.
#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// `GET /api/csrf/`
pub async fn csrf_token(Extension(token): Extension<CsrfToken>) -> Json<serde_json::Value> {
    Json(json!({ "csrf_token": token.0 }))
}

/// `GET /api/health/`: 200 when the store answers, 503 otherwise.
pub async fn health<S: Store>(
    State(state): AppStateRef<S>,
) -> Result<Json<serde_json::Value>, ApiError> {
    // Any read that reaches the database will do; user 0 never exists.
    state.store.user(UserId::new(0)).await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// `POST /api/login/`
pub async fn login<S: Store>(
    State(state): AppStateRef<S>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    // No account has a name that breaks the rules: such a name is a plain
    // 401, kept by no throttle and sent to no database.
    let Ok(username) = Username::new(body.username) else {
        return Err(ApiError::invalid_credentials());
    };
    // The attempt counts from here on, before the slow hash, so parallel
    // guesses get no more tries than a sequence.
    let attempt = state
        .throttle
        .attempt(&username, address, Instant::now())
        .map_err(ApiError::too_many_attempts)?;
    let credentials = state.store.credentials(username.as_str()).await?;
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let password_ok = verify_password(body.password, hash).await?;
    let Some(credentials) = credentials.filter(|_| password_ok) else {
        return Err(ApiError::invalid_credentials());
    };
    attempt.succeeded();
    start_session(&state, jar, credentials.user, StatusCode::OK).await
}

/// `POST /api/register/`: creates a user and logs them in.
pub async fn register<S: Store>(
    State(state): AppStateRef<S>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    if !state.settings.signup {
        return Err(ApiError::not_found("Sign-up is closed"));
    }
    let username = Username::new(body.username)?;
    if body.password.chars().count() < MIN_PASSWORD_CHARS
        || body.password.len() > MAX_PASSWORD_BYTES
    {
        return Err(ApiError::invalid_input(format!(
            "A password has at least {MIN_PASSWORD_CHARS} characters (and at most {MAX_PASSWORD_BYTES} bytes)"
        )));
    }
    if let Some(signups) = &state.signups {
        signups
            .attempt(address, Instant::now())
            .map_err(ApiError::too_many_signups)?;
    }
    // A taken name is answered without the slow hash. (Two sign-ups racing
    // for one name both get here; the store refuses the second.)
    if state.store.credentials(username.as_str()).await?.is_some() {
        return Err(booking_core::Error::UsernameTaken {
            username: username.as_str().to_owned(),
        }
        .into());
    }
    let hash = hash_password(body.password).await?;
    let user = state.store.create_user(&username, &hash).await?;
    start_session(&state, jar, user, StatusCode::CREATED).await
}

/// `POST /api/logout/`: deletes the session server-side (works without one too).
pub async fn logout<S: Store>(
    State(state): AppStateRef<S>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if let Some(id) = jar
        .get(SESSION_COOKIE)
        .and_then(|c| SessionId::new(c.value()).ok())
    {
        state.store.delete_session(&id).await?;
    }
    // The same attributes as the login's cookie, so every browser drops it.
    let mut gone = site_cookie(SESSION_COOKIE, String::new(), state.settings.secure_cookies);
    gone.set_http_only(true);
    gone.make_removal();
    let mut response = (jar.add(gone), Json(json!({ "success": true }))).into_response();
    response.extensions_mut().insert(RotateCsrf(None));
    Ok(response)
}

/// `GET /api/me/`
pub async fn me(CurrentUser(user): CurrentUser) -> Json<serde_json::Value> {
    Json(json!({ "user_id": user.id.get(), "username": user.username.as_str() }))
}

/// Ends the request's old session, if any, and starts a new one with a new id
/// and a new CSRF token.
async fn start_session<S: Store>(
    state: &AppState<S>,
    jar: CookieJar,
    user: User,
    status: StatusCode,
) -> Result<Response, ApiError> {
    if let Some(old) = jar
        .get(SESSION_COOKIE)
        .and_then(|c| SessionId::new(c.value()).ok())
    {
        state.store.delete_session(&old).await?;
    }
    let id = SessionId::new(random_hex(16)?)?;
    state
        .store
        .create_session(&id, user.id, state.settings.session_ttl)
        .await?;
    let mut cookie = site_cookie(
        SESSION_COOKIE,
        id.as_str().to_owned(),
        state.settings.secure_cookies,
    );
    cookie.set_http_only(true);
    let body =
        json!({ "success": true, "user_id": user.id.get(), "username": user.username.as_str() });
    let mut response = (status, jar.add(cookie), Json(body)).into_response();
    response.extensions_mut().insert(RotateCsrf(Some(id)));
    Ok(response)
}

/// argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Admits as many argon2 computations at once as there are cores. Each
/// takes 19 MiB for tens of milliseconds: unbounded, a burst of a thousand
/// logins would ask for 19 GiB; bounded, the rest wait their turn (the
/// cores could not go faster anyway). The permit is owned so it can move
/// into the blocking work: a caller that gives up does not free its place
/// while its hash still runs.
async fn password_work_permit() -> tokio::sync::OwnedSemaphorePermit {
    static PERMITS: OnceLock<Arc<tokio::sync::Semaphore>> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Arc::new(tokio::sync::Semaphore::new(cores))
    });
    Arc::clone(permits)
        .acquire_owned()
        .await
        .expect("the password semaphore is never closed")
}

/// Hashes a password on a blocking thread (it takes tens of milliseconds).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    let permit = password_work_permit().await;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hash_now(password.as_bytes())
    })
    .await
    .map_err(|e| internal("password hashing task failed", &e))?
    .map_err(|e| internal("password hashing failed", &e))
}

/// Checks `password` against `hash` on a blocking thread. With no hash (an
/// unknown user) it checks against a dummy, so both cases take as long.
async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let permit = password_work_permit().await;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let dummy =
            DUMMY.get_or_init(|| hash_now(b"no user has this password").unwrap_or_default());
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy.clone());
        let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
    .map_err(|e| internal("password check task failed", &e))
}

/// Hashes `password` with a 16-byte salt from the OS random generator, as a
/// PHC string. Blocks for tens of milliseconds.
fn hash_now(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let mut bytes = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&bytes)?;
    Ok(argon2().hash_password(password, &salt)?.to_string())
}

fn internal(what: &str, err: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "{what}");
    ApiError::unavailable()
}
