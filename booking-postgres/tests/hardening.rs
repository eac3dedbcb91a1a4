//! What the store does about an attacker with a copy of the database:
//! sessions are kept only as hashes; and the upgrade that makes user names
//! unique regardless of case refuses to merge anyone silently.

use std::time::Duration;

use booking_core::{AccountStore, BookingStore, EventId, SeatState, SessionId, UserId, Username};
use booking_postgres::testkit::TestDatabase;
use booking_postgres::{ConnectError, PgOptions, PgStore};
use tokio_postgres::NoTls;

mod embedded {
    // The crate's own migrations, to build a database as an older version
    // of the program left it.
    refinery::embed_migrations!("migrations");
}

async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// A fresh database at schema version 2 (before the hardening migration).
async fn database_at_version_2() -> (TestDatabase, tokio_postgres::Client) {
    let db = TestDatabase::create().await;
    let mut client = client(&db.url).await;
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(2))
        .run_async(&mut client)
        .await
        .unwrap();
    (db, client)
}

#[tokio::test]
async fn sessions_are_stored_as_hashes() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let ann = store
        .create_user(&Username::new("ann").unwrap(), "hash")
        .await
        .unwrap();
    let id = SessionId::new("0123456789abcdef0123456789abcdef").unwrap();
    store
        .create_session(&id, ann.id, Duration::from_secs(60))
        .await
        .unwrap();
    let rows = client(&db.url)
        .await
        .query("SELECT id_sha256, sessions::TEXT FROM sessions", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), id.digest());
    let whole_row: String = rows[0].get(1);
    assert!(!whole_row.contains(id.as_str()), "the id itself is nowhere");
    assert_eq!(store.session(&id).await.unwrap().unwrap().user, ann);
    store.pool().close();
    db.drop_database().await;
}

#[tokio::test]
async fn the_upgrade_refuses_names_that_differ_only_in_case() {
    let (db, client) = database_at_version_2().await;
    client
        .batch_execute(
            "INSERT INTO users (username, password_hash) VALUES
                 ('alice', 'h'), ('bob', 'h'), ('Alice', 'h'), ('BOB', 'h'), ('carol', 'h'),
                 ('ALICE', 'h');",
        )
        .await
        .unwrap();

    let err = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Migration(_)), "{err:?}");
    let said = err.to_string();
    assert!(
        said.contains("user names that differ only in case: ALICE, Alice, alice; BOB, bob"),
        "{said}"
    );
    let version: i32 = client
        .query_one("SELECT MAX(version) FROM refinery_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    // Each migration commits on its own: V3 (descriptions) went through,
    // V4, which makes names unique regardless of case, did not.
    assert_eq!(version, 3, "the migration with the check was not applied");
    let users: i64 = client
        .query_one("SELECT COUNT(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 6, "nobody was merged or removed");

    // Renamed by hand, the upgrade goes through.
    client
        .batch_execute(
            "UPDATE users SET username = 'alice2' WHERE username = 'Alice';
             UPDATE users SET username = 'alice3' WHERE username = 'ALICE';
             UPDATE users SET username = 'bob2' WHERE username = 'BOB';",
        )
        .await
        .unwrap();
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    assert!(
        store
            .username_taken(&Username::new("Alice2").unwrap())
            .await
            .unwrap()
    );
    store.pool().close();
    drop(client);
    db.drop_database().await;
}

#[tokio::test]
async fn the_upgrade_keeps_holds_and_drops_plain_text_sessions() {
    let (db, client) = database_at_version_2().await;
    client
        .batch_execute(
            "INSERT INTO users (id, username, password_hash) VALUES (1, 'ann', 'h');
             INSERT INTO sessions (id, user_id, expires_at)
                 VALUES ('0123456789abcdef', 1, '2100-01-01T00:00:00Z');
             INSERT INTO events (id, name, venue, starts_at, total_seats)
                 VALUES (1, 'e', 'v', '2099-01-01T00:00:00Z', 2);
             INSERT INTO seats (id, event_id, row_index, number, price_cents, held_by, held_until)
                 VALUES (1, 1, 0, 1, 100, 1, '2100-01-01T00:00:00Z'),
                        (2, 1, 0, 2, 100, NULL, NULL);",
        )
        .await
        .unwrap();
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let old = SessionId::new("0123456789abcdef").unwrap();
    assert_eq!(store.session(&old).await.unwrap(), None, "log in again");
    let seats = store.seats(EventId::new(1)).await.unwrap();
    let until = "2100-01-01T00:00:00Z".parse().unwrap();
    assert_eq!(
        seats[0].state,
        SeatState::Held {
            by: UserId::new(1),
            since: until - chrono::TimeDelta::seconds(300),
            until,
        },
        "a standing hold counts as taken one default lock time before it ends"
    );
    assert_eq!(seats[1].state, SeatState::Available);
    store.pool().close();
    drop(client);
    db.drop_database().await;
}
