//! Opening a database: pragmas, and the embedded migrations (refinery).

use std::path::Path;

use rusqlite::config::DbConfig;
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

/// Creates the database file readable and writable by its owner only
/// (0600), if it does not exist yet, before SQLite opens it: SQLite would
/// create it with the process's default mode (0644 under the usual umask),
/// readable by every local user, password hashes and all. SQLite gives the
/// WAL and shared-memory files it creates beside it the same mode.
///
/// An existing file keeps its mode (its owner chose it). Any failure here is
/// left for SQLite to report when it opens the path.
pub(crate) fn create_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
    }
    #[cfg(not(unix))]
    let _ = path;
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
    // Plan each statement once, whatever is bound to it. Without this, the
    // SQLite that rusqlite bundles (built with SQLITE_ENABLE_STAT4) looks at
    // the bound value of some `column = ?` terms while planning and marks
    // the statement to be planned again when that value changes; rusqlite
    // clears a cached statement's bindings when it is put back, so such a
    // statement was parsed and planned anew at every use. The session
    // lookup was one: a tenth of the server's instructions for a seat-map
    // read (benches/instructions.sh).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(fail)?;
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
    // `temp_store = MEMORY` keeps the sub-journal in memory. The writer runs
    // each write of a batch in a savepoint of its own, and a savepoint copies
    // every page it changes to the sub-journal first: a temporary file once
    // it outgrows 64 KiB, so a batch of best-available requests and reserves
    // spent a seventh of the writer's time writing pages to it (`perf` on
    // `booking-onsale latency`). A sub-journal lives only until its
    // savepoint is released or rolled back: nothing durable is in it.
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous}; PRAGMA temp_store = MEMORY;"
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
    refuse_case_duplicates(conn, path)?;
    migrations::runner()
        .run(conn)
        .map_err(|source| OpenError::Migration {
            path: path.to_owned(),
            source,
        })?;
    Ok(())
}

/// Before migration 4 makes user names unique regardless of case, finds
/// names that already differ only in case and refuses to go on, naming them:
/// which account should keep the name is for a person to decide, not for a
/// migration to guess.
fn refuse_case_duplicates(conn: &Connection, path: &Path) -> Result<(), OpenError> {
    let fail = |e| OpenError::from_sqlite(path.to_owned(), e);
    let needed: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users')
                AND NOT EXISTS (SELECT 1 FROM sqlite_master
                                WHERE type = 'index' AND name = 'users_by_folded_name')",
            [],
            |r| r.get(0),
        )
        .map_err(fail)?;
    if !needed {
        return Ok(());
    }
    let mut stmt = conn
        .prepare(
            "SELECT group_concat(username, ', ' ORDER BY username) FROM users
             GROUP BY lower(username) HAVING COUNT(*) > 1 ORDER BY lower(username)",
        )
        .map_err(fail)?;
    let clashes = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(fail)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(fail)?;
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(OpenError::CaseDuplicateUsernames {
            path: path.to_owned(),
            clashes,
        })
    }
}
