//! `booking-postgres`: placeholder until its issue lands.
