//! `booking-onsale`: best available on a large venue, driven on a store
//! directly (no HTTP), in two modes:
//!
//! - `latency`: simulated users hold single seats (and release them), then
//!   the same number of users ask best available for `count` seats (and
//!   reserve them) until the time is up or no `count` seats together are
//!   left; the p99 of each side by side, and their ratio.
//! - `onsale`: every buyer at once, each asking best available for 1 to 6
//!   seats and reserving them, again and again, until the venue is sold
//!   out, with at most `--in-flight` buyers in a purchase at a time (the
//!   others wait their turn, as a server's queue makes them). Reports the time to sell out, the seats sold per second, the
//!   buyers refused while enough adjacent seats remained, the single seats
//!   left once no two together remained, and checks that no seat was sold
//!   twice.
//!
//! ```text
//! cargo run --release -p benches --bin booking-onsale -- \
//!     --backend sqlite --database /tmp/onsale.db latency
//! cargo run --release -p benches --bin booking-onsale -- \
//!     --backend postgres --database postgres://postgres@127.0.0.1/onsale onsale
//! ```
//!
//! The database must be new: a SQLite file that does not exist yet, or an
//! empty PostgreSQL database (`benches/onsale.sh` makes them).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use booking_core::{
    BestAvailable, Error, EventId, NewEvent, OrphanPolicy, ReservationStatus, SeatId, SeatRecord,
    SeatState, Store, UserId, Username, Venue,
};
use booking_postgres::{PgOptions, PgStore};
use booking_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use clap::{Parser, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use rand::Rng;
use rand::seq::IndexedRandom;

#[derive(Parser)]
#[command(about = "Best available on a large venue, on a store directly")]
struct Args {
    /// Which store.
    #[arg(long, value_enum)]
    backend: Backend,
    /// SQLite: a file that does not exist yet. PostgreSQL: the URL of an
    /// empty database.
    #[arg(long)]
    database: String,
    /// SQLite: commit with `synchronous=NORMAL` (no sync per commit)
    /// instead of the default `FULL`.
    #[arg(long)]
    sqlite_normal: bool,
    /// The venue file of the event sold.
    #[arg(long, default_value = "examples/venues/stadium.json")]
    venue: PathBuf,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
enum Mode {
    /// Single holds, then best available, each by `users` users for `secs`.
    Latency {
        #[arg(long, default_value_t = 32)]
        users: usize,
        #[arg(long, default_value_t = 8)]
        secs: u64,
        /// Seats each best-available request asks for.
        #[arg(long, default_value_t = 4)]
        count: u32,
    },
    /// Every buyer at once until the venue is sold out.
    Onsale {
        #[arg(long, default_value_t = 5_000)]
        buyers: usize,
        /// Each request asks for 1 to this many seats.
        #[arg(long, default_value_t = 6)]
        max_count: u32,
        /// At most this many buyers in the middle of a purchase (best
        /// available, then reserve) at once; the others wait their turn,
        /// first come first served, as a server's queue (or a bounded pool)
        /// makes them. A buyer's reserve does not queue again behind every
        /// other buyer's request, so the seats sold per second show the
        /// store's rate, not the queue's cycles.
        #[arg(long, default_value_t = 64)]
        in_flight: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.venue)
        .with_context(|| format!("reading {}", args.venue.display()))?;
    let venue = Venue::from_json(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
    match args.backend {
        Backend::Sqlite => {
            if std::path::Path::new(&args.database).exists() {
                bail!("{} exists: give a new file", args.database);
            }
            let mut options = SqliteOptions::default();
            if args.sqlite_normal {
                options.synchronous = Synchronous::Normal;
            }
            let store = SqliteStore::open(&args.database, options)?;
            run(store, venue, args.mode).await
        }
        Backend::Postgres => {
            let store = PgStore::connect(&args.database, PgOptions::default()).await?;
            run(store, venue, args.mode).await
        }
    }
}

async fn run<S: Store + Clone>(store: S, venue: Venue, mode: Mode) -> anyhow::Result<()> {
    let placed = venue.placed_seats();
    let created = Instant::now();
    let event = store
        .create_event(NewEvent {
            name: "On sale".into(),
            description: String::new(),
            venue: "Stadium".into(),
            starts_at: chrono::Utc::now(),
            seating: venue,
            orphans: OrphanPolicy::Allow,
            created_by: None,
        })
        .await?
        .event
        .id;
    let records = store.seats(event).await?;
    println!(
        "event {event}: {} seats, created in {:.2?}",
        records.len(),
        created.elapsed()
    );
    // Seats are listed in the order the venue places them.
    let mut runs: HashMap<(usize, usize, usize), Vec<(usize, SeatId)>> = HashMap::new();
    for (p, r) in placed.iter().zip(&records) {
        if p.label != r.seat.label {
            bail!("seat {} listed where {} was placed", r.seat.label, p.label);
        }
        runs.entry((p.section, p.line, p.run))
            .or_default()
            .push((p.place, r.seat.id));
    }
    let runs: Vec<Vec<SeatId>> = runs
        .into_values()
        .map(|mut run| {
            run.sort_unstable();
            run.into_iter().map(|(_, id)| id).collect()
        })
        .collect();
    let seats: Vec<SeatId> = records.iter().map(|r| r.seat.id).collect();
    match mode {
        Mode::Latency { users, secs, count } => {
            let users = make_users(&store, "user", users).await?;
            latency(
                &store,
                event,
                &seats,
                &users,
                Duration::from_secs(secs),
                count,
            )
            .await
        }
        Mode::Onsale {
            buyers,
            max_count,
            in_flight,
        } => {
            let buyers = make_users(&store, "buyer", buyers).await?;
            println!("at most {in_flight} buyers in a purchase at once");
            let limit = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
            onsale(&store, event, &runs, &buyers, max_count, &limit).await
        }
    }
}

async fn make_users<S: Store>(store: &S, prefix: &str, n: usize) -> anyhow::Result<Vec<UserId>> {
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        let name = Username::new(format!("{prefix}{i}"))?;
        users.push(store.create_user(&name, "not a hash").await?.id);
    }
    Ok(users)
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

fn ms(us: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // latencies are far below 2^52 µs
    let ms = us as f64 / 1000.0;
    format!("{ms:.2} ms")
}

fn line(what: &str, h: &Histogram<u64>) {
    println!(
        "{what:<26} {:>7} calls  p50 {:>10}  p95 {:>10}  p99 {:>10}  max {:>10}",
        h.len(),
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.95)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
    );
}

/// Single holds (each released), then best available for `count` (each
/// reserved), `users` users at a time for `length` each.
async fn latency<S: Store + Clone>(
    store: &S,
    event: EventId,
    seats: &[SeatId],
    users: &[UserId],
    length: Duration,
    count: u32,
) -> anyhow::Result<()> {
    let seats: Arc<[SeatId]> = seats.into();
    let mut tasks = Vec::new();
    let until = Instant::now() + length;
    for &user in users {
        let (store, seats) = (store.clone(), Arc::clone(&seats));
        tasks.push(tokio::spawn(async move {
            let (mut hold, mut release) = (histogram(), histogram());
            while Instant::now() < until {
                let seat = *seats.choose(&mut rand::rng()).expect("seats");
                let start = Instant::now();
                let answer = store.hold(user, event, seat).await;
                hold.record(micros(start.elapsed())).expect("in range");
                if answer.is_ok() {
                    let start = Instant::now();
                    store.release(user, event, seat).await.expect("release");
                    release.record(micros(start.elapsed())).expect("in range");
                }
            }
            (hold, release)
        }));
    }
    let (mut hold, mut release) = (histogram(), histogram());
    for task in tasks {
        let (h, r) = task.await?;
        hold.add(h)?;
        release.add(r)?;
    }

    let request = BestAvailable::new(count);
    warm_up(store, event, users[0], &request).await?;
    let mut tasks = Vec::new();
    let started = Instant::now();
    let until = started + length;
    // Set by the first refusal: no `count` seats together are left, so
    // the phase ends. A quick machine sells the stadium out within the
    // phase, and the refusals that followed (a fraction of a millisecond
    // each) then made up most of the requests measured.
    let sold_out: Arc<Mutex<Option<Duration>>> = Arc::default();
    for &user in users {
        let (store, request, sold_out) = (store.clone(), request.clone(), Arc::clone(&sold_out));
        tasks.push(tokio::spawn(async move {
            let (mut best, mut reserve, mut refused) = (histogram(), histogram(), 0u64);
            let ended = || sold_out.lock().expect("not poisoned").is_some();
            while Instant::now() < until && !ended() {
                let start = Instant::now();
                let answer = store.best_available(user, event, &request).await;
                best.record(micros(start.elapsed())).expect("in range");
                match answer {
                    Ok(holds) => {
                        let ids: Vec<SeatId> = holds.iter().map(|h| h.seat.id).collect();
                        let start = Instant::now();
                        store
                            .reserve(user, event, &ids, None)
                            .await
                            .expect("reserve");
                        reserve.record(micros(start.elapsed())).expect("in range");
                    }
                    Err(Error::NoAdjacentSeats { .. }) => {
                        refused += 1;
                        sold_out
                            .lock()
                            .expect("not poisoned")
                            .get_or_insert_with(|| started.elapsed());
                    }
                    Err(e) => panic!("best available failed: {e}"),
                }
            }
            (best, reserve, refused)
        }));
    }
    let (mut best, mut reserve, mut refused) = (histogram(), histogram(), 0);
    for task in tasks {
        let (b, r, n) = task.await?;
        best.add(b)?;
        reserve.add(r)?;
        refused += n;
    }
    println!("{} users, {length:?} each:", users.len());
    line("hold (one seat)", &hold);
    line("release", &release);
    line(&format!("best available ({count})"), &best);
    line("reserve", &reserve);
    #[allow(clippy::cast_precision_loss)]
    let ratio = best.value_at_quantile(0.99) as f64 / hold.value_at_quantile(0.99) as f64;
    println!("best available p99 / hold p99: {ratio:.2}; refused: {refused}");
    if let Some(after) = *sold_out.lock().expect("not poisoned") {
        println!(
            "no {count} seats together were left after {:.1} s: best available ended then",
            after.as_secs_f64()
        );
    }
    check_no_double_booking(store, event, users).await
}

/// One best-available request, its seats released: the store reads the
/// event's layout once, and keeps it, before the clock starts.
async fn warm_up<S: Store>(
    store: &S,
    event: EventId,
    user: UserId,
    request: &BestAvailable,
) -> anyhow::Result<()> {
    for hold in store.best_available(user, event, request).await? {
        store.release(user, event, hold.seat.id).await?;
    }
    Ok(())
}

/// What every buyer shares in the on-sale.
struct Sale {
    started: Instant,
    /// The most seats still together somewhere (known from the last check).
    largest: AtomicU32,
    /// Seats sold in each second since the start.
    per_second: Mutex<Vec<usize>>,
    /// Refusals, and those with enough adjacent seats still free.
    refused: AtomicUsize,
    wrongly_refused: AtomicUsize,
    /// Free seats when the first check found no two together.
    singles_left: Mutex<Option<usize>>,
    /// One check of the seat map at a time.
    checking: tokio::sync::Mutex<()>,
}

async fn onsale<S: Store + Clone>(
    store: &S,
    event: EventId,
    runs: &[Vec<SeatId>],
    buyers: &[UserId],
    max_count: u32,
    limit: &Arc<tokio::sync::Semaphore>,
) -> anyhow::Result<()> {
    let sale = Arc::new(Sale {
        started: Instant::now(),
        largest: AtomicU32::new(max_count),
        per_second: Mutex::new(Vec::new()),
        refused: AtomicUsize::new(0),
        wrongly_refused: AtomicUsize::new(0),
        singles_left: Mutex::new(None),
        checking: tokio::sync::Mutex::new(()),
    });
    warm_up(store, event, buyers[0], &BestAvailable::new(1)).await?;
    let runs: Arc<[Vec<SeatId>]> = runs.into();
    let mut tasks = Vec::new();
    for &buyer in buyers {
        let (store, sale, runs) = (store.clone(), Arc::clone(&sale), Arc::clone(&runs));
        let limit = Arc::clone(limit);
        tasks.push(tokio::spawn(async move {
            let mut latency = histogram();
            loop {
                let largest = sale.largest.load(Ordering::SeqCst);
                if largest == 0 {
                    break;
                }
                let count = rand::rng().random_range(1..=largest);
                // A request's latency counts from when it is sent, not
                // from when the buyer joined the queue.
                let turn = limit.acquire().await.expect("never closed");
                let start = Instant::now();
                let held = store
                    .best_available(buyer, event, &BestAvailable::new(count))
                    .await;
                latency.record(micros(start.elapsed())).expect("in range");
                match held {
                    Ok(holds) => {
                        let ids: Vec<SeatId> = holds.iter().map(|h| h.seat.id).collect();
                        store
                            .reserve(buyer, event, &ids, None)
                            .await
                            .expect("reserve");
                        let second = sale.started.elapsed().as_secs();
                        let mut sold = sale.per_second.lock().expect("not poisoned");
                        let second = usize::try_from(second).expect("a short sale");
                        if sold.len() <= second {
                            sold.resize(second + 1, 0);
                        }
                        sold[second] += ids.len();
                    }
                    Err(Error::NoAdjacentSeats { .. }) => {
                        sale.refused.fetch_add(1, Ordering::SeqCst);
                        drop(turn);
                        check_refusal(&store, event, &runs, &sale, count).await;
                    }
                    Err(e) => panic!("best available failed: {e}"),
                }
            }
            latency
        }));
    }
    let mut latency = histogram();
    for task in tasks {
        latency.add(task.await?)?;
    }
    let took = sale.started.elapsed();
    let sold: Vec<usize> = sale.per_second.lock().expect("not poisoned").clone();
    println!("{} buyers: sold out in {took:.2?}", buyers.len());
    line("best available (1-6)", &latency);
    println!(
        "refused: {}, of which with enough adjacent seats free: {}",
        sale.refused.load(Ordering::SeqCst),
        sale.wrongly_refused.load(Ordering::SeqCst)
    );
    println!(
        "free seats once no two together remained (all single): {}",
        sale.singles_left
            .lock()
            .expect("not poisoned")
            .map_or("never checked".into(), |n| n.to_string())
    );
    println!("seats sold per second:");
    for (second, n) in sold.iter().enumerate() {
        println!("  {second:>3} s  {n:>6}");
    }
    let unsold = store
        .seats(event)
        .await?
        .iter()
        .filter(|r| !matches!(r.state, SeatState::Reserved { .. }))
        .count();
    println!("seats not sold at the end: {unsold}");
    check_no_double_booking(store, event, buyers).await
}

/// After a refusal of `count` seats: reads the seat map and counts the
/// refusal as wrong if `count` free seats together remain. Seats only go
/// from free to held to reserved in the sale, so a block free now was free
/// at the refusal too.
async fn check_refusal<S: Store>(
    store: &S,
    event: EventId,
    runs: &[Vec<SeatId>],
    sale: &Sale,
    count: u32,
) {
    let _one_at_a_time = sale.checking.lock().await;
    if count > sale.largest.load(Ordering::SeqCst) {
        return; // Already known: nothing that large remains.
    }
    let records = store.seats(event).await.expect("seat map");
    let free: HashSet<SeatId> = records
        .iter()
        .filter(|r| r.is_free(chrono::Utc::now()))
        .map(|r| r.seat.id)
        .collect();
    let largest = runs
        .iter()
        .map(|run| {
            run.split(|seat| !free.contains(seat))
                .map(<[SeatId]>::len)
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    let largest = u32::try_from(largest).unwrap_or(u32::MAX);
    if largest >= count {
        sale.wrongly_refused.fetch_add(1, Ordering::SeqCst);
    } else {
        sale.largest.fetch_min(largest, Ordering::SeqCst);
        if largest < 2 {
            let mut singles = sale.singles_left.lock().expect("not poisoned");
            singles.get_or_insert(free.len());
        }
    }
}

/// Every seat in at most one confirmed reservation, and each reserved seat
/// in the one its state names.
async fn check_no_double_booking<S: Store>(
    store: &S,
    event: EventId,
    users: &[UserId],
) -> anyhow::Result<()> {
    let mut owner: HashMap<SeatId, i64> = HashMap::new();
    let mut doubles = 0;
    for &user in users {
        for reservation in store.reservations(user).await? {
            if reservation.event != event || reservation.status != ReservationStatus::Confirmed {
                continue;
            }
            for seat in &reservation.seats {
                if owner.insert(seat.id, reservation.id.get()).is_some() {
                    doubles += 1;
                }
            }
        }
    }
    let records: Vec<SeatRecord> = store.seats(event).await?;
    let mismatched = records
        .iter()
        .filter(|r| match r.state {
            SeatState::Reserved { reservation } => {
                owner.get(&r.seat.id) != Some(&reservation.get())
            }
            _ => owner.contains_key(&r.seat.id),
        })
        .count();
    println!(
        "double bookings: {doubles}; seats whose state and reservations disagree: {mismatched}; seats reserved: {}",
        owner.len()
    );
    if doubles > 0 || mismatched > 0 {
        bail!("the check failed");
    }
    Ok(())
}
