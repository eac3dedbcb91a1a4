//! The audit log: who did what, when, to which event, reservation and
//! seats, and why.
//!
//! Every customer's reserve and cancel and every staff action leaves one
//! [`AuditRecord`], written by [`tx`](crate::tx) in the same transaction as
//! the change it records ([`Tx::audit`](crate::tx::Tx::audit)): both are
//! there, or neither. A write refused (a seat taken, a reservation already
//! cancelled) leaves none, and a reserve replayed from its idempotency key
//! is no new reserve: it leaves none either. No store method changes or
//! deletes a record, and the database backends refuse `UPDATE` and
//! `DELETE` on the table.
//!
//! A record's actor is `None` when no user did it: an event created or a
//! role changed from the server's own command line, or by a program that
//! embeds the engine. Its event is `None` for what concerns no event (a
//! role change, which names the user changed instead).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::{EventId, ReservationId, UserId};

/// What an [`AuditRecord`] says was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    /// A customer reserved seats they held.
    Reserve,
    /// A customer cancelled their own reservation.
    Cancel,
    /// Staff cancelled a customer's reservation, with a reason.
    StaffCancel,
    /// Staff blocked seats from sale.
    Block,
    /// Staff put blocked seats back on sale.
    Unblock,
    /// Staff edited an event's details (the reason lists the fields).
    EditEvent,
    /// Staff cancelled an event, with a reason (each reservation it
    /// cancelled has a `StaffCancel` record of its own).
    CancelEvent,
    /// An event was created (by staff, or with no actor: the command line).
    CreateEvent,
    /// A user's role changed: the record names the user, and its reason
    /// says to what (`"staff"` or `"customer"`).
    SetStaff,
}

impl AuditAction {
    /// Every action, in the order of the enum.
    pub const ALL: [Self; 9] = [
        Self::Reserve,
        Self::Cancel,
        Self::StaffCancel,
        Self::Block,
        Self::Unblock,
        Self::EditEvent,
        Self::CancelEvent,
        Self::CreateEvent,
        Self::SetStaff,
    ];

    /// `"reserve"`, `"cancel"`, `"staff_cancel"`, `"block"`, `"unblock"`,
    /// `"edit_event"`, `"cancel_event"`, `"create_event"` or `"set_staff"`:
    /// as the API and the backends spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserve => "reserve",
            Self::Cancel => "cancel",
            Self::StaffCancel => "staff_cancel",
            Self::Block => "block",
            Self::Unblock => "unblock",
            Self::EditEvent => "edit_event",
            Self::CancelEvent => "cancel_event",
            Self::CreateEvent => "create_event",
            Self::SetStaff => "set_staff",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or_else(|| Error::invalid_input(format!("unknown audit action {s:?}")))
    }
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Its id: later records have greater ids.
    pub id: i64,
    /// When it was done: the instant of the transaction that did it.
    pub at: Timestamp,
    /// Who did it; `None` when no user did (the server's command line, an
    /// embedding program).
    pub actor: Option<UserId>,
    /// What was done.
    pub action: AuditAction,
    /// The event it was done to; `None` for a role change.
    pub event: Option<EventId>,
    /// The reservation it made or cancelled, if any.
    pub reservation: Option<ReservationId>,
    /// The user whose role it changed (a
    /// [`SetStaff`](AuditAction::SetStaff) record), if any.
    pub user: Option<UserId>,
    /// The labels of the seats it changed, by row then number (a
    /// reservation's) or as the seats were given (a block's, by id).
    pub seats: Vec<String>,
    /// Why, as staff gave it (empty when nobody said).
    pub reason: String,
}

/// What a new audit record says, for [`Tx::audit`](crate::tx::Tx::audit)
/// to write with the change it records.
#[derive(Clone, Copy, Debug)]
pub struct NewAuditRecord<'a> {
    /// Who did it, if a user did.
    pub actor: Option<UserId>,
    /// What was done.
    pub action: AuditAction,
    /// The event, if it concerns one.
    pub event: Option<EventId>,
    /// The reservation made or cancelled, if any.
    pub reservation: Option<ReservationId>,
    /// The user whose role changed, if any.
    pub user: Option<UserId>,
    /// The labels of the seats changed.
    pub seats: &'a [String],
    /// Why (empty when nobody said).
    pub reason: &'a str,
    /// The transaction's instant.
    pub at: Timestamp,
}

impl NewAuditRecord<'_> {
    /// The record as stored, with its id.
    pub fn with_id(&self, id: i64) -> AuditRecord {
        AuditRecord {
            id,
            at: self.at,
            actor: self.actor,
            action: self.action,
            event: self.event,
            reservation: self.reservation,
            user: self.user,
            seats: self.seats.to_vec(),
            reason: self.reason.to_owned(),
        }
    }
}

/// Which audit records to read, newest first: every condition given must
/// hold. A page is at most `limit` records; the next page is read with
/// `before` set to the last id of this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this event's.
    pub event: Option<EventId>,
    /// Only this user's doing (never a record with no actor).
    pub actor: Option<UserId>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only records at this instant or later.
    pub since: Option<Timestamp>,
    /// Only records before this instant.
    pub until: Option<Timestamp>,
    /// Only records with a smaller id (the next page).
    pub before: Option<i64>,
    /// At most this many records: 1 to [`AuditFilter::MAX_LIMIT`].
    pub limit: u32,
}

impl Default for AuditFilter {
    /// Every record, [`AuditFilter::DEFAULT_LIMIT`] at a time.
    fn default() -> Self {
        Self {
            event: None,
            actor: None,
            action: None,
            since: None,
            until: None,
            before: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

impl AuditFilter {
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 100;
    /// The largest page.
    pub const MAX_LIMIT: u32 = 1000;

    /// Checks the page size (→ `InvalidInput`).
    pub fn validate(&self) -> Result<()> {
        if !(1..=Self::MAX_LIMIT).contains(&self.limit) {
            return Err(Error::invalid_input(format!(
                "a page of the audit log has 1 to {} records",
                Self::MAX_LIMIT
            )));
        }
        Ok(())
    }

    /// Whether `record` meets every condition (the page size aside).
    pub fn matches(&self, record: &AuditRecord) -> bool {
        self.event.is_none_or(|e| record.event == Some(e))
            && self.actor.is_none_or(|a| record.actor == Some(a))
            && self.action.is_none_or(|a| a == record.action)
            && self.since.is_none_or(|t| record.at >= t)
            && self.until.is_none_or(|t| record.at < t)
            && self.before.is_none_or(|id| record.id < id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_as_they_are_spelled() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), action);
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{action}\""));
        }
        assert!("Reserve".parse::<AuditAction>().is_err());
    }

    #[test]
    fn a_page_has_one_to_a_thousand_records() {
        for ok in [1, 100, 1000] {
            let filter = AuditFilter {
                limit: ok,
                ..AuditFilter::default()
            };
            assert!(filter.validate().is_ok(), "{ok}");
        }
        for bad in [0, 1001] {
            let filter = AuditFilter {
                limit: bad,
                ..AuditFilter::default()
            };
            assert_eq!(filter.validate().unwrap_err().code(), "invalid_input");
        }
    }
}
