//! Accounts: CSRF token, login, logout, me, register, health.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use booking_core::{AccountStore, Error, Password, SessionId, Store, User, UserId, Username};
use rand::TryRngCore;
use rand::rngs::OsRng;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::client::ClientAddr;
use crate::csrf::{CsrfToken, RotateCsrf};
use crate::error::{ApiError, ErrorSchema};
use crate::extract::{ApiJson, CurrentUser, SESSION_COOKIE, random_hex, site_cookie};
use crate::state::AppState;
use crate::views::{CsrfAnswer, Done, HealthAnswer, MeAnswer, WelcomeAnswer};

/// The shortest password accepted at sign-up ([`Password::MIN_CHARS`]).
pub const MIN_PASSWORD_CHARS: usize = Password::MIN_CHARS;

type AppStateRef<S> = State<Arc<AppState<S>>>;

/// A user name and password.
#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    /// The user name: 1-150 ASCII letters, digits and `@.+-_`.
    username: String,
    /// The password (at sign-up: at least 8 characters).
    password: String,
}

/// A CSRF token, also set as the `csrftoken` cookie.
#[utoipa::path(get, path = "/api/csrf/", tag = "accounts",
    responses((status = 200, description = "The token; the `csrftoken` cookie is set too.", body = CsrfAnswer)))]
pub async fn csrf_token(Extension(token): Extension<CsrfToken>) -> Json<CsrfAnswer> {
    Json(CsrfAnswer::new(token.0))
}

/// Whether the service and its database answer; needs no session.
#[utoipa::path(get, path = "/api/health/", tag = "accounts",
    responses((status = 200, description = "The database answers.", body = HealthAnswer)))]
pub async fn health<S: Store>(
    State(state): AppStateRef<S>,
) -> Result<Json<HealthAnswer>, ApiError> {
    // Any read that reaches the database will do; user 0 never exists.
    state.store.user(UserId::new(0)).await?;
    Ok(Json(HealthAnswer::ok()))
}

/// Logs in: a new session (the `sessionid` cookie) and a new CSRF token.
#[utoipa::path(post, path = "/api/login/", tag = "accounts",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in; sets `sessionid` and a new `csrftoken`.", body = WelcomeAnswer),
        (status = 401, description = "`invalid_credentials`: the same answer for an unknown user and a wrong password.", body = ErrorSchema),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this user name or address; `Retry-After` says when to try again.", body = ErrorSchema),
    ))]
pub async fn login<S: Store>(
    State(state): AppStateRef<S>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let user = authenticate(&state, address, body).await?;
    start_session(&state, jar, user, StatusCode::OK).await
}

/// The user whose name and password `body` gives, within the login
/// throttle's limits.
async fn authenticate<S: Store>(
    state: &AppState<S>,
    address: IpAddr,
    body: LoginBody,
) -> Result<User, ApiError> {
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
    Ok(credentials.user)
}

/// Creates a user and logs them in.
#[utoipa::path(post, path = "/api/register/", tag = "accounts",
    request_body = LoginBody,
    responses(
        (status = 201, description = "Registered and logged in; sets `sessionid` and a new `csrftoken`.", body = WelcomeAnswer),
        (status = 400, description = "`invalid_input`: the name or the password breaks the rules.", body = ErrorSchema),
        (status = 404, description = "`not_found`: sign-up is switched off.", body = ErrorSchema),
        (status = 409, description = "`username_taken`.", body = ErrorSchema),
        (status = 429, description = "`too_many_attempts`: too many sign-ups from this address (`--signups-per-hour`); `Retry-After` says when to try again.", body = ErrorSchema),
    ))]
pub async fn register<S: Store>(
    State(state): AppStateRef<S>,
    ClientAddr(address): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    if !state.settings.signup {
        return Err(ApiError::not_found("Sign-up is closed"));
    }
    let account = NewAccount::new(body.username, body.password)?;
    let user = sign_up(&state, address, account).await?;
    start_session(&state, jar, user, StatusCode::CREATED).await
}

/// Creates `account` for a sign-up from `address`, within the sign-up
/// limit.
async fn sign_up<S: Store>(
    state: &AppState<S>,
    address: IpAddr,
    account: NewAccount,
) -> Result<User, ApiError> {
    if let Some(signups) = &state.signups {
        signups
            .attempt(address, Instant::now())
            .map_err(ApiError::too_many_signups)?;
    }
    // A taken name is answered before the password is hashed: argon2 is
    // slow on purpose, and sign-ups under taken names must not cost it.
    // The store's unique index still decides a race between two sign-ups.
    if state.store.username_taken(&account.username).await? {
        return Err(Error::UsernameTaken {
            username: account.username.to_string(),
        }
        .into());
    }
    account.create(&state.store).await
}

/// A new account: a user name and a password, each checked against its
/// rules ([`Username::new`], [`Password::new`]). Sign-up and
/// `booking-server user add` create accounts through it alone, so both
/// keep the same rules.
#[derive(Debug)]
pub struct NewAccount {
    username: Username,
    password: Password,
}

impl NewAccount {
    /// Checks a new account's name and password (→ `InvalidInput`).
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self, booking_core::Error> {
        Ok(Self {
            username: Username::new(username)?,
            password: Password::new(password)?,
        })
    }

    /// The account's user name.
    pub fn username(&self) -> &Username {
        &self.username
    }

    /// Hashes the password ([`hash_password`]) and creates the user.
    pub async fn create<S: AccountStore>(self, store: &S) -> Result<User, ApiError> {
        let hash = hash_password(self.password.into_inner()).await?;
        Ok(store.create_user(&self.username, &hash).await?)
    }
}

/// Logs out: deletes the session server-side (works without one too).
#[utoipa::path(post, path = "/api/logout/", tag = "accounts",
    responses((status = 200, description = "Logged out; the `sessionid` cookie is removed.", body = Done)))]
pub async fn logout<S: Store>(
    State(state): AppStateRef<S>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if let Some(id) = session_id(&jar) {
        state.store.delete_session(&id).await?;
    }
    // The same attributes as the login's cookie, so every browser drops it.
    let mut gone = site_cookie(SESSION_COOKIE, String::new(), state.settings.secure_cookies);
    gone.set_http_only(true);
    gone.make_removal();
    let mut response = (jar.add(gone), Json(Done::default())).into_response();
    response.extensions_mut().insert(RotateCsrf(None));
    Ok(response)
}

/// The session id of the request's cookie, if it has one.
fn session_id(jar: &CookieJar) -> Option<SessionId> {
    jar.get(SESSION_COOKIE)
        .and_then(|c| SessionId::new(c.value()).ok())
}

/// Who is logged in.
#[utoipa::path(get, path = "/api/me/", tag = "accounts",
    responses((status = 200, description = "The logged-in user.", body = MeAnswer)))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<MeAnswer> {
    Json(MeAnswer::new(&user))
}

/// Ends the request's old session, if any, and starts a new one with a new id
/// and a new CSRF token.
async fn start_session<S: Store>(
    state: &AppState<S>,
    jar: CookieJar,
    user: User,
    status: StatusCode,
) -> Result<Response, ApiError> {
    if let Some(old) = session_id(&jar) {
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
    let body = WelcomeAnswer::new(&user);
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
