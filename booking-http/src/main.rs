//! `booking-server`: serves the booking API (placeholder until the backends land).

fn main() {}
