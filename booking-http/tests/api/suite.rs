//! The API tests, one `pub async fn` per part of docs/API.md, each generic over
//! the store factory so every backend runs the same bodies (`api_tests!`).

use std::time::Duration;

use booking_core::testkit::StoreFactory;
use booking_core::{AccountStore, BookingStore, Clock, NewEvent, Policy, Store};
use booking_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Client, PASSWORD, TestServer};

async fn server<F: StoreFactory>(f: &F) -> TestServer<F::Store> {
    TestServer::start(f, Policy::default(), Settings::default()).await
}

fn set_cookie<'a>(answer: &'a crate::harness::Answer, name: &str) -> Option<&'a str> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

// ---- sessions and CSRF ----------------------------------------------------------

pub async fn csrf_cookie_comes_with_any_first_response<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    let answer = client.get("/api/csrf/").await;
    answer.expect(200, "");
    let token = answer.body["csrf_token"].as_str().unwrap().to_owned();
    let cookie = set_cookie(&answer, "csrftoken").expect("csrftoken cookie");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("HttpOnly"),
        "JavaScript reads it: {cookie}"
    );
    assert_eq!(client.cookie("csrftoken").unwrap(), token);
    assert_eq!(
        client.get("/api/csrf/").await.body["csrf_token"],
        token.as_str()
    );

    // Whatever the first request is, its answer brings a token.
    let fresh = s.client();
    let health = fresh.get("/api/health/").await;
    health.expect(200, "");
    assert_eq!(health.body, json!({"success": true, "status": "ok"}));
    assert!(set_cookie(&health, "csrftoken").is_some());
    let denied = s.client().get("/api/me/").await;
    denied.expect(401, "not_authenticated");
    assert!(set_cookie(&denied, "csrftoken").is_some());
}

pub async fn login_me_logout<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    client
        .get("/api/me/")
        .await
        .expect(401, "not_authenticated");
    client
        .login("alice", "wrong password")
        .await
        .expect(401, "invalid_credentials");
    client
        .login("nobody", PASSWORD)
        .await
        .expect(401, "invalid_credentials");
    // Login matches the name as registered, and text that can be no name
    // (a NUL byte, which PostgreSQL refuses in text) is a plain 401 on every
    // backend, never a storage error.
    for name in ["ALICE", "Alice", "alice\0", "\0"] {
        client
            .login(name, PASSWORD)
            .await
            .expect(401, "invalid_credentials");
    }

    let before = client.cookie("csrftoken").unwrap();
    let answer = client.login("alice", PASSWORD).await;
    answer.expect(200, "");
    assert_eq!(answer.body["success"], true);
    assert_eq!(answer.body["username"], "alice");
    let user_id = answer.body["user_id"].as_i64().unwrap();
    let session = set_cookie(&answer, "sessionid").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"));
    assert_ne!(
        client.cookie("csrftoken").unwrap(),
        before,
        "login issues a new token"
    );

    let me = client.get("/api/me/").await;
    me.expect(200, "");
    assert_eq!(
        me.body,
        json!({"success": true, "user_id": user_id, "username": "alice", "is_staff": false})
    );

    // A new session id at every login.
    let first = client.cookie("sessionid").unwrap();
    client.login("alice", PASSWORD).await.expect(200, "");
    let second = client.cookie("sessionid").unwrap();
    assert_ne!(first, second);

    client.post("/api/logout/", json!({})).await.expect(200, "");
    client
        .get("/api/me/")
        .await
        .expect(401, "not_authenticated");
    // The old cookie no longer works: the session is gone server-side.
    let replay = s.client();
    replay.get("/api/csrf/").await;
    let answer = replay
        .send(
            Method::GET,
            "/api/me/",
            None,
            &[("Cookie", &format!("sessionid={second}"))],
        )
        .await;
    answer.expect(401, "not_authenticated");
    // Logout without a session is fine too.
    replay.post("/api/logout/", json!({})).await.expect(200, "");
}

pub async fn register_creates_and_logs_in<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    client.get("/api/csrf/").await;
    let answer = client
        .post(
            "/api/register/",
            json!({"username": "carol.c+1@x", "password": "long enough"}),
        )
        .await;
    answer.expect(201, "");
    assert_eq!(answer.body["username"], "carol.c+1@x");
    client.get("/api/me/").await.expect(200, "");
    let again = s.client();
    again.get("/api/csrf/").await;
    // Taken regardless of case.
    for taken in ["alice", "Alice", "ALICE", "Carol.C+1@X"] {
        again
            .post(
                "/api/register/",
                json!({"username": taken, "password": "long enough"}),
            )
            .await
            .expect(409, "username_taken");
    }
    for bad in [
        json!({"username": "", "password": "long enough"}),
        json!({"username": "has space", "password": "long enough"}),
        json!({"username": "x".repeat(151), "password": "long enough"}),
        json!({"username": "dave", "password": "short"}),
        json!({"username": "dave", "password": "        "}),
        json!({"username": "dave", "password": "\t\n \r\t\n \r"}),
        json!({"username": "dave", "password": "\0\0\0\0\0\0\0\0"}),
        json!({"username": "dave", "password": "long enough\0"}),
        json!({"username": "dave"}),
    ] {
        again
            .post("/api/register/", bad)
            .await
            .expect(400, "invalid_input");
    }

    let closed = TestServer::start(
        f,
        Policy::default(),
        Settings {
            signup: false,
            ..Settings::default()
        },
    )
    .await;
    let client = closed.client();
    client.get("/api/csrf/").await;
    client
        .post(
            "/api/register/",
            json!({"username": "dave", "password": "long enough"}),
        )
        .await
        .expect(404, "not_found");
}

pub async fn unsafe_requests_need_the_csrf_token<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let a1 = s.seat("A1").await;
    let event = s.event;
    let paths = [
        "/api/login/".to_owned(),
        "/api/logout/".to_owned(),
        "/api/register/".to_owned(),
        format!("/api/events/{event}/seats/{a1}/lock/"),
        format!("/api/events/{event}/seats/{a1}/unlock/"),
        format!("/api/events/{event}/reserve/"),
        format!("/api/events/{event}/best-available/"),
        "/api/reservations/1/cancel/".to_owned(),
    ];
    for path in &paths {
        let url = s.base.join(path).unwrap();
        // No header at all.
        let answer = crate::harness::read(
            alice
                .http
                .post(url.clone())
                .json(&json!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        answer.expect(403, "csrf_failed");
        // A wrong token.
        let answer = crate::harness::read(
            alice
                .http
                .post(url)
                .header("X-CSRFToken", "not-the-token")
                .json(&json!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        answer.expect(403, "csrf_failed");
    }
    // CSRF is checked before the session.
    let anonymous = s.client();
    let answer = crate::harness::read(
        anonymous
            .http
            .post(s.base.join(&paths[3]).unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    answer.expect(403, "csrf_failed");
    // Nothing was locked by any of it.
    let seats = alice.get(&format!("/api/events/{event}/seats/")).await;
    assert!(
        seats.body["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "available")
    );
}

pub async fn wrong_methods_are_405_before_anything_else<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    for (method, path) in [
        (Method::GET, "/api/login/"),
        (Method::POST, "/api/events/"),
        (Method::DELETE, "/api/me/"),
        (Method::PUT, "/api/reservations/"),
        (Method::GET, "/api/reservations/1/cancel/"),
    ] {
        // No session and no CSRF token: 405 still comes first.
        let answer = client.send(method.clone(), path, None, &[]).await;
        answer.expect(405, "method_not_allowed");
    }
}

pub async fn paths_without_trailing_slash_redirect<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let answer = s.client().get("/api/events?x=1").await;
    assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(answer.headers["location"], "/api/events/?x=1");
    s.client()
        .get("/api/nothing-here/")
        .await
        .expect(404, "not_found");
}

pub async fn cors_allows_only_configured_origins<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    let preflight = |origin: &'static str| {
        client.send(
            Method::OPTIONS,
            "/api/login/",
            None,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,x-csrftoken"),
            ],
        )
    };
    let allowed = preflight("http://localhost:3000").await;
    assert!(allowed.status.is_success(), "{allowed:?}");
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(allowed.headers["access-control-allow-credentials"], "true");
    let other = preflight("http://evil.example").await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let simple = client
        .send(
            Method::GET,
            "/api/health/",
            None,
            &[("Origin", "http://localhost:3000")],
        )
        .await;
    assert_eq!(
        simple.headers["access-control-allow-origin"],
        "http://localhost:3000"
    );
}

pub async fn failed_logins_are_throttled<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    for _ in 0..10 {
        client
            .login("alice", "wrong password")
            .await
            .expect(401, "invalid_credentials");
    }
    let answer = client.login("alice", PASSWORD).await;
    answer.expect(429, "too_many_attempts");
    let wait: u64 = answer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 15 * 60 + 1, "{wait}");
    // Another user name is not held back by alice's failures.
    s.client().login("bob", PASSWORD).await.expect(200, "");
}

// ---- events and seats -----------------------------------------------------------

pub async fn events_and_seat_maps<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    s.client()
        .get("/api/events/")
        .await
        .expect(401, "not_authenticated");

    let events = alice.get("/api/events/").await;
    events.expect(200, "");
    let list = events.body["events"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let show = &list[0];
    assert_eq!(show["id"], s.event.get());
    assert_eq!(show["name"], "Show");
    assert_eq!(show["venue"], "Hall");
    assert_eq!(show["starts_at"], "2025-01-02T00:00:00Z");
    assert_eq!(
        (
            show["total_seats"].as_i64(),
            show["available_seats"].as_i64()
        ),
        (Some(10), Some(10))
    );

    let event = s.event;
    let a1 = s.seat("A1").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a1}/lock/"), json!({}))
        .await
        .expect(200, "");
    let detail = bob.get(&format!("/api/events/{event}/")).await;
    detail.expect(200, "");
    assert_eq!(detail.body["event"]["available_seats"], 9);
    bob.get("/api/events/999999/")
        .await
        .expect(404, "not_found");
    bob.get("/api/events/999999/seats/")
        .await
        .expect(404, "not_found");

    let seat_list =
        |answer: &crate::harness::Answer| answer.body["seats"].as_array().unwrap().clone();
    let mine = seat_list(&alice.get(&format!("/api/events/{event}/seats/")).await);
    let theirs = seat_list(&bob.get(&format!("/api/events/{event}/seats/")).await);
    let labels: Vec<_> = mine
        .iter()
        .map(|s| s["seat_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
    );
    assert_eq!(mine[0]["row"], "A");
    assert_eq!(mine[0]["number"], 1);
    assert_eq!(mine[0]["price_cents"], 10_000);
    assert_eq!(mine[5]["price_cents"], 5_000);
    assert_eq!(mine[0]["status"], "locked");
    assert_eq!(mine[0]["is_locked"], true);
    assert_eq!(mine[0]["locked_until"], "2025-01-01T00:05:00Z");
    assert_eq!(mine[0]["locked_by_me"], true);
    assert_eq!(theirs[0]["locked_by_me"], false);
    assert_eq!(theirs[1]["status"], "available");
    assert_eq!(theirs[1]["locked_until"], Value::Null);
    // An event made from the compact notation: one section named "", a
    // category per price, no seat of any kind apart.
    assert_eq!(mine[0]["section"], "");
    assert_eq!(mine[0]["category"], "$100.00");
    assert_eq!(mine[5]["category"], "$50.00");
    for seat in &mine {
        for flag in ["accessible", "companion", "restricted_view", "blocked"] {
            assert_eq!(seat[flag], false, "{flag} of {seat}");
        }
    }
    let detail = bob.get(&format!("/api/events/{event}/")).await;
    assert_eq!(
        detail.body["event"]["sections"],
        json!([{"name": "", "position": null, "total_seats": 10, "available_seats": 9,
                "held_seats": 1, "reserved_seats": 0, "blocked_seats": 0}])
    );
    assert_eq!(
        detail.body["event"]["categories"],
        json!([
            {"name": "$100.00", "price_cents": 10_000, "color": "#7b3fa0", "total_seats": 5,
             "available_seats": 4, "held_seats": 1, "reserved_seats": 0, "blocked_seats": 0},
            {"name": "$50.00", "price_cents": 5_000, "color": "#1f6fb2", "total_seats": 5,
             "available_seats": 5, "held_seats": 0, "reserved_seats": 0, "blocked_seats": 0},
        ])
    );
    assert_eq!(
        (
            &detail.body["event"]["held_seats"],
            &detail.body["event"]["blocked_seats"]
        ),
        (&json!(1), &json!(0))
    );

    // A lock whose time has passed shows as available.
    s.clock.advance(Duration::from_secs(300));
    let after = seat_list(&bob.get(&format!("/api/events/{event}/seats/")).await);
    assert_eq!(after[0]["status"], "available");
    assert_eq!(after[0]["is_locked"], false);
}

async fn lock<S: Store>(s: &TestServer<S>, client: &Client, label: &str) -> crate::harness::Answer {
    let seat = s.seat(label).await;
    client
        .post(
            &format!("/api/events/{}/seats/{seat}/lock/", s.event),
            json!({}),
        )
        .await
}

pub async fn locks_and_their_conflicts<F: StoreFactory>(f: &F) {
    let s = TestServer::start(
        f,
        Policy::default().with_max_seats_per_user(2),
        Settings::default(),
    )
    .await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    let answer = lock(&s, &alice, "A1").await;
    answer.expect(200, "");
    assert_eq!(answer.body["success"], true);
    assert_eq!(answer.body["message"], "Seat A1 locked for 5 minutes");
    assert_eq!(answer.body["seat"]["seat_number"], "A1");
    assert_eq!(answer.body["seat"]["status"], "locked");
    assert_eq!(answer.body["seat"]["locked_until"], "2025-01-01T00:05:00Z");
    assert_eq!(answer.body["seat"]["id"], s.seat("A1").await.get());

    s.clock.advance(Duration::from_secs(60));
    let again = lock(&s, &alice, "A1").await;
    assert_eq!(
        again.body["seat"]["locked_until"], "2025-01-01T00:06:00Z",
        "extended"
    );
    let taken = lock(&s, &bob, "A1").await;
    taken.expect(409, "seat_locked");
    assert_eq!(taken.body["error"], "Seat A1 is held by someone else.");

    lock(&s, &alice, "A2").await.expect(200, "");
    lock(&s, &alice, "A3").await.expect(409, "hold_limit");

    let a2 = s.seat("A2").await;
    alice
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({"seat_ids": [a2.get()]}),
        )
        .await
        .expect(201, "");
    lock(&s, &bob, "A2").await.expect(409, "seat_reserved");

    let foreign = s.seat_of(s.other_event, "A1").await;
    alice
        .post(
            &format!("/api/events/{event}/seats/{foreign}/lock/"),
            json!({}),
        )
        .await
        .expect(404, "not_found");
    alice
        .post(
            &format!("/api/events/999999/seats/{foreign}/lock/"),
            json!({}),
        )
        .await
        .expect(404, "not_found");

    let a1 = s.seat("A1").await;
    bob.post(
        &format!("/api/events/{event}/seats/{a1}/unlock/"),
        json!({}),
    )
    .await
    .expect(409, "not_lock_holder");
    let released = alice
        .post(
            &format!("/api/events/{event}/seats/{a1}/unlock/"),
            json!({}),
        )
        .await;
    released.expect(200, "");
    assert_eq!(
        released.body,
        json!({"success": true, "message": "Seat A1 unlocked"})
    );
    alice
        .post(
            &format!("/api/events/{event}/seats/{a1}/unlock/"),
            json!({}),
        )
        .await
        .expect(409, "not_lock_holder");

    // The message names the real lifetime.
    let short = TestServer::start(
        f,
        Policy::default().with_lock_ttl(Duration::from_secs(90)),
        Settings::default(),
    )
    .await;
    let client = short.login("alice").await;
    let seat = short.seat("B1").await;
    let answer = client
        .post(
            &format!("/api/events/{}/seats/{seat}/lock/", short.event),
            json!({}),
        )
        .await;
    assert_eq!(answer.body["message"], "Seat B1 locked for 90 seconds");
}

/// A hold is extended at most to 900 s from when it was first taken; then
/// locking it again is 409 `max_hold_reached` until it is released.
pub async fn locks_stop_at_max_hold<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    lock(&s, &alice, "A1").await.expect(200, "");
    for _ in 0..2 {
        s.clock.advance(Duration::from_secs(290));
        let again = lock(&s, &alice, "A1").await;
        assert_eq!(again.body["message"], "Seat A1 locked for 5 minutes");
    }
    s.clock.advance(Duration::from_secs(290));
    let last = lock(&s, &alice, "A1").await;
    last.expect(200, "");
    assert_eq!(last.body["message"], "Seat A1 locked for 30 seconds");
    assert_eq!(last.body["seat"]["locked_until"], "2025-01-01T00:15:00Z");
    let refused = lock(&s, &alice, "A1").await;
    refused.expect(409, "max_hold_reached");
    assert_eq!(
        refused.body["error"],
        "You have held seat A1 as long as a hold may last (15 minutes): release it, or let it expire, before taking it again."
    );
    let a1 = s.seat("A1").await;
    alice
        .post(
            &format!("/api/events/{}/seats/{a1}/unlock/", s.event),
            json!({}),
        )
        .await
        .expect(200, "");
    let fresh = lock(&s, &alice, "A1").await;
    fresh.expect(200, "");
    assert_eq!(fresh.body["message"], "Seat A1 locked for 5 minutes");
}

// ---- best available ----------------------------------------------------------------

/// The labels of the seats of an answer, in order.
fn seat_labels(answer: &crate::harness::Answer) -> Vec<String> {
    answer.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| seat["seat_number"].as_str().unwrap().to_owned())
        .collect()
}

/// The labels of the seats `client` holds in `event`, by the seat map.
async fn held_by_me(client: &Client, event: booking_core::EventId) -> Vec<String> {
    let map = client.get(&format!("/api/events/{event}/seats/")).await;
    map.expect(200, "");
    map.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|seat| seat["locked_by_me"] == true)
        .map(|seat| seat["seat_number"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn best_available_holds_the_best_seats_together<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let event = s.venue_event().await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let path = format!("/api/events/{event}/best-available/");

    // Three together in the balcony: A2-A4 and A3-A5 rank best but strand
    // A1 or A6, so A1-A3.
    let answer = alice
        .post(&path, json!({"count": 3, "sections": ["Balcony"]}))
        .await;
    answer.expect(200, "");
    let held = ["Balcony A1", "Balcony A2", "Balcony A3"];
    assert_eq!(seat_labels(&answer), held);
    assert_eq!(
        answer.body["message"],
        "Seats Balcony A1, Balcony A2, Balcony A3 locked for 5 minutes"
    );
    for seat in answer.body["seats"].as_array().unwrap() {
        assert_eq!(seat["status"], "locked", "{seat}");
        assert_eq!(seat["is_locked"], true, "{seat}");
        assert_eq!(seat["locked_by_me"], true, "{seat}");
        assert_eq!(seat["locked_until"], "2025-01-01T00:05:00Z", "{seat}");
    }
    // The seat map agrees, for the holder and for anyone else.
    assert_eq!(held_by_me(&alice, event).await, held);
    assert!(held_by_me(&bob, event).await.is_empty());
    let detail = bob.get(&format!("/api/events/{event}/")).await;
    assert_eq!(detail.body["event"]["available_seats"], 22 - 3);

    // They are held like any others: the holder reserves them.
    let ids: Vec<i64> = answer.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| seat["id"].as_i64().unwrap())
        .collect();
    alice
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({"seat_ids": ids}),
        )
        .await
        .expect(201, "");

    // Filters: a category, wheelchair spaces, no filter at all.
    let premium = bob
        .post(&path, json!({"count": 2, "categories": ["Premium"]}))
        .await;
    premium.expect(200, "");
    assert!(
        seat_labels(&premium)
            .iter()
            .all(|label| label.starts_with("Stalls A")),
        "{}",
        premium.body
    );
    let wheelchair = bob
        .post(&path, json!({"count": 1, "accessible": true}))
        .await;
    wheelchair.expect(200, "");
    assert_eq!(seat_labels(&wheelchair), ["Stalls A1"]);
    assert_eq!(
        wheelchair.body["message"],
        "Seat Stalls A1 locked for 5 minutes"
    );
    // Empty lists and `null` mean "any", as absent fields do.
    bob.post(
        &path,
        json!({"count": 1, "categories": [], "sections": null, "accessible": null, "allow_split": false}),
    )
    .await
    .expect(200, "");
}

pub async fn best_available_gives_a_wheelchair_space_and_its_companion<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let event = s.venue_event().await;
    let bob = s.login("bob").await;
    let path = format!("/api/events/{event}/best-available/");
    // The venue's only wheelchair space, A1, has its companion seat A2
    // beside it.
    let pair = bob.post(&path, json!({"count": 2, "wheelchair": 1})).await;
    pair.expect(200, "");
    assert_eq!(seat_labels(&pair), ["Stalls A1", "Stalls A2"]);
    let seats = pair.body["seats"].as_array().unwrap();
    assert_eq!(
        (&seats[0]["accessible"], &seats[1]["companion"]),
        (&json!(true), &json!(true)),
        "{}",
        pair.body
    );
    let again = bob.post(&path, json!({"count": 2, "wheelchair": 1})).await;
    again.expect(409, "no_adjacent_seats");
    // None, and any: `0` keeps wheelchair spaces out, `null` is absent.
    for body in [
        json!({"count": 2, "wheelchair": 0, "categories": ["Premium"]}),
        json!({"count": 2, "wheelchair": null}),
    ] {
        let answer = bob.post(&path, body.clone()).await;
        answer.expect(200, "");
        let seats = answer.body["seats"].as_array().unwrap();
        assert!(
            seats.iter().all(|seat| seat["accessible"] == false),
            "{body}"
        );
    }
    for (bad, says) in [
        (json!({"count": 2, "wheelchair": 3}), "at most count"),
        (
            json!({"count": 2, "wheelchair": 1, "accessible": true}),
            "not both",
        ),
        (json!({"count": 2, "wheelchair": -1}), "wheelchair"),
        (json!({"count": 2, "wheelchair": "one"}), "wheelchair"),
    ] {
        let answer = bob.post(&path, bad.clone()).await;
        answer.expect(400, "invalid_input");
        let error = answer.body["error"].as_str().unwrap();
        assert!(error.contains(says), "{bad}: {error}");
    }
    assert_eq!(held_by_me(&bob, event).await.len(), 6, "nothing more held");
}

pub async fn best_available_without_seats_together_holds_nothing<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let event = s.venue_event().await;
    let alice = s.login("alice").await;
    let path = format!("/api/events/{event}/best-available/");
    alice
        .post(&path, json!({"count": 2, "sections": ["Balcony"]}))
        .await
        .expect(200, "");
    let before = held_by_me(&alice, event).await;
    // Four free seats are left in the balcony, but not five, and no run
    // of the stalls has five.
    let answer = alice.post(&path, json!({"count": 5})).await;
    answer.expect(409, "no_adjacent_seats");
    assert!(answer.body["conflicts"].is_null(), "{}", answer.body);
    let in_balcony = alice
        .post(&path, json!({"count": 5, "sections": ["Balcony"]}))
        .await;
    in_balcony.expect(409, "no_adjacent_seats");
    assert_eq!(held_by_me(&alice, event).await, before, "nothing held");
    // Split over two neighbouring rows of the stalls, when allowed.
    let split = alice
        .post(&path, json!({"count": 5, "allow_split": true}))
        .await;
    split.expect(200, "");
    let labels = seat_labels(&split);
    assert_eq!(labels.len(), 5);
    assert!(labels.iter().all(|l| l.starts_with("Stalls")), "{labels:?}");
}

pub async fn best_available_counts_against_the_hold_limit<F: StoreFactory>(f: &F) {
    let s = TestServer::start(
        f,
        Policy::default().with_max_seats_per_user(4),
        Settings::default(),
    )
    .await;
    let alice = s.login("alice").await;
    let event = s.event;
    let path = format!("/api/events/{event}/best-available/");
    lock(&s, &alice, "B1").await.expect(200, "");
    lock(&s, &alice, "B2").await.expect(200, "");
    // Two held and three asked for: over the limit of four, and nothing
    // is held.
    alice
        .post(&path, json!({"count": 3}))
        .await
        .expect(409, "hold_limit");
    assert_eq!(held_by_me(&alice, event).await, ["B1", "B2"]);
    alice.post(&path, json!({"count": 2})).await.expect(200, "");
    assert_eq!(held_by_me(&alice, event).await.len(), 4);
    alice
        .post(&path, json!({"count": 1}))
        .await
        .expect(409, "hold_limit");
    // Once the holds end they no longer count.
    s.clock.advance(Duration::from_secs(300));
    alice.post(&path, json!({"count": 4})).await.expect(200, "");
    // Never more than the limit in one request.
    s.clock.advance(Duration::from_secs(300));
    alice
        .post(&path, json!({"count": 5}))
        .await
        .expect(400, "invalid_input");
}

pub async fn best_available_input_errors<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let event = s.event;
    let path = format!("/api/events/{event}/best-available/");
    // No session (the CSRF token is checked with the other unsafe
    // requests, in `unsafe_requests_need_the_csrf_token`).
    let anonymous = s.client();
    anonymous.get("/api/csrf/").await;
    anonymous
        .post(&path, json!({"count": 1}))
        .await
        .expect(401, "not_authenticated");
    let alice = s.login("alice").await;
    for bad in [
        json!({}),
        json!({"count": 0}),
        json!({"count": 11}),
        json!({"count": -1}),
        json!({"count": "two"}),
        json!({"count": 2, "categories": "Premium"}),
        json!({"count": 2, "allow_split": "yes"}),
        json!("count"),
    ] {
        alice
            .post(&path, bad.clone())
            .await
            .expect(400, "invalid_input");
    }
    alice
        .post("/api/events/999999/best-available/", json!({"count": 1}))
        .await
        .expect(404, "not_found");
    assert!(held_by_me(&alice, event).await.is_empty());
    // Names the event does not have, matched exactly.
    let venue = s.venue_event().await;
    let path = format!("/api/events/{venue}/best-available/");
    for (body, code, name) in [
        (
            json!({"count": 1, "categories": ["Standard", "Gold"]}),
            "unknown_category",
            "Gold",
        ),
        (
            json!({"count": 1, "categories": ["premium"]}),
            "unknown_category",
            "premium",
        ),
        (
            json!({"count": 1, "sections": ["Roof"]}),
            "unknown_section",
            "Roof",
        ),
        (
            json!({"count": 1, "sections": ["Balcony\u{0}"]}),
            "unknown_section",
            "Balcony",
        ),
    ] {
        let answer = alice.post(&path, body).await;
        answer.expect(400, code);
        assert!(
            answer.body["error"].as_str().unwrap().contains(name),
            "{}",
            answer.body
        );
    }
    assert!(held_by_me(&alice, venue).await.is_empty());
}

// ---- reservations ------------------------------------------------------------------

pub async fn reserve_list_and_cancel<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    let (a1, a3, b2) = (s.seat("A1").await, s.seat("A3").await, s.seat("B2").await);
    for seat in [a3, a1] {
        alice
            .post(
                &format!("/api/events/{event}/seats/{seat}/lock/"),
                json!({}),
            )
            .await
            .expect(200, "");
    }
    let reserve = format!("/api/events/{event}/reserve/");
    let made = alice
        .post(&reserve, json!({"seat_ids": [a3.get(), a1.get()]}))
        .await;
    made.expect(201, "");
    let r = &made.body["reservation"];
    assert_eq!(made.body["success"], true);
    assert_eq!(r["event_id"], event.get());
    assert_eq!(r["event_name"], "Show");
    assert_eq!(r["seats"], json!(["A1", "A3"]));
    assert_eq!(r["status"], "confirmed");
    assert_eq!(r["total_cents"], 20_000);
    assert_eq!(r["total_price"], "200.00");
    assert_eq!(made.body["message"], "Successfully reserved 2 seat(s)");
    assert_eq!(made.body["reservation_id"], r["id"]);
    assert_eq!(made.body["seats"], json!(["A1", "A3"]));
    assert_eq!(r["created_at"], "2025-01-01T00:00:00Z");
    let id = r["id"].as_i64().unwrap();

    // Conflicts list every seat.
    bob.post(&format!("/api/events/{event}/seats/{b2}/lock/"), json!({}))
        .await
        .expect(200, "");
    let conflict = bob
        .post(&reserve, json!({"seat_ids": [b2.get(), a1.get()]}))
        .await;
    conflict.expect(409, "seat_reserved");
    assert_eq!(
        conflict.body["conflicts"],
        json!([{"seat_id": a1.get(), "seat_number": "A1", "code": "seat_reserved"}])
    );
    s.clock.advance(Duration::from_secs(300));
    bob.post(&reserve, json!({"seat_ids": [b2.get()]}))
        .await
        .expect(409, "lock_expired");
    alice
        .post(&reserve, json!({"seat_ids": [b2.get()]}))
        .await
        .expect(409, "not_lock_holder");

    let listed = alice.get("/api/reservations/").await;
    listed.expect(200, "");
    assert_eq!(listed.body["reservations"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["reservations"][0], *r);
    assert_eq!(
        bob.get("/api/reservations/").await.body["reservations"],
        json!([])
    );

    bob.post(&format!("/api/reservations/{id}/cancel/"), json!({}))
        .await
        .expect(404, "not_found");
    alice
        .post("/api/reservations/999999/cancel/", json!({}))
        .await
        .expect(404, "not_found");
    let cancelled = alice
        .post(&format!("/api/reservations/{id}/cancel/"), json!({}))
        .await;
    cancelled.expect(200, "");
    assert_eq!(cancelled.body["reservation"]["status"], "cancelled");
    assert_eq!(cancelled.body["reservation"]["seats"], json!(["A1", "A3"]));
    alice
        .post(&format!("/api/reservations/{id}/cancel/"), json!({}))
        .await
        .expect(409, "already_cancelled");
    let seats = bob.get(&format!("/api/events/{event}/seats/")).await;
    assert_eq!(seats.body["seats"][0]["status"], "available");
    let mine = alice.get("/api/reservations/").await;
    let listed = &mine.body["reservations"][0];
    assert_eq!(listed["status"], "cancelled");
    assert_eq!(
        (&listed["cancelled_by_staff"], &listed["cancel_reason"]),
        (&json!(false), &json!(null)),
        "cancelled by its owner"
    );
}

/// A reservation the box office cancelled tells its customer so, and why.
pub async fn a_staff_cancel_shows_its_reason_to_the_customer<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.event;
    let a2 = s.seat("A2").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a2}/lock/"), json!({}))
        .await
        .expect(200, "");
    let made = alice
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({"seat_ids": [a2.get()]}),
        )
        .await;
    made.expect(201, "");
    assert_eq!(made.body["reservation"]["cancelled_by_staff"], false);
    assert_eq!(made.body["reservation"]["cancel_reason"], json!(null));
    let id = booking_core::ReservationId::new(made.body["reservation_id"].as_i64().unwrap());
    let staff = s
        .store
        .store
        .credentials("bob")
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    s.store
        .store
        .staff_cancel(staff, id, "The concert moved to a larger hall")
        .await
        .unwrap();
    let mine = alice.get("/api/reservations/").await;
    mine.expect(200, "");
    let listed = &mine.body["reservations"][0];
    assert_eq!(listed["status"], "cancelled");
    assert_eq!(listed["cancelled_by_staff"], true);
    assert_eq!(
        listed["cancel_reason"],
        "The concert moved to a larger hall"
    );
    alice
        .post(&format!("/api/reservations/{id}/cancel/"), json!({}))
        .await
        .expect(409, "already_cancelled");
}

pub async fn reserve_input_errors<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.event;
    let a1 = s.seat("A1").await.get();
    alice
        .post(&format!("/api/events/{event}/seats/{a1}/lock/"), json!({}))
        .await
        .expect(200, "");
    let reserve = format!("/api/events/{event}/reserve/");
    for (body, status, code) in [
        (json!({"seat_ids": []}), 400, "invalid_input"),
        (json!({"seat_ids": [a1, a1]}), 400, "invalid_input"),
        (
            json!({"seat_ids": (1..=11).collect::<Vec<_>>()}),
            400,
            "invalid_input",
        ),
        (json!({"seat_ids": "A1"}), 400, "invalid_input"),
        (json!({"seat_ids": [1.5]}), 400, "invalid_input"),
        (json!({"seats": [a1]}), 400, "invalid_input"),
        (json!({"seat_ids": [a1, 999_999]}), 404, "not_found"),
        (json!({"seat_ids": [-1]}), 404, "not_found"),
    ] {
        alice.post(&reserve, body).await.expect(status, code);
    }
    alice
        .post("/api/events/999999/reserve/", json!({"seat_ids": [a1]}))
        .await
        .expect(404, "not_found");
    assert_eq!(
        alice.get("/api/reservations/").await.body["reservations"],
        json!([])
    );
}

pub async fn idempotency_key_replays_the_first_answer<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.event;
    let (a1, a2) = (s.seat("A1").await.get(), s.seat("A2").await.get());
    for seat in [a1, a2] {
        alice
            .post(
                &format!("/api/events/{event}/seats/{seat}/lock/"),
                json!({}),
            )
            .await;
    }
    let reserve = format!("/api/events/{event}/reserve/");
    let send = |body: Value, key: &'static str| {
        alice.send(
            Method::POST,
            &reserve,
            Some(body),
            &[("Idempotency-Key", key)],
        )
    };
    let first = send(json!({"seat_ids": [a1]}), "k-1").await;
    first.expect(201, "");
    let retry = send(json!({"seat_ids": [a1]}), "k-1").await;
    retry.expect(201, "");
    assert_eq!(retry.body, first.body);
    send(json!({"seat_ids": [a2]}), "k-1")
        .await
        .expect(409, "idempotency_key_reused");
    send(json!({"seat_ids": [a2]}), "k-2").await.expect(201, "");
    send(json!({"seat_ids": [a2]}), "bad key with spaces")
        .await
        .expect(400, "invalid_input");
    assert_eq!(
        alice.get("/api/reservations/").await.body["reservations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// Malformed requests of every kind get the JSON error, never a 500.
#[allow(
    clippy::too_many_lines,
    reason = "a table of cases, one per malformed request"
)]
pub async fn malformed_requests_get_json_errors<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.event;
    let reserve = format!("/api/events/{event}/reserve/");
    let token = alice.cookie("csrftoken").unwrap();
    let raw = |path: String, content_type: &'static str, body: Vec<u8>| {
        let request = alice
            .http
            .post(s.base.join(&path).unwrap())
            .header("X-CSRFToken", token.clone())
            .header("Content-Type", content_type)
            .body(body);
        async move { crate::harness::read(request.send().await.unwrap()).await }
    };
    let cases: Vec<(String, &'static str, Vec<u8>, u16, &str)> = vec![
        (
            reserve.clone(),
            "application/json",
            b"{not json".to_vec(),
            400,
            "invalid_json",
        ),
        (
            reserve.clone(),
            "application/json",
            b"".to_vec(),
            400,
            "invalid_json",
        ),
        (
            reserve.clone(),
            "application/json",
            b"[1,2]".to_vec(),
            400,
            "invalid_input",
        ),
        (
            reserve.clone(),
            "application/json",
            b"{\"seat_ids\": [1e30]}".to_vec(),
            400,
            "invalid_input",
        ),
        (
            reserve.clone(),
            "application/json",
            b"{\"seat_ids\": [99999999999999999999]}".to_vec(),
            400,
            "invalid_input",
        ),
        (
            reserve.clone(),
            "application/json",
            "{\"seat_ids\": [\"\u{1F600}\u{202E}\"]}"
                .as_bytes()
                .to_vec(),
            400,
            "invalid_input",
        ),
        (
            reserve.clone(),
            "application/json",
            vec![0xff, 0xfe, 0x00],
            400,
            "invalid_json",
        ),
        (
            reserve.clone(),
            "text/plain",
            b"{\"seat_ids\": [1]}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "/api/login/".into(),
            "application/json",
            b"{\"username\": 5}".to_vec(),
            400,
            "invalid_input",
        ),
        (
            "/api/events/abc/reserve/".into(),
            "application/json",
            b"{\"seat_ids\": [1]}".to_vec(),
            404,
            "not_found",
        ),
        (
            format!("/api/events/{event}/seats/-5/lock/"),
            "application/json",
            b"{}".to_vec(),
            404,
            "not_found",
        ),
        (
            "/api/events/99999999999999999999999/seats/1/lock/".into(),
            "application/json",
            b"{}".to_vec(),
            404,
            "not_found",
        ),
        (
            "/api/reservations/%F0%9F%98%80/cancel/".into(),
            "application/json",
            b"{}".to_vec(),
            404,
            "not_found",
        ),
    ];
    for (path, content_type, body, status, code) in cases {
        let answer = raw(path.clone(), content_type, body).await;
        assert_ne!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        answer.expect(status, code);
    }
    for path in [
        "/api/events/abc/",
        "/api/events/1.5/seats/",
        "/api/events/-1/",
    ] {
        alice.get(path).await.expect(404, "not_found");
    }
    // Last: the server answers 413 without reading the body and closes that
    // connection, so nothing may be sent on it after. One byte over the
    // limit: a body the socket buffers take whole, so the client is never
    // still writing when the server closes (a megabyte sometimes met a
    // broken pipe before the answer could be read).
    let over = booking_http::MAX_BODY_BYTES + 1;
    let huge = raw(reserve, "application/json", vec![b' '; over]).await;
    huge.expect(413, "payload_too_large");
}

// ---- operations --------------------------------------------------------------------

pub async fn health_and_metrics<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    client.get("/api/health/").await.expect(200, "");
    client
        .get("/api/events/")
        .await
        .expect(401, "not_authenticated");
    // Not on the public API: on a router of its own.
    client.get("/metrics").await.expect(404, "not_found");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let private = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, booking_http::metrics_app()).await });
    let metrics = crate::harness::read(
        reqwest::get(format!("http://{private}/metrics"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.body.as_str().unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/events/\""), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
}

/// 50 clients, 50 users, one seat: exactly one 200, the rest 409.
pub async fn race_fifty_users_one_seat<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let hash = booking_http::hash_password(PASSWORD.into()).await.unwrap();
    let mut clients = Vec::new();
    for i in 0..50 {
        let name = booking_core::Username::new(format!("racer{i}")).unwrap();
        s.store.store.create_user(&name, &hash).await.unwrap();
        clients.push(s.login(name.as_str()).await);
    }
    let (event, seat) = (s.event, s.seat("A1").await);
    let path = format!("/api/events/{event}/seats/{seat}/lock/");
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let path = path.clone();
            tokio::spawn(async move { client.post(&path, json!({})).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.status != StatusCode::OK {
            answer.expect(409, "seat_locked");
        }
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

/// Reads server-sent events from a streaming response.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

/// A server whose live streams poll every 100 ms.
async fn live_server<F: StoreFactory>(f: &F) -> TestServer<F::Store> {
    let settings = Settings {
        live_poll_interval: Duration::from_millis(100),
        ..Settings::default()
    };
    TestServer::start(f, Policy::default(), settings).await
}

impl EventStream {
    /// `who`'s stream at `path` (`/api/events/{id}/stream/...`) on `s`.
    async fn open<S>(s: &TestServer<S>, who: &crate::harness::Client, path: &str) -> Self {
        let url = s.base.join(path).unwrap();
        Self {
            response: who.http.get(url).send().await.unwrap(),
            buffer: String::new(),
        }
    }

    /// The next `seats` message's data, waiting at most five seconds.
    async fn next_seats(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let message: String = self.buffer.drain(..end + 2).collect();
                    if message.lines().any(|l| l == "event: seats") {
                        let data = message
                            .lines()
                            .find_map(|l| l.strip_prefix("data: "))
                            .expect("a data line");
                        let data = serde_json::from_str(data).unwrap();
                        crate::schema::check_component("SeatChanges", &data);
                        return data;
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap().expect("stream open");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("a seats message within five seconds")
    }
}

/// The live stream shows a blocked seat as taken, and the seats best
/// available holds as they are taken.
pub async fn blocked_and_best_available_seats_stream_live<F: StoreFactory>(f: &F) {
    let s = live_server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.venue_event().await;
    let mut stream = EventStream::open(&s, &alice, &format!("/api/events/{event}/stream/")).await;
    let first = stream.next_seats().await;
    assert_eq!(first["seats"].as_array().unwrap().len(), 22);

    // Blocked elsewhere (straight in the store, as an administrator's
    // tool or another process would): seen at the next poll.
    let b8 = s.seat_of(event, "Stalls B8").await;
    let staff = s
        .store
        .store
        .credentials("bob")
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    s.store.store.block(staff, event, &[b8], "").await.unwrap();
    let change = stream.next_seats().await;
    assert_eq!(change["seats"].as_array().unwrap().len(), 1);
    let seat = &change["seats"][0];
    assert_eq!(seat["seat_number"], "Stalls B8");
    assert_eq!(
        (&seat["status"], &seat["blocked"]),
        (&json!("reserved"), &json!(true))
    );

    // Best available through this server: its seats, held by bob.
    let held = bob
        .post(
            &format!("/api/events/{event}/best-available/"),
            json!({"count": 2, "sections": ["Balcony"]}),
        )
        .await;
    held.expect(200, "");
    let change = stream.next_seats().await;
    let mut seen: Vec<&str> = change["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| {
            assert_eq!(seat["status"], "locked", "{seat}");
            assert_eq!(seat["locked_by_me"], false, "seen as alice: {seat}");
            seat["seat_number"].as_str().unwrap()
        })
        .collect();
    seen.sort_unstable();
    let mut expected = seat_labels(&held);
    expected.sort_unstable();
    assert_eq!(seen, expected);
}

/// A page that shows one section streams only that section's seats: the
/// first message is the section, and changes elsewhere send nothing.
pub async fn a_section_stream_sends_only_that_section<F: StoreFactory>(f: &F) {
    let s = live_server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.venue_event().await;
    let path = format!("/api/events/{event}/stream/?section=Balcony");
    let mut stream = EventStream::open(&s, &alice, &path).await;
    let first = stream.next_seats().await;
    assert_eq!(first["full"], true);
    let sections: Vec<_> = first["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| seat["section"].as_str().unwrap())
        .collect();
    assert_eq!(sections, ["Balcony"; 6]);

    // A hold in the stalls sends nothing to this page; the next message
    // is the balcony's own change.
    let stalls = s.seat_of(event, "Stalls A3").await;
    bob.post(
        &format!("/api/events/{event}/seats/{stalls}/lock/"),
        json!({}),
    )
    .await
    .expect(200, "");
    let balcony = s.seat_of(event, "Balcony A2").await;
    bob.post(
        &format!("/api/events/{event}/seats/{balcony}/lock/"),
        json!({}),
    )
    .await
    .expect(200, "");
    let change = stream.next_seats().await;
    assert_eq!(change["full"], false);
    let seen: Vec<_> = change["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| seat["seat_number"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["Balcony A2"]);

    alice
        .get(&format!("/api/events/{event}/stream/?section=Gallery"))
        .await
        .expect(400, "unknown_section");
}

/// A page that shows some rows of a large section streams only those
/// rows (`?rows=`, with `?section=` or without): the first message is
/// those rows, and a change in other rows sends nothing.
pub async fn a_rows_stream_sends_only_those_rows<F: StoreFactory>(f: &F) {
    let s = live_server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.venue_event().await;
    let labels = |message: &Value| -> Vec<String> {
        message["seats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|seat| seat["seat_number"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = format!("/api/events/{event}/stream/?section=Stalls&rows=B");
    let mut stalls_b = EventStream::open(&s, &alice, &path).await;
    let first = stalls_b.next_seats().await;
    assert_eq!(first["full"], true);
    let expected: Vec<String> = (1..=8).map(|n| format!("Stalls B{n}")).collect();
    assert_eq!(labels(&first), expected);
    // Row A of every section: the stalls' and the balcony's.
    let path = format!("/api/events/{event}/stream/?rows=A");
    let mut row_a = EventStream::open(&s, &alice, &path).await;
    let first = row_a.next_seats().await;
    let seen = labels(&first);
    assert_eq!(seen.len(), 14, "{seen:?}");
    assert!(
        seen.iter()
            .all(|l| l.starts_with("Stalls A") || l.starts_with("Balcony A")),
        "{seen:?}"
    );

    // A hold in row A reaches the row-A stream only; then one in Stalls B
    // is the next message of the Stalls-B stream.
    for label in ["Balcony A2", "Stalls B5"] {
        let seat = s.seat_of(event, label).await;
        bob.post(
            &format!("/api/events/{event}/seats/{seat}/lock/"),
            json!({}),
        )
        .await
        .expect(200, "");
    }
    let change = row_a.next_seats().await;
    assert_eq!(
        (change["full"].clone(), labels(&change)),
        (json!(false), vec!["Balcony A2".to_owned()])
    );
    let change = stalls_b.next_seats().await;
    assert_eq!(
        (change["full"].clone(), labels(&change)),
        (json!(false), vec!["Stalls B5".to_owned()])
    );

    for bad in ["rows=1-2", "rows=A-", "section=Stalls&rows=a%20b"] {
        alice
            .get(&format!("/api/events/{event}/stream/?{bad}"))
            .await
            .expect(400, "invalid_input");
    }
    alice
        .get(&format!(
            "/api/events/{event}/stream/?section=Gallery&rows=A"
        ))
        .await
        .expect(400, "unknown_section");
}

/// `GET /rows/` lists each row of the seat map (of a section, with
/// `?section=`) with its number of seats, without the seats.
pub async fn rows_lists_each_row_with_its_seats<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.venue_event().await;
    let rows = |query: &str| alice.get(&format!("/api/events/{event}/rows/{query}"));
    let all = rows("").await;
    all.expect(200, "");
    assert_eq!(
        all.body["rows"],
        json!([
            {"section": "Stalls", "row": "A", "seats": 8},
            {"section": "Stalls", "row": "B", "seats": 8},
            {"section": "Balcony", "row": "A", "seats": 6},
        ])
    );
    assert_eq!(
        rows("?section=Balcony").await.body["rows"],
        json!([{"section": "Balcony", "row": "A", "seats": 6}])
    );
    assert_eq!(
        rows("?section=Stalls&rows=B").await.body["rows"],
        json!([{"section": "Stalls", "row": "B", "seats": 8}])
    );
    rows("?section=Roof").await.expect(400, "unknown_section");
    rows("?rows=1").await.expect(400, "invalid_input");
    alice
        .get("/api/events/999999/rows/")
        .await
        .expect(404, "not_found");
    // The grid event: its rows hold all its seats, in the map's order.
    let grid = alice.get(&format!("/api/events/{}/rows/", s.event)).await;
    let listed = grid.body["rows"].as_array().unwrap();
    let seats: u64 = listed.iter().map(|r| r["seats"].as_u64().unwrap()).sum();
    assert_eq!(seats, 10);
    assert!(listed.iter().all(|r| r["section"] == ""), "{listed:?}");
}

/// `GET /holds/` lists the caller's holds in every section, and no one
/// else's.
pub async fn holds_lists_your_seats_in_every_section<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.venue_event().await;
    let holds = format!("/api/events/{event}/holds/");
    let held = alice.get(&holds).await;
    held.expect(200, "");
    assert_eq!(held.body["seats"], json!([]));
    for (who, label) in [
        (&alice, "Balcony A2"),
        (&alice, "Stalls B3"),
        (&bob, "Stalls A1"),
    ] {
        let seat = s.seat_of(event, label).await;
        who.post(
            &format!("/api/events/{event}/seats/{seat}/lock/"),
            json!({}),
        )
        .await
        .expect(200, "");
    }
    let held = alice.get(&holds).await;
    held.expect(200, "");
    crate::schema::check_component("SeatMap", &held.body);
    assert_eq!(seat_labels(&held), ["Stalls B3", "Balcony A2"]);
    assert!(
        held.body["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|seat| seat["locked_by_me"] == true)
    );
    assert_eq!(seat_labels(&bob.get(&holds).await), ["Stalls A1"]);

    bob.get("/api/events/999999/holds/")
        .await
        .expect(404, "not_found");
    s.client()
        .get(&holds)
        .await
        .expect(401, "not_authenticated");
}

pub async fn seat_changes_stream_live<F: StoreFactory>(f: &F) {
    let s = live_server(f).await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    let url = s
        .base
        .join(&format!("/api/events/{event}/stream/"))
        .unwrap();
    let response = alice.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = EventStream {
        response,
        buffer: String::new(),
    };
    let first = stream.next_seats().await;
    assert_eq!(first["full"], true);
    assert_eq!(first["seats"].as_array().unwrap().len(), 10);

    // A change through this server is sent at once.
    let a1 = s.seat("A1").await;
    bob.post(&format!("/api/events/{event}/seats/{a1}/lock/"), json!({}))
        .await
        .expect(200, "");
    let change = stream.next_seats().await;
    assert_eq!(change["full"], false);
    assert_eq!(change["seats"].as_array().unwrap().len(), 1);
    assert_eq!(change["seats"][0]["seat_number"], "A1");
    assert_eq!(change["seats"][0]["status"], "locked");
    assert_eq!(change["seats"][0]["locked_by_me"], false, "seen as alice");

    // A change made elsewhere (another process, straight in the store) is
    // picked up by polling, and so is a hold that expires.
    let users = s.store.store.credentials("alice").await.unwrap().unwrap();
    let a2 = s.seat("A2").await;
    s.store.store.hold(users.user.id, event, a2).await.unwrap();
    let change = stream.next_seats().await;
    assert_eq!(change["seats"][0]["seat_number"], "A2");
    assert_eq!(change["seats"][0]["locked_by_me"], true);
    s.clock.advance(Duration::from_secs(300));
    let expired = stream.next_seats().await;
    let statuses: Vec<_> = expired["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("available"), json!("available")]);

    bob.get("/api/events/999999/stream/")
        .await
        .expect(404, "not_found");
    s.client()
        .get(&format!("/api/events/{event}/stream/"))
        .await
        .expect(401, "not_authenticated");
}

pub async fn seat_map_by_rows<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.event;
    let labels = |answer: &crate::harness::Answer| -> Vec<String> {
        answer.body["seats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["seat_number"].as_str().unwrap().to_owned())
            .collect()
    };
    let b = alice
        .get(&format!("/api/events/{event}/seats/?rows=B"))
        .await;
    b.expect(200, "");
    assert_eq!(labels(&b), ["B1", "B2", "B3", "B4", "B5"]);
    let both = alice
        .get(&format!("/api/events/{event}/seats/?rows=A-B"))
        .await;
    assert_eq!(labels(&both).len(), 10);
    let none = alice
        .get(&format!("/api/events/{event}/seats/?rows=X-Z"))
        .await;
    assert_eq!(labels(&none).len(), 0);
    for bad in ["a", "A-", "1-2", "AAAA"] {
        alice
            .get(&format!("/api/events/{event}/seats/?rows={bad}"))
            .await
            .expect(400, "invalid_input");
    }
    alice
        .get("/api/events/999999/seats/?rows=A")
        .await
        .expect(404, "not_found");
}

/// The "Venue" event with Stalls A3 held by alice, Stalls B1 reserved by
/// her and Balcony A1 blocked; returns it and alice's client.
async fn venue_in_use<S: Store>(s: &TestServer<S>) -> (booking_core::EventId, Client) {
    let alice = s.login("alice").await;
    let event = s.venue_event().await;
    for label in ["Stalls A3", "Stalls B1"] {
        let seat = s.seat_of(event, label).await;
        alice
            .post(
                &format!("/api/events/{event}/seats/{seat}/lock/"),
                json!({}),
            )
            .await
            .expect(200, "");
    }
    let b1 = s.seat_of(event, "Stalls B1").await;
    alice
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({"seat_ids": [b1.get()]}),
        )
        .await
        .expect(201, "");
    let balcony_a1 = s.seat_of(event, "Balcony A1").await;
    let staff = s
        .store
        .store
        .credentials("bob")
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    s.store
        .store
        .block(staff, event, &[balcony_a1], "sound desk")
        .await
        .unwrap();
    (event, alice)
}

/// A venue's seats carry their section, category and attributes; a
/// blocked seat is taken.
pub async fn venue_seats_carry_their_attributes<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let (event, alice) = venue_in_use(&s).await;
    let map = alice.get(&format!("/api/events/{event}/seats/")).await;
    map.expect(200, "");
    let seat = |label: &str| {
        map.body["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|seat| seat["seat_number"] == label)
            .unwrap()
            .clone()
    };
    let a1 = s.seat_of(event, "Stalls A1").await;
    assert_eq!(
        seat("Stalls A1"),
        json!({"id": a1.get(), "seat_number": "Stalls A1", "row": "A", "number": 1,
               "price_cents": 15_000, "status": "available", "is_locked": false,
               "locked_until": null, "locked_by_me": false, "section": "Stalls",
               "category": "Premium", "accessible": true, "companion": false,
               "restricted_view": false, "blocked": false})
    );
    assert_eq!(seat("Stalls A2")["companion"], true);
    assert_eq!(seat("Stalls B8")["restricted_view"], true);
    assert_eq!(seat("Stalls B8")["category"], "Standard");
    assert_eq!(seat("Stalls B1")["status"], "reserved");
    assert_eq!(seat("Stalls B1")["blocked"], false);
    // A blocked seat is taken to any client, and says why to one that asks.
    let blocked = seat("Balcony A1");
    assert_eq!(
        (
            &blocked["status"],
            &blocked["blocked"],
            &blocked["is_locked"]
        ),
        (&json!("reserved"), &json!(true), &json!(false))
    );
    assert_eq!(blocked["section"], "Balcony");
    let id = blocked["id"].as_i64().unwrap();
    let refused = alice
        .post(&format!("/api/events/{event}/seats/{id}/lock/"), json!({}))
        .await;
    refused.expect(409, "seat_blocked");
    assert_eq!(refused.body["conflicts"][0]["seat_id"], id);

    // Best available never gives a blocked seat: the balcony's five free
    // seats are the most it has together.
    let path = format!("/api/events/{event}/best-available/");
    alice
        .post(&path, json!({"count": 6, "sections": ["Balcony"]}))
        .await
        .expect(409, "no_adjacent_seats");
    let five = alice
        .post(&path, json!({"count": 5, "sections": ["Balcony"]}))
        .await;
    five.expect(200, "");
    assert_eq!(
        seat_labels(&five),
        [
            "Balcony A2",
            "Balcony A3",
            "Balcony A4",
            "Balcony A5",
            "Balcony A6"
        ]
    );
    assert_eq!(five.body["seats"][0]["section"], "Balcony");
    assert_eq!(five.body["seats"][0]["category"], "Standard");
}

/// An event counts its seats by category and by section.
pub async fn events_count_seats_by_category_and_section<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let (event, alice) = venue_in_use(&s).await;
    let detail = alice.get(&format!("/api/events/{event}/")).await;
    detail.expect(200, "");
    let e = &detail.body["event"];
    assert_eq!(
        (
            &e["total_seats"],
            &e["available_seats"],
            &e["held_seats"],
            &e["reserved_seats"],
            &e["blocked_seats"]
        ),
        (&json!(22), &json!(19), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(
        e["categories"],
        json!([
            {"name": "Premium", "price_cents": 15_000, "color": "#7b3fa0", "total_seats": 8,
             "available_seats": 7, "held_seats": 1, "reserved_seats": 0, "blocked_seats": 0},
            {"name": "Standard", "price_cents": 9_000, "color": "#1f6fb2", "total_seats": 14,
             "available_seats": 12, "held_seats": 0, "reserved_seats": 1, "blocked_seats": 1},
        ])
    );
    assert_eq!(
        e["sections"],
        json!([
            {"name": "Stalls", "position": null, "total_seats": 16, "available_seats": 14,
             "held_seats": 1, "reserved_seats": 1, "blocked_seats": 0},
            {"name": "Balcony", "position": {"x": 0.5, "y": 12.25}, "total_seats": 6,
             "available_seats": 5, "held_seats": 0, "reserved_seats": 0, "blocked_seats": 1},
        ])
    );
    // The event list carries the same.
    let list = alice.get("/api/events/").await;
    let listed = list.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event.get())
        .unwrap()
        .clone();
    assert_eq!(&listed, e);
    // A hold that ends is counted as available again.
    s.clock.advance(Duration::from_secs(300));
    let later = alice.get(&format!("/api/events/{event}/")).await;
    assert_eq!(later.body["event"]["held_seats"], 0);
    assert_eq!(later.body["event"]["categories"][0]["available_seats"], 8);
}

pub async fn seat_map_by_section<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let event = s.venue_event().await;
    let map = |query: &str| alice.get(&format!("/api/events/{event}/seats/?{query}"));
    let balcony = map("section=Balcony").await;
    balcony.expect(200, "");
    assert_eq!(
        seat_labels(&balcony),
        [
            "Balcony A1",
            "Balcony A2",
            "Balcony A3",
            "Balcony A4",
            "Balcony A5",
            "Balcony A6"
        ]
    );
    let stalls = map("section=Stalls").await;
    assert_eq!(seat_labels(&stalls).len(), 16);
    // With rows: those rows of that section (row A is in both sections).
    let front = map("section=Stalls&rows=A").await;
    front.expect(200, "");
    let labels = seat_labels(&front);
    assert_eq!(labels.len(), 8);
    assert!(
        labels.iter().all(|l| l.starts_with("Stalls A")),
        "{labels:?}"
    );
    assert_eq!(seat_labels(&map("rows=A&section=Balcony").await).len(), 6);
    assert_eq!(seat_labels(&map("section=Balcony&rows=B-C").await).len(), 0);
    assert_eq!(
        seat_labels(&map("rows=A").await).len(),
        14,
        "row A of every section"
    );
    // Names match exactly; an encoded space is a space.
    for unknown in ["balcony", "Roof", "", "Stalls%20", "Bal%00cony"] {
        let answer = map(&format!("section={unknown}")).await;
        answer.expect(400, "unknown_section");
    }
    map("section=Stalls&rows=1-2")
        .await
        .expect(400, "invalid_input");
    alice
        .get("/api/events/999999/seats/?section=Balcony")
        .await
        .expect(404, "not_found");
    // An event made from a seat map has one section, named "".
    let grid = alice
        .get(&format!("/api/events/{}/seats/?section=", s.event))
        .await;
    grid.expect(200, "");
    assert_eq!(seat_labels(&grid).len(), 10);
    // The map shows a section's seats in their state now.
    let a2 = s.seat_of(event, "Balcony A2").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a2}/lock/"), json!({}))
        .await
        .expect(200, "");
    let balcony = map("section=Balcony").await;
    assert_eq!(balcony.body["seats"][1]["locked_by_me"], true);
}

// ---- the original design's own client ---------------------------------------

/// What the original design's React client shows for an answer: it checks
/// `data.success` before it uses anything, and shows `data.error` for any
/// failure.
fn original_reads(answer: &crate::harness::Answer) -> &Value {
    assert_eq!(
        answer.body["success"], true,
        "the original client would show an error: {}",
        answer.body
    );
    &answer.body
}

/// The original client, call for call: the calls it makes, in its order,
/// and the fields it reads, the way it reads them. It logs in, lists the
/// events, opens one, locks two seats, unlocks one, reserves, lists its
/// reservations and cancels; each step asserts what a person would see.
#[allow(
    clippy::too_many_lines,
    reason = "one walk through the original client, in its order"
)]
pub async fn original_client_walks_through_a_booking<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    // A third event, with a description, as the original's seeds have.
    let third = NewEvent {
        name: "Python Conf".into(),
        description: "Talks and workshops.".into(),
        venue: "Convention Center".into(),
        starts_at: s.clock.now() + chrono::TimeDelta::days(2),
        seating: "A:1-3:2500".parse().unwrap(),
        orphans: booking_core::OrphanPolicy::Allow,
        created_by: None,
    };
    s.store.store.create_event(third).await.unwrap();
    let client = s.client();

    // App start: `axios.get('/api/csrf/')`, then the login form.
    let data = client.get("/api/csrf/").await;
    assert!(original_reads(&data)["csrf_token"].is_string());
    let login = client.login("alice", PASSWORD).await;
    assert_eq!(original_reads(&login)["message"], "Welcome, alice!");
    assert_eq!(login.body["username"], "alice");

    // The event list: `if (data.success) setEvents(data.events)`.
    let data = client.get("/api/events/").await;
    let events = original_reads(&data)["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "the page shows three events");
    for event in events {
        for field in ["name", "description", "location", "event_date"] {
            assert!(event[field].is_string(), "{field} of {event}");
        }
        assert!(event["available_seats"].is_u64(), "{event}");
        assert!(event["reserved_seats"].is_u64(), "{event}");
        assert_eq!(event["event_date"], event["starts_at"]);
        assert_eq!(event["location"], event["venue"]);
    }
    let conf = events.iter().find(|e| e["name"] == "Python Conf").unwrap();
    assert_eq!(conf["description"], "Talks and workshops.");
    assert_eq!(conf["location"], "Convention Center");

    // The seat map of "Show": `if (data.success) setSeats(data.seats)`.
    let event = s.event;
    let seats_path = format!("/api/events/{event}/seats/");
    let data = client.get(&seats_path).await;
    let seats = original_reads(&data)["seats"].as_array().unwrap().clone();
    assert_eq!(seats.len(), 10);
    assert!(seats.iter().all(|seat| seat["status"] == "available"));
    let id_of = |label: &str| {
        seats
            .iter()
            .find(|seat| seat["seat_number"] == label)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (a1, a2) = (id_of("A1"), id_of("A2"));

    // Click A1 and A2: `alert(data.message)` after each lock.
    for (id, label) in [(a1, "A1"), (a2, "A2")] {
        let data = client
            .post(&format!("/api/events/{event}/seats/{id}/lock/"), json!({}))
            .await;
        assert_eq!(
            original_reads(&data)["message"],
            format!("Seat {label} locked for 5 minutes")
        );
        assert_eq!(data.body["seat"]["status"], "locked");
    }
    // Click A2 again: unlock.
    let data = client
        .post(
            &format!("/api/events/{event}/seats/{a2}/unlock/"),
            json!({}),
        )
        .await;
    assert_eq!(original_reads(&data)["message"], "Seat A2 unlocked");

    // Reserve: `` `✅ ${data.message}` `` and `"$" + total_price`.
    let data = client
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({"seat_ids": [a1]}),
        )
        .await;
    let body = original_reads(&data);
    assert_eq!(
        format!("✅ {}", body["message"].as_str().unwrap()),
        "✅ Successfully reserved 1 seat(s)"
    );
    assert_eq!(body["seats"], json!(["A1"]));
    let reservation_id = body["reservation_id"].as_i64().unwrap();
    assert_eq!(
        format!("${}", body["reservation"]["total_price"].as_str().unwrap()),
        "$100.00"
    );

    // The seat map again: A1 reserved, A2 available, the rest untouched.
    let data = client.get(&seats_path).await;
    let seats = original_reads(&data)["seats"].as_array().unwrap();
    let status = |label: &str| {
        seats
            .iter()
            .find(|seat| seat["seat_number"] == label)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("A1"), "reserved");
    assert_eq!(status("A2"), "available");
    assert_eq!(status("B5"), "available");

    // "My reservations": `if (data.success) setReservations(data.reservations)`.
    let data = client.get("/api/reservations/").await;
    let reservations = original_reads(&data)["reservations"].as_array().unwrap();
    assert_eq!(reservations.len(), 1);
    let shown = &reservations[0];
    assert_eq!(shown["id"], reservation_id);
    assert_eq!(shown["event_name"], "Show");
    assert_eq!(shown["seats"], json!(["A1"]));
    assert_eq!(
        format!("${}", shown["total_price"].as_str().unwrap()),
        "$100.00"
    );
    assert_eq!(shown["status"], "confirmed");

    // Cancel: `alert(data.message)`, then the list again.
    let data = client
        .post(
            &format!("/api/reservations/{reservation_id}/cancel/"),
            json!({}),
        )
        .await;
    assert_eq!(original_reads(&data)["message"], "Reservation cancelled");
    let data = client.get("/api/reservations/").await;
    let reservations = original_reads(&data)["reservations"].as_array().unwrap();
    assert_eq!(reservations[0]["status"], "cancelled");
    let data = client.get("/api/events/").await;
    let show = original_reads(&data)["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Show")
        .unwrap()
        .clone();
    assert_eq!(
        (
            show["available_seats"].clone(),
            show["reserved_seats"].clone()
        ),
        (json!(10), json!(0))
    );
}

/// A body that is not UTF-8 is a 400 `invalid_json`, even when the bytes
/// are in a field the API ignores, and nothing happens.
pub async fn a_body_that_is_not_utf8_is_invalid_json<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    let a1 = s.seat("A1").await;
    let event = s.event;
    lock(&s, &alice, "A1").await.expect(200, "");
    let token = alice.cookie("csrftoken").unwrap();
    let mut body = format!(r#"{{"seat_ids": [{a1}], "note": ""#).into_bytes();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""}"#);
    for path in [
        format!("/api/events/{event}/reserve/"),
        "/api/login/".to_owned(),
    ] {
        let request = alice
            .http
            .post(s.base.join(&path).unwrap())
            .header("X-CSRFToken", token.clone())
            .header("Content-Type", "application/json")
            .body(body.clone());
        crate::harness::read(request.send().await.unwrap())
            .await
            .expect(400, "invalid_json");
    }
    let data = alice.get("/api/reservations/").await;
    assert_eq!(data.body["reservations"], json!([]), "nothing was reserved");
}

/// `GET /api/openapi.json` serves the document the crate generates.
pub async fn openapi_document_is_served<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let answer = s.client().get("/api/openapi.json").await;
    answer.expect(200, "");
    assert_eq!(answer.body["openapi"], "3.1.0");
    assert_eq!(
        answer.body,
        serde_json::to_value(booking_http::openapi()).unwrap()
    );
}

// ---- hardening -----------------------------------------------------------------------

/// 300 wrong passwords at once get exactly the ten tries a sequence gets,
/// and the right password sent during that burst does not get in.
pub async fn parallel_guesses_get_no_more_tries_than_a_sequence<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    client.get("/api/csrf/").await;
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..300 {
        let guess = client.post(
            "/api/login/",
            json!({"username": "alice", "password": "wrong password"}),
        );
        let answers = answers.clone();
        tokio::spawn(async move { answers.send(guess.await.status.as_u16()) });
    }
    drop(answers);
    // Once a 429 is back, or ten 401s, the name is out of tries.
    let mut statuses = Vec::new();
    while let Some(status) = answered.recv().await {
        statuses.push(status);
        if status == 429 || statuses.len() == 10 {
            break;
        }
    }
    let right = client.login("alice", PASSWORD).await;
    while let Some(status) = answered.recv().await {
        statuses.push(status);
    }
    let count = |wanted: u16| statuses.iter().filter(|s| **s == wanted).count();
    assert_eq!((count(401), count(429)), (10, 290), "{statuses:?}");
    right.expect(429, "too_many_attempts");
}

/// A name no account can have is a plain 401: no database sees it (a NUL
/// byte made PostgreSQL fail), no throttle keeps it.
pub async fn invalid_login_names_are_a_plain_401<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let client = s.client();
    for name in [
        "al\0ice".to_owned(),
        "\0".to_owned(),
        String::new(),
        "has space".to_owned(),
        "ünïcode".to_owned(),
        "x".repeat(60_000),
    ] {
        for _ in 0..11 {
            client
                .login(&name, PASSWORD)
                .await
                .expect(401, "invalid_credentials");
        }
    }
    client.login("alice", PASSWORD).await.expect(200, "");
}

pub async fn sign_ups_are_throttled_per_address<F: StoreFactory>(f: &F) {
    let limited = Settings {
        signups_per_hour: 2,
        ..Settings::default()
    };
    let s = TestServer::start(f, Policy::default(), limited).await;
    let register = |name: &str| {
        let client = s.client();
        let body = json!({"username": name, "password": "long enough"});
        async move {
            client.get("/api/csrf/").await;
            client.post("/api/register/", body).await
        }
    };
    register("carol").await.expect(201, "");
    register("alice").await.expect(409, "username_taken");
    let refused = register("dave").await;
    refused.expect(429, "too_many_attempts");
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 3601, "{wait}");

    let open = Settings {
        signups_per_hour: 0,
        ..Settings::default()
    };
    let s = TestServer::start(f, Policy::default(), open).await;
    for i in 0..25 {
        let client = s.client();
        client.get("/api/csrf/").await;
        client
            .post(
                "/api/register/",
                json!({"username": format!("user{i}"), "password": "long enough"}),
            )
            .await
            .expect(201, "");
    }
}

/// The client address comes from `X-Forwarded-For` or `Forwarded` only when
/// the peer is a trusted proxy, and then from the right-most hop that is
/// not one (seen through the per-address sign-up limit).
pub async fn forwarded_addresses_only_from_trusted_proxies<F: StoreFactory>(f: &F) {
    async fn register<S: Store>(
        s: &TestServer<S>,
        name: &str,
        header: (&str, &str),
    ) -> crate::harness::Answer {
        let client = s.client();
        client.get("/api/csrf/").await;
        let body = json!({"username": name, "password": "long enough"});
        client
            .send(Method::POST, "/api/register/", Some(body), &[header])
            .await
    }
    let one_each = Settings {
        signups_per_hour: 1,
        ..Settings::default()
    };
    // From an untrusted peer the headers are ignored.
    let s = TestServer::start(f, Policy::default(), one_each.clone()).await;
    register(&s, "u1", ("X-Forwarded-For", "192.0.2.1"))
        .await
        .expect(201, "");
    register(&s, "u2", ("X-Forwarded-For", "192.0.2.2"))
        .await
        .expect(429, "too_many_attempts");
    register(&s, "u3", ("Forwarded", "for=192.0.2.3"))
        .await
        .expect(429, "too_many_attempts");

    let behind_proxy = Settings {
        trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
        ..one_each
    };
    let s = TestServer::start(f, Policy::default(), behind_proxy).await;
    register(&s, "u1", ("X-Forwarded-For", "192.0.2.1"))
        .await
        .expect(201, "");
    register(&s, "u2", ("X-Forwarded-For", "192.0.2.1"))
        .await
        .expect(429, "too_many_attempts");
    register(&s, "u3", ("X-Forwarded-For", "192.0.2.2"))
        .await
        .expect(201, "");
    // What the client wrote to the left of the proxy's hop proves nothing.
    register(&s, "u4", ("X-Forwarded-For", "198.51.100.9, 192.0.2.2"))
        .await
        .expect(429, "too_many_attempts");
    register(&s, "u5", ("Forwarded", "for=192.0.2.5;proto=https"))
        .await
        .expect(201, "");
    register(&s, "u6", ("Forwarded", "for=\"[2001:db8::1]:4711\""))
        .await
        .expect(201, "");
}

/// A POST with exactly these headers, from a client without a cookie jar.
async fn bare_post<S>(
    s: &TestServer<S>,
    path: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> crate::harness::Answer {
    let mut request = reqwest::Client::new()
        .post(s.base.join(path).unwrap())
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    crate::harness::read(request.send().await.unwrap()).await
}

pub async fn csrf_tokens_have_one_shape_and_turn_over_at_login<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let credentials = json!({"username": "alice", "password": PASSWORD});
    // Any value that is not a token is no token, even when it is echoed.
    for planted in ["a", "not-the-token", &"AB".repeat(32), &"ab".repeat(33)] {
        let cookie = format!("csrftoken={planted}");
        let headers = [("Cookie", cookie.as_str()), ("X-CSRFToken", planted)];
        bare_post(&s, "/api/login/", credentials.clone(), &headers)
            .await
            .expect(403, "csrf_failed");
    }
    // The token before login is dead after it.
    let alice = s.client();
    alice.get("/api/csrf/").await;
    let before = alice.cookie("csrftoken").unwrap();
    alice.login("alice", PASSWORD).await.expect(200, "");
    let session = alice.cookie("sessionid").unwrap();
    let after = alice.cookie("csrftoken").unwrap();
    assert_ne!(before, after);
    let a1 = s.seat("A1").await;
    let lock = format!("/api/events/{}/seats/{a1}/lock/", s.event);
    // A well-formed token planted in the cookie does not fit the session.
    let planted = "0123456789abcdef".repeat(4);
    for token in [before.as_str(), planted.as_str()] {
        let cookie = format!("sessionid={session}; csrftoken={token}");
        let headers = [("Cookie", cookie.as_str()), ("X-CSRFToken", token)];
        bare_post(&s, &lock, json!({}), &headers)
            .await
            .expect(403, "csrf_failed");
    }
    // The client that echoes its current cookie goes on working.
    alice.post(&lock, json!({})).await.expect(200, "");
    // Logout turns the token over again.
    alice.post("/api/logout/", json!({})).await.expect(200, "");
    let logged_out = alice.cookie("csrftoken").unwrap();
    assert_ne!(logged_out, after);
    alice.login("alice", PASSWORD).await.expect(200, "");
}

/// Login CSRF over HTTPS: another site plants a well-formed token in the
/// cookie and posts the form. The Origin (or, without one, the Referer)
/// gives it away.
pub async fn login_csrf_over_https_needs_a_trusted_origin<F: StoreFactory>(f: &F) {
    let https = Settings {
        secure_cookies: true,
        csrf_trusted_origins: vec!["https://shop.example".into()],
        ..Settings::default()
    };
    let s = TestServer::start(f, Policy::default(), https).await;
    let own = format!("https://{}", s.base.authority());
    let own_plain = format!("http://{}", s.base.authority());
    let credentials = json!({"username": "alice", "password": PASSWORD});
    let planted = "0123456789abcdef".repeat(4);
    let cookie = format!("csrftoken={planted}");
    let login = |extra: &[(&'static str, &str)]| {
        let mut headers = vec![("Cookie", cookie.as_str()), ("X-CSRFToken", &planted)];
        headers.extend_from_slice(extra);
        let headers: Vec<(&str, String)> = headers
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        let body = credentials.clone();
        let s = &s;
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            bare_post(s, "/api/login/", body, &headers).await
        }
    };
    for refused in [
        vec![("Origin", "https://evil.example")],
        vec![("Origin", "null")],
        vec![("Origin", "http://localhost:3000.evil.example")],
        vec![],
        vec![("Referer", "https://evil.example/login")],
        vec![("Referer", "http://shop.example/")],
        vec![("Origin", own_plain.as_str())],
    ] {
        let answer = login(&refused).await;
        answer.expect(403, "csrf_failed");
    }
    let own_page = format!("{own}/");
    for accepted in [
        vec![("Origin", own.as_str())],
        vec![("Origin", "https://shop.example")],
        vec![("Origin", "http://localhost:3000")],
        vec![("Referer", own_page.as_str())],
        vec![("Referer", "https://shop.example/seats?event=1")],
    ] {
        login(&accepted).await.expect(200, "");
    }

    // Over plain HTTP a wrong Origin is refused too; no Origin is fine.
    let s = server(f).await;
    let client = s.client();
    client.get("/api/csrf/").await;
    let answer = client
        .send(
            Method::POST,
            "/api/login/",
            Some(credentials.clone()),
            &[("Origin", "http://evil.example")],
        )
        .await;
    answer.expect(403, "csrf_failed");
    // Our own host over either scheme: a TLS proxy may be in front.
    for origin in [
        format!("http://{}", s.base.authority()),
        format!("https://{}", s.base.authority()),
    ] {
        client
            .send(
                Method::POST,
                "/api/login/",
                Some(credentials.clone()),
                &[("Origin", &origin)],
            )
            .await
            .expect(200, "");
    }
}

impl EventStream {
    /// Reads until the server ends the stream (at most ten seconds).
    async fn until_end(&mut self) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while self.response.chunk().await.unwrap().is_some() {}
        })
        .await
        .expect("the stream ends within ten seconds");
    }
}

/// An open live stream ends when its session does: at logout, and when the
/// session expires.
pub async fn live_streams_end_with_their_session<F: StoreFactory>(f: &F) {
    let settings = Settings {
        live_poll_interval: Duration::from_millis(100),
        session_check_interval: Duration::from_millis(100),
        ..Settings::default()
    };
    let ttl = settings.session_ttl;
    let s = TestServer::start(f, Policy::default(), settings).await;
    let open = |client: &Client| {
        let url = s
            .base
            .join(&format!("/api/events/{}/stream/", s.event))
            .unwrap();
        let request = client.http.get(url);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let mut stream = EventStream {
                response,
                buffer: String::new(),
            };
            stream.next_seats().await;
            stream
        }
    };
    let alice = s.login("alice").await;
    let mut watching = open(&alice).await;
    alice.post("/api/logout/", json!({})).await.expect(200, "");
    watching.until_end().await;

    let bob = s.login("bob").await;
    let mut watching = open(&bob).await;
    s.clock.advance(ttl + Duration::from_secs(1));
    watching.until_end().await;
}

/// Headers that keep answers out of caches and sniffers, a logout cookie
/// like the login one, and error texts for people, not parser internals.
pub async fn answers_carry_safe_headers_and_plain_errors<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let alice = s.login("alice").await;
    for path in ["/api/health/", "/api/events/", "/api/nothing/"] {
        let answer = alice.get(path).await;
        assert_eq!(
            answer.headers["x-content-type-options"], "nosniff",
            "{path}"
        );
        assert_eq!(answer.headers["cache-control"], "no-store", "{path}");
        assert_eq!(answer.headers["referrer-policy"], "same-origin", "{path}");
    }
    let page = reqwest::get(s.base.join("/").unwrap()).await.unwrap();
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");

    let missing = alice.get("/api/no-such-thing-xyzzy/").await;
    missing.expect(404, "not_found");
    assert!(!missing.body["error"].as_str().unwrap().contains("xyzzy"));

    let event = s.event;
    let reserve = format!("/api/events/{event}/reserve/");
    let cases = [
        (
            alice.get("/api/events/abc/").await,
            "No such resource: the event id must be a number.",
        ),
        (
            alice
                .post(&format!("/api/events/{event}/seats/x/lock/"), json!({}))
                .await,
            "No such resource: the seat id must be a number.",
        ),
        (
            alice
                .post("/api/reservations/99999999999999999999/cancel/", json!({}))
                .await,
            "No such resource: the reservation id is out of range.",
        ),
        (
            alice.post(&reserve, json!({"seat_ids": "A1"})).await,
            "The field seat_ids has the wrong type or value.",
        ),
        (
            alice.post(&reserve, json!({"seat_ids": [1.5]})).await,
            "The field seat_ids[0] has the wrong type or value.",
        ),
        (
            alice.post(&reserve, json!({})).await,
            "The field seat_ids is missing.",
        ),
        (
            alice.post(&reserve, json!([1])).await,
            "The body must be a JSON object with the fields this endpoint takes.",
        ),
        (
            alice
                .post("/api/login/", json!({"username": "alice"}))
                .await,
            "The field password is missing.",
        ),
    ];
    for (answer, text) in cases {
        assert_eq!(answer.body["error"], text, "{answer:?}");
    }
}

/// Logout's cookie has the login cookie's attributes, Secure included.
pub async fn logout_cookie_is_like_the_login_cookie<F: StoreFactory>(f: &F) {
    let https = Settings {
        secure_cookies: true,
        ..Settings::default()
    };
    let s = TestServer::start(f, Policy::default(), https).await;
    let origin = format!("https://{}", s.base.authority());
    let token = "0123456789abcdef".repeat(4);
    let cookie = format!("csrftoken={token}");
    let login = bare_post(
        &s,
        "/api/login/",
        json!({"username": "alice", "password": PASSWORD}),
        &[
            ("Cookie", &cookie),
            ("X-CSRFToken", &token),
            ("Origin", &origin),
        ],
    )
    .await;
    login.expect(200, "");
    let cookies = |answer: &crate::harness::Answer, name: &str| {
        set_cookie(answer, name)
            .unwrap_or_else(|| panic!("no {name} cookie"))
            .to_owned()
    };
    let value = |set: &str| {
        set.split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_owned()
    };
    let session = value(&cookies(&login, "sessionid"));
    let token = value(&cookies(&login, "csrftoken"));
    let cookie = format!("sessionid={session}; csrftoken={token}");
    let logout = bare_post(
        &s,
        "/api/logout/",
        json!({}),
        &[
            ("Cookie", &cookie),
            ("X-CSRFToken", &token),
            ("Origin", &origin),
        ],
    )
    .await;
    logout.expect(200, "");
    let gone = cookies(&logout, "sessionid");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=0"] {
        assert!(gone.contains(attribute), "{gone}");
    }
}
