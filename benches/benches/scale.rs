//! How each operation's cost grows with the event: 60, 10,000 and 100,000
//! seats, on every backend (memory, a SQLite file, PostgreSQL).
//!
//! ```text
//! cargo bench -p benches --bench scale -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! PostgreSQL comes from `BOOKING_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the bench makes its own
//! database there and drops it at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use booking_core::{
    EventId, MemoryStore, NewEvent, Policy, Row, SeatId, SeatMap, Store, SystemClock, UserId,
    Username,
};
use booking_postgres::testkit::TestDatabase;
use booking_postgres::{PgOptions, PgStore};
use booking_sqlite::{SqliteOptions, SqliteStore};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;

/// Event sizes: rows × seats per row.
const SIZES: [(u32, u32); 3] = [(6, 10), (100, 100), (250, 400)];

fn new_event(rows: u32, per_row: u32) -> NewEvent {
    NewEvent {
        name: format!("{rows}x{per_row}"),
        description: String::new(),
        venue: "Stadium".into(),
        starts_at: chrono::Utc::now(),
        seating: SeatMap::grid(rows, per_row, 5_000).unwrap().into(),
        orphans: booking_core::OrphanPolicy::Allow,
        created_by: None,
    }
}

/// Times creating one event of each size: `samples` events per size.
fn creation<S: Store>(c: &mut Criterion, rt: &Runtime, backend: &str, store: &S) {
    let mut group = c.benchmark_group(format!("scale-{backend}"));
    group.sample_size(10);
    for (rows, per_row) in SIZES {
        let seats = rows * per_row;
        group.bench_function(BenchmarkId::new("create event", seats), |b| {
            b.to_async(rt).iter_custom(|iters| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    store.create_event(new_event(rows, per_row)).await.unwrap();
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

/// Times the operations on an event of each size.
fn operations<S: Store>(c: &mut Criterion, rt: &Runtime, backend: &str, store: &S) {
    let user: UserId = rt.block_on(async {
        let name = Username::new(format!("scale-{backend}")).unwrap();
        store.create_user(&name, "hash").await.unwrap().id
    });
    let mut group = c.benchmark_group(format!("scale-{backend}"));
    group.sample_size(20);
    for (rows, per_row) in SIZES {
        let seats = rows * per_row;
        let (event, seat): (EventId, SeatId) = rt.block_on(async {
            let event = store
                .create_event(new_event(rows, per_row))
                .await
                .unwrap()
                .event
                .id;
            // A seat in the middle row.
            let middle = Row::from_index(rows / 2).unwrap();
            let row = store.seats_in_rows(event, middle..=middle).await.unwrap();
            (event, row[row.len() / 2].seat.id)
        });
        group.bench_function(BenchmarkId::new("hold+release", seats), |b| {
            b.to_async(rt).iter(|| async {
                store.hold(user, event, seat).await.unwrap();
                store.release(user, event, seat).await.unwrap();
            });
        });
        group.bench_function(BenchmarkId::new("hold+reserve+cancel", seats), |b| {
            b.to_async(rt).iter(|| async {
                store.hold(user, event, seat).await.unwrap();
                let r = store.reserve(user, event, &[seat], None).await.unwrap();
                store.cancel(user, r.id).await.unwrap();
            });
        });
        group.bench_function(BenchmarkId::new("seat map, one row", seats), |b| {
            let first = Row::from_index(0).unwrap();
            b.to_async(rt)
                .iter(|| async { store.seats_in_rows(event, first..=first).await.unwrap() });
        });
        group.bench_function(BenchmarkId::new("seat map, whole", seats), |b| {
            b.to_async(rt)
                .iter(|| async { store.seats(event).await.unwrap() });
        });
        group.bench_function(BenchmarkId::new("event summary", seats), |b| {
            b.to_async(rt)
                .iter(|| async { store.event(event).await.unwrap() });
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();

    let memory = MemoryStore::new(SystemClock, Policy::default());
    operations(c, &rt, "memory", &memory);
    creation(c, &rt, "memory", &memory);
    drop(memory);

    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("scale.db"), SqliteOptions::default()).unwrap();
    operations(c, &rt, "sqlite", &sqlite);
    creation(c, &rt, "sqlite", &sqlite);
    drop(sqlite);

    let db = rt.block_on(TestDatabase::create());
    let postgres = Arc::new(
        rt.block_on(PgStore::connect(&db.url, PgOptions::default()))
            .unwrap(),
    );
    operations(c, &rt, "postgres", &postgres);
    creation(c, &rt, "postgres", &postgres);
    postgres.pool().close();
    drop(postgres);
    rt.block_on(db.drop_database());
}

#[allow(missing_docs, reason = "generated by criterion_group!")]
mod generated {
    use super::{Criterion, Duration, bench, criterion_group};
    criterion_group! {
        name = benches;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        targets = bench
    }
}
criterion_main!(generated::benches);
