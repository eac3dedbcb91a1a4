//! The whole HTTP contract over real HTTP, once per backend.

mod admin;
mod cancel;
mod harness;
mod probe;
mod schema;
mod suite;
mod taken;

// `api_tests_each!`: every `pub async fn NAME<F: StoreFactory>` of
// suite.rs and admin.rs, listed at build time (build.rs), so none is left
// out by hand.
include!(concat!(env!("OUT_DIR"), "/api_tests.rs"));

/// Generates one `#[tokio::test]` per suite function, over `$factory`.
macro_rules! api_tests {
    ($factory:expr) => {
        api_tests_each!($factory);
    };
    (@each $factory:expr; $($module:ident::$name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                crate::$module::$name(&$factory).await;
            }
        )*
    };
}

mod memory {
    use booking_core::MemoryStore;
    use booking_core::testkit::{StoreFactory, TestContext};

    struct Memory;

    impl StoreFactory for Memory {
        type Store = MemoryStore;

        async fn create(&self, ctx: TestContext) -> MemoryStore {
            MemoryStore::new(ctx.clock, ctx.policy)
        }
    }

    api_tests!(Memory);
}

mod sqlite {
    use std::path::PathBuf;
    use std::sync::Once;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use booking_core::testkit::{StoreFactory, TestContext};
    use booking_sqlite::{SqliteOptions, SqliteStore};

    /// A store on a new SQLite file under cargo's test scratch directory
    /// (`target/tmp`), which each run of this test binary clears first.
    struct Sqlite;

    fn scratch() -> PathBuf {
        static CLEAR: Once = Once::new();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("api-sqlite");
        CLEAR.call_once(|| {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("a scratch directory");
        });
        dir
    }

    impl StoreFactory for Sqlite {
        type Store = SqliteStore;

        async fn create(&self, ctx: TestContext) -> SqliteStore {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let file = scratch().join(format!("{}.db", NEXT.fetch_add(1, Ordering::Relaxed)));
            let options = SqliteOptions::default()
                .with_clock(ctx.clock)
                .with_policy(ctx.policy);
            SqliteStore::open(file, options).expect("open")
        }
    }

    api_tests!(Sqlite);
}

mod postgres {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use booking_core::testkit::{StoreFactory, TestContext};
    use booking_postgres::testkit::TestDatabase;
    use booking_postgres::{PgOptions, PgStore};

    /// A store on a fresh PostgreSQL database. The harness does not dispose
    /// of stores: a test's databases are dropped with its factory, at the
    /// end of the test (see `TestDatabase`).
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
    }

    api_tests!(Postgres::default());

    /// Cancel safety: a reserve still blocked when its request times out
    /// is answered 503 `timeout`, runs on to its commit all the same, and
    /// a retry with the same `Idempotency-Key` answers the reservation it
    /// made. (Before, the timeout dropped the write: it rolled back.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reserve_that_commits_after_its_timeout_is_found_by_its_retry() {
        use std::time::Duration;

        use booking_core::{BookingStore, Policy};
        use booking_http::Settings;
        use serde_json::json;

        use crate::harness::TestServer;

        let factory = Postgres::default();
        let settings = Settings {
            request_timeout: Duration::from_secs(1),
            ..Settings::default()
        };
        let s = TestServer::start(&factory, Policy::default(), settings).await;
        let url = {
            let databases = factory.databases.lock().unwrap();
            databases[s.store.store.inner().database()].url.clone()
        };
        let alice = s.login("alice").await;
        let alice_id = alice.get("/api/me/").await.body["user_id"]
            .as_i64()
            .unwrap();
        let a1 = s.seat("A1").await;
        let event = s.event;
        alice
            .post(&format!("/api/events/{event}/seats/{a1}/lock/"), json!({}))
            .await
            .expect(200, "");

        // Another session holds alice's row: her reserve waits for it.
        let (blocker, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        blocker.batch_execute("BEGIN").await.unwrap();
        blocker
            .execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", &[&alice_id])
            .await
            .unwrap();

        let reserve = || {
            alice.send(
                reqwest::Method::POST,
                &format!("/api/events/{event}/reserve/"),
                Some(json!({"seat_ids": [a1.get()]})),
                &[("Idempotency-Key", "checkout-1")],
            )
        };
        reserve().await.expect(503, "timeout");
        // Not made yet. (Asked on the blocking session: a store connection
        // could be the one the dropped write left waiting for the lock.)
        let made: i64 = blocker
            .query_one("SELECT COUNT(*) FROM reservations", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(made, 0);
        let user = booking_core::UserId::new(alice_id);

        // The lock goes: the write that outlived its request commits.
        blocker.batch_execute("COMMIT").await.unwrap();
        let made = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let list = s.store.store.reservations(user).await.unwrap();
                if let Some(first) = list.into_iter().next() {
                    return first;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the reserve commits after its timeout");

        let retry = reserve().await;
        retry.expect(201, "");
        assert_eq!(retry.body["reservation_id"], made.id.get());
        assert_eq!(s.store.store.reservations(user).await.unwrap().len(), 1);
    }
}
