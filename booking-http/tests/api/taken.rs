//! Sign-up answers a taken name before it hashes the password: argon2 is
//! slow on purpose, and requests under taken names must not cost it.
//!
//! The handler hashes right before it calls `create_user`, so a store that
//! counts `create_user` calls counts the hashes of sign-ups.

use std::sync::atomic::Ordering;

use booking_core::testkit::{StoreFactory, TestContext};
use booking_core::{MemoryStore, Policy};
use booking_http::Settings;
use serde_json::json;

use crate::harness::TestServer;
use crate::probe::Probe;

struct Factory;

impl StoreFactory for Factory {
    type Store = Probe;

    async fn create(&self, ctx: TestContext) -> Probe {
        Probe::new(MemoryStore::new(ctx.clock, ctx.policy))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_is_answered_without_hashing_the_password() {
    let s = TestServer::start(&Factory, Policy::default(), Settings::default()).await;
    let created = || s.store.store.inner().creations.load(Ordering::SeqCst);
    let before = created(); // the harness's alice and bob
    let client = s.client();
    client.get("/api/csrf/").await;
    for taken in ["alice", "ALICE", "Bob"] {
        client
            .post(
                "/api/register/",
                json!({"username": taken, "password": "long enough"}),
            )
            .await
            .expect(409, "username_taken");
    }
    assert_eq!(created(), before, "no password was hashed for a taken name");
    client
        .post(
            "/api/register/",
            json!({"username": "carol", "password": "long enough"}),
        )
        .await
        .expect(201, "");
    assert_eq!(created(), before + 1);
}
