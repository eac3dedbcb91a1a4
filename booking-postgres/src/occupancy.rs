//! What a [`PgStore`](crate::PgStore) keeps of each event for best
//! available: its layout, read once, and the closed seats of its rows
//! ([`Occupancy`]), so that a request reads neither.
//!
//! # Why the closed seats stay true across processes
//!
//! Several processes share one database, so a process cannot see the
//! others' writes happen. An [`Occupancy`] must never think a seat closed
//! that is open (see its module); thinking a closed seat open only makes a
//! search read a row for nothing. So:
//!
//! - Every write that **opens** seats (a cancel, an unblock) adds one to
//!   its event's `events.reopened`, in its transaction.
//! - A best-available request reads `reopened` first (with the user's
//!   lock). What this store knows is tagged with the `reopened` it was
//!   read under; a request that reads a larger one reads the event's
//!   closed seats again (`event_rows`), in a later statement.
//! - What a request then reads of seats (the rows its search visits)
//!   says which of them are closed, and is kept, tagged with the request's
//!   `reopened` ([`EventCache::observe`]), if what the store knows has that
//!   tag. A seat seen closed then could only have opened since by a
//!   write that added to `reopened`, which the next request sees.
//!
//! - A reserve reads `reopened` with its seats locked, and once it has
//!   committed, its seats are kept closed under that tag too: a write
//!   that opens them again comes after it.
//!
//! Seats other processes close are learnt when a search visits their row.
//! The search under locks, which alone may refuse a request, reads the
//! closed seats afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use booking_core::best::{EventLayout, Request, Search, Wanted};
use booking_core::occupancy::Occupancy;
use booking_core::{EventId, SeatId};
use deadpool_postgres::Transaction;
use tokio::sync::OnceCell;

use crate::error::OpError;

/// Each event's [`EventCache`], made on first use.
#[derive(Debug, Default)]
pub(crate) struct Events(Mutex<HashMap<EventId, Arc<EventCache>>>);

impl Events {
    /// The cache of `event`.
    pub(crate) fn event(&self, event: EventId) -> Arc<EventCache> {
        let mut events = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(events.entry(event).or_default())
    }
}

/// One event's layout and closed seats.
#[derive(Debug, Default)]
pub(crate) struct EventCache {
    /// Read once: the first requests all wait for one read.
    layout: OnceCell<Arc<EventLayout>>,
    /// The closed seats, and the `reopened` they were read under.
    known: Mutex<Option<Known>>,
}

#[derive(Debug)]
struct Known {
    reopened: i64,
    occupancy: Occupancy,
}

impl EventCache {
    /// The event's layout, read by `load` the first time (the requests
    /// that come meanwhile wait for it; if it fails, the next one reads).
    /// `load` is not polled unless it is needed.
    pub(crate) async fn layout<F>(&self, load: F) -> Result<Arc<EventLayout>, OpError>
    where
        F: Future<Output = Result<EventLayout, OpError>>,
    {
        self.layout
            .get_or_try_init(|| async { load.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The event's layout, if it has been read.
    pub(crate) fn loaded_layout(&self) -> Option<Arc<EventLayout>> {
        self.layout.get().cloned()
    }

    /// Makes what it knows of the closed seats current for a request that
    /// read `reopened`: when it knows them under a smaller one (or not at
    /// all), reads them with `read` (in a statement after the one that read
    /// `reopened`; not polled unless it is needed).
    pub(crate) async fn refresh<F>(
        &self,
        layout: &EventLayout,
        reopened: i64,
        read: F,
    ) -> Result<(), OpError>
    where
        F: Future<Output = Result<HashMap<(u32, u32), Vec<bool>>, OpError>>,
    {
        if self
            .known()
            .as_ref()
            .is_some_and(|k| k.reopened >= reopened)
        {
            return Ok(());
        }
        let mut occupancy = Occupancy::new(&layout.layout);
        for ((section, line), flags) in read.await? {
            occupancy.set_row(&layout.layout, section, line, flags);
        }
        let mut known = self.known();
        if known.as_ref().is_none_or(|k| k.reopened < reopened) {
            *known = Some(Known {
                reopened,
                occupancy,
            });
        }
        Ok(())
    }

    /// A search for `request` among the `wanted` seats, the seats known
    /// closed and those of `held` (live holds) closed.
    pub(crate) fn search<'l>(
        &self,
        layout: &'l EventLayout,
        wanted: Wanted,
        request: Request,
        held: &[SeatId],
    ) -> Search<'l> {
        let mut known = self.known();
        let known = known.get_or_insert_with(|| Known {
            // Nothing known: every seat open, which is never wrong.
            reopened: i64::MIN,
            occupancy: Occupancy::new(&layout.layout),
        });
        known
            .occupancy
            .search(&layout.layout, wanted, request, held)
    }

    /// Keeps which of `seats` are closed, as a request that read
    /// `reopened` has just read them, if what it knows has that tag.
    pub(crate) fn observe(
        &self,
        layout: &EventLayout,
        reopened: i64,
        seats: impl IntoIterator<Item = (SeatId, bool)>,
    ) {
        if let Some(known) = self.known().as_mut().filter(|k| k.reopened == reopened) {
            known.occupancy.set_seats(&layout.layout, seats);
        }
    }

    fn known(&self) -> MutexGuard<'_, Option<Known>> {
        // Every change to it is whole before the lock is let go.
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Notes, in `tx`, that seats of `event` may have opened (a cancel, an
/// unblock): adds one to `events.reopened` (see the module).
pub(crate) async fn reopened(tx: &Transaction<'_>, event: EventId) -> Result<(), OpError> {
    let stmt = tx
        .prepare_cached("UPDATE events SET reopened = reopened + 1 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&event.get()]).await?;
    Ok(())
}
