//! Cancel safety on every store: a write outlives its request. A reserve
//! whose store call is still waiting when the request times out is
//! answered 503 `timeout`, runs on to its commit all the same, and a retry
//! with the same `Idempotency-Key` answers the reservation it made.
//! (Were the write dropped at the timeout, the reservation would never be
//! made, and the retry would make a second one or find the seat taken.)

use std::time::Duration;

use booking_core::testkit::{StoreFactory, TestContext};
use booking_core::{BookingStore, MemoryStore, Policy};
use booking_http::Settings;
use serde_json::json;

use crate::harness::TestServer;
use crate::probe::Probe;

/// Stores whose reserves wait until the test opens them.
struct Gated;

impl StoreFactory for Gated {
    type Store = Probe;

    async fn create(&self, ctx: TestContext) -> Probe {
        Probe::gated(MemoryStore::new(ctx.clock, ctx.policy))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reserve_that_commits_after_its_timeout_is_found_by_its_retry() {
    // Long enough for a login's password check on a busy machine; the
    // reserve waits for the test whatever the limit.
    let settings = Settings {
        request_timeout: Duration::from_secs(3),
        ..Settings::default()
    };
    let s = TestServer::start(&Gated, Policy::default(), settings).await;
    let alice = s.login("alice").await;
    let me = alice.get("/api/me/").await;
    let user = booking_core::UserId::new(me.body["user_id"].as_i64().unwrap());
    let (event, a1) = (s.event, s.seat("A1").await);
    alice
        .post(&format!("/api/events/{event}/seats/{a1}/lock/"), json!({}))
        .await
        .expect(200, "");
    let reserve = || {
        alice.send(
            reqwest::Method::POST,
            &format!("/api/events/{event}/reserve/"),
            Some(json!({"seat_ids": [a1.get()]})),
            &[("Idempotency-Key", "checkout-1")],
        )
    };

    reserve().await.expect(503, "timeout");
    let made = || async { s.store.store.reservations(user).await.unwrap() };
    assert!(made().await.is_empty(), "the reserve still waits");

    // The store goes on: the write that outlived its request commits.
    s.store.store.inner().open();
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(first) = made().await.into_iter().next() {
                return first;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the reserve commits after its timeout");

    let retry = reserve().await;
    retry.expect(201, "");
    assert_eq!(retry.body["reservation_id"], first.id.get());
    assert_eq!(made().await.len(), 1);
}
