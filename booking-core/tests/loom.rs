//! Model-checks `MemoryStore` with loom: two users race to hold and reserve
//! one seat, under every interleaving of their lock acquisitions.
//!
//! Runs only when built with `--cfg loom`:
//! `RUSTFLAGS="--cfg loom" cargo test -p booking-core --test loom --release`.
#![cfg(loom)]

use booking_core::testkit::check_invariants;
use booking_core::{
    AccountStore, BookingStore, Clock, Error, ManualClock, MemoryStore, NewEvent, Policy, SeatMap,
    SeatState, Username,
};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a `MemoryStore` future. Its futures never wait (all their work is
/// done under a lock on the first poll), so one poll must finish them.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a MemoryStore future waited"),
    }
}

#[test]
fn two_users_race_to_hold_and_reserve_one_seat() {
    loom::model(|| {
        let clock = ManualClock::default();
        let store = MemoryStore::new(clock.clone(), Policy::default());
        let (event, seat, users) = block_on(async {
            let mut users = Vec::new();
            for name in ["alice", "bob"] {
                let name = Username::new(name).unwrap();
                users.push(store.create_user(&name, "hash").await.unwrap().id);
            }
            let event = store
                .create_event(NewEvent {
                    name: "Loom".into(),
                    description: String::new(),
                    venue: "Hall".into(),
                    starts_at: clock.now(),
                    seating: SeatMap::grid(1, 1, 100).unwrap().into(),
                    orphans: booking_core::OrphanPolicy::Allow,
                    created_by: None,
                })
                .await
                .unwrap()
                .event
                .id;
            let seat = store.seats(event).await.unwrap()[0].seat.id;
            (event, seat, users)
        });

        let threads: Vec<_> = users
            .iter()
            .map(|&user| {
                let store = store.clone();
                loom::thread::spawn(move || {
                    block_on(async {
                        match store.hold(user, event, seat).await {
                            Ok(_) => Some(store.reserve(user, event, &[seat], None).await),
                            // Lost the race: the other user holds it, or already reserved it.
                            Err(Error::SeatLocked(_) | Error::SeatReserved(_)) => None,
                            Err(other) => panic!("unexpected {other:?}"),
                        }
                    })
                })
            })
            .collect();
        let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();

        let reservations: Vec<_> = outcomes.into_iter().flatten().collect();
        assert_eq!(reservations.len(), 1, "exactly one user got the hold");
        let reservation = reservations
            .into_iter()
            .next()
            .unwrap()
            .expect("the holder reserves");
        block_on(async {
            let state = store.seats(event).await.unwrap()[0].state;
            assert_eq!(
                state,
                SeatState::Reserved {
                    reservation: reservation.id
                }
            );
            check_invariants(&store, event, &users).await.unwrap();
        });
    });
}
