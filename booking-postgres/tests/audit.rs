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

use booking_core::testkit::audit::{
    USERS, a_failed_event_cancel_changes_nothing, check_every_event, churn, reservations_to_cancel,
    setup,
};
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

/// An event cancel is one transaction: when the cancel of one of its
/// reservations fails (a trigger refuses it), the event, its reservations,
/// its seats and the audit log stay as they were; without the trigger it
/// goes through.
#[tokio::test]
async fn an_event_cancel_that_fails_midway_changes_nothing() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url, PgOptions::default())
        .await
        .unwrap();
    let users = setup(&store).await;
    let (event, refused) = reservations_to_cancel(&store, &users).await;
    let (conn, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    conn.batch_execute(&format!(
        "CREATE FUNCTION refuse_a_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'refused by the test'; END; $$;
         CREATE TRIGGER refuse_a_cancel BEFORE UPDATE ON reservations
             FOR EACH ROW WHEN (NEW.id = {refused}) EXECUTE FUNCTION refuse_a_cancel();"
    ))
    .await
    .unwrap();
    a_failed_event_cancel_changes_nothing(&store, event, &users).await;
    conn.batch_execute("DROP TRIGGER refuse_a_cancel ON reservations")
        .await
        .unwrap();
    let done = store
        .cancel_event(users[USERS - 1], event, "called off")
        .await
        .unwrap();
    assert_eq!(done.reservations.len(), 2);
    check_every_event(&store, &users).await.unwrap();
    drop(store);
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
        if [
            "RESERVED",
            "CANCELLED",
            "BLOCKED",
            "UNBLOCKED",
            "EVENT_CANCELLED",
        ]
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
    check_every_event(&store, &users).await.unwrap();
    let events = store.events().await.unwrap();
    assert!(
        events.iter().any(|e| e.event.cancelled.is_some()),
        "no event was cancelled before the kill"
    );
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
