//! What the store does about an attacker with a copy of the database or a
//! local account: the file is private, sessions are kept only as hashes,
//! and the upgrade that makes user names unique regardless of case refuses
//! to merge anyone silently.

use booking_core::{AccountStore, BookingStore, SessionId, Username};
use booking_sqlite::{OpenError, SqliteOptions, SqliteStore};
use rusqlite::Connection;

mod embedded {
    // The crate's own migrations, to build a database as an older version
    // of the program left it.
    refinery::embed_migrations!("migrations");
}

/// A database at schema version 2 (before the hardening migration).
fn database_at_version_2(path: &std::path::Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(2))
        .run(&mut conn)
        .unwrap();
    conn
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_database_and_its_wal_are_private() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booking.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    store
        .create_user(&Username::new("ann").unwrap(), "hash")
        .await
        .unwrap();
    store.events().await.unwrap();
    for file in ["booking.db", "booking.db-wal", "booking.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file} is {:o}", mode & 0o777);
    }
}

#[tokio::test]
async fn sessions_are_stored_as_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booking.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let ann = store
        .create_user(&Username::new("ann").unwrap(), "hash")
        .await
        .unwrap();
    let id = SessionId::new("0123456789abcdef0123456789abcdef").unwrap();
    let ttl = std::time::Duration::from_secs(60);
    store.create_session(&id, ann.id, ttl).await.unwrap();

    let conn = Connection::open(&path).unwrap();
    let stored: Vec<String> = conn
        .prepare("SELECT * FROM sessions")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored, [id.digest()]);
    let dump: String = conn
        .query_row(
            "SELECT group_concat(quote(id_sha256) || quote(user_id) || quote(expires_at)) FROM sessions",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains(id.as_str()), "the id itself is nowhere");
    assert_eq!(store.session(&id).await.unwrap().unwrap().user, ann);
}

#[tokio::test]
async fn the_upgrade_refuses_names_that_differ_only_in_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = database_at_version_2(&path);
    conn.execute_batch(
        "INSERT INTO users (username, password_hash) VALUES
             ('alice', 'h'), ('bob', 'h'), ('Alice', 'h'), ('BOB', 'h'), ('carol', 'h'),
             ('ALICE', 'h');",
    )
    .unwrap();
    drop(conn);

    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    match &err {
        OpenError::CaseDuplicateUsernames { clashes, .. } => {
            assert_eq!(clashes, &["ALICE, Alice, alice", "BOB, bob"]);
        }
        other => panic!("expected CaseDuplicateUsernames, got {other:?}"),
    }
    let said = err.to_string();
    assert!(said.contains("ALICE, Alice, alice; BOB, bob"), "{said}");

    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row(
            "SELECT MAX(version) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, 2, "nothing was migrated");
    let users: i64 = conn
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 6, "nobody was merged or removed");

    // Renamed by hand, the upgrade goes through.
    conn.execute_batch(
        "UPDATE users SET username = 'alice2' WHERE username = 'Alice';
         UPDATE users SET username = 'alice3' WHERE username = 'ALICE';
         UPDATE users SET username = 'bob2' WHERE username = 'BOB';",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert!(
        store
            .username_taken(&Username::new("Alice2").unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_upgrade_keeps_holds_and_drops_plain_text_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = database_at_version_2(&path);
    let until_us: i64 = 4_102_444_800_000_000; // 2100-01-01
    conn.execute_batch(&format!(
        "INSERT INTO users (id, username, password_hash) VALUES (1, 'ann', 'h');
         INSERT INTO sessions (id, user_id, expires_at) VALUES ('0123456789abcdef', 1, {until_us});
         INSERT INTO events (id, name, venue, starts_at, total_seats) VALUES (1, 'e', 'v', 0, 2);
         INSERT INTO seats (id, event_id, row, number, price_cents, held_by, held_until)
             VALUES (1, 1, 0, 1, 100, 1, {until_us}), (2, 1, 0, 2, 100, NULL, NULL);"
    ))
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let old = SessionId::new("0123456789abcdef").unwrap();
    assert_eq!(store.session(&old).await.unwrap(), None, "log in again");
    let seats = store.seats(booking_core::EventId::new(1)).await.unwrap();
    let until = chrono::DateTime::from_timestamp_micros(until_us).unwrap();
    assert_eq!(
        seats[0].state,
        booking_core::SeatState::Held {
            by: booking_core::UserId::new(1),
            since: until - chrono::TimeDelta::seconds(300),
            until,
        },
        "a standing hold counts as taken one default lock time before it ends"
    );
    assert_eq!(seats[1].state, booking_core::SeatState::Available);
}
