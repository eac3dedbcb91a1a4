//! Errors: [`OpenError`] when a database cannot be opened, and the one
//! function that turns a `rusqlite` error into a `booking_core::Error`.

use std::path::PathBuf;

use booking_core::Error;
use rusqlite::ErrorCode;

/// The backend's name in [`Error::Storage`].
pub const BACKEND: &str = "sqlite";

/// Why a database could not be opened. Nothing was changed in the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file is not a SQLite database (or its header is damaged).
    #[error("{path} is not a SQLite database")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file is a SQLite database, but damaged (truncated, say).
    #[error("{path} is a damaged SQLite database: {source}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
    /// The database was written by a newer version of booking.
    #[error(
        "the schema of {path} is version {found}, newer than this program's {supported}: upgrade booking"
    )]
    SchemaTooNew {
        /// The file.
        path: PathBuf,
        /// The database's schema version.
        found: i64,
        /// The newest version this program knows.
        supported: i64,
    },
    /// Some user names differ only in case, so user names cannot be made
    /// unique regardless of case (schema version 4). Nothing was changed:
    /// rename all but one of each group, then open the database again.
    #[error(
        "cannot upgrade {path}: these user names differ only in case: {}. Rename all but one of each (UPDATE users SET username = ...) and start again",
        clashes.join("; ")
    )]
    CaseDuplicateUsernames {
        /// The file.
        path: PathBuf,
        /// Each group of clashing names, as `"alice, Alice"`.
        clashes: Vec<String>,
    },
    /// Applying the migrations failed.
    #[error("cannot migrate {path}: {source}")]
    Migration {
        /// The file.
        path: PathBuf,
        /// What refinery reported.
        source: refinery::Error,
    },
    /// The connections' threads could not be started.
    #[error("cannot start the threads of {path}'s connections: {source}")]
    Threads {
        /// The file.
        path: PathBuf,
        /// What the system reported.
        source: std::io::Error,
    },
    /// Anything else SQLite reported (permissions, a missing directory, ...).
    #[error("cannot open {path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
}

impl OpenError {
    /// Classifies an error met while opening `path`.
    pub(crate) fn from_sqlite(path: PathBuf, source: rusqlite::Error) -> Self {
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Self::NotADatabase { path },
            Some(ErrorCode::DatabaseCorrupt) => Self::Corrupt { path, source },
            _ => Self::Sqlite { path, source },
        }
    }
}

/// What a unique violation means where it happened.
#[derive(Clone, Copy, Debug)]
pub(crate) enum OnUnique<'a> {
    /// A storage failure like any other.
    Storage,
    /// `users.username`: the name is taken.
    Username(&'a str),
    /// `sessions.id`: the id is in use.
    SessionId,
}

/// Turns a `rusqlite` error into the core error: a unique violation by what
/// it means at the call site, anything else a storage failure.
pub(crate) fn to_core(e: rusqlite::Error, on_unique: OnUnique<'_>) -> Error {
    let unique = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    );
    match (unique, on_unique) {
        (true, OnUnique::Username(name)) => Error::UsernameTaken {
            username: name.to_owned(),
        },
        (true, OnUnique::SessionId) => Error::invalid_input("that session id is already in use"),
        _ => Error::storage(BACKEND, e),
    }
}

/// `to_core` for the common case: every failure is a storage failure.
pub(crate) fn storage(e: rusqlite::Error) -> Error {
    to_core(e, OnUnique::Storage)
}
