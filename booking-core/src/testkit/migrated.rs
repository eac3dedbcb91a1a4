//! What the backends' migration tests share: an event stored before venues
//! existed must read back as what [`Venue::from_seat_map`](crate::Venue::from_seat_map)
//! makes of its seat map, and the writes after the migration must keep
//! each backend's per-row records true (which the backend then checks in
//! its own tables).
//!
//! A backend's test writes, at the schema version before venues, event 1
//! on [`SEAT_MAP`] with user 1, `ann`, holding its first seat (A1) and a
//! confirmed reservation of its sixth (B1); then migrates, creates the same
//! seat map anew ([`new_event`]) and calls [`check_migrated_event`] and
//! [`reserve_cancel_and_block`].

use crate::ids::{EventId, SeatId, UserId};
use crate::model::{EventSummary, NewEvent, OrphanPolicy, Seat, SeatState};
use crate::seatmap::SeatMap;
use crate::store::Store;

/// Two prices, a gap in row A, and a row past Z.
pub const SEAT_MAP: &str = "A:1-3:10000,A:5-6:10000,B-C:1-6:5000,AA:2-4:7500";

/// A new event on `map`, as the migrated one should have been made.
pub fn new_event(map: &SeatMap) -> NewEvent {
    NewEvent {
        name: "New".into(),
        description: String::new(),
        venue: "Hall".into(),
        starts_at: chrono::Utc::now(),
        seating: map.clone().into(),
        orphans: OrphanPolicy::Allow,
        created_by: None,
    }
}

/// Checks that the migrated event `old` has the seats, states, counts and
/// reservation it should, against `fresh` (the same map created anew);
/// returns `ann`'s id.
///
/// # Panics
///
/// When anything differs.
pub async fn check_migrated_event<S: Store>(
    store: &S,
    old: EventId,
    fresh: &EventSummary,
) -> UserId {
    let seats = async |event| -> Vec<Seat> {
        store
            .seats(event)
            .await
            .unwrap()
            .into_iter()
            .map(|mut r| {
                (r.seat.id, r.seat.event) = (SeatId::new(0), EventId::new(0));
                r.seat
            })
            .collect()
    };
    assert_eq!(seats(old).await, seats(fresh.event.id).await);
    let listed = store.seats(old).await.unwrap();
    assert!(matches!(listed[0].state, SeatState::Held { .. }));
    assert_eq!(listed[5].seat.label(), "B1");
    assert!(matches!(listed[5].state, SeatState::Reserved { .. }));

    let summary = store.event(old).await.unwrap();
    let mut expected = fresh.categories.clone();
    expected[0].seats.held = 1; // $100.00: A1
    expected[0].seats.available -= 1;
    expected[2].seats.reserved = 1; // $50.00: B1
    expected[2].seats.available -= 1;
    assert_eq!(summary.categories, expected);
    assert_eq!(
        (
            summary.available_seats,
            summary.held_seats,
            summary.reserved_seats
        ),
        (fresh.total_seats - 2, 1, 1)
    );
    let ann = store.credentials("ann").await.unwrap().unwrap().user.id;
    assert_eq!(
        store.reservations(ann).await.unwrap()[0].seat_labels(),
        ["B1"]
    );
    ann
}

/// Reserves A2 and B3 for `user`, reserves and cancels A1, blocks B5 and
/// B6 and unblocks B5: every kind of write that changes which seats of a
/// row are closed.
///
/// # Panics
///
/// When a write fails.
pub async fn reserve_cancel_and_block<S: Store>(store: &S, event: EventId, user: UserId) {
    let seats = store.seats(event).await.unwrap();
    let (a1, a2, b3) = (seats[0].seat.id, seats[1].seat.id, seats[7].seat.id);
    store.hold(user, event, a2).await.unwrap();
    store.hold(user, event, b3).await.unwrap();
    let kept = store.reserve(user, event, &[a2, b3], None).await.unwrap();
    assert_eq!(kept.seat_labels(), ["A2", "B3"]);
    store.hold(user, event, a1).await.unwrap();
    let cancelled = store.reserve(user, event, &[a1], None).await.unwrap();
    store.cancel(user, cancelled.id).await.unwrap();
    store
        .block(user, event, &[seats[9].seat.id, seats[10].seat.id], "house")
        .await
        .unwrap();
    store
        .unblock(user, event, &[seats[9].seat.id], "")
        .await
        .unwrap();
}
