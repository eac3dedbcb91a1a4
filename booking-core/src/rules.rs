//! The booking rules, as pure functions.
//!
//! A backend's transaction loads the rows an operation touches (under lock),
//! and [`tx`](crate::tx) calls one of these with them and the transaction's
//! instant `now`, then has the backend write back what it returns; on an
//! error nothing is written. Every backend runs the same functions, so the
//! rules exist once.
//!
//! The rows may carry holds that have already ended: the rules judge every
//! state [`at`](crate::SeatState::at) `now`, so expiry needs no writes.

use std::collections::HashSet;

use crate::clock::{self, Timestamp};
use crate::error::{ConflictKind, Conflicts, Entity, Error, Result, SeatConflict};
use crate::ids::{EventId, SeatId, UserId};
use crate::model::{Hold, Policy, Reservation, ReservationStatus, Seat, SeatRecord, SeatState};

/// Takes or extends `user`'s hold on `record`'s seat.
///
/// `held_elsewhere` is how many *other* seats of the same event `user` holds
/// at `now` (unexpired holds only); the backend counts it inside the same
/// transaction.
///
/// A hold never lasts past `policy.max_hold` from when it was first taken
/// (its `since`), however often it is extended: without that cap a user
/// could keep seats from everyone for ever by locking them again and again.
///
/// # Behavior
///
/// - reserved → [`Error::SeatReserved`];
/// - held by another user, unexpired → [`Error::SeatLocked`];
/// - blocked from sale → [`Error::SeatBlocked`];
/// - held by `user`, unexpired, and already ending at `since + max_hold`
///   → [`Error::MaxHoldReached`] (the user may take it again once they
///   released it or it ended);
/// - held by `user`, unexpired, otherwise → the hold is extended to
///   `now + lock_ttl` or `since + max_hold`, whichever comes first; `since`
///   stays (the limit is not checked again: the seat is already counted);
/// - otherwise (available, or any ended hold): if `held_elsewhere` has
///   reached `policy.max_seats_per_user` → [`Error::HoldLimit`], else a new
///   hold since `now` until `now + lock_ttl` or `now + max_hold`, whichever
///   comes first.
///
/// The returned hold's seat state is `Held { by: user, since, until }`.
pub fn hold(
    record: &SeatRecord,
    user: UserId,
    held_elsewhere: u32,
    now: Timestamp,
    policy: &Policy,
) -> Result<Hold> {
    let conflict = |kind| Conflicts::single(record.seat.id, record.seat.label(), kind);
    let since = match record.state.at(now) {
        SeatState::Reserved { .. } => return Err(conflict(ConflictKind::SeatReserved)),
        SeatState::Held { by, .. } if by != user => {
            return Err(conflict(ConflictKind::SeatLocked));
        }
        _ if record.blocked.is_some() => return Err(conflict(ConflictKind::SeatBlocked)),
        SeatState::Held { since, until, .. } => {
            if until >= clock::add(since, policy.max_hold) {
                return Err(Error::MaxHoldReached {
                    seat_id: record.seat.id,
                    seat_number: record.seat.label(),
                    max_hold: policy.max_hold,
                });
            }
            since
        }
        SeatState::Available => {
            if held_elsewhere >= policy.max_seats_per_user {
                return Err(Error::HoldLimit {
                    limit: policy.max_seats_per_user,
                });
            }
            now
        }
    };
    Ok(Hold {
        seat: record.seat.clone(),
        user,
        since,
        granted_at: now,
        until: clock::add(now, policy.lock_ttl).min(clock::add(since, policy.max_hold)),
    })
}

/// Releases `user`'s hold on `record`'s seat; the seat becomes
/// [`SeatState::Available`].
///
/// # Behavior
///
/// - held by `user`, unexpired → `Ok`;
/// - anything else (available, held by another, an ended hold, reserved) →
///   [`Error::NotLockHolder`].
pub fn release(record: &SeatRecord, user: UserId, now: Timestamp) -> Result<()> {
    match record.state.at(now) {
        SeatState::Held { by, .. } if by == user => Ok(()),
        _ => Err(Conflicts::single(
            record.seat.id,
            record.seat.label(),
            ConflictKind::NotLockHolder,
        )),
    }
}

/// Checks the seat ids of a reserve request before anything is loaded.
///
/// # Behavior
///
/// Empty, containing an id twice, or longer than `policy.max_seats_per_user`
/// → [`Error::InvalidInput`].
pub fn check_seat_ids(seat_ids: &[SeatId], policy: &Policy) -> Result<()> {
    if seat_ids.is_empty() {
        return Err(Error::invalid_input("seat_ids must not be empty"));
    }
    if seat_ids.len() > usize::try_from(policy.max_seats_per_user).unwrap_or(usize::MAX) {
        return Err(Error::invalid_input(format!(
            "at most {} seats per reservation",
            policy.max_seats_per_user
        )));
    }
    let mut seen = HashSet::with_capacity(seat_ids.len());
    if let Some(dup) = seat_ids.iter().find(|id| !seen.insert(**id)) {
        return Err(Error::invalid_input(format!(
            "seat {dup} is listed more than once"
        )));
    }
    Ok(())
}

/// Decides whether `user` may reserve `seat_ids` of `event`, all or nothing.
///
/// `loaded` holds the seat rows the backend found for `seat_ids` (in any
/// order; rows of other events are ignored).
///
/// # Behavior
///
/// 1. [`check_seat_ids`];
/// 2. an id with no row of `event` → [`Error::NotFound`] for the first such id;
/// 3. every seat must be held by `user`, unexpired, and not blocked;
///    otherwise the error lists every seat in conflict, by row then number,
///    each as [`ConflictKind::SeatReserved`] (reserved),
///    [`ConflictKind::SeatBlocked`] (blocked from sale),
///    [`ConflictKind::LockExpired`] (`user`'s hold has ended) or
///    [`ConflictKind::NotLockHolder`] (anything else), and the first one
///    decides the variant.
///
/// On success, returns the seats by row then number: the backend marks each
/// `Reserved` by the new reservation and clears its hold.
pub fn confirm(
    event: EventId,
    seat_ids: &[SeatId],
    loaded: &[SeatRecord],
    user: UserId,
    now: Timestamp,
    policy: &Policy,
) -> Result<Vec<Seat>> {
    check_seat_ids(seat_ids, policy)?;
    let mut records = seats_of(event, seat_ids, loaded)?;
    records.sort_by_key(|r| r.seat.sort_key());

    let conflicts: Vec<SeatConflict> = records
        .iter()
        .filter_map(|r| {
            let kind = match (r.state, r.state.at(now)) {
                (SeatState::Reserved { .. }, _) => ConflictKind::SeatReserved,
                _ if r.blocked.is_some() => ConflictKind::SeatBlocked,
                (_, SeatState::Held { by, .. }) if by == user => return None,
                (SeatState::Held { by, .. }, _) if by == user => ConflictKind::LockExpired,
                _ => ConflictKind::NotLockHolder,
            };
            Some(SeatConflict {
                seat_id: r.seat.id,
                seat_number: r.seat.label(),
                kind,
            })
        })
        .collect();
    match Conflicts::into_error(conflicts) {
        Some(err) => Err(err),
        None => Ok(records.into_iter().map(|r| r.seat.clone()).collect()),
    }
}

/// The sum of `seats`' prices, in cents.
pub fn total_cents(seats: &[Seat]) -> i64 {
    seats
        .iter()
        .fold(0i64, |sum, seat| sum.saturating_add(seat.price_cents))
}

/// Checks the seat ids of a block or unblock request before anything is
/// loaded.
///
/// # Behavior
///
/// Empty, containing an id twice, or longer than
/// [`SeatMap::MAX_SEATS`](crate::SeatMap::MAX_SEATS) → [`Error::InvalidInput`].
pub fn check_block_ids(seat_ids: &[SeatId]) -> Result<()> {
    if seat_ids.is_empty() || seat_ids.len() > crate::SeatMap::MAX_SEATS {
        return Err(Error::invalid_input(format!(
            "seat_ids has 1 to {} seats",
            crate::SeatMap::MAX_SEATS
        )));
    }
    let mut seen = HashSet::with_capacity(seat_ids.len());
    if let Some(dup) = seat_ids.iter().find(|id| !seen.insert(**id)) {
        return Err(Error::invalid_input(format!(
            "seat {dup} is listed more than once"
        )));
    }
    Ok(())
}

/// The longest reason a blocked seat may carry, in characters.
pub const MAX_BLOCK_REASON: usize = 200;

/// Decides whether `loaded` (the seats of `seat_ids`, as the backend found
/// them in `event`) may be blocked from sale with `reason`.
///
/// # Behavior
///
/// 1. [`check_block_ids`]; a reason over [`MAX_BLOCK_REASON`] characters
///    or with a control character → [`Error::InvalidInput`];
/// 2. an id with no row of `event` → [`Error::NotFound`] for the first;
/// 3. a seat reserved, or held by an unexpired hold, cannot be blocked:
///    the error lists every such seat ([`ConflictKind::SeatReserved`],
///    [`ConflictKind::SeatLocked`]) and nothing changes. A seat already
///    blocked is blocked again with the new reason.
///
/// On success the backend marks each seat blocked with `reason` (and
/// clears an ended hold): a blocked seat is never held nor reserved.
pub fn block(
    event: EventId,
    seat_ids: &[SeatId],
    loaded: &[SeatRecord],
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    check_block_ids(seat_ids)?;
    check_reason(reason)?;
    let mut records = seats_of(event, seat_ids, loaded)?;
    records.sort_by_key(|r| r.seat.sort_key());
    let conflicts: Vec<SeatConflict> = records
        .iter()
        .filter_map(|r| {
            let kind = match r.state.at(now) {
                SeatState::Reserved { .. } => ConflictKind::SeatReserved,
                SeatState::Held { .. } => ConflictKind::SeatLocked,
                SeatState::Available => return None,
            };
            Some(SeatConflict {
                seat_id: r.seat.id,
                seat_number: r.seat.label(),
                kind,
            })
        })
        .collect();
    Conflicts::into_error(conflicts).map_or(Ok(()), Err)
}

/// Checks a reason staff give for what they do (a block, an unblock):
/// over [`MAX_BLOCK_REASON`] characters or with a control character →
/// [`Error::InvalidInput`]. Empty is allowed.
pub fn check_reason(reason: &str) -> Result<()> {
    if reason.chars().count() > MAX_BLOCK_REASON || reason.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "a reason has at most {MAX_BLOCK_REASON} characters, none of them control characters"
        )));
    }
    Ok(())
}

/// Decides whether `loaded` (the seats of `seat_ids` in `event`) may be
/// unblocked with `reason`: [`check_block_ids`] and [`check_reason`], then
/// an id with no row of `event` → [`Error::NotFound`]. A seat that is not
/// blocked stays as it is.
pub fn unblock(
    event: EventId,
    seat_ids: &[SeatId],
    loaded: &[SeatRecord],
    reason: &str,
) -> Result<()> {
    check_block_ids(seat_ids)?;
    check_reason(reason)?;
    seats_of(event, seat_ids, loaded).map(drop)
}

/// The loaded record of each of `seat_ids`, in their order.
///
/// # Errors
///
/// An id with no record of `event` in `loaded` → [`Error::NotFound`] for
/// the first such id.
pub fn seats_of<'r>(
    event: EventId,
    seat_ids: &[SeatId],
    loaded: &'r [SeatRecord],
) -> Result<Vec<&'r SeatRecord>> {
    let by_id: std::collections::HashMap<SeatId, &SeatRecord> = loaded
        .iter()
        .filter(|r| r.seat.event == event)
        .map(|r| (r.seat.id, r))
        .collect();
    seat_ids
        .iter()
        .map(|id| {
            by_id
                .get(id)
                .copied()
                .ok_or_else(|| Error::not_found(Entity::Seat, id.get()))
        })
        .collect()
}

/// Checks a best-available request before anything is loaded.
///
/// `held` is how many seats of the event `user` holds at `now` (unexpired).
///
/// # Behavior
///
/// - `count` of 0, or over `policy.max_seats_per_user` → [`Error::InvalidInput`];
/// - `held + count` over `policy.max_seats_per_user` → [`Error::HoldLimit`]:
///   the seats count against the limit like any hold.
pub fn check_best_available(count: u32, held: u32, policy: &Policy) -> Result<()> {
    if count == 0 || count > policy.max_seats_per_user {
        return Err(Error::invalid_input(format!(
            "count is 1 to {}",
            policy.max_seats_per_user
        )));
    }
    if held.saturating_add(count) > policy.max_seats_per_user {
        return Err(Error::HoldLimit {
            limit: policy.max_seats_per_user,
        });
    }
    Ok(())
}

/// The holds best available gives `user` on `chosen` (the seats
/// [`best`](crate::best) picked, as loaded), `held` being how many seats of
/// the event `user` held before: each by [`hold`], so each is a new hold
/// from `now`.
///
/// # Errors
///
/// Whatever [`hold`] says of a seat: never, when the seats were free and
/// [`check_best_available`] passed.
pub fn hold_all(
    chosen: &[&SeatRecord],
    user: UserId,
    held: u32,
    now: Timestamp,
    policy: &Policy,
) -> Result<Vec<Hold>> {
    chosen
        .iter()
        .zip(held..)
        .map(|(record, held_elsewhere)| hold(record, user, held_elsewhere, now, policy))
        .collect()
}

/// Decides whether reserving `reserving` strands a seat, for an event that
/// refuses orphans ([`OrphanPolicy::Refuse`](crate::OrphanPolicy::Refuse)).
///
/// `runs` are the runs of adjacent seats (in order) that hold the seats of
/// `reserving`, every seat of each run with its state as loaded.
///
/// # Behavior
///
/// A **stretch** is a longest stretch of seats of one run each either free
/// ([`SeatRecord::is_free`]) or being reserved: what the buyer could have
/// picked from. A reserve **strands** a seat when, after it, a free seat of
/// the stretch has no free neighbour. That is **avoidable** when the
/// stretch keeps more than one free seat: taking the same number of seats
/// at one end of it would leave the rest together. An avoidable stranding
/// → [`Error::OrphanSeat`] naming the first stranded seat (in run order);
/// one that no pick could avoid (a stretch of `k + 1` seats for `k`
/// reserved) is allowed.
pub fn check_orphans(runs: &[Vec<SeatRecord>], reserving: &[SeatId], now: Timestamp) -> Result<()> {
    let reserving: HashSet<SeatId> = reserving.iter().copied().collect();
    for run in runs {
        let open: Vec<bool> = run
            .iter()
            .map(|r| reserving.contains(&r.seat.id) || r.is_free(now))
            .collect();
        let free_after: Vec<bool> = run
            .iter()
            .zip(&open)
            .map(|(r, &open)| open && !reserving.contains(&r.seat.id))
            .collect();
        let mut start = 0;
        while start < run.len() {
            if !open[start] {
                start += 1;
                continue;
            }
            let end = (start..run.len()).find(|&i| !open[i]).unwrap_or(run.len());
            let taken = run[start..end]
                .iter()
                .filter(|r| reserving.contains(&r.seat.id))
                .count();
            let left = end - start - taken;
            if taken > 0 && left > 1 {
                let alone = (start..end).find(|&i| {
                    free_after[i]
                        && !(i > start && free_after[i - 1])
                        && !(i + 1 < end && free_after[i + 1])
                });
                if let Some(i) = alone {
                    return Err(Error::OrphanSeat {
                        seat_id: run[i].seat.id,
                        seat_number: run[i].seat.label(),
                    });
                }
            }
            start = end;
        }
    }
    Ok(())
}

/// Decides whether a reserve carrying an idempotency key repeats an earlier one.
///
/// `previous` is `user`'s reservation made with the same key, if the backend
/// found one (it looks the key up after [`check_seat_ids`] and before
/// anything else).
///
/// # Behavior
///
/// - no previous reservation, or one made `policy.idempotency_ttl` or longer
///   before `now` → `Ok(None)`: go on with a fresh reserve (the backend
///   forgets the old key in the same transaction);
/// - a previous reservation for the same event and the same set of seats →
///   `Ok(Some(previous))`: return it (as it stands now) and change nothing;
/// - a previous reservation for anything else → [`Error::IdempotencyKeyReused`].
pub fn replay(
    previous: Option<&Reservation>,
    event: EventId,
    seat_ids: &[SeatId],
    now: Timestamp,
    policy: &Policy,
) -> Result<Option<Reservation>> {
    let Some(previous) = previous else {
        return Ok(None);
    };
    if clock::add(previous.created_at, policy.idempotency_ttl) <= now {
        return Ok(None);
    }
    let mut asked: Vec<SeatId> = seat_ids.to_vec();
    let mut had: Vec<SeatId> = previous.seats.iter().map(|s| s.id).collect();
    asked.sort_unstable();
    had.sort_unstable();
    if previous.event == event && asked == had {
        Ok(Some(previous.clone()))
    } else {
        Err(Error::IdempotencyKeyReused)
    }
}

/// Decides whether `user` may cancel `reservation`.
///
/// # Behavior
///
/// - someone else's → [`Error::NotFound`] (its existence is not revealed);
/// - already cancelled → [`Error::AlreadyCancelled`];
/// - otherwise `Ok`: the backend sets it cancelled at `now` and makes every
///   one of its seats [`SeatState::Available`].
pub fn cancel(reservation: &Reservation, user: UserId) -> Result<()> {
    if reservation.user != user {
        return Err(Error::not_found(Entity::Reservation, reservation.id.get()));
    }
    staff_cancel(reservation)
}

/// Decides whether staff may cancel `reservation`, anyone's: already
/// cancelled → [`Error::AlreadyCancelled`]; otherwise `Ok`, as for
/// [`cancel`].
pub fn staff_cancel(reservation: &Reservation) -> Result<()> {
    if reservation.status == ReservationStatus::Cancelled {
        return Err(Error::AlreadyCancelled { id: reservation.id });
    }
    Ok(())
}

/// Refuses every write to a cancelled event: `cancelled` →
/// [`Error::EventCancelled`]. Once cancelled, an event's seats cannot be
/// held (one by one or by best available), reserved, blocked or
/// unblocked, its details cannot be edited, and it cannot be cancelled
/// again; it is still read as it stands.
pub fn check_not_cancelled(event: EventId, cancelled: bool) -> Result<()> {
    if cancelled {
        return Err(Error::EventCancelled { id: event });
    }
    Ok(())
}

/// Checks the reason staff give for cancelling a customer's reservation:
/// the customer reads it, so it must say something. Blank, over
/// [`MAX_BLOCK_REASON`] characters or with a control character →
/// [`Error::InvalidInput`].
pub fn check_cancel_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(Error::invalid_input(
            "say why the reservation is cancelled: its customer reads the reason",
        ));
    }
    check_reason(reason)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;
    use proptest::prelude::*;

    use super::*;
    use crate::ids::ReservationId;
    use crate::seatmap::Row;
    use crate::{Clock, ManualClock};

    const ALICE: UserId = UserId::new(1);
    const BOB: UserId = UserId::new(2);
    const EVENT: EventId = EventId::new(1);

    fn now() -> Timestamp {
        ManualClock::default().now()
    }

    fn seat(id: i64) -> Seat {
        Seat {
            id: SeatId::new(id),
            event: EVENT,
            section: String::new(),
            row: Row::from_index(0).unwrap(),
            number: u32::try_from(id).unwrap(),
            label: format!("A{id}"),
            category: "$100.00".into(),
            price_cents: 10_000,
            accessible: false,
            companion: false,
            restricted_view: false,
        }
    }

    fn record(id: i64, state: SeatState) -> SeatRecord {
        SeatRecord {
            seat: seat(id),
            state,
            blocked: None,
        }
    }

    /// Held by `by`, taken a minute ago, ending in `secs_left`.
    fn held(by: UserId, secs_left: i64) -> SeatState {
        held_since(by, 60, secs_left)
    }

    /// Held by `by`, taken `secs_ago`, ending in `secs_left`.
    fn held_since(by: UserId, secs_ago: i64, secs_left: i64) -> SeatState {
        SeatState::Held {
            by,
            since: now() - TimeDelta::seconds(secs_ago),
            until: now() + TimeDelta::seconds(secs_left),
        }
    }

    fn reserved() -> SeatState {
        SeatState::Reserved {
            reservation: ReservationId::new(1),
        }
    }

    #[test]
    fn hold_takes_an_available_seat_for_the_ttl() {
        let policy = Policy::default();
        let hold = hold(&record(1, SeatState::Available), ALICE, 0, now(), &policy).unwrap();
        assert_eq!(hold.until - now(), TimeDelta::seconds(300));
        assert_eq!(hold.user, ALICE);
    }

    #[test]
    fn hold_extends_your_own_hold_without_counting_it_again() {
        let policy = Policy::default().with_max_seats_per_user(1);
        let hold = hold(&record(1, held(ALICE, 10)), ALICE, 1, now(), &policy).unwrap();
        assert_eq!(hold.until - now(), TimeDelta::seconds(300));
        assert_eq!(
            hold.since,
            now() - TimeDelta::seconds(60),
            "still since first taken"
        );
        assert_eq!(hold.lifetime(), Duration::from_secs(300));
    }

    #[test]
    fn a_new_hold_starts_now() {
        let p = Policy::default();
        let hold = hold(&record(1, held(ALICE, 0)), ALICE, 0, now(), &p).unwrap();
        assert_eq!((hold.since, hold.granted_at), (now(), now()));
    }

    #[test]
    fn extensions_stop_at_max_hold_from_when_it_was_first_taken() {
        let p = Policy::default(); // 300 s a time, 900 s in all
        // Taken 700 s ago: an extension is cut to 200 s.
        let cut = hold(&record(1, held_since(ALICE, 700, 10)), ALICE, 0, now(), &p).unwrap();
        assert_eq!(cut.until - now(), TimeDelta::seconds(200));
        assert_eq!(cut.lifetime(), Duration::from_secs(200));
        // Ending at the cap already: refused, whatever is left of it.
        for left in [200, 1] {
            let state = held_since(ALICE, 900 - left, left);
            let err = hold(&record(1, state), ALICE, 0, now(), &p).unwrap_err();
            assert_eq!(err.code(), "max_hold_reached", "{left} s left");
            assert!(matches!(
                &err,
                Error::MaxHoldReached { seat_number, .. } if seat_number == "A1"
            ));
        }
        // Once it ended, the seat is the user's to take again, from now.
        let again = hold(&record(1, held_since(ALICE, 900, 0)), ALICE, 0, now(), &p).unwrap();
        assert_eq!(
            (again.since, again.until - now()),
            (now(), TimeDelta::seconds(300))
        );
    }

    #[test]
    fn a_hold_never_outlasts_max_hold_even_with_a_longer_ttl() {
        let p = Policy::default()
            .with_lock_ttl(Duration::from_secs(600))
            .with_max_hold(Duration::from_secs(450));
        let first = hold(&record(1, SeatState::Available), ALICE, 0, now(), &p).unwrap();
        assert_eq!(first.until - now(), TimeDelta::seconds(450));
        let state = SeatState::Held {
            by: ALICE,
            since: first.since,
            until: first.until,
        };
        let err = hold(&record(1, state), ALICE, 0, now(), &p).unwrap_err();
        assert_eq!(err.code(), "max_hold_reached");
    }

    #[test]
    fn hold_refuses_a_seat_someone_else_holds_or_reserved() {
        let p = Policy::default();
        let err = hold(&record(1, held(BOB, 10)), ALICE, 0, now(), &p).unwrap_err();
        assert_eq!(err.code(), "seat_locked");
        let err = hold(&record(1, reserved()), ALICE, 0, now(), &p).unwrap_err();
        assert_eq!(err.code(), "seat_reserved");
    }

    #[test]
    fn hold_takes_a_seat_whose_hold_has_ended() {
        let p = Policy::default();
        let hold = hold(&record(1, held(BOB, 0)), ALICE, 0, now(), &p).unwrap();
        assert_eq!(hold.user, ALICE);
    }

    #[test]
    fn hold_stops_at_the_limit() {
        let p = Policy::default().with_max_seats_per_user(2);
        assert!(hold(&record(1, SeatState::Available), ALICE, 1, now(), &p).is_ok());
        let err = hold(&record(1, SeatState::Available), ALICE, 2, now(), &p).unwrap_err();
        assert!(matches!(err, Error::HoldLimit { limit: 2 }));
    }

    #[test]
    fn release_only_your_unexpired_hold() {
        assert!(release(&record(1, held(ALICE, 1)), ALICE, now()).is_ok());
        for state in [
            SeatState::Available,
            held(BOB, 10),
            held(ALICE, 0),
            reserved(),
        ] {
            let err = release(&record(1, state), ALICE, now()).unwrap_err();
            assert_eq!(err.code(), "not_lock_holder", "{state:?}");
        }
    }

    #[test]
    fn seat_ids_must_be_a_short_set() {
        let p = Policy::default().with_max_seats_per_user(2);
        let ids = |v: &[i64]| v.iter().copied().map(SeatId::new).collect::<Vec<_>>();
        assert!(check_seat_ids(&ids(&[1, 2]), &p).is_ok());
        for bad in [&[][..], &[1, 1], &[1, 2, 3]] {
            assert_eq!(
                check_seat_ids(&ids(bad), &p).unwrap_err().code(),
                "invalid_input"
            );
        }
    }

    #[test]
    fn confirm_returns_seats_in_order_when_all_are_yours() {
        let loaded = [record(3, held(ALICE, 5)), record(1, held(ALICE, 5))];
        let ids = [SeatId::new(3), SeatId::new(1)];
        let seats = confirm(EVENT, &ids, &loaded, ALICE, now(), &Policy::default()).unwrap();
        assert_eq!(seats, [seat(1), seat(3)]);
    }

    #[test]
    fn confirm_reports_every_conflict_in_seat_order() {
        let loaded = [
            record(4, SeatState::Available),
            record(1, held(ALICE, 5)),
            record(3, held(ALICE, 0)),
            record(2, reserved()),
            record(5, held(BOB, 5)),
        ];
        let ids: Vec<_> = (1..=5).map(SeatId::new).collect();
        let err = confirm(EVENT, &ids, &loaded, ALICE, now(), &Policy::default()).unwrap_err();
        assert_eq!(err.code(), "seat_reserved");
        let kinds: Vec<_> = err
            .conflicts()
            .unwrap()
            .as_slice()
            .iter()
            .map(|c| (c.seat_id.get(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (2, ConflictKind::SeatReserved),
                (3, ConflictKind::LockExpired),
                (4, ConflictKind::NotLockHolder),
                (5, ConflictKind::NotLockHolder),
            ]
        );
    }

    #[test]
    fn confirm_reports_a_seat_of_another_event_as_not_found() {
        let mut other = record(2, held(ALICE, 5));
        other.seat.event = EventId::new(2);
        let loaded = [record(1, held(ALICE, 5)), other];
        let ids = [SeatId::new(1), SeatId::new(2)];
        let err = confirm(EVENT, &ids, &loaded, ALICE, now(), &Policy::default()).unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: Entity::Seat,
                id: 2
            }
        ));
    }

    fn reservation(user: UserId, status: ReservationStatus, seats: &[i64]) -> Reservation {
        let seats: Vec<_> = seats.iter().map(|id| seat(*id)).collect();
        Reservation {
            id: ReservationId::new(7),
            user,
            event: EVENT,
            event_name: "E".into(),
            total_cents: total_cents(&seats),
            seats,
            status,
            created_at: now(),
            cancelled_at: None,
            cancelled_by: None,
            cancel_reason: None,
            idempotency_key: None,
        }
    }

    #[test]
    fn cancel_is_for_the_owner_once() {
        assert!(
            cancel(
                &reservation(ALICE, ReservationStatus::Confirmed, &[1]),
                ALICE
            )
            .is_ok()
        );
        let err = cancel(&reservation(BOB, ReservationStatus::Confirmed, &[1]), ALICE);
        assert_eq!(err.unwrap_err().code(), "not_found");
        let err = cancel(
            &reservation(ALICE, ReservationStatus::Cancelled, &[1]),
            ALICE,
        );
        assert_eq!(err.unwrap_err().code(), "already_cancelled");
    }

    #[test]
    fn a_cancelled_event_refuses_writes() {
        assert!(check_not_cancelled(EVENT, false).is_ok());
        let err = check_not_cancelled(EVENT, true).unwrap_err();
        assert!(matches!(err, Error::EventCancelled { id } if id == EVENT));
    }

    #[test]
    fn replay_returns_the_first_answer_for_the_same_request_only() {
        let p = Policy::default();
        let first = reservation(ALICE, ReservationStatus::Confirmed, &[1, 2]);
        let same = [SeatId::new(2), SeatId::new(1)];
        assert_eq!(replay(None, EVENT, &same, now(), &p).unwrap(), None);
        assert_eq!(
            replay(Some(&first), EVENT, &same, now(), &p).unwrap(),
            Some(first.clone())
        );
        let err = replay(Some(&first), EVENT, &[SeatId::new(1)], now(), &p).unwrap_err();
        assert_eq!(err.code(), "idempotency_key_reused");
        let err = replay(Some(&first), EventId::new(9), &same, now(), &p).unwrap_err();
        assert_eq!(err.code(), "idempotency_key_reused");
        let later = clock::add(now(), Duration::from_secs(24 * 3600));
        assert_eq!(
            replay(Some(&first), EVENT, &[SeatId::new(1)], later, &p).unwrap(),
            None,
            "a key is forgotten after its ttl"
        );
    }

    #[test]
    fn block_refuses_held_and_reserved_seats() {
        let loaded = [
            record(1, SeatState::Available),
            record(2, held(BOB, 5)),
            record(3, reserved()),
            record(4, held(BOB, 0)),
        ];
        let ids: Vec<_> = (1..=4).map(SeatId::new).collect();
        let err = block(EVENT, &ids, &loaded, "house", now()).unwrap_err();
        let kinds: Vec<_> = err
            .conflicts()
            .unwrap()
            .as_slice()
            .iter()
            .map(|c| (c.seat_id.get(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (2, ConflictKind::SeatLocked),
                (3, ConflictKind::SeatReserved)
            ]
        );
        assert!(block(EVENT, &[SeatId::new(1), SeatId::new(4)], &loaded, "", now()).is_ok());
        let err = block(EVENT, &[SeatId::new(9)], &loaded, "", now()).unwrap_err();
        assert_eq!(err.code(), "not_found");
    }

    #[test]
    fn a_blocked_seat_can_be_neither_held_nor_reserved() {
        let mut blocked = record(1, SeatState::Available);
        blocked.blocked = Some("house".into());
        let err = hold(&blocked, ALICE, 0, now(), &Policy::default()).unwrap_err();
        assert_eq!(err.code(), "seat_blocked");
        let err = confirm(
            EVENT,
            &[SeatId::new(1)],
            &[blocked],
            ALICE,
            now(),
            &Policy::default(),
        );
        assert_eq!(err.unwrap_err().code(), "seat_blocked");
    }

    /// A run written seat by seat: `.` free, `x` taken, `r` being reserved.
    fn run(text: &str) -> (Vec<SeatRecord>, Vec<SeatId>) {
        let mut reserving = Vec::new();
        let records = (1..)
            .zip(text.chars())
            .map(|(id, c)| {
                if c == 'r' {
                    reserving.push(SeatId::new(id));
                }
                record(id, if c == 'x' { reserved() } else { held(ALICE, 5) })
            })
            .map(|mut r| {
                if text.as_bytes()[usize::try_from(r.seat.id.get() - 1).unwrap()] == b'.' {
                    r.state = SeatState::Available;
                }
                r
            })
            .collect();
        (records, reserving)
    }

    fn orphan(text: &str) -> Option<i64> {
        let (records, reserving) = run(text);
        match check_orphans(&[records], &reserving, now()) {
            Ok(()) => None,
            Err(Error::OrphanSeat { seat_id, .. }) => Some(seat_id.get()),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_orphan_is_refused_only_when_another_pick_avoids_it() {
        assert_eq!(orphan(".rr..."), Some(1), "1 alone; 1-2 would leave 4-6");
        assert_eq!(orphan("...rr."), Some(6));
        assert_eq!(orphan("rr...."), None, "at the end of the free seats");
        assert_eq!(orphan("..rr.."), None, "two on each side");
        assert_eq!(orphan("rr."), None, "two of three always leave one");
        assert_eq!(
            orphan("x.r.x"),
            Some(2),
            "seat 2 (or 4) would leave the other two together"
        );
        assert_eq!(orphan("x.rx"), None, "one seat left whatever the pick");
        assert_eq!(
            orphan("x.r..x"),
            Some(2),
            "2-3 or 3-4 would leave the others together"
        );
        assert_eq!(orphan("r.r..."), Some(2), "split picks count as one choice");
        assert_eq!(orphan("x.x"), None, "nothing reserved here");
    }

    fn any_state() -> impl Strategy<Value = SeatState> {
        prop_oneof![
            Just(SeatState::Available),
            (1i64..=3, 0i64..=900, -5i64..=300)
                .prop_filter(
                    "a hold ends after it starts, within max_hold",
                    |(_, ago, left)| { -ago < *left && ago + left <= 900 }
                )
                .prop_map(|(u, ago, left)| held_since(UserId::new(u), ago, left)),
            Just(reserved()),
        ]
    }

    proptest! {
        /// Whatever the state, a successful hold leaves the seat held by the
        /// caller for the ttl at most and never past `max_hold` from when it
        /// was first taken, and never takes a live hold of another user or a
        /// reserved seat.
        #[test]
        fn hold_never_steals(state in any_state(), user in 1i64..=3, elsewhere in 0u32..4) {
            let user = UserId::new(user);
            let p = Policy::default().with_max_seats_per_user(2);
            match hold(&record(1, state), user, elsewhere, now(), &p) {
                Ok(h) => {
                    prop_assert!(h.until - now() <= TimeDelta::seconds(300));
                    prop_assert!(h.until > now());
                    prop_assert!(h.until - h.since <= TimeDelta::seconds(900));
                    match state.at(now()) {
                        SeatState::Available => prop_assert!(elsewhere < 2),
                        SeatState::Held { by, .. } => prop_assert_eq!(by, user),
                        SeatState::Reserved { .. } => prop_assert!(false, "took a reserved seat"),
                    }
                }
                Err(e) => prop_assert!(
                    ["seat_locked", "seat_reserved", "hold_limit", "max_hold_reached"]
                        .contains(&e.code())
                ),
            }
        }

        /// Confirm succeeds exactly when every seat is the caller's live hold.
        #[test]
        fn confirm_is_all_or_nothing(states in proptest::collection::vec(any_state(), 1..6)) {
            let loaded: Vec<_> = states.iter().enumerate()
                .map(|(i, s)| record(i64::try_from(i).unwrap() + 1, *s)).collect();
            let ids: Vec<_> = loaded.iter().map(|r| r.seat.id).collect();
            let all_mine = states.iter().all(|s| matches!(s.at(now()), SeatState::Held { by, .. } if by == ALICE));
            let result = confirm(EVENT, &ids, &loaded, ALICE, now(), &Policy::default());
            prop_assert_eq!(result.is_ok(), all_mine);
            if let Err(e) = result {
                let mine = states.iter().filter(|s| matches!(s.at(now()), SeatState::Held { by, .. } if by == ALICE)).count();
                prop_assert_eq!(e.conflicts().unwrap().as_slice().len(), states.len() - mine);
            }
        }
    }
}
