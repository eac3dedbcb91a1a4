//! What every connection of the store sets when it is made.

use booking_postgres::testkit::TestDatabase;
use booking_postgres::{PgOptions, PgStore};

/// Each connection plans a prepared statement once, whatever is bound to
/// it (see `SESSION_SETUP` in `connections.rs`).
#[tokio::test]
async fn pooled_connections_plan_each_statement_once() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let client = store.pool().get().await.unwrap();
    let mode: String = client
        .query_one("SHOW plan_cache_mode", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "force_generic_plan");
    drop(client);
    store.pool().close();
    drop(store);
    db.drop_database().await;
}
