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
//!
//! Its modules: `cli` (the flags), `stores` (which store the URL names),
//! `serving` (the API, the metrics, signals), `admin` (the `user` and
//! `event` commands) and `demo` (`--demo`'s data). Logs go to
//! standard error; standard output has the `listening on` line and the
//! commands' answers.

mod admin;
mod cli;
mod demo;
mod serving;
mod stores;

use booking_core::Store;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, EventCommand, UserCommand};

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

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
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
    match runtime.block_on(stores::open_and_run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Runs the command line's command on the store it opened.
async fn run<S: Store>(store: S, cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None | Some(Command::Serve) => serving::serve(store, cli.serve).await,
        Some(Command::User(UserCommand::Add { name, staff })) => {
            admin::add_user(&store, name, staff).await
        }
        Some(Command::User(UserCommand::SetStaff { name, staff })) => {
            admin::set_staff(&store, &name, staff).await
        }
        Some(Command::Event(EventCommand::Add(event))) => admin::add_event(&store, event).await,
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
