//! The SQLite store's operations on a file database, in both durability
//! modes, one task at a time and eight at once.
//!
//! ```text
//! cargo bench -p benches --bench sqlite -- --warm-up-time 1 --measurement-time 3
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use booking_core::{
    AccountStore, BookingStore, EventId, NewEvent, SeatId, SeatMap, UserId, Username,
};
use booking_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;

const TASKS: usize = 8;

struct Fixture {
    store: Arc<SqliteStore>,
    event: EventId,
    big_event: EventId,
    seats: Vec<SeatId>,
    users: Vec<UserId>,
    _dir: tempfile::TempDir,
}

fn fixture(rt: &Runtime, synchronous: Synchronous) -> Fixture {
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteOptions::default().with_synchronous(synchronous);
        let store = Arc::new(SqliteStore::open(dir.path().join("bench.db"), options).unwrap());
        let mut users = Vec::new();
        for i in 0..TASKS {
            let name = Username::new(format!("bench{i}")).unwrap();
            users.push(store.create_user(&name, "hash").await.unwrap().id);
        }
        let mut events = Vec::new();
        for (rows, per_row) in [(6, 10), (100, 100)] {
            let event = NewEvent {
                name: format!("{rows}x{per_row}"),
                description: String::new(),
                venue: "Hall".into(),
                starts_at: chrono::Utc::now(),
                seating: SeatMap::grid(rows, per_row, 10_000).unwrap().into(),
                orphans: booking_core::OrphanPolicy::Allow,
                created_by: None,
            };
            events.push(store.create_event(event).await.unwrap().event.id);
        }
        let seats = store.seats(events[0]).await.unwrap();
        Fixture {
            seats: seats.iter().map(|r| r.seat.id).collect(),
            store,
            event: events[0],
            big_event: events[1],
            users,
            _dir: dir,
        }
    })
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    for (mode, synchronous) in [("normal", Synchronous::Normal), ("full", Synchronous::Full)] {
        let fx = fixture(&rt, synchronous);
        let mut group = c.benchmark_group(format!("sqlite-{mode}"));
        let (store, event, seat, user) = (&fx.store, fx.event, fx.seats[0], fx.users[0]);

        group.throughput(Throughput::Elements(1));
        group.bench_function("hold (extend own)", |b| {
            b.to_async(&rt)
                .iter(|| async { store.hold(user, event, seat).await.unwrap() });
        });
        group.bench_function("hold+release", |b| {
            b.to_async(&rt).iter(|| async {
                store.hold(user, event, seat).await.unwrap();
                store.release(user, event, seat).await.unwrap();
            });
        });
        group.bench_function("hold+reserve+cancel", |b| {
            b.to_async(&rt).iter(|| async {
                store.hold(user, event, seat).await.unwrap();
                let r = store.reserve(user, event, &[seat], None).await.unwrap();
                store.cancel(user, r.id).await.unwrap();
            });
        });
        group.bench_function(BenchmarkId::new("seat map", "60 seats"), |b| {
            b.to_async(&rt)
                .iter(|| async { store.seats(event).await.unwrap() });
        });
        group.bench_function(BenchmarkId::new("seat map", "10000 seats"), |b| {
            b.to_async(&rt)
                .iter(|| async { store.seats(fx.big_event).await.unwrap() });
        });

        // Eight tasks at once, each on its own seat: throughput of the one writer.
        group.throughput(Throughput::Elements(TASKS as u64));
        group.bench_function(format!("hold+release x{TASKS} tasks"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (store, seats, users) =
                    (Arc::clone(&fx.store), fx.seats.clone(), fx.users.clone());
                async move {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|t| {
                            let (store, seat, user) = (Arc::clone(&store), seats[t + 1], users[t]);
                            tokio::spawn(async move {
                                for _ in 0..iters {
                                    store.hold(user, event, seat).await.unwrap();
                                    store.release(user, event, seat).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    start.elapsed()
                }
            });
        });
        group.bench_function(format!("seat map (60) x{TASKS} tasks"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let store = Arc::clone(&fx.store);
                async move {
                    let start = Instant::now();
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let store = Arc::clone(&store);
                            tokio::spawn(async move {
                                for _ in 0..iters {
                                    store.seats(event).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    start.elapsed()
                }
            });
        });
        group.finish();
    }
}

#[allow(missing_docs, reason = "generated by criterion_group!")]
mod generated {
    use super::{Criterion, Duration, bench, criterion_group};
    criterion_group! {
        name = benches;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(20);
        targets = bench
    }
}
criterion_main!(generated::benches);
