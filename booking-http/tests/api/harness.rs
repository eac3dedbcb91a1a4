//! A real `booking-server` router on a loopback port, and a browser-like
//! client: a cookie jar, and the `X-CSRFToken` header echoed from the
//! `csrftoken` cookie on unsafe requests, as axios does.

use std::net::SocketAddr;
use std::sync::Arc;

use booking_core::testkit::{StoreFactory, TestContext};
use booking_core::{BookingStore, Clock, EventId, ManualClock, NewEvent, Policy, SeatId, Username};
use booking_http::{AppState, Settings};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use std::future::Future;

/// The password every test user has.
pub const PASSWORD: &str = "correct horse";

/// A server on a loopback port over a fresh store.
pub struct TestServer<S> {
    pub base: Url,
    pub store: Arc<AppState<S>>,
    pub clock: ManualClock,
    pub event: EventId,
    pub other_event: EventId,
    task: tokio::task::JoinHandle<()>,
}

impl<S> Drop for TestServer<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<S: booking_core::Store> TestServer<S> {
    /// Starts a server with `policy` and `settings` over a store from `factory`,
    /// with users alice and bob and two events: "Show" (`A1`-`B5`: A at $100,
    /// B at $50) and "Other" (`A1`-`A2`).
    pub async fn start<F: StoreFactory<Store = S>>(
        factory: &F,
        policy: Policy,
        settings: Settings,
    ) -> Self {
        let clock = ManualClock::default();
        let store = factory
            .create(TestContext {
                clock: clock.clone(),
                policy,
            })
            .await;
        let hash = booking_http::hash_password(PASSWORD.into()).await.unwrap();
        for name in ["alice", "bob"] {
            store
                .create_user(&Username::new(name).unwrap(), &hash)
                .await
                .unwrap();
        }
        let mut ids = Vec::new();
        for (name, map) in [("Show", "A:1-5:10000,B:1-5:5000"), ("Other", "A:1-2:100")] {
            let event = NewEvent {
                name: name.into(),
                description: String::new(),
                venue: "Hall".into(),
                starts_at: clock.now() + chrono::TimeDelta::days(1),
                seating: map.parse().unwrap(),
                orphans: booking_core::OrphanPolicy::Allow,
                created_by: None,
            };
            ids.push(store.create_event(event).await.unwrap().event.id);
        }
        let state = AppState::new(store, settings);
        let router = booking_http::app(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            base: Url::parse(&format!("http://{addr}")).unwrap(),
            store: state,
            clock,
            event: ids[0],
            other_event: ids[1],
            task,
        }
    }

    /// A new client with an empty cookie jar.
    pub fn client(&self) -> Client {
        let jar = Arc::new(Jar::default());
        Client {
            http: reqwest::Client::builder()
                .cookie_provider(Arc::clone(&jar))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar,
            base: self.base.clone(),
        }
    }

    /// A client logged in as `user`.
    pub async fn login(&self, user: &str) -> Client {
        let client = self.client();
        let response = client.login(user, PASSWORD).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        client
    }

    /// Creates "Venue", an event on the conformance suite's small venue:
    /// sections "Stalls" (rows A and B, two runs of 4 each; A Premium with
    /// a wheelchair space A1 and its companion A2, B Standard with a
    /// restricted view at B8) and "Balcony" (row A, 6 Standard seats).
    pub async fn venue_event(&self) -> EventId {
        let new = booking_core::testkit::suite::venue_event(
            "Venue",
            &self.clock,
            booking_core::testkit::suite::SMALL_VENUE,
            booking_core::OrphanPolicy::Allow,
        );
        self.store.store.create_event(new).await.unwrap().event.id
    }

    /// The id of seat `label` of the "Show" event.
    pub async fn seat(&self, label: &str) -> SeatId {
        self.seat_of(self.event, label).await
    }

    /// The id of seat `label` of `event`.
    pub async fn seat_of(&self, event: EventId, label: &str) -> SeatId {
        self.store
            .store
            .seats(event)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.seat.label() == label)
            .unwrap()
            .seat
            .id
    }
}

/// A browser-like client.
pub struct Client {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: Url,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("<no code>")
    }

    /// Asserts `status` and, for errors, the JSON error shape with `code`.
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        if status >= 400 {
            assert_eq!(self.body["success"], false, "{}", self.body);
            let error = self.body["error"].as_str().unwrap_or_default();
            assert!(is_sentence(error), "not a sentence: {}", self.body);
            assert_eq!(self.code(), code, "{}", self.body);
        }
        self
    }
}

/// Whether an error's text reads as a sentence: it does not start with a
/// small letter, and it ends with a full stop, `!` or `?`.
fn is_sentence(text: &str) -> bool {
    !text.starts_with(|c: char| c.is_lowercase()) && text.ends_with(['.', '!', '?'])
}

impl Client {
    /// A cookie's current value.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }

    /// Sends a request, echoing the CSRF cookie on unsafe methods. The
    /// request is built before the future is returned, so the future
    /// borrows nothing.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> impl Future<Output = Answer> + use<> {
        let safe = method == Method::GET;
        let mut request = self.http.request(method, self.base.join(path).unwrap());
        if !safe && let Some(token) = self.cookie("csrftoken") {
            request = request.header("X-CSRFToken", token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { read(request.send().await.unwrap()).await }
    }

    pub fn get(&self, path: &str) -> impl Future<Output = Answer> + use<> {
        self.send(Method::GET, path, None, &[])
    }

    pub fn post(&self, path: &str, body: Value) -> impl Future<Output = Answer> + use<> {
        self.send(Method::POST, path, Some(body), &[])
    }

    /// Fetches a CSRF token first if the jar has none, then logs in.
    pub async fn login(&self, username: &str, password: &str) -> Answer {
        if self.cookie("csrftoken").is_none() {
            self.get("/api/csrf/").await;
        }
        let body = serde_json::json!({ "username": username, "password": password });
        self.post("/api/login/", body).await
    }
}

/// Reads a response whole; the body as JSON (`Value::Null` when empty,
/// a string when not JSON). Every answer under `/api/` is checked against
/// the OpenAPI document ([`crate::schema::check`]).
pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let path = response.url().path().to_owned();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    crate::schema::check(&path, status, &headers, &body);
    Answer {
        status,
        headers,
        body,
    }
}
