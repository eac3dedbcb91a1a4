//! The server's shared state and settings.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use booking_core::Store;
use ipnet::IpNet;

use crate::observed::Observed;
use crate::throttle::{LoginThrottle, SignupThrottle};
use crate::watchers::Watchers;

/// How the API behaves, beyond what the store's policy says.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Origins allowed to call the API from a browser with credentials
    /// (default `http://localhost:3000`).
    pub cors_origins: Vec<HeaderValue>,
    /// Marks the session and CSRF cookies `Secure` (serve over HTTPS then).
    pub secure_cookies: bool,
    /// Whether `POST /api/register/` is open.
    pub signup: bool,
    /// How long a login lasts (default two weeks, as Django's).
    pub session_ttl: Duration,
    /// The longest a request may take before it is answered with 503.
    pub request_timeout: Duration,
    /// How often a watched event's seats are re-read for the live stream,
    /// at most (this process's own changes are sent at once).
    pub live_poll_interval: Duration,
    /// How often an open live stream checks that its session still exists
    /// (it ends at logout or expiry, at most this much later).
    pub session_check_interval: Duration,
    /// How often an open live stream sends a comment when nothing changes,
    /// so proxies and the idle timeout do not close it.
    pub live_heartbeat: Duration,
    /// Sign-ups allowed per client address an hour; 0 for no limit.
    pub signups_per_hour: u32,
    /// Peers whose forwarded client address (`X-Forwarded-For`,
    /// `Forwarded`) is believed; from any other peer those headers are
    /// ignored.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins besides the server's own (and the CORS origins) that unsafe
    /// requests may come from (`https://shop.example`).
    pub csrf_trusted_origins: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cors_origins: vec![HeaderValue::from_static("http://localhost:3000")],
            secure_cookies: false,
            signup: true,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            request_timeout: Duration::from_secs(30),
            live_poll_interval: Duration::from_secs(1),
            session_check_interval: Duration::from_secs(5),
            live_heartbeat: Duration::from_secs(15),
            signups_per_hour: 20,
            trusted_proxies: Vec::new(),
            csrf_trusted_origins: Vec::new(),
        }
    }
}

/// What every handler can reach: the store, the settings and the throttles.
pub struct AppState<S> {
    /// The store, observed: its writes count in the metrics and nudge the
    /// live streams.
    pub store: Observed<S>,
    /// The settings.
    pub settings: Settings,
    /// Login attempts, per user name and per client address.
    pub throttle: LoginThrottle,
    /// Sign-ups per client address (`None`: no limit).
    pub signups: Option<SignupThrottle>,
    /// The live seat-change watchers.
    pub(crate) watchers: Arc<Watchers>,
    /// Set once the server is shutting down: open streams end then.
    shutting_down: tokio::sync::watch::Sender<bool>,
}

impl<S: Store> AppState<S> {
    /// State over `store` with `settings`.
    pub fn new(store: S, settings: Settings) -> Arc<Self> {
        let signups = (settings.signups_per_hour > 0)
            .then(|| SignupThrottle::new(settings.signups_per_hour as usize));
        let watchers = Arc::new(Watchers::default());
        Arc::new(Self {
            store: Observed::new(store, Arc::clone(&watchers)),
            settings,
            throttle: LoginThrottle::default(),
            signups,
            watchers,
            shutting_down: tokio::sync::watch::Sender::new(false),
        })
    }
}

impl<S> AppState<S> {
    /// Starts the shutdown: every open seat-change stream ends, so a
    /// graceful shutdown does not wait on them forever.
    pub fn shut_down(&self) {
        self.shutting_down.send_replace(true);
    }

    /// Resolves once [`AppState::shut_down`] was called.
    pub async fn shutting_down(&self) {
        let mut flag = self.shutting_down.subscribe();
        let _ = flag.wait_for(|down| *down).await;
    }
}
