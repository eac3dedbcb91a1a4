//! The PostgreSQL store's operations at 1, 8 and 64 concurrent clients, and
//! 64 clients trying to hold the same seat at once.
//!
//! ```text
//! cargo bench -p benches --bench postgres -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! It needs a PostgreSQL server (`BOOKING_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`): it creates a fresh
//! database there and drops it at the end. `benches/pgbench/run.sh` sends the
//! same SQL with pgbench, for comparison.
//!
//! A client is a tokio task with its own user and its own seat; every
//! client's operation counts as one element.

use std::future::Future;
use std::time::{Duration, Instant};

use booking_core::{
    AccountStore, BookingStore, Error, EventId, NewEvent, SeatId, SeatMap, UserId, Username,
};
use booking_postgres::testkit::TestDatabase;
use booking_postgres::{PgOptions, PgStore};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// How many clients run at once, in turn.
const CLIENTS: [usize; 3] = [1, 8, 64];

/// The most clients at once: as many users, seats and pooled connections.
const MAX_CLIENTS: usize = 64;

/// One client: its user, and its own seat of the write event.
#[derive(Clone, Copy)]
struct Client {
    user: UserId,
    event: EventId,
    seat: SeatId,
}

/// The store in its fresh database, and what the benchmarks use.
struct Fixture {
    database: TestDatabase,
    store: PgStore,
    /// 60 seats (6 × 10), only read.
    map: EventId,
    /// 10,000 seats (100 × 100), only read.
    big_map: EventId,
    /// The first seat of the write event (70 seats, 7 × 10), which the
    /// clients' own seats follow.
    hot_seat: SeatId,
    clients: Vec<Client>,
}

fn fixture(rt: &Runtime) -> Fixture {
    rt.block_on(async {
        // Panics with how to start a server when none answers.
        let database = TestDatabase::create().await;
        let mut options = PgOptions::default();
        options.max_connections = Some(MAX_CLIENTS);
        let store = PgStore::connect(&database.url, options)
            .await
            .expect("connect to the bench database");
        let mut events = Vec::new();
        for (rows, per_row) in [(6, 10), (7, 10), (100, 100)] {
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
        let (map, event, big_map) = (events[0], events[1], events[2]);
        let seats: Vec<SeatId> = store
            .seats(event)
            .await
            .unwrap()
            .iter()
            .map(|r| r.seat.id)
            .collect();
        let mut clients = Vec::new();
        for (i, seat) in seats[1..=MAX_CLIENTS].iter().enumerate() {
            let name = Username::new(format!("bench{i}")).unwrap();
            let user = store.create_user(&name, "hash").await.unwrap().id;
            clients.push(Client {
                user,
                event,
                seat: *seat,
            });
        }
        // Planner statistics now, rather than whenever autovacuum gets to it
        // in the middle of a measurement.
        store
            .pool()
            .get()
            .await
            .unwrap()
            .batch_execute("ANALYZE")
            .await
            .unwrap();
        Fixture {
            database,
            store,
            map,
            big_map,
            hot_seat: seats[0],
            clients,
        }
    })
}

/// Runs `op` `iters` times in each client's own task, all clients at once;
/// the time until the last one is done.
async fn concurrently<F, Fut>(store: PgStore, clients: Vec<Client>, iters: u64, op: F) -> Duration
where
    F: Fn(PgStore, Client) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for client in clients {
        let (store, op) = (store.clone(), op.clone());
        tasks.spawn(async move {
            for _ in 0..iters {
                op(store.clone(), client).await;
            }
        });
    }
    tasks.join_all().await;
    start.elapsed()
}

/// Benchmarks `op` at each number of [`CLIENTS`].
fn bench_clients<F, Fut>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    fx: &Fixture,
    name: &str,
    op: F,
) where
    F: Fn(PgStore, Client) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    for n in CLIENTS {
        group.throughput(Throughput::Elements(n as u64));
        let clients = if n == 1 {
            "1 client".to_owned()
        } else {
            format!("{n} clients")
        };
        group.bench_function(BenchmarkId::new(name, clients), |b| {
            b.to_async(rt).iter_custom(|iters| {
                concurrently(
                    fx.store.clone(),
                    fx.clients[..n].to_vec(),
                    iters,
                    op.clone(),
                )
            });
        });
    }
}

/// Extends the client's hold on its own seat (taking it the first time).
async fn hold(store: PgStore, c: Client) {
    store.hold(c.user, c.event, c.seat).await.unwrap();
}

/// Holds the client's own seat and releases it.
async fn hold_release(store: PgStore, c: Client) {
    store.hold(c.user, c.event, c.seat).await.unwrap();
    store.release(c.user, c.event, c.seat).await.unwrap();
}

/// Holds the client's own seat, reserves it and cancels the reservation.
async fn hold_reserve_cancel(store: PgStore, c: Client) {
    store.hold(c.user, c.event, c.seat).await.unwrap();
    let r = store
        .reserve(c.user, c.event, &[c.seat], None)
        .await
        .unwrap();
    store.cancel(c.user, r.id).await.unwrap();
}

/// One round of the hot seat: every client tries to hold `seat` (of their
/// event) at once, exactly one wins, and the winner releases it.
async fn hot_seat_round(store: PgStore, seat: SeatId, clients: Vec<Client>) {
    let event = clients[0].event;
    let mut tasks = JoinSet::new();
    for client in clients {
        let store = store.clone();
        tasks.spawn(async move { (client.user, store.hold(client.user, event, seat).await) });
    }
    let mut winners = Vec::new();
    for (user, outcome) in tasks.join_all().await {
        match outcome {
            Ok(_) => winners.push(user),
            Err(Error::SeatLocked(_)) => {}
            Err(e) => panic!("a hot-seat hold failed otherwise than seat_locked: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one client wins the hot seat");
    store.release(winners[0], event, seat).await.unwrap();
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let fx = fixture(&rt);
    let (map, big_map, hot_seat) = (fx.map, fx.big_map, fx.hot_seat);
    let mut group = c.benchmark_group("postgres");

    bench_clients(&mut group, &rt, &fx, "hold (extend own)", hold);
    bench_clients(&mut group, &rt, &fx, "hold+release", hold_release);
    bench_clients(
        &mut group,
        &rt,
        &fx,
        "hold+reserve+cancel",
        hold_reserve_cancel,
    );
    let seat_map = move |store: PgStore, _| async move {
        store.seats(map).await.unwrap();
    };
    bench_clients(&mut group, &rt, &fx, "seat map (60)", seat_map);

    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("seat map (10000)", "1 client"), |b| {
        b.to_async(&rt)
            .iter(|| async { fx.store.seats(big_map).await.unwrap() });
    });
    // Time per round: MAX_CLIENTS holds (one wins) and the winner's release.
    group.bench_function(
        BenchmarkId::new("hot seat round", format!("{MAX_CLIENTS} clients")),
        |b| {
            b.to_async(&rt)
                .iter(|| hot_seat_round(fx.store.clone(), hot_seat, fx.clients.clone()));
        },
    );
    group.finish();

    // Close the pool's connections, then drop the database.
    drop(fx.store);
    rt.block_on(fx.database.drop_database());
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
