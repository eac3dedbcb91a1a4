//! The one error type of the engine. Each variant is one stable `code` of the
//! HTTP API; backends convert their driver errors into [`Error::Storage`]
//! (or, for a constraint that encodes a rule, into that rule's variant).
//!
//! Messages follow Rust's convention (lower case, no full stop), so they read
//! well inside another message (`cannot create the event: ...`); the HTTP
//! adapter turns each into a sentence for people. They use the words the web
//! app uses: a seat is *held* (the API's "lock") or *reserved*.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, ReservationId, SeatId};

/// A boxed error from a storage driver.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong. Match on the variant, or use [`Error::code`] for the
/// stable string the HTTP API sends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `seat_locked`: the seat is held by another user.
    #[error("{0}")]
    SeatLocked(Conflicts),
    /// `seat_reserved`: the seat is in a confirmed reservation.
    #[error("{0}")]
    SeatReserved(Conflicts),
    /// `not_lock_holder`: the caller does not hold the seat.
    #[error("{0}")]
    NotLockHolder(Conflicts),
    /// `lock_expired`: the caller held the seat, but the hold has ended.
    #[error("{0}")]
    LockExpired(Conflicts),
    /// `seat_blocked`: the seat is blocked from sale.
    #[error("{0}")]
    SeatBlocked(Conflicts),
    /// `no_adjacent_seats`: best available found no `count` seats together
    /// (nor, when allowed, in two neighbouring rows) that match the
    /// request; nothing was held.
    #[error("there are no {count} adjacent seats available that match the request")]
    NoAdjacentSeats {
        /// How many seats were asked for.
        count: u32,
    },
    /// `orphan_seat`: the event refuses reserves that strand a single seat
    /// ([`OrphanPolicy::Refuse`](crate::OrphanPolicy::Refuse)), and this
    /// one would leave `seat_number` alone between taken seats when another
    /// pick of as many seats would not.
    #[error(
        "this choice would leave seat {seat_number} alone between taken seats: pick seats next to it, or at the end of the free ones"
    )]
    OrphanSeat {
        /// The seat that would be stranded.
        seat_id: SeatId,
        /// Its label.
        seat_number: String,
    },
    /// `unknown_category`: a request names a price category the event
    /// does not have.
    #[error("this event has no category {name:?}")]
    UnknownCategory {
        /// The name asked for.
        name: String,
    },
    /// `unknown_section`: a request names a section the event does not
    /// have.
    #[error("this event has no section {name:?}")]
    UnknownSection {
        /// The name asked for.
        name: String,
    },
    /// `hold_limit`: the caller already holds as many seats of the event as allowed.
    #[error("you may hold at most {limit} seats of this event at once")]
    HoldLimit {
        /// The policy's limit.
        limit: u32,
    },
    /// `max_hold_reached`: the caller's hold on the seat already lasts as
    /// long as [`Policy::max_hold`](crate::Policy::max_hold) allows from
    /// when it was first taken, so it cannot be extended again. The caller
    /// may take the seat again once they have released it or it has ended.
    #[error(
        "you have held seat {seat_number} as long as a hold may last ({}): release it, or let it expire, before taking it again",
        crate::clock::describe(*max_hold)
    )]
    MaxHoldReached {
        /// The seat.
        seat_id: SeatId,
        /// Its label, e.g. `A1`.
        seat_number: String,
        /// The policy's longest hold.
        max_hold: std::time::Duration,
    },
    /// `not_found`: no such event, seat (in that event), reservation (of that
    /// user) or user.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for.
        entity: Entity,
        /// The id that was asked for.
        id: i64,
    },
    /// `already_cancelled`: the reservation was cancelled before.
    #[error("reservation {id} is already cancelled")]
    AlreadyCancelled {
        /// The reservation.
        id: ReservationId,
    },
    /// `event_cancelled`: staff cancelled the event: nothing of it can be
    /// held, reserved, blocked, unblocked or edited any more, and it
    /// cannot be cancelled again (its reads still answer).
    #[error("event {id} is cancelled")]
    EventCancelled {
        /// The event.
        id: EventId,
    },
    /// `invalid_input`: the request itself is malformed (empty or duplicate
    /// seat ids, too many seats, a bad name, ...).
    #[error("{message}")]
    InvalidInput {
        /// What is wrong, for a person to read.
        message: String,
    },
    /// `username_taken`: another account has that name.
    #[error("the user name {username:?} is taken")]
    UsernameTaken {
        /// The name.
        username: String,
    },
    /// `idempotency_key_reused`: the key was used for a different request.
    #[error("this idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// `storage_unavailable`: the backend failed; nothing was changed.
    #[error("storage failure in {backend}: {source}")]
    Storage {
        /// Which backend (`"memory"`, `"sqlite"`, `"postgres"`).
        backend: &'static str,
        /// The driver's error.
        source: BoxError,
    },
}

impl Error {
    /// The stable machine-readable code of the HTTP API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SeatLocked(_) => ConflictKind::SeatLocked.code(),
            Self::SeatReserved(_) => ConflictKind::SeatReserved.code(),
            Self::NotLockHolder(_) => ConflictKind::NotLockHolder.code(),
            Self::LockExpired(_) => ConflictKind::LockExpired.code(),
            Self::SeatBlocked(_) => ConflictKind::SeatBlocked.code(),
            Self::NoAdjacentSeats { .. } => "no_adjacent_seats",
            Self::OrphanSeat { .. } => "orphan_seat",
            Self::UnknownCategory { .. } => "unknown_category",
            Self::UnknownSection { .. } => "unknown_section",
            Self::HoldLimit { .. } => "hold_limit",
            Self::MaxHoldReached { .. } => "max_hold_reached",
            Self::NotFound { .. } => "not_found",
            Self::AlreadyCancelled { .. } => "already_cancelled",
            Self::EventCancelled { .. } => "event_cancelled",
            Self::InvalidInput { .. } => "invalid_input",
            Self::UsernameTaken { .. } => "username_taken",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Storage { .. } => "storage_unavailable",
        }
    }

    /// The seats in conflict, for the five seat-conflict variants.
    pub fn conflicts(&self) -> Option<&Conflicts> {
        match self {
            Self::SeatLocked(c)
            | Self::SeatReserved(c)
            | Self::NotLockHolder(c)
            | Self::LockExpired(c)
            | Self::SeatBlocked(c) => Some(c),
            _ => None,
        }
    }

    /// An [`Error::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
        }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(entity: Entity, id: impl Into<i64>) -> Self {
        Self::NotFound {
            entity,
            id: id.into(),
        }
    }

    /// An [`Error::Storage`] of `backend`.
    pub fn storage(backend: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Storage {
            backend,
            source: source.into(),
        }
    }
}

/// The kinds of thing [`Error::NotFound`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Entity {
    /// An event.
    Event,
    /// A seat (of the event named in the request).
    Seat,
    /// A reservation (of the caller).
    Reservation,
    /// A user.
    User,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Event => "event",
            Self::Seat => "seat",
            Self::Reservation => "reservation",
            Self::User => "user",
        })
    }
}

/// Why one seat stands in the way of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Held by another user.
    SeatLocked,
    /// Reserved.
    SeatReserved,
    /// Not held by the caller.
    NotLockHolder,
    /// Was held by the caller, but the hold has ended.
    LockExpired,
    /// Blocked from sale.
    SeatBlocked,
}

impl ConflictKind {
    /// Its API code.
    pub fn code(self) -> &'static str {
        match self {
            Self::SeatLocked => "seat_locked",
            Self::SeatReserved => "seat_reserved",
            Self::NotLockHolder => "not_lock_holder",
            Self::LockExpired => "lock_expired",
            Self::SeatBlocked => "seat_blocked",
        }
    }
}

/// One seat in conflict.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeatConflict {
    /// The seat.
    pub seat_id: SeatId,
    /// Its label, e.g. `A1`.
    pub seat_number: String,
    /// Why.
    pub kind: ConflictKind,
}

impl SeatConflict {
    /// What stopped the operation at this seat, for a person to read.
    pub fn message(&self) -> String {
        let seat = &self.seat_number;
        match self.kind {
            ConflictKind::SeatLocked => format!("seat {seat} is held by someone else"),
            ConflictKind::SeatReserved => format!("seat {seat} is already reserved"),
            ConflictKind::NotLockHolder => format!("you do not hold seat {seat}"),
            ConflictKind::LockExpired => format!("your hold on seat {seat} has ended"),
            ConflictKind::SeatBlocked => format!("seat {seat} is not for sale"),
        }
    }
}

/// The seats that stopped an operation: never empty, in seat order. The first
/// one decides the [`Error`] variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflicts(Vec<SeatConflict>);

impl Conflicts {
    /// The error for these conflicts, or `None` if there are none.
    pub fn into_error(conflicts: Vec<SeatConflict>) -> Option<Error> {
        let kind = conflicts.first()?.kind;
        let conflicts = Self(conflicts);
        Some(match kind {
            ConflictKind::SeatLocked => Error::SeatLocked(conflicts),
            ConflictKind::SeatReserved => Error::SeatReserved(conflicts),
            ConflictKind::NotLockHolder => Error::NotLockHolder(conflicts),
            ConflictKind::LockExpired => Error::LockExpired(conflicts),
            ConflictKind::SeatBlocked => Error::SeatBlocked(conflicts),
        })
    }

    /// The error for one seat.
    ///
    /// # Panics
    ///
    /// Never: one conflict always makes an error.
    pub fn single(seat_id: SeatId, seat_number: String, kind: ConflictKind) -> Error {
        Self::into_error(vec![SeatConflict {
            seat_id,
            seat_number,
            kind,
        }])
        .expect("one conflict")
    }

    /// The first conflict.
    pub fn first(&self) -> &SeatConflict {
        &self.0[0]
    }

    /// All of them.
    pub fn as_slice(&self) -> &[SeatConflict] {
        &self.0
    }
}

impl fmt::Display for Conflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.first().message())?;
        match self.0.len() {
            1 => Ok(()),
            2 => f.write_str(" (and 1 more seat)"),
            n => write!(f, " (and {} more seats)", n - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_apis() {
        let seat = || Conflicts::single(SeatId::new(1), "A1".into(), ConflictKind::SeatLocked);
        assert_eq!(seat().code(), "seat_locked");
        assert_eq!(seat().to_string(), "seat A1 is held by someone else");
        assert_eq!(Error::HoldLimit { limit: 10 }.code(), "hold_limit");
        let roof = Error::UnknownSection {
            name: "Roof".into(),
        };
        assert_eq!(roof.code(), "unknown_section");
        assert_eq!(roof.to_string(), r#"this event has no section "Roof""#);
        let gold = Error::UnknownCategory {
            name: "Gold".into(),
        };
        assert_eq!(gold.code(), "unknown_category");
        let max = Error::MaxHoldReached {
            seat_id: SeatId::new(1),
            seat_number: "A1".into(),
            max_hold: std::time::Duration::from_secs(900),
        };
        assert_eq!(max.code(), "max_hold_reached");
        assert_eq!(
            max.to_string(),
            "you have held seat A1 as long as a hold may last (15 minutes): release it, or let it expire, before taking it again"
        );
        let cancelled = Error::EventCancelled {
            id: EventId::new(7),
        };
        assert_eq!(cancelled.code(), "event_cancelled");
        assert_eq!(cancelled.to_string(), "event 7 is cancelled");
        assert_eq!(
            Error::not_found(Entity::Event, 7).to_string(),
            "event 7 not found"
        );
        assert_eq!(
            Error::storage("memory", "boom").code(),
            "storage_unavailable"
        );
    }

    #[test]
    fn several_conflicts_are_counted_and_the_first_decides() {
        let conflict = |id, kind| SeatConflict {
            seat_id: SeatId::new(id),
            seat_number: format!("A{id}"),
            kind,
        };
        let err = Conflicts::into_error(vec![
            conflict(1, ConflictKind::LockExpired),
            conflict(2, ConflictKind::SeatReserved),
            conflict(3, ConflictKind::NotLockHolder),
        ])
        .unwrap();
        assert_eq!(err.code(), "lock_expired");
        assert_eq!(
            err.to_string(),
            "your hold on seat A1 has ended (and 2 more seats)"
        );
        assert_eq!(err.conflicts().unwrap().as_slice().len(), 3);
        assert!(Conflicts::into_error(vec![]).is_none());
    }
}
