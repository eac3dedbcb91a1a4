//! Errors: [`ConnectError`] when the store cannot start, and the one function
//! that turns a `tokio_postgres` error into a `booking_core::Error`.

use booking_core::Error;
use tokio_postgres::error::SqlState;

/// The backend's name in [`Error::Storage`].
pub const BACKEND: &str = "postgres";

/// Why [`PgStore::connect`](crate::PgStore::connect) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a PostgreSQL connection string.
    #[error("bad PostgreSQL URL: {0}")]
    Url(#[source] tokio_postgres::Error),
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] tokio_postgres::Error),
    /// The pool could not be built.
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    /// The TLS settings are unusable: a PEM file without certificates, or
    /// no trusted system certificates (feature `tls`).
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// Applying the migrations failed. The message carries the database's
    /// own words (say, which user names stop the upgrade).
    #[error("cannot migrate the database: {}", with_causes(.0))]
    Migration(#[source] refinery::Error),
}

/// An error's text followed by each of its causes': refinery's own says
/// only "db error", and the reason is the database's message below it.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// An operation's failure: a rule's error, or the database's (kept whole so
/// serialization failures and deadlocks can be retried).
#[derive(Debug)]
pub(crate) enum OpError {
    Core(Error),
    Db(tokio_postgres::Error),
}

impl From<Error> for OpError {
    fn from(e: Error) -> Self {
        Self::Core(e)
    }
}

impl From<tokio_postgres::Error> for OpError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(e)
    }
}

impl OpError {
    /// Whether running the transaction again may succeed.
    pub(crate) fn retryable(&self) -> bool {
        matches!(self, Self::Db(e) if matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        ))
    }

    /// Whether the connection it happened on is unusable (closed, or the
    /// server ended it: SQLSTATE classes 08 and 57P), so the pool must not
    /// hand it out again.
    pub(crate) fn connection_broken(&self) -> bool {
        matches!(self, Self::Db(e) if e.is_closed() || e.code().is_some_and(|c| {
            c.code().starts_with("08") || c.code().starts_with("57P")
        }))
    }

    /// The core error: by SQLSTATE, a unique violation on a user name
    /// (either spelling, or any case) is `UsernameTaken` and on a session
    /// id `InvalidInput`; text PostgreSQL cannot store (a NUL byte) is
    /// `InvalidInput` too, the caller's mistake and not the database's;
    /// anything else from the database is a storage failure.
    pub(crate) fn into_core(self, username: Option<&str>) -> Error {
        match self {
            Self::Core(e) => e,
            Self::Db(e) => {
                let constraint = e.as_db_error().and_then(|d| d.constraint()).unwrap_or("");
                if e.code() == Some(&SqlState::CHARACTER_NOT_IN_REPERTOIRE) {
                    return Error::invalid_input("text cannot contain a NUL character");
                }
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    match (constraint, username) {
                        ("users_username_key" | "users_by_folded_name", Some(name)) => {
                            return Error::UsernameTaken {
                                username: name.to_owned(),
                            };
                        }
                        ("sessions_pkey", _) => {
                            return Error::invalid_input("that session id is already in use");
                        }
                        _ => {}
                    }
                }
                Error::storage(BACKEND, e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use booking_core::Error;
    use tokio_postgres::NoTls;

    use super::OpError;
    use crate::testkit::TestDatabase;

    /// A NUL byte in text is refused by PostgreSQL itself; whatever path
    /// brings one there, it is the caller's bad input, never a 503.
    #[tokio::test]
    async fn a_nul_in_text_is_invalid_input_not_a_storage_failure() {
        let db = TestDatabase::create().await;
        let (client, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
        tokio::spawn(connection);
        let refused = client
            .query_one("SELECT $1::TEXT", &[&"ali\0ce"])
            .await
            .unwrap_err();
        let err = OpError::Db(refused).into_core(None);
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        drop(client);
        db.drop_database().await;
    }
}
