//! The audit log on PostgreSQL: append-only in the database itself, and
//! written in the same transaction as each change, so that a process
//! killed (SIGKILL) amid concurrent writes leaves every change with its
//! record and every record with its change.
//!
//! The child is this same test binary, run with `--ignored --exact
//! audit_child` and the database's URL in `BOOKING_AUDIT_PG_URL`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use booking_core::testkit::audit::{USERS, check_audit_log, churn, setup};
use booking_core::{AccountStore, BookingStore};
use booking_postgres::testkit::{TestDatabase, assert_invariants};
use booking_postgres::{PgOptions, PgStore};

const DB_VAR: &str = "BOOKING_AUDIT_PG_URL";

/// Neither a record nor the log can be changed or emptied with SQL.
#[tokio::test]
async fn the_audit_log_is_append_only() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let users = setup(&store).await;
    let event = store.events().await.unwrap()[0].event.id;
    let seats = booking_core::testkit::seat_ids(&store, event).await;
    store.hold(users[0], event, seats[0]).await.unwrap();
    store
        .reserve(users[0], event, &seats[..1], None)
        .await
        .unwrap();
    drop(store);
    let (conn, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    for sql in [
        "UPDATE audit_log SET reason = 'rewritten'",
        "UPDATE audit_log SET actor_id = 2",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = conn.execute(sql, &[]).await.unwrap_err();
        let message = err.as_db_error().map(|e| e.message().to_owned());
        assert_eq!(
            message.as_deref(),
            Some("the audit log is append-only"),
            "{sql}"
        );
    }
    let row = conn
        .query_one("SELECT COUNT(*), MAX(reason) FROM audit_log", &[])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, String>(1).as_str()),
        (1, "")
    );
    drop(conn);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_every_change_has_its_audit_record() {
    let db = TestDatabase::create().await;
    let users = {
        let store = PgStore::connect(&db.url, PgOptions::default())
            .await
            .unwrap();
        setup(&store).await
    };

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "audit_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DB_VAR, &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut reported = 0;
    for line in stdout.lines() {
        let line = line.unwrap();
        if ["RESERVED", "CANCELLED", "BLOCKED", "UNBLOCKED"]
            .iter()
            .any(|what| line.starts_with(what))
        {
            reported += 1;
        }
        if reported >= 400 || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL, amid the transactions of five tasks
    child.wait().unwrap();
    assert!(reported >= 400, "the child reported {reported} writes");

    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let event = store.events().await.unwrap()[0].event.id;
    check_audit_log(&store, event, &users).await.unwrap();
    let records = store
        .audit_log(&booking_core::AuditFilter {
            limit: booking_core::AuditFilter::MAX_LIMIT,
            ..booking_core::AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(records.len() >= 400, "{} records", records.len());
    drop(store);
    assert_invariants(&db.url).await;
    db.drop_database().await;
}

/// The child: churns audited writes until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by after_sigkill_every_change_has_its_audit_record as a child process"]
async fn audit_child() {
    let url = std::env::var(DB_VAR).expect("run by the audit fault test");
    let store = Arc::new(PgStore::connect(&url, PgOptions::default()).await.unwrap());
    let event = store.events().await.unwrap()[0].event.id;
    let mut users = Vec::new();
    for i in 0..USERS {
        let found = store.credentials(&format!("user{i}")).await.unwrap();
        users.push(found.expect("made by the parent").user.id);
    }
    churn(store, event, &users).await;
}
