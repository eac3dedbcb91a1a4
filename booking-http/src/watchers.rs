//! [`Watchers`]: the live seat-change watchers of this process, one per
//! event that has viewers, and the nudge that tells one a seat changed.
//! The stream that starts and feeds them is [`crate::live`]; the writes
//! that nudge them go through [`crate::observed::Observed`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use booking_core::{EventId, SeatRecord};
use tokio::sync::{Notify, broadcast};

/// How many batches of changes a viewer may fall behind before it is sent
/// the whole map instead.
const BACKLOG: usize = 64;

/// A batch of seats whose state changed (or every seat, for `full`).
#[derive(Clone, Debug)]
pub struct Changes {
    /// The seats.
    pub seats: Arc<Vec<SeatRecord>>,
    /// Whether `seats` is the whole map.
    pub full: bool,
}

/// The watcher of one event: the last map read, and the changes since.
pub struct Watch {
    /// Every batch of changes, to each viewer.
    pub changes: broadcast::Sender<Changes>,
    /// The last seat map read, for new viewers.
    latest: Mutex<Arc<Vec<SeatRecord>>>,
    /// Woken when this process changed a seat of the event.
    pub nudged: Notify,
}

impl Watch {
    /// The last seat map read.
    pub fn latest(&self) -> Arc<Vec<SeatRecord>> {
        Arc::clone(&self.latest.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Keeps `seats` as the last map read; returns the one before.
    pub fn replace_latest(&self, seats: Arc<Vec<SeatRecord>>) -> Arc<Vec<SeatRecord>> {
        std::mem::replace(
            &mut *self.latest.lock().unwrap_or_else(PoisonError::into_inner),
            seats,
        )
    }
}

/// Every event's watcher in this process. A watcher lives as long as a
/// stream holds it: the registry keeps only weak references.
#[derive(Default)]
pub struct Watchers {
    watches: Mutex<HashMap<EventId, Weak<Watch>>>,
}

impl Watchers {
    /// Tells the watcher of `event`, if any, that a seat changed.
    pub fn nudge(&self, event: EventId) {
        if let Some(watch) = self.get(event) {
            watch.nudged.notify_one();
        }
    }

    /// The running watcher of `event`, if any.
    pub fn get(&self, event: EventId) -> Option<Arc<Watch>> {
        self.lock().get(&event).and_then(Weak::upgrade)
    }

    /// The running watcher of `event`, or a new one that starts from
    /// `seats`; `true` with a new one, which the caller starts.
    pub fn get_or_insert(&self, event: EventId, seats: Arc<Vec<SeatRecord>>) -> (Arc<Watch>, bool) {
        let mut watches = self.lock();
        if let Some(watch) = watches.get(&event).and_then(Weak::upgrade) {
            return (watch, false);
        }
        let watch = Arc::new(Watch {
            changes: broadcast::channel(BACKLOG).0,
            latest: Mutex::new(seats),
            nudged: Notify::new(),
        });
        watches.insert(event, Arc::downgrade(&watch));
        (watch, true)
    }

    /// Forgets the watcher of `event` once no stream holds it.
    pub fn forget(&self, event: EventId) {
        let mut watches = self.lock();
        if watches.get(&event).is_some_and(|w| w.strong_count() == 0) {
            watches.remove(&event);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, Weak<Watch>>> {
        self.watches.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn a_nudge_wakes_the_watcher_of_its_event_only() {
        let watchers = Watchers::default();
        let (watch, new) = watchers.get_or_insert(EventId::new(1), Arc::default());
        assert!(new);
        watchers.nudge(EventId::new(2));
        assert!(watch.nudged.notified().now_or_never().is_none());
        watchers.nudge(EventId::new(1));
        assert!(watch.nudged.notified().now_or_never().is_some());
        let (again, new) = watchers.get_or_insert(EventId::new(1), Arc::default());
        assert!(!new && Arc::ptr_eq(&watch, &again));
        drop((watch, again));
        watchers.forget(EventId::new(1));
        assert!(watchers.get(EventId::new(1)).is_none());
    }
}
