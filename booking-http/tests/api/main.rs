//! The whole HTTP contract over real HTTP, once per backend.

mod harness;
mod suite;

/// Generates one `#[tokio::test]` per suite function, over `$factory`.
macro_rules! api_tests {
    ($factory:expr) => {
        api_tests!(@each $factory;
            csrf_cookie_comes_with_any_first_response,
            login_me_logout,
            register_creates_and_logs_in,
            unsafe_requests_need_the_csrf_token,
            wrong_methods_are_405_before_anything_else,
            paths_without_trailing_slash_redirect,
            cors_allows_only_configured_origins,
            failed_logins_are_throttled,
            events_and_seat_maps,
            locks_and_their_conflicts,
            reserve_list_and_cancel,
            reserve_input_errors,
            idempotency_key_replays_the_first_answer,
            malformed_requests_get_json_errors,
            health_and_metrics,
            race_fifty_users_one_seat,
            seat_changes_stream_live,
            seat_map_by_rows,
            parallel_guesses_get_no_more_tries_than_a_sequence,
            invalid_login_names_are_a_plain_401,
            sign_ups_are_throttled_per_address,
            forwarded_addresses_only_from_trusted_proxies,
            csrf_tokens_have_one_shape_and_turn_over_at_login,
            login_csrf_over_https_needs_a_trusted_origin,
            live_streams_end_with_their_session,
            answers_carry_safe_headers_and_plain_errors,
            logout_cookie_is_like_the_login_cookie,
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                crate::suite::$name(&$factory).await;
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
    /// of stores, so the databases are dropped when this test binary starts
    /// its next run (each name carries the process id).
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
}
