//! The command line: every flag (each with its environment variable) and
//! the subcommands.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use booking_core::venue::VenueFile;
use booking_core::{Policy, SeatMap, Timestamp, Venue};
use booking_sqlite::Synchronous;
use clap::{Args, Parser, Subcommand};

/// The booking server.
#[derive(Parser, Debug)]
#[command(name = "booking-server", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the data lives and the rules it keeps.
#[derive(Args, Debug)]
pub struct StoreArgs {
    /// `sqlite:PATH`, `postgres://...`, or `memory:` (nothing kept after exit).
    #[arg(
        long,
        env = "BOOKING_DATABASE_URL",
        default_value = "sqlite:booking.db",
        global = true
    )]
    pub database_url: String,
    /// How long a seat lock lasts, in seconds.
    #[arg(
        long,
        env = "BOOKING_LOCK_TTL_SECS",
        default_value_t = 300,
        global = true
    )]
    pub lock_ttl_secs: u64,
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
    pub max_hold_secs: u64,
    /// The most seats one user may hold in one event at once (and reserve at once).
    #[arg(
        long,
        env = "BOOKING_MAX_SEATS_PER_USER",
        default_value_t = 10,
        global = true
    )]
    pub max_seats_per_user: u32,
    /// PEM certificates to trust for TLS to PostgreSQL (a private
    /// authority's, or the server's own). Without it, `sslmode=require` in
    /// the URL trusts the system's certificates.
    #[arg(long, env = "BOOKING_DATABASE_CA_FILE", global = true)]
    pub database_ca_file: Option<PathBuf>,
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
    pub sqlite_synchronous: SqliteSynchronous,
    /// SQLite only: at most this many writes share one commit (group
    /// commit; 1 commits each write alone, as before it existed).
    #[arg(
        long,
        env = "BOOKING_SQLITE_BATCH_WRITES",
        default_value_t = 64,
        value_parser = clap::value_parser!(u16).range(1..),
        global = true
    )]
    pub sqlite_batch_writes: u16,
}

impl StoreArgs {
    /// The rules the flags ask the store to keep.
    pub fn policy(&self) -> Policy {
        Policy::default()
            .with_lock_ttl(Duration::from_secs(self.lock_ttl_secs))
            .with_max_hold(Duration::from_secs(self.max_hold_secs))
            .with_max_seats_per_user(self.max_seats_per_user)
    }
}

/// The values of `--sqlite-synchronous` (see [`Synchronous`]).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteSynchronous {
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
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "BOOKING_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// An origin allowed to call the API from a browser (repeatable).
    #[arg(
        long = "cors-origin",
        env = "BOOKING_CORS_ORIGIN",
        value_delimiter = ',',
        default_value = "http://localhost:3000"
    )]
    pub cors_origins: Vec<String>,
    /// Mark cookies `Secure` (when served over HTTPS).
    #[arg(long, env = "BOOKING_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Close `POST /api/register/` (it answers 404).
    #[arg(long, env = "BOOKING_NO_SIGNUP")]
    pub no_signup: bool,
    /// Seed an empty database with four events (three 60-seat grids and a
    /// concert in the 1,200-seat concert hall) and the users admin, alice
    /// and bob.
    #[arg(long, env = "BOOKING_DEMO")]
    pub demo: bool,
    /// The longest a request may take, in seconds.
    #[arg(long, env = "BOOKING_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// How long a connection has to send a request's head, in seconds; it
    /// also bounds how long an idle keep-alive connection is kept.
    #[arg(long, env = "BOOKING_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// How long a connection may read and write nothing before it is
    /// closed, in seconds (more than the live stream's 15 s heartbeat).
    #[arg(long, env = "BOOKING_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// The most connections open at once; at the cap new ones wait. Kept
    /// below the process's open-file limit.
    #[arg(long, env = "BOOKING_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Where `GET /metrics` is served, apart from the API, or `off`.
    #[arg(long, env = "BOOKING_METRICS_BIND", default_value = "127.0.0.1:9464")]
    pub metrics_bind: String,
    /// Sign-ups allowed per client address an hour (0: no limit).
    #[arg(long, env = "BOOKING_SIGNUPS_PER_HOUR", default_value_t = 20)]
    pub signups_per_hour: u32,
    /// A proxy (address or CIDR range) whose `X-Forwarded-For` or
    /// `Forwarded` header names the client (repeatable). From any other
    /// peer those headers are ignored.
    #[arg(long = "trusted-proxy", env = "BOOKING_TRUSTED_PROXY", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// An origin besides the server's own and the CORS origins that unsafe
    /// requests may come from, `https://shop.example` (repeatable).
    #[arg(
        long = "csrf-trusted-origin",
        env = "BOOKING_CSRF_TRUSTED_ORIGIN",
        value_delimiter = ','
    )]
    pub csrf_trusted_origins: Vec<String>,
}

/// `10.0.0.0/8`, or one address (`10.0.0.1`, a /32 or /128).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a CIDR range"))
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
pub enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Add {
        /// The user name: 1-150 ASCII letters, digits and @.+-_
        name: String,
        /// Make the user staff, who may use the box office (the admin
        /// API), rather than a customer.
        #[arg(long)]
        staff: bool,
    },
    /// Make a user staff (`true`) or a customer again (`false`).
    SetStaff {
        /// The user name, as registered.
        name: String,
        /// `true` for staff, `false` for a customer.
        #[arg(action = clap::ArgAction::Set)]
        staff: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum EventCommand {
    /// Create an event with its seats: from a venue file, or a compact
    /// seat map.
    Add(EventArgs),
}

/// What `event add` is told about the event.
#[derive(Args, Debug)]
pub struct EventArgs {
    /// Its name.
    #[arg(long)]
    pub name: String,
    /// What it is, shown on the event's page (may be empty).
    #[arg(long, default_value = "")]
    pub description: String,
    /// Where it takes place, as shown with the event (default: the
    /// venue file's `name`, or nothing).
    #[arg(long)]
    pub location: Option<String>,
    /// When it starts, RFC 3339 (2026-09-01T19:00:00Z).
    #[arg(long)]
    pub starts_at: Timestamp,
    #[command(flatten)]
    pub seating: SeatingArgs,
    /// Refuse a reserve that strands a single seat between taken ones
    /// when another pick would not (409 `orphan_seat`).
    #[arg(long)]
    pub refuse_orphans: bool,
}

/// Where an event's seats come from: exactly one of a venue file and a
/// compact seat map.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SeatingArgs {
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
    pub fn venue(self) -> anyhow::Result<(Venue, String)> {
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

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
    fn set_staff_takes_true_or_false() {
        let set = |value: &str| {
            Cli::try_parse_from(["booking-server", "user", "set-staff", "ann", value])
        };
        for (value, expected) in [("true", true), ("false", false)] {
            let Some(Command::User(UserCommand::SetStaff { name, staff })) =
                set(value).unwrap().command
            else {
                panic!("not set-staff");
            };
            assert_eq!((name.as_str(), staff), ("ann", expected));
        }
        assert!(set("yes").is_err());
        assert!(Cli::try_parse_from(["booking-server", "user", "set-staff", "ann"]).is_err());
        let add = Cli::try_parse_from(["booking-server", "user", "add", "ann", "--staff"]).unwrap();
        assert!(matches!(
            add.command,
            Some(Command::User(UserCommand::Add { staff: true, .. }))
        ));
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
