//! Embeds `booking-core` with its in-memory store: creates an event, holds
//! two seats, reserves them and prints the reservation.
//!
//! ```text
//! cargo run -p examples --example embed_memory
//! ```

use booking_core::{
    AccountStore, BookingStore, MemoryStore, NewEvent, OrphanPolicy, SeatMap, Username,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), booking_core::Error> {
    // The system clock and the default policy: holds last 5 minutes, at most
    // 10 seats per user and event.
    let store = MemoryStore::default();

    // The store keeps password hashes, never passwords; hashing is the
    // embedding application's job (booking-http uses argon2id).
    let alice = store
        .create_user(&Username::new("alice")?, "$argon2id$...")
        .await?;

    // Six rows (A-F) of ten seats at $100.00: one call, whatever the size.
    let event = store
        .create_event(NewEvent {
            name: "The Matrix".into(),
            description: String::new(),
            venue: "Cinema 1".into(),
            starts_at: chrono::Utc::now() + chrono::TimeDelta::days(7),
            seating: "A-F:1-10:10000".parse::<SeatMap>()?.into(),
            orphans: OrphanPolicy::Allow,
            created_by: None,
        })
        .await?;
    let event_id = event.event.id;
    println!(
        "{}: {} of {} seats available",
        event.event.name, event.available_seats, event.total_seats
    );

    // Hold A1 and A3.
    let seats = store.seats(event_id).await?;
    let wanted: Vec<_> = seats
        .iter()
        .filter(|r| ["A1", "A3"].contains(&r.seat.label().as_str()))
        .map(|r| r.seat.id)
        .collect();
    for &seat in &wanted {
        let hold = store.hold(alice.id, event_id, seat).await?;
        println!("held {} until {}", hold.seat.label(), hold.until);
    }

    // Reserve both, all or nothing.
    let reservation = store.reserve(alice.id, event_id, &wanted, None).await?;
    println!(
        "reservation {}: {} seats {:?}, {} cents, {}",
        reservation.id,
        reservation.event_name,
        reservation.seat_labels(),
        reservation.total_cents,
        reservation.status.as_str()
    );

    let after = store.event(event_id).await?;
    println!(
        "{} of {} seats available",
        after.available_seats, after.total_seats
    );
    Ok(())
}
