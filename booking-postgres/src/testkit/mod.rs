//! A fresh PostgreSQL database per test (feature `testkit`).
//!
//! The server comes from `BOOKING_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When no server answers,
//! [`TestDatabase::create`] panics with how to start one: tests never skip.
//!
//! Tests that stop the server or change its configuration start one of
//! their own instead: a [`Cluster`].

mod cluster;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio_postgres::NoTls;

pub use cluster::{Cluster, ServerCertificate};

/// The server URL tests use.
pub fn server_url() -> String {
    std::env::var("BOOKING_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A uniquely named database on the test server. It is dropped by
/// [`TestDatabase::drop_database`], or else when the value is dropped,
/// unless the thread is panicking: a failed test keeps its database for
/// inspection, until the next run of its test binary drops it.
#[derive(Debug)]
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// A URL to connect to it.
    pub url: String,
    /// Whether [`TestDatabase::drop_database`] has dropped it.
    dropped: bool,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped || std::thread::panicking() {
            return;
        }
        let name = std::mem::take(&mut self.name);
        // On a thread and a runtime of its own: this may run on a test's
        // runtime, which cannot block on a future.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(drop_named(&name));
        })
        .join();
        if dropped.is_err() {
            eprintln!("a test database was not dropped; the next run drops it");
        }
    }
}

/// Drops the database `name` (closing its connections).
///
/// # Panics
///
/// When the server refuses.
async fn drop_named(name: &str) {
    admin()
        .await
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop a test database");
}

async fn admin() -> tokio_postgres::Client {
    let url = server_url();
    let (client, connection) = match tokio_postgres::connect(&url, NoTls).await {
        Ok(pair) => pair,
        Err(e) => panic!(
            "no PostgreSQL server answers at {url} ({e}). Start one \
             (Debian: apt-get install postgresql && pg_ctlcluster --skip-systemctl-redirect \
             $(ls /etc/postgresql) main start) or point BOOKING_PG_URL at one."
        ),
    };
    tokio::spawn(connection);
    client
}

impl TestDatabase {
    /// Creates a new, empty database.
    ///
    /// # Panics
    ///
    /// When no server answers, or it refuses to create a database.
    pub async fn create() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        static SWEPT: AtomicBool = AtomicBool::new(false);
        if !SWEPT.swap(true, Ordering::SeqCst) {
            drop_leftovers().await;
        }
        let name = format!(
            "booking_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = admin().await;
        // Separately: a batch would run as one transaction, which these refuse.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop a leftover test database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let server = server_url();
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            name,
            dropped: false,
        }
    }

    /// Drops the database (closing its connections).
    ///
    /// # Panics
    ///
    /// When the server refuses.
    pub async fn drop_database(mut self) {
        drop_named(&self.name).await;
        self.dropped = true;
    }
}

/// Drops test databases left by test processes that are gone (a failed
/// test keeps its database for inspection until then; so does a harness
/// that never disposes of its stores).
async fn drop_leftovers() {
    let admin = admin().await;
    let names: Vec<String> = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'booking\\_test\\_%'",
            &[],
        )
        .await
        .expect("list test databases")
        .iter()
        .map(|r| r.get(0))
        .collect();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// Each query lists rows that break one of the API's invariants.
const VIOLATIONS: [(&str, &str); 6] = [
    (
        "1: a seat in two confirmed reservations",
        "SELECT seat_id FROM reservation_seats WHERE confirmed
         GROUP BY seat_id HAVING COUNT(*) > 1",
    ),
    (
        "2: a confirmed reservation's seat not reserved by it, or of another event",
        "SELECT rs.seat_id FROM reservation_seats rs
         JOIN reservations r ON r.id = rs.reservation_id JOIN seats s ON s.id = rs.seat_id
         WHERE r.status = 'confirmed'
           AND (s.reservation_id IS DISTINCT FROM r.id OR s.event_id <> r.event_id
                OR rs.confirmed IS NOT TRUE)",
    ),
    (
        "2: a reserved seat whose reservation is not confirmed or does not list it",
        "SELECT s.id FROM seats s
         LEFT JOIN reservations r ON r.id = s.reservation_id
         LEFT JOIN reservation_seats rs ON rs.reservation_id = s.reservation_id AND rs.seat_id = s.id
         WHERE s.reservation_id IS NOT NULL
           AND (r.status IS DISTINCT FROM 'confirmed' OR rs.seat_id IS NULL)",
    ),
    (
        "4: a cancelled reservation still holding a seat",
        "SELECT rs.seat_id FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
         WHERE r.status = 'cancelled' AND rs.confirmed IS NOT NULL",
    ),
    (
        "4: a reservation without seats, or whose total is not its seats' sum",
        "SELECT r.id FROM reservations r
         LEFT JOIN reservation_seats rs ON rs.reservation_id = r.id
         LEFT JOIN seats s ON s.id = rs.seat_id
         GROUP BY r.id HAVING COUNT(s.id) = 0 OR SUM(s.price_cents) <> MIN(r.total_cents)",
    ),
    (
        "(best available's hint) an event row whose closed seats are not its seats' (by event)",
        "SELECT r.event_id FROM event_rows r
         WHERE NOT EXISTS (
             SELECT 1 FROM (
                 SELECT string_agg(CASE WHEN reservation_id IS NULL AND blocked_reason IS NULL
                                        THEN '0' ELSE '1' END, '' ORDER BY run, place) AS closed,
                        COUNT(*) FILTER (WHERE reservation_id IS NOT NULL
                                            OR blocked_reason IS NOT NULL) AS closed_seats
                 FROM seats s
                 WHERE s.event_id = r.event_id AND s.section = r.section AND s.line = r.line
             ) AS truth
             WHERE truth.closed = r.closed AND truth.closed_seats = r.closed_seats)
         UNION ALL
         SELECT s.event_id FROM seats s
         WHERE NOT EXISTS (SELECT 1 FROM event_rows r WHERE r.event_id = s.event_id
                           AND r.section = s.section AND r.line = s.line)",
    ),
];

/// Checks the API's invariants with SQL straight on the database at `url`,
/// apart from the store's code.
///
/// # Panics
///
/// Naming the first invariant that does not hold, or when the database
/// cannot be read.
pub async fn assert_invariants(url: &str) {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to check invariants");
    tokio::spawn(connection);
    for (what, sql) in VIOLATIONS {
        let bad: Vec<i64> = client
            .query(sql, &[])
            .await
            .expect(what)
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(bad.is_empty(), "invariant {what}: {bad:?}");
    }
}
