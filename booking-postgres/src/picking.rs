//! Seats that this store's best-available requests have picked and not yet
//! committed or let go of.
//!
//! Best available searches without locks (see `PgStore::best_available`),
//! so it cannot see the holds of transactions still running: every request
//! of a busy on-sale would pick the same best seats, and all but one would
//! find them locked and search again. Requests of one process tell each
//! other instead: a request skips the seats others have picked, and claims
//! its own before it locks them. Requests of other processes still meet
//! under the seats' locks.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use booking_core::SeatId;

/// The seats picked by requests in flight, each with its request's token.
#[derive(Debug, Default)]
pub(crate) struct Picking {
    seats: Mutex<HashMap<SeatId, u64>>,
    next: AtomicU64,
}

impl Picking {
    /// A new request's claims: let go of when it is dropped, so once its
    /// transaction has ended (or its future was dropped).
    pub(crate) fn request(&self) -> Picked<'_> {
        Picked {
            picking: self,
            token: self.next.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn seats(&self) -> std::sync::MutexGuard<'_, HashMap<SeatId, u64>> {
        // A panic while holding the lock leaves the map whole: no entry is
        // ever half written.
        self.seats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One request's claims on seats.
#[derive(Debug)]
pub(crate) struct Picked<'p> {
    picking: &'p Picking,
    token: u64,
}

impl Picked<'_> {
    /// The seats other requests have picked.
    pub(crate) fn by_others(&self) -> HashSet<SeatId> {
        self.picking
            .seats()
            .iter()
            .filter(|&(_, &token)| token != self.token)
            .map(|(&seat, _)| seat)
            .collect()
    }

    /// Claims all of `seats`, or none when another request has one of them
    /// (then returns false).
    pub(crate) fn claim(&self, seats: &[SeatId]) -> bool {
        let mut picked = self.picking.seats();
        if seats
            .iter()
            .any(|seat| picked.get(seat).is_some_and(|&t| t != self.token))
        {
            return false;
        }
        picked.extend(seats.iter().map(|&seat| (seat, self.token)));
        true
    }
}

impl Drop for Picked<'_> {
    fn drop(&mut self) {
        self.picking.seats().retain(|_, token| *token != self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_is_claimed_by_one_request_until_it_ends() {
        let picking = Picking::default();
        let seats = |ids: &[i64]| ids.iter().map(|&id| SeatId::new(id)).collect::<Vec<_>>();
        let first = picking.request();
        let second = picking.request();
        assert!(first.claim(&seats(&[1, 2])));
        assert!(first.claim(&seats(&[2, 3])), "its own seats again");
        assert!(!second.claim(&seats(&[3, 4])), "all or nothing");
        assert_eq!(second.by_others(), seats(&[1, 2, 3]).into_iter().collect());
        assert!(first.by_others().is_empty());
        drop(first);
        assert!(second.claim(&seats(&[3, 4])));
        assert_eq!(picking.request().by_others().len(), 2);
    }
}
