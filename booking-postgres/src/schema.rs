//! The schema: versioned migrations (refinery), embedded and applied on
//! connect.

use tokio_postgres::Socket;
use tokio_postgres::tls::MakeTlsConnect;

use crate::error::ConnectError;

refinery::embed_migrations!("migrations");

/// A lock id for `pg_advisory_lock`: processes that start at once migrate
/// one after another.
const MIGRATION_LOCK: i64 = 0x0062_6f6f_6b69_6e67;

/// Applies the embedded migrations, holding an advisory lock so that
/// processes starting together migrate one after another.
pub(crate) async fn migrate<T>(config: &tokio_postgres::Config, tls: T) -> Result<(), ConnectError>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (mut client, connection) = config.connect(tls).await.map_err(ConnectError::Connect)?;
    let driver = tokio::spawn(connection);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(ConnectError::Connect)?;
    let migrated = migrations::runner().run_async(&mut client).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    drop(client);
    let _ = driver.await;
    migrated.map_err(ConnectError::Migration)?;
    Ok(())
}
