//! `booking-sqlite`: placeholder until its issue lands.
