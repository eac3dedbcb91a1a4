//! What the backends' audit fault tests share: a churn of audited writes
//! to run in a child process until it is killed ([`churn`]), and the check
//! that afterwards every change has its audit record and every record its
//! change ([`check_audit_log`]).
//!
//! A backend's test makes an event with [`SEAT_MAP`] and [`USERS`] users
//! (the last of them staff), starts a child that calls [`churn`] on a store
//! of the same database, kills it (SIGKILL) once it has reported enough
//! writes, and calls [`check_audit_log`] on a store opened anew.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;

use crate::audit::{AuditAction, AuditFilter, AuditRecord};
use crate::ids::{EventId, ReservationId, SeatId, UserId};
use crate::model::{NewEvent, OrphanPolicy, Reservation, ReservationStatus, Username};
use crate::store::{BookingStore, Store};

/// The event's seats: 4 rows of 25, one row per churning user.
pub const SEAT_MAP: &str = "A-D:1-25:1000";

/// How many users the test makes: the first `USERS - 1` reserve and
/// cancel, the last is staff and blocks and unblocks.
pub const USERS: usize = 5;

/// Makes the [`USERS`] users (the last one staff) and the event of
/// [`SEAT_MAP`] in `store`; returns the users.
///
/// # Panics
///
/// When the store refuses one of them.
pub async fn setup<S: Store>(store: &S) -> Vec<UserId> {
    let mut users = Vec::new();
    for i in 0..USERS {
        let name = Username::new(format!("user{i}")).expect("a name");
        users.push(store.create_user(&name, "hash").await.expect("a user").id);
    }
    store
        .set_staff(users[USERS - 1], true)
        .await
        .expect("made staff");
    store
        .create_event(NewEvent {
            name: "Audit".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: SEAT_MAP.parse().expect("a seat map"),
            orphans: OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .expect("the event");
    users
}

/// Writes for ever, a task per user, each on its own seats, printing a line
/// to standard output after each write the store confirmed (`RESERVED`,
/// `CANCELLED`, `BLOCKED`, `UNBLOCKED`, `EVENT_CANCELLED`). Customers
/// reserve pairs of seats of their row and cancel them in turn (one cancel
/// in three is staff's, with a reason); staff block and unblock pairs of
/// seats of each row's last five, with a reason. One more task makes small
/// events, over and over, where two customers reserve and hold seats, and
/// staff cancel each (see [`cancel_an_event`]).
///
/// # Panics
///
/// On any error: every write it tries is one the rules allow.
pub async fn churn<S: BookingStore>(store: Arc<S>, event: EventId, users: &[UserId]) {
    let seats = super::seat_ids(&*store, event).await;
    let rows: Vec<Vec<SeatId>> = seats.chunks(25).map(<[SeatId]>::to_vec).collect();
    let (&staff, customers) = users.split_last().expect("users");
    let mut tasks = Vec::new();
    for (&user, row) in customers.iter().zip(&rows) {
        let store = Arc::clone(&store);
        let pairs: Vec<Vec<SeatId>> = row[..20].chunks(2).map(<[SeatId]>::to_vec).collect();
        tasks.push(tokio::spawn(async move {
            let mut made: Vec<Option<ReservationId>> = vec![None; pairs.len()];
            for n in 0.. {
                let i = n % pairs.len();
                if let Some(id) = made[i].take() {
                    // One cancel in three is staff's, with a reason.
                    if n % 3 == 0 {
                        store
                            .staff_cancel(staff, id, "double booking")
                            .await
                            .expect("staff cancel");
                    } else {
                        store.cancel(user, id).await.expect("cancel");
                    }
                    report(&format!("CANCELLED {id}"));
                } else {
                    for &seat in &pairs[i] {
                        store.hold(user, event, seat).await.expect("hold");
                    }
                    let r = store
                        .reserve(user, event, &pairs[i], None)
                        .await
                        .expect("reserve");
                    report(&format!("RESERVED {}", r.id));
                    made[i] = Some(r.id);
                }
            }
        }));
    }
    // Pairs of seats, so that a block is of several seats.
    let blockable: Vec<Vec<SeatId>> = rows
        .iter()
        .flat_map(|row| {
            row[20..24]
                .chunks(2)
                .map(<[SeatId]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    let staff_store = Arc::clone(&store);
    tasks.push(tokio::spawn(async move {
        let store = staff_store;
        let mut blocked = vec![false; blockable.len()];
        for n in 0.. {
            let i = n % blockable.len();
            let reason = format!("reason {n}");
            if blocked[i] {
                store
                    .unblock(staff, event, &blockable[i], &reason)
                    .await
                    .expect("unblock");
                report(&format!("UNBLOCKED {n}"));
            } else {
                store
                    .block(staff, event, &blockable[i], &reason)
                    .await
                    .expect("block");
                report(&format!("BLOCKED {n}"));
            }
            blocked[i] = !blocked[i];
        }
    }));
    let customers = customers.to_vec();
    tasks.push(tokio::spawn(async move {
        for n in 0.. {
            let event = cancel_an_event(&*store, staff, &customers, n).await;
            report(&format!("EVENT_CANCELLED {event}"));
        }
    }));
    for task in tasks {
        task.await.expect("a churn task panicked");
    }
}

/// Makes event `Cancelled {n}` of four seats, where `customers[0]`
/// reserves two and `customers[1]` holds one, then cancels it as `staff`
/// with a reason; returns it.
///
/// # Panics
///
/// When the store refuses any of it.
pub async fn cancel_an_event<S: BookingStore>(
    store: &S,
    staff: UserId,
    customers: &[UserId],
    n: usize,
) -> EventId {
    let event = store
        .create_event(NewEvent {
            name: format!("Cancelled {n}"),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: "A:1-4:1000".parse().expect("a seat map"),
            orphans: OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .expect("an event to cancel")
        .event
        .id;
    let seats = super::seat_ids(store, event).await;
    for &seat in &seats[..2] {
        store.hold(customers[0], event, seat).await.expect("hold");
    }
    store
        .reserve(customers[0], event, &seats[..2], None)
        .await
        .expect("reserve");
    store
        .hold(customers[1], event, seats[3])
        .await
        .expect("hold");
    store
        .cancel_event(staff, event, &format!("event {n} called off"))
        .await
        .expect("event cancel");
    event
}

/// [`check_audit_log`] for every event of `store`.
///
/// # Errors
///
/// The first disagreement, for a person to read.
pub async fn check_every_event<S: BookingStore>(store: &S, users: &[UserId]) -> Result<(), String> {
    for summary in store.events().await.map_err(|e| e.to_string())? {
        check_audit_log(store, summary.event.id, users).await?;
    }
    Ok(())
}

/// Prints `line` and flushes it, so the parent sees it at once.
fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("stdout");
    out.flush().expect("stdout");
}

/// Checks, through the store's own reads, that `event`'s audit log and its
/// state agree:
///
/// - each reservation of `users` has exactly one `reserve` record (its
///   user, event, seats and creation instant), and one `cancel` or
///   `staff_cancel` record (with its cancellation instant and who
///   cancelled it) exactly when it is cancelled;
/// - every such record is of such a reservation;
/// - replaying the `block` and `unblock` records in order gives exactly the
///   seats that are blocked now, each with the reason of its last block;
/// - the event has one `cancel_event` record (its instant, actor and
///   reason) exactly when it is cancelled, and then no seat held or
///   reserved.
///
/// # Errors
///
/// What disagrees, for a person to read.
pub async fn check_audit_log<S: BookingStore>(
    store: &S,
    event: EventId,
    users: &[UserId],
) -> Result<(), String> {
    let log = read_whole_log(store, event).await?;
    let mut reservations: HashMap<ReservationId, Reservation> = HashMap::new();
    for &user in users {
        for r in store.reservations(user).await.map_err(|e| e.to_string())? {
            if r.event == event {
                reservations.insert(r.id, r);
            }
        }
    }
    let mut per_reservation: HashMap<(ReservationId, AuditAction), Vec<&AuditRecord>> =
        HashMap::new();
    let mut blocked: BTreeMap<String, String> = BTreeMap::new();
    let mut cancels = Vec::new();
    for record in &log {
        match record.action {
            AuditAction::Reserve | AuditAction::Cancel | AuditAction::StaffCancel => {
                let id = record
                    .reservation
                    .ok_or_else(|| format!("record {} has no reservation", record.id))?;
                // A reservation is cancelled once, by its owner or by staff.
                let kind = match record.action {
                    AuditAction::StaffCancel => AuditAction::Cancel,
                    other => other,
                };
                per_reservation.entry((id, kind)).or_default().push(record);
            }
            AuditAction::Block => {
                for label in &record.seats {
                    blocked.insert(label.clone(), record.reason.clone());
                }
            }
            AuditAction::Unblock => {
                for label in &record.seats {
                    blocked.remove(label);
                }
            }
            AuditAction::CancelEvent => cancels.push(record),
            AuditAction::EditEvent | AuditAction::CreateEvent | AuditAction::SetStaff => {}
        }
    }
    check_cancel_record(store, event, &cancels).await?;
    for r in reservations.values() {
        let reserves = per_reservation.remove(&(r.id, AuditAction::Reserve));
        let [reserve] = reserves.as_deref().unwrap_or_default() else {
            return Err(format!(
                "reservation {} has {:?} reserve records",
                r.id, reserves
            ));
        };
        if (reserve.actor, reserve.event, &reserve.seats, reserve.at)
            != (Some(r.user), Some(r.event), &r.seat_labels(), r.created_at)
        {
            return Err(format!("reservation {r:?} and its record {reserve:?}"));
        }
        let cancels = per_reservation
            .remove(&(r.id, AuditAction::Cancel))
            .unwrap_or_default();
        match (r.status, cancels.as_slice()) {
            (ReservationStatus::Confirmed, []) => {}
            (ReservationStatus::Cancelled, [cancel])
                if Some(cancel.at) == r.cancelled_at
                    && cancel.actor == r.cancelled_by
                    && (cancel.action == AuditAction::StaffCancel) == r.cancel_reason.is_some() => {
            }
            _ => {
                return Err(format!(
                    "reservation {} ({:?}) has cancel records {cancels:?}",
                    r.id, r.status
                ));
            }
        }
    }
    if let Some(((id, action), records)) = per_reservation.into_iter().next() {
        return Err(format!(
            "{action} records {records:?} of reservation {id}, which is not there"
        ));
    }
    let now_blocked: BTreeMap<String, String> = store
        .seats(event)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|r| Some((r.seat.label(), r.blocked?)))
        .collect();
    if now_blocked != blocked {
        return Err(format!(
            "blocked now: {now_blocked:?}; by the audit log: {blocked:?}"
        ));
    }
    Ok(())
}

/// Checks that `event` has one `cancel` record of `cancels` (its instant,
/// actor and reason) exactly when it is cancelled, and then no seat held
/// or reserved.
async fn check_cancel_record<S: BookingStore>(
    store: &S,
    event: EventId,
    cancels: &[&AuditRecord],
) -> Result<(), String> {
    let summary = store.event(event).await.map_err(|e| e.to_string())?;
    match (&summary.event.cancelled, cancels) {
        (None, []) => Ok(()),
        (Some(cancelled), [record])
            if (record.at, record.actor, &record.reason)
                == (cancelled.at, Some(cancelled.by), &cancelled.reason) =>
        {
            if summary.reserved_seats + summary.held_seats > 0 {
                return Err(format!(
                    "cancelled event {event} has seats taken: {summary:?}"
                ));
            }
            Ok(())
        }
        (cancelled, records) => Err(format!(
            "event {event} cancelled {cancelled:?} has cancel records {records:?}"
        )),
    }
}

/// Every record of `event`, oldest first, read a page at a time.
async fn read_whole_log<S: BookingStore>(
    store: &S,
    event: EventId,
) -> Result<Vec<AuditRecord>, String> {
    let mut log = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .audit_log(&AuditFilter {
                event: Some(event),
                before,
                limit: AuditFilter::MAX_LIMIT,
                ..AuditFilter::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        log.extend(page);
    }
    log.reverse();
    Ok(log)
}

/// For a backend's test that an event cancel failing midway changes
/// nothing: in the event of [`setup`] (made before), `users[0]` reserves
/// two seats and `users[1]` one, and `users[2]` holds one. Returns the
/// event and the second reservation, whose cancel the test then makes fail
/// (a trigger, say) before it calls [`a_failed_event_cancel_changes_nothing`].
///
/// # Panics
///
/// When the store refuses any of it.
pub async fn reservations_to_cancel<S: Store>(
    store: &S,
    users: &[UserId],
) -> (EventId, ReservationId) {
    let event = store.events().await.expect("events")[0].event.id;
    let seats = super::seat_ids(store, event).await;
    let mut made = Vec::new();
    for (user, seats) in [(users[0], &seats[..2]), (users[1], &seats[2..3])] {
        for &seat in seats {
            store.hold(user, event, seat).await.expect("hold");
        }
        made.push(
            store
                .reserve(user, event, seats, None)
                .await
                .expect("reserve"),
        );
    }
    store.hold(users[2], event, seats[3]).await.expect("hold");
    (event, made[1].id)
}

/// Cancels `event` as the staff user of `users` (the last), which must
/// fail because the cancel of one of its reservations does; then checks
/// that nothing changed: the event is not cancelled, its seats and the
/// reservations are as before, and the audit log has no record more.
///
/// # Panics
///
/// When the cancel succeeds, or anything changed.
pub async fn a_failed_event_cancel_changes_nothing<S: Store>(
    store: &S,
    event: EventId,
    users: &[UserId],
) {
    let seats = store.seats(event).await.expect("seats");
    let mut reservations = Vec::new();
    for &user in users {
        reservations.push(store.reservations(user).await.expect("reservations"));
    }
    let log = read_whole_log(store, event).await.expect("the log");
    let staff = *users.last().expect("users");
    let failed = store.cancel_event(staff, event, "called off").await;
    assert!(failed.is_err(), "the cancel went through: {failed:?}");
    let summary = store.event(event).await.expect("the event");
    assert_eq!(summary.event.cancelled, None, "{failed:?}");
    assert_eq!(store.seats(event).await.expect("seats"), seats);
    for (&user, before) in users.iter().zip(&reservations) {
        let now = store.reservations(user).await.expect("reservations");
        assert_eq!(&now, before, "user {user}'s reservations");
    }
    assert_eq!(read_whole_log(store, event).await.expect("the log"), log);
}
