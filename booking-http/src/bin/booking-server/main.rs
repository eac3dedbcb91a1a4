//! `booking-server`: serves the booking API and the web app over
//! SQLite or PostgreSQL, and administers users and events from the command
//! line.
//!
//! ```text
//! booking-server --demo                      # serve at 127.0.0.1:8000 on sqlite:booking.db
//! echo 's3cret-pass' | booking-server user add carol
//! booking-server event add --name "Rust Conf" --location "Hall B" \
//!     --starts-at 2026-09-01T09:00:00Z --seats "A-T:1-30:4500"
//! booking-server event add --name "Symphony No. 9" \
//!     --starts-at 2026-09-01T19:00:00Z --venue examples/venues/concert-hall.json
//! ```

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use booking_core::venue::VenueFile;
use booking_core::{
    AccountStore, MemoryStore, NewEvent, OrphanPolicy, Password, Policy, SeatMap, Store,
    SystemClock, Timestamp, Username, Venue,
};
use booking_http::{AppState, Settings};
use booking_postgres::{PgOptions, PgStore, TlsRoots};
use booking_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: under load it is faster, and
/// it hands the 19 MiB a password hash takes back to the system, where
/// glibc keeps it per thread (a burst of logins left the server at 400 MB).
/// Built with `no_thp`, so it never asks for transparent huge pages (see
/// [`no_transparent_huge_pages`]).
///
/// The `mimalloc` feature (on by default) selects it; without it the server
/// uses the system allocator, which heap profilers see.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The booking server.
#[derive(Parser, Debug)]
#[command(name = "booking-server", version, about)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Where the data lives and the rules it keeps.
#[derive(Args, Debug)]
struct StoreArgs {
    /// `sqlite:PATH`, `postgres://...`, or `memory:` (nothing kept after exit).
    #[arg(
        long,
        env = "BOOKING_DATABASE_URL",
        default_value = "sqlite:booking.db",
        global = true
    )]
    database_url: String,
    /// How long a seat lock lasts, in seconds.
    #[arg(
        long,
        env = "BOOKING_LOCK_TTL_SECS",
        default_value_t = 300,
        global = true
    )]
    lock_ttl_secs: u64,
    /// The longest one hold may last from when it was first taken, in
    /// seconds, however often it is extended; then the holder must release
    /// it or let it expire before taking it again (409 `max_hold_reached`).
    #[arg(
        long,
        env = "BOOKING_MAX_HOLD_SECS",
        default_value_t = 900,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    max_hold_secs: u64,
    /// The most seats one user may hold in one event at once (and reserve at once).
    #[arg(
        long,
        env = "BOOKING_MAX_SEATS_PER_USER",
        default_value_t = 10,
        global = true
    )]
    max_seats_per_user: u32,
    /// PEM certificates to trust for TLS to PostgreSQL (a private
    /// authority's, or the server's own). Without it, `sslmode=require` in
    /// the URL trusts the system's certificates.
    #[arg(long, env = "BOOKING_DATABASE_CA_FILE", global = true)]
    database_ca_file: Option<PathBuf>,
    /// SQLite only: `full` syncs every commit to disk before answering, so
    /// no answered write is lost to a power cut or an OS crash (writes that
    /// arrive together share a commit). `normal` is faster but can lose the
    /// last answered writes on a power cut or an OS crash (not on a crash
    /// of the server alone).
    #[arg(
        long,
        env = "BOOKING_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value_t = SqliteSynchronous::Full,
        global = true
    )]
    sqlite_synchronous: SqliteSynchronous,
    /// SQLite only: at most this many writes share one commit (group
    /// commit; 1 commits each write alone, as before it existed).
    #[arg(
        long,
        env = "BOOKING_SQLITE_BATCH_WRITES",
        default_value_t = 64,
        value_parser = clap::value_parser!(u16).range(1..),
        global = true
    )]
    sqlite_batch_writes: u16,
}

/// The values of `--sqlite-synchronous` (see [`Synchronous`]).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SqliteSynchronous {
    /// Durable against power loss (the default).
    Full,
    /// Durable against a crash of the process only.
    Normal,
}

impl From<SqliteSynchronous> for Synchronous {
    fn from(value: SqliteSynchronous) -> Self {
        match value {
            SqliteSynchronous::Full => Self::Full,
            SqliteSynchronous::Normal => Self::Normal,
        }
    }
}

/// How the API is served.
#[derive(Args, Debug)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "BOOKING_BIND", default_value = "127.0.0.1:8000")]
    bind: SocketAddr,
    /// An origin allowed to call the API from a browser (repeatable).
    #[arg(
        long = "cors-origin",
        env = "BOOKING_CORS_ORIGIN",
        value_delimiter = ',',
        default_value = "http://localhost:3000"
    )]
    cors_origins: Vec<String>,
    /// Mark cookies `Secure` (when served over HTTPS).
    #[arg(long, env = "BOOKING_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Close `POST /api/register/` (it answers 404).
    #[arg(long, env = "BOOKING_NO_SIGNUP")]
    no_signup: bool,
    /// Seed an empty database with four events (three 60-seat grids and a
    /// concert in the 1,200-seat concert hall) and the users admin, alice
    /// and bob.
    #[arg(long, env = "BOOKING_DEMO")]
    demo: bool,
    /// The longest a request may take, in seconds.
    #[arg(long, env = "BOOKING_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// How long a connection has to send a request's head, in seconds; it
    /// also bounds how long an idle keep-alive connection is kept.
    #[arg(long, env = "BOOKING_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    header_read_timeout_secs: u64,
    /// How long a connection may read and write nothing before it is
    /// closed, in seconds (more than the live stream's 15 s heartbeat).
    #[arg(long, env = "BOOKING_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    idle_timeout_secs: u64,
    /// The most connections open at once; at the cap new ones wait. Kept
    /// below the process's open-file limit.
    #[arg(long, env = "BOOKING_MAX_CONNECTIONS", default_value_t = 10_000)]
    max_connections: usize,
    /// Where `GET /metrics` is served, apart from the API, or `off`.
    #[arg(long, env = "BOOKING_METRICS_BIND", default_value = "127.0.0.1:9464")]
    metrics_bind: String,
    /// Sign-ups allowed per client address an hour (0: no limit).
    #[arg(long, env = "BOOKING_SIGNUPS_PER_HOUR", default_value_t = 20)]
    signups_per_hour: u32,
    /// A proxy (address or CIDR range) whose `X-Forwarded-For` or
    /// `Forwarded` header names the client (repeatable). From any other
    /// peer those headers are ignored.
    #[arg(long = "trusted-proxy", env = "BOOKING_TRUSTED_PROXY", value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// An origin besides the server's own and the CORS origins that unsafe
    /// requests may come from, `https://shop.example` (repeatable).
    #[arg(
        long = "csrf-trusted-origin",
        env = "BOOKING_CSRF_TRUSTED_ORIGIN",
        value_delimiter = ','
    )]
    csrf_trusted_origins: Vec<String>,
}

/// `10.0.0.0/8`, or one address (`10.0.0.1`, a /32 or /128).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a CIDR range"))
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage events.
    #[command(subcommand)]
    Event(EventCommand),
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Add {
        /// The user name: 1-150 ASCII letters, digits and @.+-_
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum EventCommand {
    /// Create an event with its seats: from a venue file, or a compact
    /// seat map.
    Add {
        /// Its name.
        #[arg(long)]
        name: String,
        /// What it is, shown on the event's page (may be empty).
        #[arg(long, default_value = "")]
        description: String,
        /// Where it takes place, as shown with the event (default: the
        /// venue file's `name`, or nothing).
        #[arg(long)]
        location: Option<String>,
        /// When it starts, RFC 3339 (2026-09-01T19:00:00Z).
        #[arg(long)]
        starts_at: Timestamp,
        #[command(flatten)]
        seating: SeatingArgs,
        /// Refuse a reserve that strands a single seat between taken ones
        /// when another pick would not (409 `orphan_seat`).
        #[arg(long)]
        refuse_orphans: bool,
    },
}

/// Where an event's seats come from: exactly one of a venue file and a
/// compact seat map.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
struct SeatingArgs {
    /// A venue file (JSON; docs/venue.md): sections, rows with aisles,
    /// price categories, wheelchair spaces. The place's name is
    /// `--location`.
    #[arg(long, value_name = "FILE")]
    venue: Option<PathBuf>,
    /// A compact seat map: `ROWS:NUMBERS:PRICE_CENTS` blocks,
    /// comma-separated (`A-F:1-10:10000` is rows A-F, seats 1-10, $100.00).
    #[arg(long, value_name = "MAP")]
    seats: Option<SeatMap>,
}

impl SeatingArgs {
    /// The venue, and the name it gives the place (a venue file's `name`).
    fn venue(self) -> anyhow::Result<(Venue, String)> {
        match (self.venue, self.seats) {
            (Some(path), _) => read_venue(&path),
            (None, Some(map)) => Ok((map.into(), String::new())),
            // clap requires one of them.
            (None, None) => bail!("give --venue FILE or --seats MAP"),
        }
    }
}

/// Reads and checks a venue file; an error names the file, and the place
/// in it and the problem ([`booking_core::venue::VenueError`]).
fn read_venue(path: &Path) -> anyhow::Result<(Venue, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the venue file {}", path.display()))?;
    let venue = Venue::from_json(&text).map_err(|err| anyhow!("{}: {err}", path.display()))?;
    // A file that checks is a `VenueFile`: read again for its name.
    let name = serde_json::from_str::<VenueFile>(&text)
        .map(|file| file.name)
        .unwrap_or_default();
    Ok((venue, name))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,refinery_core=warn")),
        )
        .init();
    no_transparent_huge_pages();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(open_and_run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Turns transparent huge pages off for this process. With them, every
/// 2 MiB region of the heap that is touched at all is resident whole: mimalloc
/// asks for them unless built with `no_thp`, and a kernel set to give them
/// to every process (`always`) does so unasked. 1,000 sessions on a
/// 100,000-seat event took 238 MB with them, 176 MB of it huge pages, and
/// 145 MB without.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::warn!(%error, "cannot turn transparent huge pages off; memory use may be higher");
    }
}

fn fail(message: &str) -> std::process::ExitCode {
    eprintln!("booking-server: {message}");
    std::process::ExitCode::FAILURE
}

/// Opens the store the URL names and runs the command on it.
async fn open_and_run(cli: Cli) -> anyhow::Result<()> {
    let policy = Policy::default()
        .with_lock_ttl(Duration::from_secs(cli.store.lock_ttl_secs))
        .with_max_hold(Duration::from_secs(cli.store.max_hold_secs))
        .with_max_seats_per_user(cli.store.max_seats_per_user);
    let url = cli.store.database_url.clone();
    if url == "memory:" {
        return run(MemoryStore::new(SystemClock, policy), cli).await;
    }
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path).to_owned();
        let options = SqliteOptions::default()
            .with_policy(policy)
            .with_synchronous(cli.store.sqlite_synchronous.into())
            .with_max_batch_writes(cli.store.sqlite_batch_writes.into());
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(path, options))
            .await
            .context("the database task failed")??;
        return run(store, cli).await;
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut options = PgOptions::default().with_policy(policy);
        if let Some(path) = &cli.store.database_ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read --database-ca-file {}", path.display()))?;
            options = options.with_tls(TlsRoots::Pem(pem));
        }
        let store = PgStore::connect(&url, options)
            .await
            .context("cannot open the PostgreSQL database")?;
        return run(store, cli).await;
    }
    bail!("unsupported --database-url {url:?}: use sqlite:PATH, postgres://... or memory:")
}

async fn run<S: Store>(store: S, cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None | Some(Command::Serve) => serve(store, cli.serve).await,
        Some(Command::User(UserCommand::Add { name })) => {
            // The same rules as sign-up over the API.
            let password = Password::new(read_password()?).context("bad password")?;
            let user = create_user(&store, &name, password.into_inner()).await?;
            println!("created user {} (id {})", user.username, user.id);
            Ok(())
        }
        Some(Command::Event(EventCommand::Add {
            name,
            description,
            location,
            starts_at,
            seating,
            refuse_orphans,
        })) => {
            let (seating, venue_name) = seating.venue()?;
            let event = store
                .create_event(NewEvent {
                    name,
                    description,
                    venue: location.unwrap_or(venue_name),
                    starts_at,
                    seating,
                    orphans: if refuse_orphans {
                        OrphanPolicy::Refuse
                    } else {
                        OrphanPolicy::Allow
                    },
                })
                .await
                .context("cannot create the event")?;
            println!(
                "created event {} (id {}) with {} seats in {} section(s)",
                event.event.name,
                event.event.id,
                event.total_seats,
                event.sections.len()
            );
            Ok(())
        }
    }
}

async fn serve<S: Store>(store: S, args: ServeArgs) -> anyhow::Result<()> {
    if args.demo {
        seed_demo(&store).await?;
    }
    let cors_origins = args
        .cors_origins
        .iter()
        .map(|o| o.parse().map_err(|_| anyhow!("bad --cors-origin {o:?}")))
        .collect::<Result<_, _>>()?;
    let limits = serve_limits(&args, &Settings::default())?;
    let settings = Settings {
        cors_origins,
        secure_cookies: args.secure_cookies,
        signup: !args.no_signup,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        signups_per_hour: args.signups_per_hour,
        trusted_proxies: args.trusted_proxies,
        csrf_trusted_origins: args.csrf_trusted_origins,
        ..Settings::default()
    };
    let state = AppState::new(store, settings);
    tokio::spawn(purge_expired_sessions(std::sync::Arc::clone(&state)));
    serve_metrics(&args.metrics_bind).await?;
    let stopping = std::sync::Arc::clone(&state);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let local = listener.local_addr().context("no local address")?;
    tracing::info!(
        max_connections = limits.max_connections,
        "booking-server listening on http://{local}"
    );
    // For scripts and tests that bind port 0.
    println!("listening on http://{local}");
    booking_http::serve(listener, booking_http::app(state), limits, async move {
        shutdown_signal().await;
        // End the live streams, or the shutdown would wait on them forever.
        stopping.shut_down();
    })
    .await;
    tracing::info!("booking-server stopped");
    Ok(())
}

/// The connection limits the flags ask for, the cap kept below the
/// process's open-file limit.
fn serve_limits(
    args: &ServeArgs,
    settings: &Settings,
) -> anyhow::Result<booking_http::ServeLimits> {
    let idle_timeout = Duration::from_secs(args.idle_timeout_secs);
    if idle_timeout <= settings.live_heartbeat {
        bail!(
            "--idle-timeout-secs must be more than the live stream's heartbeat ({} s)",
            settings.live_heartbeat.as_secs()
        );
    }
    // The cap stays below the open-file limit, so accepting a connection
    // never fails for want of a descriptor. (Logged with "listening".)
    let max_connections = match open_file_limit() {
        Some(files) => args.max_connections.min(
            usize::try_from(files.saturating_sub(RESERVED_FILES))
                .unwrap_or(usize::MAX)
                .max(MIN_CONNECTIONS),
        ),
        None => args.max_connections,
    };
    Ok(booking_http::ServeLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout_secs),
        idle_timeout,
        max_connections,
    })
}

/// Descriptors kept free of connections for the database, files and the
/// runtime.
const RESERVED_FILES: u64 = 128;
/// The fewest connections served, whatever the file limit says.
const MIN_CONNECTIONS: usize = 16;

/// The process's limit on open files, raised first from its soft value to
/// its hard one (as Go programs do: the soft limit, often 1,024, is there
/// for programs that cannot handle more, and this one can).
fn open_file_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let mut limit = getrlimit(Resource::Nofile);
        if limit.current < limit.maximum {
            limit.current = limit.maximum;
            if setrlimit(Resource::Nofile, limit).is_err() {
                limit = getrlimit(Resource::Nofile);
            }
        }
        limit.current
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Serves `GET /metrics` on `bind` (unless it is `off`) in the background.
/// A bad address is an error; an address in use is a warning.
async fn serve_metrics(bind: &str) -> anyhow::Result<()> {
    if bind == "off" {
        return Ok(());
    }
    let address: SocketAddr = bind
        .parse()
        .map_err(|_| anyhow!("bad --metrics-bind {bind:?}: an address:port, or off"))?;
    // Without metrics the bookings go on: a second server on this machine
    // with the default address logs this and serves the API.
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "cannot serve metrics on {address} (--metrics-bind); serving none");
            return Ok(());
        }
    };
    tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
    let limits = booking_http::ServeLimits {
        max_connections: 64,
        ..booking_http::ServeLimits::default()
    };
    tokio::spawn(booking_http::serve(
        listener,
        booking_http::metrics_app(),
        limits,
        std::future::pending(),
    ));
    Ok(())
}

/// Resolves at SIGINT or SIGTERM; in-flight requests then finish.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Deletes ended sessions once an hour.
async fn purge_expired_sessions<S: Store>(state: std::sync::Arc<AppState<S>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match state.store.delete_expired_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "deleted ended sessions"),
            Err(e) => tracing::warn!(error = %e, "cannot delete ended sessions"),
        }
    }
}

/// The demo's concert hall, built into the binary: 1,200 seats in three
/// sections, with aisles, three price categories and 12 wheelchair spaces.
const CONCERT_HALL: &str = include_str!("../../examples/venues/concert-hall.json");

/// Seeds an empty database: three events of 60 seats (rows A-F, seats 1-10,
/// $100.00), a concert in the concert hall ([`CONCERT_HALL`]) and the users
/// admin, alice and bob. A database with any event or any of those users
/// is left as it is.
async fn seed_demo<S: Store>(store: &S) -> anyhow::Result<()> {
    let has_events = !store
        .events()
        .await
        .context("cannot read events")?
        .is_empty();
    let has_users = store
        .credentials("admin")
        .await
        .context("cannot read users")?
        .is_some();
    if has_events || has_users {
        tracing::info!("--demo: the database has data already; not seeding");
        return Ok(());
    }
    for (name, password) in [
        ("admin", "admin123"),
        ("alice", "alice123"),
        ("bob", "bob123"),
    ] {
        create_user(store, name, password.to_owned()).await?;
    }
    let today = chrono::Utc::now().date_naive();
    let grid = || -> anyhow::Result<Venue> { Ok(SeatMap::grid(6, 10, 10_000)?.into()) };
    let hall = Venue::from_json(CONCERT_HALL).context("the built-in concert hall")?;
    for (days, name, venue, description, seating) in [
        (
            7,
            "The Matrix",
            "Cinema 1",
            "The 1999 classic on the big screen.",
            grid()?,
        ),
        (
            14,
            "Taylor Swift",
            "Stadium",
            "The Eras Tour: three hours, forty-four songs.",
            grid()?,
        ),
        (
            21,
            "Python Conf",
            "Convention Center",
            "Talks and workshops for Python developers.",
            grid()?,
        ),
        (
            28,
            "Beethoven's Ninth",
            "Concert Hall",
            "The Philharmonic and its choir: Symphony No. 9, with the Ode to Joy.",
            hall,
        ),
    ] {
        let starts_at = (today + chrono::Days::new(days))
            .and_hms_opt(19, 0, 0)
            .expect("a valid time")
            .and_utc();
        store
            .create_event(NewEvent {
                name: name.into(),
                description: description.into(),
                venue: venue.into(),
                starts_at,
                seating,
                orphans: OrphanPolicy::Allow,
            })
            .await
            .context("cannot create a demo event")?;
    }
    tracing::info!("--demo: seeded 4 events and users admin, alice, bob");
    Ok(())
}

/// Hashes `password` and creates the user (the caller checks the password rules).
async fn create_user<S: AccountStore>(
    store: &S,
    name: &str,
    password: String,
) -> anyhow::Result<booking_core::User> {
    let username = Username::new(name).context("bad user name")?;
    let hash = booking_http::hash_password(password)
        .await
        .map_err(|e| anyhow!("cannot hash the password: {}", e.code()))?;
    store
        .create_user(&username, &hash)
        .await
        .context("cannot create the user")
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_concert_hall_is_a_valid_venue() {
        let hall = Venue::from_json(CONCERT_HALL).unwrap();
        assert_eq!(hall.len(), 1_200);
        assert_eq!(hall.sections.len(), 3);
    }

    #[test]
    fn an_event_has_a_venue_file_or_a_seat_map_not_both() {
        let add = |extra: &[&str]| {
            let mut args = vec![
                "booking-server",
                "event",
                "add",
                "--name",
                "Gig",
                "--starts-at",
                "2026-09-01T19:00:00Z",
            ];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args)
        };
        assert!(add(&["--venue", "hall.json"]).is_ok());
        assert!(add(&["--seats", "A:1-2:100"]).is_ok());
        assert!(add(&[]).is_err());
        assert!(add(&["--venue", "hall.json", "--seats", "A:1-2:100"]).is_err());
    }

    #[test]
    fn sqlite_commits_are_synced_unless_told_otherwise() {
        let default = Cli::try_parse_from(["booking-server"]).unwrap();
        assert_eq!(default.store.sqlite_synchronous, SqliteSynchronous::Full);
        let normal =
            Cli::try_parse_from(["booking-server", "--sqlite-synchronous", "normal"]).unwrap();
        assert_eq!(normal.store.sqlite_synchronous, SqliteSynchronous::Normal);
        assert!(Cli::try_parse_from(["booking-server", "--sqlite-synchronous", "off"]).is_err());
        assert_eq!(default.store.sqlite_batch_writes, 64);
        assert!(Cli::try_parse_from(["booking-server", "--sqlite-batch-writes", "0"]).is_err());
    }
}
