//! Files that are not (or no longer) usable databases give typed errors,
//! never a panic, and are left as they were.

use booking_core::{AccountStore, Username};
use booking_sqlite::{OpenError, SqliteOptions, SqliteStore};

#[test]
fn garbage_is_not_a_database_and_stays_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert!(matches!(err, OpenError::NotADatabase { .. }), "{err:?}");
    assert!(
        err.to_string().contains("is not a SQLite database"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "left as it was");
}

#[tokio::test]
async fn a_truncated_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.db");
    {
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        for i in 0..200 {
            let name = Username::new(format!("user{i}")).unwrap();
            store.create_user(&name, &"h".repeat(200)).await.unwrap();
        }
    }
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 8192, "the database spans several pages");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 3).unwrap();
    drop(file);
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::Corrupt { .. }
                | OpenError::NotADatabase { .. }
                | OpenError::Migration { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
         VALUES (99, 'from_the_future', '2030-01-01T00:00:00Z', '0')",
        [],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    match err {
        OpenError::SchemaTooNew {
            found, supported, ..
        } => assert_eq!((found, supported), (99, 4)),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn a_missing_directory_is_an_error_not_a_panic() {
    let err =
        SqliteStore::open("/nonexistent/dir/booking.db", SqliteOptions::default()).unwrap_err();
    assert!(matches!(err, OpenError::Sqlite { .. }), "{err:?}");
}
