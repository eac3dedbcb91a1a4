//! One simulated user: its own cookie jar and CSRF token, as a browser has,
//! and a recorder of every request it makes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

/// 409 codes that are the expected outcome of contention, not failures.
const EXPECTED_CONFLICTS: [&str; 8] = [
    "seat_locked",
    "seat_reserved",
    "hold_limit",
    "max_hold_reached",
    "not_lock_holder",
    "lock_expired",
    "already_cancelled",
    "no_adjacent_seats",
];

/// What happened to each endpoint's requests.
#[derive(Clone)]
pub struct EndpointStats {
    /// Latency in microseconds.
    pub latency: Histogram<u64>,
    /// 2xx answers.
    pub ok: u64,
    /// 409s with a contention code.
    pub expected_conflicts: u64,
    /// Everything else: other statuses and transport errors.
    pub other: u64,
}

impl EndpointStats {
    fn new() -> Self {
        Self {
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            ok: 0,
            expected_conflicts: 0,
            other: 0,
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Self) {
        self.latency.add(&other.latency).expect("same bounds");
        self.ok += other.ok;
        self.expected_conflicts += other.expected_conflicts;
        self.other += other.other;
    }
}

/// Per-endpoint stats, keyed by the endpoint's route (`POST /api/events/{id}/reserve/`).
pub type Stats = HashMap<&'static str, EndpointStats>;

/// Shared by every user: the request budget and the count so far.
pub struct Budget {
    /// Requests sent so far, by everyone.
    pub sent: AtomicU64,
    /// The most requests to send.
    pub max: u64,
    /// When to stop.
    pub deadline: Instant,
}

impl Budget {
    /// Whether the run is over.
    pub fn spent(&self) -> bool {
        self.sent.load(Ordering::Relaxed) >= self.max || Instant::now() >= self.deadline
    }
}

/// An answer: status and body.
pub struct Answer {
    pub status: StatusCode,
    bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`Value::Null` when it is not). Parsed on demand:
    /// parsing every seat map would cost the load generator more CPU than
    /// the server spends answering, on the machine they share.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// A simulated user.
pub struct User {
    pub name: String,
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: Url,
    pub stats: Stats,
    budget: Arc<Budget>,
}

impl User {
    /// A user with an empty cookie jar.
    pub fn new(name: String, base: &Url, budget: Arc<Budget>) -> anyhow::Result<Self> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            name,
            http,
            jar,
            base: base.clone(),
            stats: Stats::new(),
            budget,
        })
    }

    fn csrf_token(&self) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == "csrftoken").then(|| value.to_owned())
        })
    }

    /// Counts this user's further requests against `budget`.
    pub fn rebudget(&mut self, budget: Arc<Budget>) {
        self.budget = budget;
    }

    /// Gets a CSRF token, then registers (or, if the name is taken, logs in).
    pub async fn sign_in(&mut self, password: &str) -> anyhow::Result<()> {
        self.call(Method::GET, "GET /api/csrf/", "/api/csrf/", None, None)
            .await?;
        let credentials = json!({ "username": self.name, "password": password });
        let registered = self
            .call(
                Method::POST,
                "POST /api/register/",
                "/api/register/",
                Some(credentials.clone()),
                None,
            )
            .await?;
        if registered.status == StatusCode::CREATED {
            return Ok(());
        }
        let login = self
            .call(
                Method::POST,
                "POST /api/login/",
                "/api/login/",
                Some(credentials),
                None,
            )
            .await?;
        if login.status != StatusCode::OK {
            bail!(
                "cannot register or log in {}: {} {}",
                self.name,
                registered.json(),
                login.json()
            );
        }
        Ok(())
    }

    /// Sends one request and records it under `endpoint`.
    pub async fn call(
        &mut self,
        method: Method,
        endpoint: &'static str,
        path: &str,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        self.budget.sent.fetch_add(1, Ordering::Relaxed);
        let url = self.base.join(path).context("bad path")?;
        let mut request = self.http.request(method.clone(), url);
        if method != Method::GET
            && let Some(token) = self.csrf_token()
        {
            request = request.header("X-CSRFToken", token);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let start = Instant::now();
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let record = self
            .stats
            .entry(endpoint)
            .or_insert_with(EndpointStats::new);
        record.latency.saturating_record(micros.max(1));
        let (status, bytes) = match result {
            Ok(answer) => answer,
            Err(e) => {
                record.other += 1;
                return Err(e).with_context(|| format!("{endpoint} failed"));
            }
        };
        let answer = Answer {
            status,
            bytes: bytes.into(),
        };
        if status.is_success() {
            record.ok += 1;
        } else if status == StatusCode::CONFLICT
            && EXPECTED_CONFLICTS.contains(&answer.json()["code"].as_str().unwrap_or(""))
        {
            record.expected_conflicts += 1;
        } else {
            record.other += 1;
        }
        Ok(answer)
    }
}
