//! Typed identifiers, so an event id can never be passed where a seat id is meant.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// A plain 64-bit integer underneath (every backend stores it as `BIGINT`),
        /// serialized as a bare JSON number.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id, as read from storage or a request path.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw id, for storage and serialization.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                Self(raw)
            }
        }
    };
}

id_type!(
    /// Identifies an [`Event`](crate::Event).
    EventId
);
id_type!(
    /// Identifies a [`Seat`](crate::Seat); unique across all events.
    SeatId
);
id_type!(
    /// Identifies a [`User`](crate::User).
    UserId
);
id_type!(
    /// Identifies a [`Reservation`](crate::Reservation).
    ReservationId
);
