//! Serving: the API on `--bind`, the metrics on `--metrics-bind`, the
//! connection limits, the hourly purge of ended sessions, and a graceful
//! stop at SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use booking_core::{AccountStore, Store};
use booking_http::{AppState, ServeLimits, Settings};

use crate::cli::ServeArgs;

/// Serves the API over `store` (seeded first with `--demo`) until SIGINT or SIGTERM.
pub async fn serve<S: Store>(store: S, args: ServeArgs) -> anyhow::Result<()> {
    if args.demo {
        crate::demo::seed(&store).await?;
    }
    let limits = serve_limits(&args, &Settings::default())?;
    let state = AppState::new(store, settings(&args)?);
    tokio::spawn(purge_expired_sessions(Arc::clone(&state)));
    serve_metrics(&args.metrics_bind).await?;
    let stopping = Arc::clone(&state);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let local = listener.local_addr().context("no local address")?;
    tracing::info!(
        max_connections = limits.max_connections,
        "booking-server listening on http://{local}"
    );
    // The one line on standard output (the logs go to standard error),
    // for scripts and tests that bind port 0.
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

/// The API's settings the flags ask for.
fn settings(args: &ServeArgs) -> anyhow::Result<Settings> {
    let cors_origins = args
        .cors_origins
        .iter()
        .map(|o| o.parse().map_err(|_| anyhow!("bad --cors-origin {o:?}")))
        .collect::<Result<_, _>>()?;
    Ok(Settings {
        cors_origins,
        secure_cookies: args.secure_cookies,
        signup: !args.no_signup,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        signups_per_hour: args.signups_per_hour,
        trusted_proxies: args.trusted_proxies.clone(),
        csrf_trusted_origins: args.csrf_trusted_origins.clone(),
        ..Settings::default()
    })
}

/// The connection limits the flags ask for, the cap kept below the
/// process's open-file limit.
fn serve_limits(args: &ServeArgs, settings: &Settings) -> anyhow::Result<ServeLimits> {
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
    Ok(ServeLimits {
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
    let limits = ServeLimits {
        max_connections: 64,
        ..ServeLimits::default()
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
async fn purge_expired_sessions<S: Store>(state: Arc<AppState<S>>) {
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
