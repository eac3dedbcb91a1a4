//! What the writer knows of each event's seating for best available: its
//! layout, and the closed seats of its rows ([`Occupancy`]), so that a
//! request reads neither from the database.
//!
//! Only the writer changes seats, and it runs on a thread of its own
//! ([`crate::connections`]), so this knowledge lives with it, in a
//! thread-local of the writer's thread: no lock, and no handle to pass
//! down to the writes. Every function here must run on the writer, inside
//! its transaction.
//!
//! # Why it stays true
//!
//! An [`Occupancy`] must never think a seat closed that the database has
//! open (see its module). So:
//!
//! - A write that changes which seats of a row are closed (a reservation,
//!   a cancel, a block) says so ([`rows_changed`]) as it writes `event_rows`,
//!   and the row is read again from `event_rows` before the next search:
//!   what the writer's transaction sees then, whether the write was kept
//!   or rolled back to its savepoint.
//! - A batch whose transaction was rolled back whole (a failed commit) may
//!   have had its rows read by a search in the same batch: everything is
//!   forgotten ([`crate::connections::failed_batches`]), layouts too (a
//!   rolled-back event's id may be given again).
//! - Another process writing to the same file (`PRAGMA data_version`
//!   changes on the writer when another connection commits) may have
//!   changed any row: every event's rows are read again.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use booking_core::best::EventLayout;
use booking_core::occupancy::Occupancy;
use booking_core::{Error, EventId, Result};
use rusqlite::{Connection, params};

use crate::connections;
use crate::error::{BACKEND, storage};
use crate::store::{closed_seats, load_layout};

thread_local! {
    /// The writer's knowledge (empty on any other thread).
    static KNOWN: RefCell<Known> = RefCell::default();
}

#[derive(Default)]
struct Known {
    /// `PRAGMA data_version` and the writer's failed batches when last
    /// looked at.
    seen: Option<(i64, u64)>,
    events: HashMap<EventId, EventKnown>,
    /// Rows (event, section, line) written since they were last read.
    changed: HashSet<(i64, i64, i64)>,
}

/// One event's layout, and its rows' closed seats once read.
struct EventKnown {
    layout: Arc<EventLayout>,
    occupancy: Option<Occupancy>,
}

/// Notes that the writer has changed the closed seats of these rows
/// (event, section, line): they are read again before the next search.
pub(crate) fn rows_changed(rows: impl IntoIterator<Item = (i64, i64, i64)>) {
    KNOWN.with_borrow_mut(|known| known.changed.extend(rows));
}

/// Runs `f` with the layout of `event` and its rows' closed seats, as the
/// writer's transaction `tx` sees them (reading from the database only what
/// it does not know yet). The event must exist.
pub(crate) fn with_event<T>(
    tx: &Connection,
    event: EventId,
    f: impl FnOnce(&EventLayout, &mut Occupancy) -> Result<T>,
) -> Result<T> {
    KNOWN.with_borrow_mut(|known| {
        known.check(tx)?;
        let changed: Vec<(i64, i64, i64)> = known
            .changed
            .iter()
            .copied()
            .filter(|&(e, _, _)| e == event.get())
            .collect();
        for row in &changed {
            known.changed.remove(row);
        }
        let entry = match known.events.entry(event) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(EventKnown {
                layout: Arc::new(load_layout(tx, event)?),
                occupancy: None,
            }),
        };
        let layout = &entry.layout.layout;
        let occupancy = if let Some(occupancy) = &mut entry.occupancy {
            for (_, section, line) in changed {
                let flags = row_flags(tx, event, section, line)?;
                set_row(occupancy, layout, section, line, flags)?;
            }
            occupancy
        } else {
            let mut occupancy = Occupancy::new(layout);
            for ((section, line), flags) in closed_seats(tx, event)? {
                set_row(&mut occupancy, layout, section.into(), line.into(), flags)?;
            }
            entry.occupancy.insert(occupancy)
        };
        f(&entry.layout, occupancy)
    })
}

impl Known {
    /// Forgets what may have changed under it: everything after a failed
    /// batch, every row after another process's commit.
    fn check(&mut self, tx: &Connection) -> Result<()> {
        let version: i64 = tx
            .prepare_cached("PRAGMA data_version")
            .map_err(storage)?
            .query_row([], |r| r.get(0))
            .map_err(storage)?;
        let now = (version, connections::failed_batches());
        match self.seen {
            Some(seen) if seen == now => {}
            Some((_, failed)) if failed == now.1 => {
                for known in self.events.values_mut() {
                    known.occupancy = None;
                }
                self.changed.clear();
            }
            _ => {
                self.events.clear();
                self.changed.clear();
            }
        }
        self.seen = Some(now);
        Ok(())
    }
}

/// The closed flags of one row, from `event_rows`.
fn row_flags(tx: &Connection, event: EventId, section: i64, line: i64) -> Result<Vec<bool>> {
    let flags: String = tx
        .prepare_cached(
            "SELECT closed FROM event_rows WHERE event_id = ?1 AND section = ?2 AND line = ?3",
        )
        .map_err(storage)?
        .query_row(params![event.get(), section, line], |r| r.get(0))
        .map_err(storage)?;
    Ok(flags.bytes().map(|b| b == b'1').collect())
}

fn set_row(
    occupancy: &mut Occupancy,
    layout: &booking_core::best::Layout,
    section: i64,
    line: i64,
    flags: Vec<bool>,
) -> Result<()> {
    let bad = || Error::storage(BACKEND, "a row of event_rows that is not in the layout");
    let section = u32::try_from(section).map_err(|_| bad())?;
    let line = u32::try_from(line).map_err(|_| bad())?;
    if occupancy.set_row(layout, section, line, flags) {
        Ok(())
    } else {
        Err(bad())
    }
}
