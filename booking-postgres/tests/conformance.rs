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

/// The SQL conditions on holds (`booking_core::sql_live_hold!`,
/// `sql_free_seat!`) agree with `SeatState::at` and `SeatRecord::is_free`,
/// on both sides of a hold's end, as PostgreSQL evaluates them.
#[tokio::test]
async fn the_sql_conditions_judge_holds_as_the_rules_do() {
    use booking_core::{ReservationId, UserId, sql_free_seat, sql_live_hold};

    let (client, connection) = tokio_postgres::connect(
        &booking_postgres::testkit::server_url(),
        tokio_postgres::NoTls,
    )
    .await
    .expect("connect");
    tokio::spawn(connection);
    let sql = concat!(
        "SELECT ",
        sql_live_hold!("$5"),
        ", ",
        sql_free_seat!("$5"),
        " FROM (SELECT $1::BIGINT AS reservation_id, $2::BIGINT AS held_by,
                       $3::TIMESTAMPTZ AS held_until, $4::TEXT AS blocked_reason) s"
    );
    let now = booking_core::truncate_to_micros(chrono::Utc::now());
    for case in booking_core::testkit::hold_cases(now) {
        let (reservation, by, _, until) = case.state.to_columns();
        let row = client
            .query_one(
                sql,
                &[
                    &reservation.map(ReservationId::get),
                    &by.map(UserId::get),
                    &until,
                    &case.blocked,
                    &now,
                ],
            )
            .await
            .expect("evaluate the conditions");
        let (live, free): (bool, bool) = (row.get(0), row.get(1));
        assert_eq!((live, free), (case.live, case.free), "{case:?}");
    }
}
