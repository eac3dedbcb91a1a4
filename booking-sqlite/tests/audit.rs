//! The audit log on a SQLite file: append-only in the database itself, and
//! written in the same transaction as each change, so that a process
//! killed (SIGKILL) amid concurrent writes leaves every change with its
//! record and every record with its change.
//!
//! The child is this same test binary, run with `--ignored --exact
//! audit_child` and the database path in `BOOKING_AUDIT_DB`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use booking_core::testkit::audit::{
    USERS, a_failed_event_cancel_changes_nothing, check_every_event, churn, reservations_to_cancel,
    setup,
};
use booking_core::{AccountStore, BookingStore};
use booking_sqlite::{SqliteOptions, SqliteStore, Synchronous};

const DB_VAR: &str = "BOOKING_AUDIT_DB";

fn options() -> SqliteOptions {
    SqliteOptions::default().with_synchronous(Synchronous::Full)
}

/// Neither a record nor the log can be changed or emptied with SQL.
#[tokio::test]
async fn the_audit_log_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let store = SqliteStore::open(&path, options()).unwrap();
    let users = setup(&store).await;
    let event = store.events().await.unwrap()[0].event.id;
    let seats = booking_core::testkit::seat_ids(&store, event).await;
    store.hold(users[0], event, seats[0]).await.unwrap();
    store
        .reserve(users[0], event, &seats[..1], None)
        .await
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE audit_log SET reason = 'rewritten'",
        "UPDATE audit_log SET actor_id = 2",
        "DELETE FROM audit_log",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let (count, reason): (i64, String) = conn
        .query_row("SELECT COUNT(*), MAX(reason) FROM audit_log", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((count, reason.as_str()), (1, ""));
}

/// An event cancel is one transaction: when the cancel of one of its
/// reservations fails (a trigger refuses it), the event, its reservations,
/// its seats and the audit log stay as they were; without the trigger it
/// goes through.
#[tokio::test]
async fn an_event_cancel_that_fails_midway_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let store = SqliteStore::open(&path, options()).unwrap();
    let users = setup(&store).await;
    let (event, refused) = reservations_to_cancel(&store, &users).await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER refuse_a_cancel BEFORE UPDATE OF status ON reservations
         WHEN NEW.id = {refused}
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
    ))
    .unwrap();
    a_failed_event_cancel_changes_nothing(&store, event, &users).await;
    conn.execute_batch("DROP TRIGGER refuse_a_cancel").unwrap();
    let done = store
        .cancel_event(users[USERS - 1], event, "called off")
        .await
        .unwrap();
    assert_eq!(done.reservations.len(), 2);
    check_every_event(&store, &users).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_every_change_has_its_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let users = {
        let store = SqliteStore::open(&path, options()).unwrap();
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
        .env(DB_VAR, &path)
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
    child.kill().unwrap(); // SIGKILL, amid the writes of five tasks
    child.wait().unwrap();
    assert!(reported >= 400, "the child reported {reported} writes");

    let store = SqliteStore::open(&path, options()).expect("the file reopens after SIGKILL");
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
    common::assert_invariants(&path);
}

/// The child: churns audited writes until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by after_sigkill_every_change_has_its_audit_record as a child process"]
async fn audit_child() {
    let path = std::env::var(DB_VAR).expect("run by the audit fault test");
    let store = Arc::new(SqliteStore::open(&path, options()).unwrap());
    let event = store.events().await.unwrap()[0].event.id;
    let mut users = Vec::new();
    for i in 0..USERS {
        let found = store.credentials(&format!("user{i}")).await.unwrap();
        users.push(found.expect("made by the parent").user.id);
    }
    churn(store, event, &users).await;
}
