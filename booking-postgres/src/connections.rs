//! Connections: the pool, a fresh connection for a retry, and
//! [`transaction!`], which runs an operation in a transaction on one.

use std::time::Duration;

use booking_core::{Error, Result};
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{NoTls, Socket};

use crate::error::{BACKEND, ConnectError, OpError};
use crate::options::PgOptions;

/// How often a transaction that hit a serialization failure or deadlock is
/// run again before the error is returned.
pub(crate) const RETRIES: u32 = 3;

/// How long opening a connection may take when the URL does not say
/// (`connect_timeout`): a database host that does not answer must not hang
/// every request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an operation waits for a free pooled connection before it fails
/// with a storage error.
const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What each connection sets once made, before its first statement.
///
/// `plan_cache_mode = force_generic_plan`: each prepared statement is
/// planned once, whatever is bound to it, as the SQLite store does
/// (`SQLITE_DBCONFIG_ENABLE_QPSG`). PostgreSQL otherwise plans some of them
/// anew at every run, for the values bound: a sixth of the database's time
/// under best available on the stadium went to planning (`perf`), and
/// `booking-onsale latency` answered 24% more requests with it set. The
/// statements look rows up by key or range through their indexes, so one
/// plan serves every value.
const SESSION_SETUP: &str = "SET plan_cache_mode = force_generic_plan";

/// Runs [`SESSION_SETUP`] on a new connection.
async fn set_up(client: &tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    client.batch_execute(SESSION_SETUP).await
}

/// The pool for `config` (with [`CONNECT_TIMEOUT`] unless it says
/// otherwise), over TLS as `options` and the URL's `sslmode` say, once the
/// database's schema is up to date.
pub(crate) async fn pool(
    mut config: tokio_postgres::Config,
    options: &PgOptions,
) -> Result<Pool, ConnectError> {
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    #[cfg(feature = "tls")]
    let roots = options.tls.clone().or_else(|| {
        // `sslmode=require` without roots: trust the system's.
        (config.get_ssl_mode() == tokio_postgres::config::SslMode::Require)
            .then_some(crate::TlsRoots::System)
    });
    #[cfg(feature = "tls")]
    if let Some(roots) = &roots {
        return pool_with(&config, crate::tls::connector(roots)?, options).await;
    }
    pool_with(&config, NoTls, options).await
}

/// Migrates the database over one connection made with `tls`, then builds
/// the pool with the same connector.
async fn pool_with<T>(
    config: &tokio_postgres::Config,
    tls: T,
    options: &PgOptions,
) -> Result<Pool, ConnectError>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    crate::schema::migrate(config, tls.clone()).await?;
    let manager = Manager::from_config(
        config.clone(),
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .post_create(Hook::async_fn(|client, _| {
            Box::pin(async move { set_up(client).await.map_err(HookError::Backend) })
        }))
        .max_size(options.max_connections.unwrap_or(16))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT_TIMEOUT))
        .create_timeout(Some(
            config
                .get_connect_timeout()
                .copied()
                .unwrap_or(CONNECT_TIMEOUT),
        ))
        .build()
        .map_err(|e| ConnectError::Pool(e.to_string()))
}

/// Runs `$body` in a transaction (`$tx`, with the instant `$now`), committing
/// if it returns `Ok`, retrying serialization failures and deadlocks.
///
/// A connection that breaks before `COMMIT` was sent (the server ended it,
/// or it had died in the pool) took its transaction with it, so nothing of
/// it happened: the transaction is run once more, on a fresh connection.
/// One that breaks once `COMMIT` was sent leaves the outcome unknown, and
/// is an error.
macro_rules! transaction {
    ($store:expr, $username:expr, |$tx:ident, $now:ident| $body:expr) => {{
        let mut attempt = 0;
        let mut fresh = false;
        loop {
            let mut client = match $crate::connections::connection($store.pool(), fresh).await {
                Ok(client) => client,
                Err(e) => break Err(e),
            };
            let mut committing = false;
            let result: Result<_, $crate::error::OpError> = async {
                let $tx = client.transaction().await?;
                let $now = $store.now(&$tx).await?;
                let out = $body;
                committing = true;
                $tx.commit().await?;
                Ok(out)
            }
            .await;
            let broken = result
                .as_ref()
                .is_err_and($crate::error::OpError::connection_broken);
            if broken {
                client.discard();
            }
            match result {
                Err(e) if e.retryable() && attempt < $crate::connections::RETRIES => attempt += 1,
                Err(_) if broken && !committing && !fresh => fresh = true,
                other => break other.map_err(|e| e.into_core($username)),
            }
        }
    }};
}

pub(crate) use transaction;

/// A connection to run a transaction on: from the pool, or opened apart
/// from it for a retry.
pub(crate) enum Connection {
    Pooled(deadpool_postgres::Object),
    Fresh(deadpool_postgres::ClientWrapper),
}

impl Connection {
    /// Drops a broken connection, making sure the pool never hands it out
    /// again.
    pub(crate) fn discard(self) {
        match self {
            Self::Pooled(client) => drop(deadpool_postgres::Object::take(client)),
            Self::Fresh(client) => drop(client),
        }
    }
}

impl std::ops::Deref for Connection {
    type Target = deadpool_postgres::ClientWrapper;

    fn deref(&self) -> &Self::Target {
        match self {
            Self::Pooled(client) => client,
            Self::Fresh(client) => client,
        }
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Self::Pooled(client) => client,
            Self::Fresh(client) => client,
        }
    }
}

/// A pooled connection, or with `fresh` a new one made apart from the
/// pool (whose idle connections may all have died with the one that
/// just broke). A fresh one is closed once used; the pool makes its
/// own anew as it needs them, since broken ones left it.
pub(crate) async fn connection(pool: &Pool, fresh: bool) -> Result<Connection> {
    if fresh {
        let client = deadpool::managed::Manager::create(pool.manager())
            .await
            .map_err(|e| Error::storage(BACKEND, e))?;
        set_up(&client)
            .await
            .map_err(|e| Error::storage(BACKEND, e))?;
        Ok(Connection::Fresh(client))
    } else {
        pool.get()
            .await
            .map(Connection::Pooled)
            .map_err(|e| Error::storage(BACKEND, e.to_string()))
    }
}

/// Runs `run` on a pooled connection outside any transaction (for a
/// single statement that needs none), dropping the connection from the
/// pool if it broke.
pub(crate) async fn statement<T>(
    pool: &Pool,
    run: impl AsyncFnOnce(&deadpool_postgres::Client) -> Result<T, OpError>,
) -> Result<T> {
    let client = pool
        .get()
        .await
        .map_err(|e| Error::storage(BACKEND, e.to_string()))?;
    let result = run(&client).await;
    if result.as_ref().is_err_and(OpError::connection_broken) {
        drop(deadpool_postgres::Object::take(client));
    }
    result.map_err(|e| e.into_core(None))
}
