//! Seats that this store's best-available requests have picked: in flight,
//! or ended but perhaps not yet seen ended by the requests that started
//! before.
//!
//! Best available searches without locks (see `PgStore::best_available`),
//! so it cannot see the holds of transactions still running: every request
//! of a busy on-sale would pick the same best seats, and all but one would
//! find them locked and search again. Requests of one process tell each
//! other instead: a request skips the seats others have picked, and claims
//! its own before it locks them. Requests of other processes still meet
//! under the seats' locks.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use booking_core::SeatId;

/// The seats picked by this store's best-available requests: by requests
/// in flight, and by requests that have ended but may not be seen ended
/// yet.
///
/// A request that has committed its hold lets go of its seats, but a
/// request that started before that commit may have read the seats free
/// (it reads their rows before it claims): had the claims gone at once, it
/// would pick those seats, lock them, find them held and search again, a
/// round trip for nothing (one request in seven, 32 buyers on the
/// stadium). So the claims of an ended request stay until every request
/// that started before it ended has ended too. A request started after
/// another ended sees that one's commit in every read it makes.
#[derive(Debug, Default)]
pub(crate) struct Picking {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Each claimed seat's request.
    seats: HashMap<SeatId, Claim>,
    /// The requests in flight, in the order they started.
    in_flight: BTreeSet<u64>,
    /// The number of the next request to start.
    next: u64,
}

/// A seat's claim: by request `token`, until `ended` (the number of the
/// next request to start when that request ended), or in flight.
#[derive(Debug, Clone, Copy)]
struct Claim {
    token: u64,
    ended: Option<u64>,
}

impl Claim {
    /// Whether request `token`, which started after this claim's request
    /// (or is it), must not pick the seat: the claim is another request's,
    /// and that request has not ended, or ended after `token` started.
    fn bars(self, token: u64) -> bool {
        self.token != token && self.ended.is_none_or(|ended| ended > token)
    }
}

impl Picking {
    /// A new request's claims: ended when it is dropped, so once its
    /// transaction has ended (or its future was dropped).
    pub(crate) fn request(&self) -> Picked<'_> {
        let mut state = self.state();
        let token = state.next;
        state.next += 1;
        state.in_flight.insert(token);
        Picked {
            picking: self,
            token,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state whole: no entry is
        // ever half written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One request's claims on seats.
#[derive(Debug)]
pub(crate) struct Picked<'p> {
    picking: &'p Picking,
    token: u64,
}

impl Picked<'_> {
    /// The seats this request must not pick: those other requests have
    /// picked, and have not ended or ended after this one started.
    pub(crate) fn by_others(&self) -> HashSet<SeatId> {
        self.picking
            .state()
            .seats
            .iter()
            .filter(|&(_, claim)| claim.bars(self.token))
            .map(|(&seat, _)| seat)
            .collect()
    }

    /// Claims all of `seats`, or none when one of them is barred (see
    /// [`Picked::by_others`]; then returns false).
    pub(crate) fn claim(&self, seats: &[SeatId]) -> bool {
        let mut state = self.picking.state();
        if seats
            .iter()
            .any(|seat| state.seats.get(seat).is_some_and(|c| c.bars(self.token)))
        {
            return false;
        }
        let claim = Claim {
            token: self.token,
            ended: None,
        };
        state.seats.extend(seats.iter().map(|&seat| (seat, claim)));
        true
    }
}

impl Drop for Picked<'_> {
    fn drop(&mut self) {
        let mut state = self.picking.state();
        let State {
            seats,
            in_flight,
            next,
        } = &mut *state;
        in_flight.remove(&self.token);
        for claim in seats.values_mut() {
            if claim.token == self.token {
                claim.ended = Some(*next);
            }
        }
        // Forget the claims no request in flight can be barred by: ended
        // before the oldest of them started.
        let oldest = in_flight.first().copied().unwrap_or(*next);
        seats.retain(|_, claim| claim.ended.is_none_or(|ended| ended > oldest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_is_claimed_by_one_request_until_it_ends() {
        let picking = Picking::default();
        let first = picking.request();
        let second = picking.request();
        assert!(first.claim(&seats(&[1, 2])));
        assert!(first.claim(&seats(&[2, 3])), "its own seats again");
        assert!(!second.claim(&seats(&[3, 4])), "all or nothing");
        assert_eq!(second.by_others(), seats(&[1, 2, 3]).into_iter().collect());
        assert!(first.by_others().is_empty());
        drop(first);
        drop(second);
        let third = picking.request();
        assert!(
            third.claim(&seats(&[3, 4])),
            "no request is older than the end"
        );
        assert_eq!(picking.request().by_others().len(), 2);
    }

    #[test]
    fn an_ended_claim_bars_the_requests_that_started_before_it_ended() {
        let picking = Picking::default();
        let (buyer, earlier) = (picking.request(), picking.request());
        assert!(buyer.claim(&seats(&[1, 2])));
        drop(buyer);
        // `earlier` may have read seats 1 and 2 free before they were held.
        assert!(!earlier.claim(&seats(&[2, 3])));
        assert_eq!(earlier.by_others(), seats(&[1, 2]).into_iter().collect());
        // A request started after the end reads the hold: not barred.
        let later = picking.request();
        assert!(later.by_others().is_empty());
        assert!(later.claim(&seats(&[2, 3])));
        drop(later);
        // Once `earlier` ends, no request is older than those ends.
        drop(earlier);
        assert!(picking.state().seats.is_empty());
    }

    fn seats(ids: &[i64]) -> Vec<SeatId> {
        ids.iter().map(|&id| SeatId::new(id)).collect()
    }
}
