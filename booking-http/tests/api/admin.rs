//! The box office's API (`/api/admin/`) and the audit log a user reads of
//! their own (`/api/audit/`), one `pub async fn` per part of docs/API.md's
//! "Box office (staff)", each run on every backend (`api_tests!`).

use booking_core::testkit::StoreFactory;
use booking_core::testkit::suite::SMALL_VENUE;
use std::time::Duration;

use booking_core::{Clock, EventId, Policy, Store};
use booking_http::Settings;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Answer, Client, TestServer};

async fn server<F: StoreFactory>(f: &F) -> TestServer<F::Store> {
    TestServer::start(f, Policy::default(), Settings::default()).await
}

/// The concert hall of the repository's examples, as booking-core builds
/// it in.
const CONCERT_HALL: &str = booking_core::venue::examples::CONCERT_HALL;

/// `client` holds and reserves the seats `labels` of `event`; the
/// reservation's id.
async fn reserve<S: Store>(
    s: &TestServer<S>,
    client: &Client,
    event: EventId,
    labels: &[&str],
) -> i64 {
    let mut ids = Vec::new();
    for label in labels {
        let seat = s.seat_of(event, label).await;
        client
            .post(
                &format!("/api/events/{event}/seats/{seat}/lock/"),
                json!({}),
            )
            .await
            .expect(200, "");
        ids.push(seat.get());
    }
    let made = client
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({ "seat_ids": ids }),
        )
        .await;
    made.expect(201, "");
    made.body["reservation_id"].as_i64().unwrap()
}

/// A POST of `body` as it is, as JSON, with the client's CSRF token.
async fn raw_post(client: &Client, path: &str, body: String) -> Answer {
    let request = client
        .http
        .post(client.base.join(path).unwrap())
        .header("X-CSRFToken", client.cookie("csrftoken").unwrap())
        .header("Content-Type", "application/json")
        .body(body);
    crate::harness::read(&Method::POST, request.send().await.unwrap()).await
}

/// The labels of the `seats` of an answer.
fn labels(answer: &Answer) -> Vec<&str> {
    answer.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| seat["seat_number"].as_str().unwrap())
        .collect()
}

/// The ids of the seats `labels` of the "Show" event, as a body gives them.
async fn ids<S: Store>(s: &TestServer<S>, labels: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for label in labels {
        ids.push(s.seat(label).await.get());
    }
    ids
}

// ---- who may ----------------------------------------------------------------------

/// Every operation the OpenAPI document has under `/api/admin/` (the
/// document is generated from the routes' handlers, so a new route is in
/// it) answers 401 without a session and 403 `forbidden` to a customer,
/// for every method it takes, and lets staff through; every other method
/// of those paths is 405. `/api/audit/` needs a session only.
pub async fn every_admin_route_is_staff_only<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let anonymous = s.client();
    anonymous.get("/api/csrf/").await.expect(200, "");
    let customer = s.login("alice").await;
    let staff = s.staff("boss").await;
    let operations = crate::schema::operations_under("/api/admin/");
    for known in [
        (Method::GET, "/api/admin/events/"),
        (Method::POST, "/api/admin/events/"),
        (Method::PATCH, "/api/admin/events/{event_id}/"),
        (Method::GET, "/api/admin/audit/"),
    ] {
        assert!(
            operations.contains(&(known.0.clone(), known.1.to_owned())),
            "the walk misses {known:?}: {operations:?}"
        );
    }
    let event = s.event.to_string();
    let mut paths = Vec::new();
    for (method, template) in &operations {
        let path = template.replace("{event_id}", &event).replace("{id}", "1");
        assert!(
            !path.contains('{'),
            "{template} has a parameter the walk does not fill"
        );
        let body = (method != Method::GET).then(|| json!({}));
        anonymous
            .send(method.clone(), &path, body.clone(), &[])
            .await
            .expect(401, "not_authenticated");
        customer
            .send(method.clone(), &path, body.clone(), &[])
            .await
            .expect(403, "forbidden");
        let answer = staff.send(method.clone(), &path, body, &[]).await;
        assert!(
            ![401, 403].contains(&answer.status.as_u16()),
            "{method} {path} refused staff: {}",
            answer.body
        );
        paths.push((template.clone(), path));
    }
    for (template, path) in &paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ] {
            if operations.contains(&(method.clone(), template.clone())) {
                continue;
            }
            customer
                .send(method, path, None, &[])
                .await
                .expect(405, "method_not_allowed");
        }
    }
    anonymous
        .get("/api/audit/")
        .await
        .expect(401, "not_authenticated");
    customer.get("/api/audit/").await.expect(200, "");
}

// ---- events -----------------------------------------------------------------------

pub async fn staff_preview_a_venue_before_creating_it<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let venue: Value = serde_json::from_str(SMALL_VENUE).unwrap();
    let preview = staff
        .post("/api/admin/events/preview/", json!({ "venue": venue }))
        .await;
    preview.expect(200, "");
    assert_eq!(
        preview.body["preview"],
        json!({
            "total_seats": 22,
            "sections": [
                {"name": "Stalls", "position": null, "rows": 2, "total_seats": 16,
                 "accessible": 1, "companion": 1},
                {"name": "Balcony", "position": {"x": 0.5, "y": 12.25}, "rows": 1,
                 "total_seats": 6, "accessible": 0, "companion": 0},
            ],
            "categories": [
                {"name": "Premium", "price_cents": 15000, "color": "#7b3fa0", "total_seats": 8},
                {"name": "Standard", "price_cents": 9000, "color": "#1f6fb2", "total_seats": 14},
            ],
        })
    );
    let compact = staff
        .post(
            "/api/admin/events/preview/",
            json!({"seats": "A-B:1-5:1000,C:1-4:500", "name": "not read"}),
        )
        .await;
    compact.expect(200, "");
    assert_eq!(compact.body["preview"]["total_seats"], 14);
    assert_eq!(compact.body["preview"]["sections"][0]["name"], "");
    assert_eq!(compact.body["preview"]["sections"][0]["rows"], 3);
    assert_eq!(compact.body["preview"]["categories"][1]["name"], "$5.00");

    // Errors name the JSON path at fault and the problem.
    let mut bad_row = venue.clone();
    bad_row["sections"][1]["rows"][0]["seats"] = json!(["6-x"]);
    let mut bad_type = venue.clone();
    bad_type["sections"][0]["rows"][1]["accessible"] = json!("8");
    let mut unknown_field = venue.clone();
    unknown_field["sections"][0]["colour"] = json!("red");
    for (body, names) in [
        (
            json!({ "venue": bad_row }),
            "A mistake in the venue file, at sections[1] (Balcony).rows[0]",
        ),
        (
            json!({ "venue": bad_type }),
            "at sections[0].rows[1].accessible:",
        ),
        (json!({ "venue": unknown_field }), "colour"),
        (
            json!({ "venue": {"sections": []} }),
            "A mistake in the venue file: missing field `categories`",
        ),
        (json!({ "seats": "A-B:1-5" }), "A mistake in the seat map: "),
        (json!({}), "exactly one of venue"),
        (
            json!({ "venue": venue, "seats": "A:1:100" }),
            "exactly one of venue",
        ),
    ] {
        let answer = staff.post("/api/admin/events/preview/", body).await;
        answer.expect(400, "invalid_input");
        let error = answer.body["error"].as_str().unwrap();
        assert!(error.contains(names), "{error:?} does not name {names:?}");
    }
    // Nothing was created by any of it.
    let events = staff.get("/api/admin/events/").await;
    assert_eq!(events.body["events"].as_array().unwrap().len(), 2);
}

pub async fn staff_create_events_from_a_venue_file_or_the_compact_notation<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let hall: Value = serde_json::from_str(CONCERT_HALL).unwrap();
    let created = staff
        .post(
            "/api/admin/events/",
            json!({
                "name": "Concert", "starts_at": "2030-06-01T19:30:00+02:00",
                "location": "The hall", "description": "Strings", "venue": hall,
                "orphans": "refuse",
            }),
        )
        .await;
    created.expect(201, "");
    let event = &created.body["event"];
    assert_eq!(event["name"], "Concert");
    assert_eq!(event["starts_at"], "2030-06-01T17:30:00Z");
    assert_eq!(
        (&event["venue"], &event["location"]),
        (&json!("The hall"), &json!("The hall"))
    );
    assert_eq!(event["description"], "Strings");
    let preview = staff
        .post("/api/admin/events/preview/", json!({ "venue": hall }))
        .await;
    assert_eq!(event["total_seats"], preview.body["preview"]["total_seats"]);
    assert_eq!(event["available_seats"], event["total_seats"]);
    let concert = event["id"].as_i64().unwrap();

    let compact = staff
        .post(
            "/api/admin/events/",
            json!({"name": "Film", "starts_at": "2030-06-02T20:00:00Z", "seats": "A-C:1-4:800"}),
        )
        .await;
    compact.expect(201, "");
    assert_eq!(compact.body["event"]["total_seats"], 12);
    assert_eq!(compact.body["event"]["venue"], "");
    let film = compact.body["event"]["id"].as_i64().unwrap();

    // Customers see them; staff's list has them too.
    let alice = s.login("alice").await;
    let listed: Vec<i64> = alice.get("/api/events/").await.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(
        listed.contains(&concert) && listed.contains(&film),
        "{listed:?}"
    );
    let all = staff.get("/api/admin/events/").await;
    all.expect(200, "");
    assert_eq!(all.body["events"].as_array().unwrap().len(), 4);

    // Each creation is audited: by staff here, by nobody for the harness's
    // own events (made as the command line makes them).
    let created = staff.get("/api/admin/audit/?action=create_event").await;
    created.expect(200, "");
    let records = created.body["records"].as_array().unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(
        (&records[0]["event_id"], &records[1]["event_id"]),
        (&json!(film), &json!(concert))
    );
    assert_eq!(
        (&records[0]["actor"], &records[1]["actor"]),
        (&json!("boss"), &json!("boss"))
    );
    assert_eq!(records[3]["event_id"], s.event.get());
    assert_eq!(
        (&records[3]["actor_id"], &records[3]["actor"]),
        (&Value::Null, &Value::Null)
    );

    for (body, says) in [
        (
            json!({"name": "", "starts_at": "2030-06-02T20:00:00Z", "seats": "A:1:1"}),
            "name",
        ),
        (
            json!({"name": "X", "starts_at": "next week", "seats": "A:1:1"}),
            "starts_at",
        ),
        (
            json!({"name": "X", "starts_at": "2030-06-02T20:00:00Z"}),
            "exactly one",
        ),
        (
            json!({"name": "X", "starts_at": "2030-06-02T20:00:00Z", "seats": "A:1:1", "orphans": "never"}),
            "orphans",
        ),
        (
            json!({"starts_at": "2030-06-02T20:00:00Z", "seats": "A:1:1"}),
            "name is missing",
        ),
    ] {
        let answer = staff.post("/api/admin/events/", body).await;
        answer.expect(400, "invalid_input");
        let error = answer.body["error"].as_str().unwrap();
        assert!(error.contains(says), "{error:?} does not say {says:?}");
    }
}

/// Without a location, an event made from a venue file takes the file's
/// name as its place, as the command line's `event add` does.
pub async fn staff_create_an_event_at_the_venue_files_place<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let hall: Value = serde_json::from_str(CONCERT_HALL).unwrap();
    let unnamed = staff
        .post(
            "/api/admin/events/",
            json!({"name": "Matinee", "starts_at": "2030-06-03T15:00:00Z", "venue": hall}),
        )
        .await;
    unnamed.expect(201, "");
    assert_eq!(
        unnamed.body["event"]["location"],
        "Concert hall (1,200 seats)"
    );
}

/// A new event's body, and its preview's, may be up to 1 MiB (a venue
/// file); every other body stops at 64 KiB.
pub async fn a_venue_file_may_be_up_to_a_mebibyte<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let hall: Value = serde_json::from_str(CONCERT_HALL).unwrap();
    let padded = |bytes: usize| {
        let body = json!({"name": "Big", "starts_at": "2030-06-02T20:00:00Z", "venue": hall});
        format!("{body}{}", " ".repeat(bytes))
    };
    raw_post(&staff, "/api/admin/events/", padded(200 * 1024))
        .await
        .expect(201, "");
    raw_post(&staff, "/api/admin/events/preview/", padded(200 * 1024))
        .await
        .expect(200, "");
    raw_post(&staff, "/api/admin/events/", padded(1024 * 1024))
        .await
        .expect(413, "payload_too_large");
    let block = format!("/api/admin/events/{}/block/", s.event);
    raw_post(
        &staff,
        &block,
        format!("{{\"reason\": \"\"}}{}", " ".repeat(100 * 1024)),
    )
    .await
    .expect(413, "payload_too_large");
}

pub async fn staff_edit_an_event<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let event = s.event;
    let path = format!("/api/admin/events/{event}/");
    let edited = staff
        .patch(
            &path,
            json!({"name": "Show (moved)", "location": "Big hall", "starts_at": "2031-01-02T03:04:05Z"}),
        )
        .await;
    edited.expect(200, "");
    let shown = &edited.body["event"];
    assert_eq!(shown["name"], "Show (moved)");
    assert_eq!(shown["venue"], "Big hall");
    assert_eq!(shown["starts_at"], "2031-01-02T03:04:05Z");
    assert_eq!(shown["total_seats"], 10);
    let alice = s.login("alice").await;
    let seen = alice.get(&format!("/api/events/{event}/")).await;
    assert_eq!(seen.body["event"]["name"], "Show (moved)");
    assert_eq!(seen.body["event"]["description"], "");

    staff
        .patch(&path, json!({"description": "Now with an interval"}))
        .await
        .expect(200, "");
    let audit = staff.get("/api/admin/audit/?action=edit_event").await;
    audit.expect(200, "");
    let records = audit.body["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["reason"].as_str().unwrap(), "description");
    assert_eq!(records[1]["actor"], "boss");

    for (body, code) in [
        (json!({}), "invalid_input"),
        (json!({"name": " "}), "invalid_input"),
        (json!({"starts_at": "tomorrow"}), "invalid_input"),
        (json!({"name": 7}), "invalid_input"),
    ] {
        staff.patch(&path, body).await.expect(400, code);
    }
    staff
        .patch("/api/admin/events/999999/", json!({"name": "X"}))
        .await
        .expect(404, "not_found");
    staff
        .post(&path, json!({"name": "X"}))
        .await
        .expect(405, "method_not_allowed");
}

pub async fn staff_cancel_an_event_and_its_customers_see_why<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    let hers = reserve(&s, &alice, event, &["A1", "A2"]).await;
    let his = reserve(&s, &bob, event, &["B1"]).await;
    let own = reserve(&s, &bob, event, &["B2"]).await;
    bob.post(&format!("/api/reservations/{own}/cancel/"), json!({}))
        .await
        .expect(200, "");
    let a3 = s.seat("A3").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a3}/lock/"), json!({}))
        .await
        .expect(200, "");
    staff
        .post(
            &format!("/api/admin/events/{event}/block/"),
            json!({"reason": "House seats", "seat_ids": ids(&s, &["B5"]).await}),
        )
        .await
        .expect(200, "");

    let path = format!("/api/admin/events/{event}/cancel/");
    for body in [json!({}), json!({"reason": "  "})] {
        staff.post(&path, body).await.expect(400, "invalid_input");
    }
    let cancelled = staff
        .post(&path, json!({"reason": "The band is ill"}))
        .await;
    cancelled.expect(200, "");
    assert_eq!(cancelled.body["reservations_cancelled"], 2);
    let shown = &cancelled.body["event"];
    assert_eq!(shown["cancel_reason"], "The band is ill");
    assert!(shown["cancelled_at"].is_string());
    // No seat is held or reserved any more; the blocked one stays blocked.
    assert_eq!(
        (
            &shown["available_seats"],
            &shown["held_seats"],
            &shown["reserved_seats"],
            &shown["blocked_seats"]
        ),
        (&json!(9), &json!(0), &json!(0), &json!(1))
    );
    staff
        .post(&path, json!({"reason": "again"}))
        .await
        .expect(409, "event_cancelled");
    staff
        .post("/api/admin/events/999999/cancel/", json!({"reason": "x"}))
        .await
        .expect(404, "not_found");

    // Its customers see why; its own cancels stay theirs.
    for (client, id, by_staff) in [(&alice, hers, true), (&bob, his, true), (&bob, own, false)] {
        let mine = client.get("/api/reservations/").await;
        let listed = mine.body["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        assert_eq!(listed["status"], "cancelled");
        assert_eq!(listed["cancelled_by_staff"], by_staff, "{listed}");
        let reason = if by_staff {
            json!("The band is ill")
        } else {
            json!(null)
        };
        assert_eq!(listed["cancel_reason"], reason);
    }
}

/// The event `event` of an answer's `events`, if it lists it.
fn listed(answer: &Answer, event: EventId) -> Option<&Value> {
    answer.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event.get())
}

/// A cancelled event leaves the customers' list but still answers; nothing
/// of it can be booked, blocked or edited; its audit records are written
/// in its transaction.
pub async fn a_cancelled_event_is_read_but_never_booked<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let event = s.event;
    reserve(&s, &alice, event, &["A1"]).await;
    reserve(&s, &alice, event, &["A2"]).await;
    let a3 = s.seat("A3").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a3}/lock/"), json!({}))
        .await
        .expect(200, "");
    let cancelled = staff
        .post(
            &format!("/api/admin/events/{event}/cancel/"),
            json!({"reason": "The band is ill"}),
        )
        .await;
    cancelled.expect(200, "");
    let shown = &cancelled.body["event"];

    // Customers no longer find it on sale, but can still read it.
    let on_sale = alice.get("/api/events/").await;
    assert_eq!(listed(&on_sale, event), None);
    let read = alice.get(&format!("/api/events/{event}/")).await;
    read.expect(200, "");
    assert_eq!(read.body["event"]["cancel_reason"], "The band is ill");
    let all = staff.get("/api/admin/events/").await;
    let in_list = listed(&all, event).unwrap();
    assert_eq!(in_list["cancelled_at"], shown["cancelled_at"]);
    let other = listed(&all, s.other_event).unwrap();
    assert_eq!(
        (&other["cancelled_at"], &other["cancel_reason"]),
        (&Value::Null, &Value::Null)
    );

    // Nothing of it can be booked, blocked or edited.
    let a4 = s.seat("A4").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a4}/lock/"), json!({}))
        .await
        .expect(409, "event_cancelled");
    alice
        .post(
            &format!("/api/events/{event}/best-available/"),
            json!({"count": 1}),
        )
        .await
        .expect(409, "event_cancelled");
    alice
        .post(
            &format!("/api/events/{event}/reserve/"),
            json!({"seat_ids": [a3.get()]}),
        )
        .await
        .expect(409, "event_cancelled");
    staff
        .patch(
            &format!("/api/admin/events/{event}/"),
            json!({"name": "Back on"}),
        )
        .await
        .expect(409, "event_cancelled");
    for action in ["block", "unblock"] {
        staff
            .post(
                &format!("/api/admin/events/{event}/{action}/"),
                json!({"reason": "x", "seat_ids": [a4.get()]}),
            )
            .await
            .expect(409, "event_cancelled");
    }
    // Staff still read it.
    staff
        .get(&format!("/api/admin/events/{event}/sales/"))
        .await
        .expect(200, "");
    let audit = staff
        .get(&format!("/api/admin/audit/?event={event}&limit=3"))
        .await;
    // One record of the event's cancel, and one staff cancel per
    // reservation, all in its transaction (in either order).
    let records = audit.body["records"].as_array().unwrap();
    let mut actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(actions, ["cancel_event", "staff_cancel", "staff_cancel"]);
    let record = records
        .iter()
        .find(|r| r["action"] == "cancel_event")
        .unwrap();
    assert_eq!(record["reason"], "The band is ill");
    assert_eq!(record["actor"], "boss");
    assert_eq!(record["seats"], json!([]));
    assert!(records.iter().all(|r| r["at"] == shown["cancelled_at"]));
}

// ---- seats ------------------------------------------------------------------------

pub async fn staff_block_and_unblock_seats_by_list_row_and_section<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let event = s.event;
    let block = format!("/api/admin/events/{event}/block/");
    let unblock = format!("/api/admin/events/{event}/unblock/");

    let one = staff
        .post(
            &block,
            json!({"reason": "House seats", "seat_ids": ids(&s, &["A1"]).await}),
        )
        .await;
    one.expect(200, "");
    assert_eq!(labels(&one), ["A1"]);
    assert_eq!(one.body["seats"][0]["blocked"], true);
    assert_eq!(one.body["seats"][0]["status"], "reserved");
    let a1 = s.seat("A1").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a1}/lock/"), json!({}))
        .await
        .expect(409, "seat_blocked");

    // A row of the one section (named "") of a compact-notation event.
    let row = staff
        .post(
            &block,
            json!({"reason": "Camera platform", "section": "", "row": "B"}),
        )
        .await;
    row.expect(200, "");
    assert_eq!(labels(&row), ["B1", "B2", "B3", "B4", "B5"]);

    let blocks = staff
        .get(&format!("/api/admin/events/{event}/blocks/"))
        .await;
    blocks.expect(200, "");
    let listed = blocks.body["blocks"].as_array().unwrap();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed[0]["seat_number"], "A1");
    assert_eq!(listed[0]["reason"], "House seats");
    assert_eq!(listed[0]["blocked_by"], "boss");
    assert!(listed[0]["blocked_at"].is_string());
    assert_eq!(listed[5]["seat_number"], "B5");
    assert_eq!(listed[5]["reason"], "Camera platform");
    let sales = staff
        .get(&format!("/api/admin/events/{event}/sales/"))
        .await;
    assert_eq!(sales.body["sales"]["total"]["blocked"], 6);

    // All or nothing: a held seat in the list blocks none of them.
    let a2 = s.seat("A2").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a2}/lock/"), json!({}))
        .await
        .expect(200, "");
    let refused = staff
        .post(
            &block,
            json!({"reason": "x", "seat_ids": ids(&s, &["A3", "A2"]).await}),
        )
        .await;
    refused.expect(409, "seat_locked");
    assert_eq!(refused.body["conflicts"][0]["seat_number"], "A2");
    let seats = alice.get(&format!("/api/events/{event}/seats/")).await;
    let a3 = seats.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|seat| seat["seat_number"] == "A3")
        .unwrap();
    assert_eq!(a3["blocked"], false);

    // The whole section back on sale; A2 stays alice's hold.
    let back = staff
        .post(&unblock, json!({"reason": "Sold as normal", "section": ""}))
        .await;
    back.expect(200, "");
    assert_eq!(labels(&back).len(), 10);
    let statuses: Vec<&str> = back.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|seat| seat["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|&&s| s == "locked").count(), 1);
    assert_eq!(statuses.iter().filter(|&&s| s == "available").count(), 9);
    let none = staff
        .get(&format!("/api/admin/events/{event}/blocks/"))
        .await;
    assert_eq!(none.body["blocks"], json!([]));
}

pub async fn blocks_name_their_seats_one_way<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let event = s.event;
    let block = format!("/api/admin/events/{event}/block/");
    let unblock = format!("/api/admin/events/{event}/unblock/");
    let a1 = s.seat("A1").await;
    for (body, code) in [
        (json!({"reason": "x"}), "invalid_input"),
        (json!({"seat_ids": [a1.get()]}), "invalid_input"),
        (
            json!({"reason": "x", "seat_ids": [a1.get()], "section": ""}),
            "invalid_input",
        ),
        (json!({"reason": "x", "row": "A"}), "invalid_input"),
        (json!({"reason": "x", "seat_ids": []}), "invalid_input"),
        (
            json!({"reason": "x", "section": "", "row": "Z"}),
            "invalid_input",
        ),
        (
            json!({"reason": "x", "section": "", "row": "1"}),
            "invalid_input",
        ),
        (
            json!({"reason": "x", "section": "Balcony"}),
            "unknown_section",
        ),
    ] {
        staff.post(&block, body.clone()).await.expect(400, code);
        staff.post(&unblock, body).await.expect(400, code);
    }
    let other = s.seat_of(s.other_event, "A1").await;
    staff
        .post(&block, json!({"reason": "x", "seat_ids": [other.get()]}))
        .await
        .expect(404, "not_found");
    staff
        .post(
            "/api/admin/events/999999/block/",
            json!({"reason": "x", "section": ""}),
        )
        .await
        .expect(404, "not_found");
    staff
        .get("/api/admin/events/999999/blocks/")
        .await
        .expect(404, "not_found");
}

/// A venue's sections by name: a row of one, then the whole of another.
pub async fn staff_block_a_row_of_a_named_section<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let venue = s.venue_event().await;
    let block = format!("/api/admin/events/{venue}/block/");
    let row = staff
        .post(
            &block,
            json!({"reason": "Sound desk", "section": "Stalls", "row": "B"}),
        )
        .await;
    row.expect(200, "");
    assert_eq!(labels(&row).len(), 8);
    assert!(labels(&row).iter().all(|l| l.starts_with("Stalls B")));
    let balcony = staff
        .post(&block, json!({"reason": "Closed", "section": "Balcony"}))
        .await;
    balcony.expect(200, "");
    assert_eq!(labels(&balcony).len(), 6);
    let summary = staff.get(&format!("/api/events/{venue}/")).await;
    assert_eq!(summary.body["event"]["blocked_seats"], 14);
    staff
        .post(
            &block,
            json!({"reason": "x", "section": "Stalls", "row": "C"}),
        )
        .await
        .expect(400, "invalid_input");
}

// ---- reservations -----------------------------------------------------------------

pub async fn staff_list_an_events_reservations_with_filters_and_pages<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    let first = reserve(&s, &alice, event, &["A1"]).await;
    let second = reserve(&s, &bob, event, &["B1", "B2"]).await;
    let third = reserve(&s, &alice, event, &["A2"]).await;
    reserve(&s, &alice, s.other_event, &["A1"]).await;
    alice
        .post(&format!("/api/reservations/{first}/cancel/"), json!({}))
        .await
        .expect(200, "");

    let path = format!("/api/admin/events/{event}/reservations/");
    let ids_of = |answer: &Answer| -> Vec<i64> {
        answer.body["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let all = staff.get(&path).await;
    all.expect(200, "");
    assert_eq!(ids_of(&all), [third, second, first]);
    assert_eq!(all.body["next_before"], json!(null));
    let bobs = &all.body["reservations"][1];
    assert_eq!(bobs["username"], "bob");
    assert_eq!(bobs["seats"], json!(["B1", "B2"]));
    assert_eq!(bobs["total_cents"], 10_000);
    assert_eq!(bobs["event_name"], "Show");

    for (query, expected) in [
        ("?status=confirmed", vec![third, second]),
        ("?status=cancelled", vec![first]),
        ("?user=alice", vec![third, first]),
        ("?user=alice&status=confirmed", vec![third]),
        ("?seat=B2", vec![second]),
        ("?user=nobody", vec![]),
        ("?user=ALICE", vec![]),
        (&format!("?before={third}"), vec![second, first]),
    ] {
        let answer = staff.get(&format!("{path}{query}")).await;
        answer.expect(200, "");
        assert_eq!(ids_of(&answer), expected, "{query}");
    }
    // Pages: a full page says where the next one starts.
    let page = staff.get(&format!("{path}?limit=2")).await;
    assert_eq!(ids_of(&page), [third, second]);
    assert_eq!(page.body["next_before"], second);
    let next = staff.get(&format!("{path}?limit=2&before={second}")).await;
    assert_eq!(ids_of(&next), [first]);
    assert_eq!(next.body["next_before"], json!(null));

    for query in [
        "?status=held",
        "?limit=0",
        "?limit=1001",
        "?limit=x",
        "?before=x",
    ] {
        staff
            .get(&format!("{path}{query}"))
            .await
            .expect(400, "invalid_input");
    }
    for missing in [
        "/api/admin/events/999999/reservations/",
        "/api/admin/events/999999/reservations/?user=nobody",
        "/api/admin/events/999999/reservations/export/",
        "/api/admin/events/999999/reservations/export/?user=nobody",
    ] {
        staff.get(missing).await.expect(404, "not_found");
    }
}

pub async fn staff_export_reservations_as_csv<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    // A user name a spreadsheet would take for a formula.
    let evil = s.new_user("@evil", false).await;
    let event = s.event;
    let first = reserve(&s, &alice, event, &["A1", "A2"]).await;
    let second = reserve(&s, &evil, event, &["B3"]).await;
    let reason = "=HYPERLINK(\"http://x.example\",\"refund\"), sorry";
    staff
        .post(
            &format!("/api/admin/reservations/{first}/cancel/"),
            json!({ "reason": reason }),
        )
        .await
        .expect(200, "");

    let export = staff
        .get(&format!("/api/admin/events/{event}/reservations/export/"))
        .await;
    export.expect(200, "");
    assert_eq!(export.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        export.headers["content-disposition"],
        format!("attachment; filename=\"event-{event}-reservations.csv\"")
    );
    let text = export.body.as_str().unwrap();
    assert!(text.ends_with("\r\n"), "{text:?}");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "reservation_id,status,user_id,username,seats,seat_count,total_cents,total_price,\
         created_at,cancelled_at,cancelled_by_staff,cancel_reason"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with(&format!("{second},confirmed,")),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(",'@evil,B3,1,5000,50.00,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",,false,"), "{}", lines[1]);
    assert!(
        lines[2].starts_with(&format!("{first},cancelled,")),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains(",alice,A1 A2,2,20000,200.00,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with(",true,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"refund\"\"), sorry\""),
        "{}",
        lines[2]
    );

    // The list's filters apply; paging does not (every match is exported).
    let confirmed = staff
        .get(&format!(
            "/api/admin/events/{event}/reservations/export/?status=confirmed&limit=1&before=1"
        ))
        .await;
    confirmed.expect(200, "");
    assert_eq!(
        confirmed
            .body
            .as_str()
            .unwrap()
            .split_terminator("\r\n")
            .count(),
        2
    );
    let nobody = staff
        .get(&format!(
            "/api/admin/events/{event}/reservations/export/?user=nobody"
        ))
        .await;
    assert_eq!(
        nobody
            .body
            .as_str()
            .unwrap()
            .split_terminator("\r\n")
            .count(),
        1
    );
}

pub async fn staff_cancel_a_reservation_with_a_reason_the_customer_sees<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let event = s.event;
    let id = reserve(&s, &alice, event, &["A3"]).await;
    let path = format!("/api/admin/reservations/{id}/cancel/");
    for blank in ["", "   "] {
        staff
            .post(&path, json!({ "reason": blank }))
            .await
            .expect(400, "invalid_input");
    }
    staff
        .post(&path, json!({}))
        .await
        .expect(400, "invalid_input");
    let cancelled = staff
        .post(&path, json!({"reason": "The show moved to a larger hall"}))
        .await;
    cancelled.expect(200, "");
    assert_eq!(cancelled.body["message"], "Reservation cancelled");
    let reservation = &cancelled.body["reservation"];
    assert_eq!(reservation["status"], "cancelled");
    assert_eq!(reservation["username"], "alice");
    assert_eq!(reservation["cancelled_by_staff"], true);

    let mine = alice.get("/api/reservations/").await;
    assert_eq!(mine.body["reservations"][0]["cancelled_by_staff"], true);
    assert_eq!(
        mine.body["reservations"][0]["cancel_reason"],
        "The show moved to a larger hall"
    );
    // Its seat is on sale again.
    let a3 = s.seat("A3").await;
    alice
        .post(&format!("/api/events/{event}/seats/{a3}/lock/"), json!({}))
        .await
        .expect(200, "");
    staff
        .post(&path, json!({"reason": "again"}))
        .await
        .expect(409, "already_cancelled");
    staff
        .post(
            "/api/admin/reservations/999999/cancel/",
            json!({"reason": "x"}),
        )
        .await
        .expect(404, "not_found");
}

pub async fn staff_read_an_events_sales<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let event = s.event;
    reserve(&s, &alice, event, &["A1", "A2", "B1"]).await;
    let b2 = s.seat("B2").await;
    alice
        .post(&format!("/api/events/{event}/seats/{b2}/lock/"), json!({}))
        .await
        .expect(200, "");
    staff
        .post(
            &format!("/api/admin/events/{event}/block/"),
            json!({"reason": "Broken", "seat_ids": ids(&s, &["B5", "A5"]).await}),
        )
        .await
        .expect(200, "");
    let sales = staff
        .get(&format!("/api/admin/events/{event}/sales/"))
        .await;
    sales.expect(200, "");
    assert_eq!(
        sales.body["sales"],
        json!({
            "categories": [
                {"name": "$100.00", "price_cents": 10000, "total": 5, "sold": 2, "held": 0,
                 "available": 2, "blocked": 1, "revenue_cents": 20000, "revenue": "200.00"},
                {"name": "$50.00", "price_cents": 5000, "total": 5, "sold": 1, "held": 1,
                 "available": 2, "blocked": 1, "revenue_cents": 5000, "revenue": "50.00"},
            ],
            "total": {"name": "", "price_cents": 0, "total": 10, "sold": 3, "held": 1,
                      "available": 4, "blocked": 2, "revenue_cents": 25000, "revenue": "250.00"},
        })
    );
    staff
        .get("/api/admin/events/999999/sales/")
        .await
        .expect(404, "not_found");
}

// ---- the audit log ----------------------------------------------------------------

pub async fn staff_read_and_filter_the_audit_log<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    // What the setup wrote (the events' creation) is before `start`.
    s.clock.advance(Duration::from_secs(60));
    let start = instant(&s);
    let mine = reserve(&s, &alice, event, &["A1"]).await;
    reserve(&s, &bob, s.other_event, &["A1"]).await;
    staff
        .post(
            &format!("/api/admin/events/{event}/block/"),
            json!({"reason": "House", "section": "", "row": "B"}),
        )
        .await
        .expect(200, "");
    s.clock.advance(Duration::from_secs(3600));
    let later = instant(&s);
    staff
        .post(
            &format!("/api/admin/reservations/{mine}/cancel/"),
            json!({"reason": "Double booking"}),
        )
        .await
        .expect(200, "");

    let audit = |query: &str| staff.get(&format!("/api/admin/audit/?since={start}{query}"));
    let actions = |answer: &Answer| -> Vec<String> {
        answer.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = audit("").await;
    all.expect(200, "");
    assert_eq!(
        actions(&all),
        ["staff_cancel", "block", "reserve", "reserve"]
    );
    let cancel = &all.body["records"][0];
    assert_eq!(cancel["actor"], "boss");
    assert_eq!(cancel["event_id"], event.get());
    assert_eq!(cancel["reservation_id"], mine);
    assert_eq!(cancel["seats"], json!(["A1"]));
    assert_eq!(cancel["reason"], "Double booking");
    assert_eq!(cancel["at"], later);
    let block = &all.body["records"][1];
    assert_eq!(block["seats"], json!(["B1", "B2", "B3", "B4", "B5"]));
    assert_eq!(block["reservation_id"], json!(null));
    assert_eq!(block["at"], start);

    for (query, expected) in [
        (
            format!("&event={event}"),
            vec!["staff_cancel", "block", "reserve"],
        ),
        ("&actor=bob".to_owned(), vec!["reserve"]),
        ("&actor=nobody".to_owned(), vec![]),
        ("&action=block".to_owned(), vec!["block"]),
        (
            format!("&until={later}"),
            vec!["block", "reserve", "reserve"],
        ),
        (format!("&event={event}&actor=alice"), vec!["reserve"]),
    ] {
        let answer = audit(&query).await;
        answer.expect(200, "");
        assert_eq!(actions(&answer), expected, "{query}");
    }
    let since_later = staff.get(&format!("/api/admin/audit/?since={later}")).await;
    assert_eq!(actions(&since_later), ["staff_cancel"]);
    let page = audit("&limit=3").await;
    assert_eq!(actions(&page).len(), 3);
    let before = page.body["next_before"].as_i64().unwrap();
    let rest = audit(&format!("&limit=3&before={before}")).await;
    assert_eq!(actions(&rest), ["reserve"]);
    assert_eq!(rest.body["next_before"], json!(null));
    for query in [
        "?action=delete",
        "?since=yesterday",
        "?until=2026-13-01T00:00:00Z",
        "?limit=0",
        "?event=x",
    ] {
        staff
            .get(&format!("/api/admin/audit/{query}"))
            .await
            .expect(400, "invalid_input");
    }
}

/// The store's now, as the API writes instants.
fn instant<S>(s: &TestServer<S>) -> String {
    s.clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A customer reads their own records, and never anyone else's, whatever
/// they ask for.
pub async fn a_customer_reads_only_their_own_audit_records<F: StoreFactory>(f: &F) {
    let s = server(f).await;
    let staff = s.staff("boss").await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let event = s.event;
    let hers = reserve(&s, &alice, event, &["A1"]).await;
    let his = reserve(&s, &bob, event, &["A2"]).await;
    bob.post(&format!("/api/reservations/{his}/cancel/"), json!({}))
        .await
        .expect(200, "");
    staff
        .post(
            &format!("/api/admin/reservations/{hers}/cancel/"),
            json!({"reason": "Refunded"}),
        )
        .await
        .expect(200, "");

    for query in ["", "?actor=bob", "?actor=boss", &format!("?event={event}")] {
        let answer = alice.get(&format!("/api/audit/{query}")).await;
        answer.expect(200, "");
        let records = answer.body["records"].as_array().unwrap();
        assert_eq!(records.len(), 1, "{query}: {records:?}");
        assert_eq!(records[0]["actor"], "alice");
        assert_eq!(records[0]["action"], "reserve");
        assert_eq!(records[0]["reservation_id"], hers);
    }
    let his_own = bob.get("/api/audit/?action=cancel").await;
    assert_eq!(his_own.body["records"].as_array().unwrap().len(), 1);
    assert_eq!(his_own.body["records"][0]["actor"], "bob");
    // Staff read their own doing here too.
    let staffs = staff.get("/api/audit/").await;
    assert_eq!(staffs.body["records"][0]["action"], "staff_cancel");
    assert_eq!(staffs.body["records"].as_array().unwrap().len(), 1);
    alice
        .get("/api/audit/?since=soon")
        .await
        .expect(400, "invalid_input");
}
