//! The whole conformance suite of booking-core against a real PostgreSQL
//! server, each test on its own fresh database, dropped when it passes.

use std::collections::HashMap;
use std::sync::Mutex;

use booking_core::testkit::{StoreFactory, TestContext};
use booking_postgres::testkit::TestDatabase;
use booking_postgres::{PgOptions, PgStore};

/// Remembers each store's test database, to drop it when the test passes.
#[derive(Default)]
struct Postgres {
    databases: Mutex<HashMap<String, TestDatabase>>,
}

impl StoreFactory for Postgres {
    type Store = PgStore;

    async fn create(&self, ctx: TestContext) -> PgStore {
        let db = TestDatabase::create().await;
        let options = PgOptions::default()
            .with_clock(ctx.clock)
            .with_policy(ctx.policy);
        let store = PgStore::connect(&db.url, options).await.expect("connect");
        let mut databases = self.databases.lock().unwrap();
        databases.insert(store.database().to_owned(), db);
        store
    }

    async fn dispose(&self, store: PgStore) {
        let db = self.databases.lock().unwrap().remove(store.database());
        store.pool().close();
        drop(store);
        db.expect("a database this factory made")
            .drop_database()
            .await;
    }
}

booking_core::conformance_tests!(Postgres::default());
