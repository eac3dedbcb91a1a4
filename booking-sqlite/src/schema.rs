//! Opening a database: pragmas, and the embedded migrations (refinery).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::OpenError;
use crate::options::{SqliteOptions, Synchronous};

refinery::embed_migrations!("migrations");

/// The newest schema version this program knows.
pub(crate) fn latest_version() -> i64 {
    migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// Opens a connection with the pragmas every connection needs.
pub(crate) fn connect(
    path: &Path,
    flags: OpenFlags,
    options: &SqliteOptions,
    wal: bool,
) -> Result<Connection, OpenError> {
    let fail = |e| OpenError::from_sqlite(path.to_owned(), e);
    let conn = match &options.vfs {
        Some(vfs) => Connection::open_with_flags_and_vfs(path, flags, vfs.as_str()),
        None => Connection::open_with_flags(path, flags),
    }
    .map_err(fail)?;
    conn.busy_timeout(options.busy_timeout).map_err(fail)?;
    conn.set_prepared_statement_cache_capacity(64);
    let synchronous = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    // The first statement reads the file's header: a file that is not a
    // database fails here, before anything is written.
    if wal {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(fail)?;
        debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
    }
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous};"
    ))
    .map_err(fail)?;
    Ok(conn)
}

/// Brings the schema up to date, refusing a database newer than this program.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let fail = |e| OpenError::from_sqlite(path.to_owned(), e);
    let has_history: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refinery_schema_history'",
            [],
            |_| Ok(true),
        )
        .optional()
        .map_err(fail)?
        .unwrap_or(false);
    if has_history {
        let found: Option<i64> = conn
            .query_row(
                "SELECT MAX(version) FROM refinery_schema_history",
                [],
                |r| r.get(0),
            )
            .map_err(fail)?;
        let supported = latest_version();
        if let Some(found) = found.filter(|v| *v > supported) {
            return Err(OpenError::SchemaTooNew {
                path: path.to_owned(),
                found,
                supported,
            });
        }
    }
    migrations::runner()
        .run(conn)
        .map_err(|source| OpenError::Migration {
            path: path.to_owned(),
            source,
        })?;
    Ok(())
}
