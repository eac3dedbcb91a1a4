//! Which store `--database-url` names: one table of backends, each found
//! by the scheme its URLs start with (as sqlx's `Any` driver finds its
//! drivers).

use std::future::Future;
use std::pin::Pin;

use anyhow::{Context, bail};
use booking_core::{MemoryStore, SystemClock};
use booking_postgres::{PgOptions, PgStore, TlsRoots};
use booking_sqlite::{SqliteOptions, SqliteStore};

use crate::cli::{Cli, StoreArgs};

/// What opening a store and running the command on it comes to.
type Ran = Pin<Box<dyn Future<Output = anyhow::Result<()>>>>;

/// A backend the server can open.
struct Backend {
    /// The prefixes of the URLs it opens.
    schemes: &'static [&'static str],
    /// Its URLs' form, for the error that lists them.
    form: &'static str,
    /// Opens the store `url` names (with the flags of the command line) and
    /// runs the command on it.
    run: fn(String, Cli) -> Ran,
}

/// Every backend, by URL scheme.
const BACKENDS: &[Backend] = &[
    Backend {
        schemes: &["sqlite:"],
        form: "sqlite:PATH",
        run: |url, cli| {
            Box::pin(async move {
                let store = open_sqlite(&url, &cli.store).await?;
                crate::run(store, cli).await
            })
        },
    },
    Backend {
        schemes: &["postgres://", "postgresql://"],
        form: "postgres://...",
        run: |url, cli| {
            Box::pin(async move {
                let store = open_postgres(&url, &cli.store).await?;
                crate::run(store, cli).await
            })
        },
    },
    Backend {
        schemes: &["memory:"],
        form: "memory:",
        run: |_, cli| {
            Box::pin(async move {
                let store = MemoryStore::new(SystemClock, cli.store.policy());
                crate::run(store, cli).await
            })
        },
    },
];

/// Opens the store `--database-url` names and runs the command on it.
pub async fn open_and_run(cli: Cli) -> anyhow::Result<()> {
    let url = cli.store.database_url.clone();
    let Some(backend) = BACKENDS
        .iter()
        .find(|backend| backend.schemes.iter().any(|s| url.starts_with(s)))
    else {
        let forms: Vec<&str> = BACKENDS.iter().map(|backend| backend.form).collect();
        bail!(
            "unsupported --database-url {url:?}: use {}",
            forms.join(", ")
        );
    };
    (backend.run)(url, cli).await
}

/// `sqlite:PATH` (or `sqlite://PATH`), opened on a blocking thread.
async fn open_sqlite(url: &str, args: &StoreArgs) -> anyhow::Result<SqliteStore> {
    let path = url.strip_prefix("sqlite:").unwrap_or(url);
    let path = path.strip_prefix("//").unwrap_or(path).to_owned();
    let options = SqliteOptions::default()
        .with_policy(args.policy())
        .with_synchronous(args.sqlite_synchronous.into())
        .with_max_batch_writes(args.sqlite_batch_writes.into());
    tokio::task::spawn_blocking(move || SqliteStore::open(path, options))
        .await
        .context("the database task failed")?
        .context("cannot open the SQLite database")
}

/// `postgres://...`, trusting `--database-ca-file` for TLS if given.
async fn open_postgres(url: &str, args: &StoreArgs) -> anyhow::Result<PgStore> {
    let mut options = PgOptions::default().with_policy(args.policy());
    if let Some(path) = &args.database_ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read --database-ca-file {}", path.display()))?;
        options = options.with_tls(TlsRoots::Pem(pem));
    }
    PgStore::connect(url, options)
        .await
        .context("cannot open the PostgreSQL database")
}
