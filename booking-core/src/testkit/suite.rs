//! The conformance tests, one `pub async fn` per contract item of the store
//! traits. [`conformance_tests!`](crate::conformance_tests) calls each of them.
//!
//! Every test starts from [`Fixture::new`]: a fresh store on a manual clock,
//! users alice, bob and carol (customers) and `staff`, and a ten-seat event `A1`..`A5` ($100.00),
//! `B1`..`B5` ($50.00).
#![allow(missing_docs, clippy::missing_panics_doc)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::{StoreFactory, TestContext, check_invariants};
use crate::{
    AccountStore, AuditAction, AuditFilter, AuditRecord, BookingStore, Clock, ConflictKind, Entity,
    Error, EventId, EventSummary, IdempotencyKey, ManualClock, NewEvent, Policy, Reservation,
    ReservationId, ReservationStatus, SeatId, SeatState, SessionId, UserId, Username,
};

/// A fresh store with three users and one ten-seat event.
pub struct Fixture<'f, F: StoreFactory> {
    factory: &'f F,
    pub store: Arc<F::Store>,
    pub clock: ManualClock,
    pub event: EventId,
    pub alice: UserId,
    pub bob: UserId,
    pub carol: UserId,
    /// A staff user, who blocks and unblocks seats.
    pub staff: UserId,
    labels: Vec<(String, SeatId)>,
    /// Users made by [`Fixture::create_users`], checked by [`Fixture::finish`] too.
    more_users: std::sync::Mutex<Vec<UserId>>,
}

impl<'f, F: StoreFactory> Fixture<'f, F> {
    /// A fixture with the default policy.
    pub async fn new(factory: &'f F) -> Self {
        Self::with_policy(factory, Policy::default()).await
    }

    /// A fixture enforcing `policy`.
    pub async fn with_policy(factory: &'f F, policy: Policy) -> Self {
        let clock = ManualClock::default();
        let store = factory
            .create(TestContext {
                clock: clock.clone(),
                policy,
            })
            .await;
        let mut users = Vec::new();
        for name in ["alice", "bob", "carol", "staff"] {
            let user = store
                .create_user(&Username::new(name).unwrap(), "hash")
                .await
                .expect("create user");
            users.push(user.id);
        }
        store.set_staff(users[3], true).await.expect("make staff");
        let event = store
            .create_event(new_event("Fixture", &clock, "A:1-5:10000,B:1-5:5000"))
            .await
            .expect("create event")
            .event
            .id;
        let labels = store
            .seats(event)
            .await
            .expect("seats")
            .into_iter()
            .map(|r| (r.seat.label(), r.seat.id))
            .collect();
        Self {
            factory,
            store: Arc::new(store),
            clock,
            event,
            alice: users[0],
            bob: users[1],
            carol: users[2],
            staff: users[3],
            labels,
            more_users: std::sync::Mutex::default(),
        }
    }

    /// The id of the fixture event's seat labelled `label`.
    pub fn seat(&self, label: &str) -> SeatId {
        self.labels
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no seat {label}"))
            .1
    }

    /// The ids of the seats labelled `labels`.
    pub fn seats(&self, labels: &[&str]) -> Vec<SeatId> {
        labels.iter().map(|l| self.seat(l)).collect()
    }

    /// The state of seat `label` as the store lists it now.
    pub async fn state(&self, label: &str) -> SeatState {
        let id = self.seat(label);
        self.store
            .seats(self.event)
            .await
            .expect("seats")
            .into_iter()
            .find(|r| r.seat.id == id)
            .expect("listed")
            .state
    }

    /// How many of the event's seats are available now.
    pub async fn available(&self) -> u32 {
        self.store
            .event(self.event)
            .await
            .expect("event")
            .available_seats
    }

    pub async fn hold(&self, user: UserId, label: &str) -> crate::Result<crate::Hold> {
        self.store.hold(user, self.event, self.seat(label)).await
    }

    pub async fn reserve(&self, user: UserId, labels: &[&str]) -> crate::Result<Reservation> {
        self.store
            .reserve(user, self.event, &self.seats(labels), None)
            .await
    }

    /// Creates `n` more users named `{prefix}{i}`.
    pub async fn create_users(&self, prefix: &str, n: usize) -> Vec<UserId> {
        let mut users = Vec::with_capacity(n);
        for i in 0..n {
            let name = Username::new(format!("{prefix}{i}")).unwrap();
            users.push(self.store.create_user(&name, "hash").await.unwrap().id);
        }
        self.more_users.lock().unwrap().extend(&users);
        users
    }

    /// Every user the fixture made.
    pub fn users(&self) -> Vec<UserId> {
        let mut users = vec![self.alice, self.bob, self.carol, self.staff];
        users.extend(self.more_users.lock().unwrap().iter());
        users
    }

    /// Asserts the invariants over every user it made, then disposes of the store.
    pub async fn finish(self) {
        let users = self.users();
        check_invariants(&*self.store, self.event, &users)
            .await
            .expect("invariants hold");
        if let Ok(store) = Arc::try_unwrap(self.store) {
            self.factory.dispose(store).await;
        }
    }
}

fn new_event(name: &str, clock: &ManualClock, seat_map: &str) -> NewEvent {
    NewEvent {
        name: name.into(),
        description: String::new(),
        venue: "Hall 1".into(),
        starts_at: clock.now() + TimeDelta::days(30),
        seating: seat_map.parse().expect("seat map"),
        orphans: crate::OrphanPolicy::Allow,
        created_by: None,
    }
}

fn conflict_kinds(err: &Error) -> Vec<(SeatId, ConflictKind)> {
    err.conflicts()
        .unwrap_or_else(|| panic!("expected a seat conflict, got {err:?}"))
        .as_slice()
        .iter()
        .map(|c| (c.seat_id, c.kind))
        .collect()
}

fn assert_not_found(result: crate::Result<impl std::fmt::Debug>, entity: Entity) {
    match result {
        Err(Error::NotFound { entity: e, .. }) if e == entity => {}
        other => panic!("expected NotFound({entity}), got {other:?}"),
    }
}

const TTL: TimeDelta = TimeDelta::seconds(300);

// ---- events and seats ------------------------------------------------------

pub async fn create_event_lists_seats_by_row_then_number<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let summary = fx.store.event(fx.event).await.unwrap();
    assert_eq!(summary.event.name, "Fixture");
    assert_eq!(summary.event.venue, "Hall 1");
    assert_eq!((summary.total_seats, summary.available_seats), (10, 10));

    let seats = fx.store.seats(fx.event).await.unwrap();
    let labels: Vec<_> = seats.iter().map(|r| r.seat.label()).collect();
    assert_eq!(
        labels,
        ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
    );
    assert!(seats.windows(2).all(|w| w[0].seat.id < w[1].seat.id));
    assert!(seats.iter().all(|r| r.state == SeatState::Available));
    assert!(seats.iter().all(|r| r.seat.event == fx.event));
    assert_eq!(seats[0].seat.price_cents, 10_000);
    assert_eq!(seats[9].seat.price_cents, 5_000);

    // Rows past Z order as shown: Z before AA.
    let wide = fx
        .store
        .create_event(new_event("Wide", &fx.clock, "AA:1-2:100,Z:10-11:100"))
        .await
        .unwrap();
    assert_eq!(wide.total_seats, 4);
    let labels: Vec<_> = fx
        .store
        .seats(wide.event.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seat.label())
        .collect();
    assert_eq!(labels, ["Z10", "Z11", "AA1", "AA2"]);
    fx.finish().await;
}

pub async fn create_event_rejects_bad_input<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let mut blank = new_event(" ", &fx.clock, "A:1:100");
    let err = fx.store.create_event(blank.clone()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    blank.name = "x".repeat(201);
    let err = fx.store.create_event(blank.clone()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    // A NUL is no text to PostgreSQL: refused as input on every backend.
    blank.name = "Nul\0Night".into();
    let err = fx.store.create_event(blank.clone()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err:?}");
    blank.name = "Fine".into();
    blank.venue = "Hall\u{7}".into();
    let err = fx.store.create_event(blank).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err:?}");
    assert_eq!(
        fx.store.events().await.unwrap().len(),
        1,
        "nothing was created"
    );
    fx.finish().await;
}

pub async fn events_are_listed_by_start_time<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let mut earlier = new_event("Earlier", &fx.clock, "A:1-3:100");
    earlier.starts_at = fx.clock.now() + TimeDelta::days(1);
    let earlier = fx.store.create_event(earlier).await.unwrap();
    fx.hold(fx.alice, "A1").await.unwrap();
    let events = fx.store.events().await.unwrap();
    let names: Vec<_> = events.iter().map(|e| e.event.name.as_str()).collect();
    assert_eq!(names, ["Earlier", "Fixture"]);
    assert_eq!(events[0], earlier);
    assert_eq!((events[1].total_seats, events[1].available_seats), (10, 9));
    fx.finish().await;
}

pub async fn event_description_is_stored<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    assert_eq!(
        fx.store.event(fx.event).await.unwrap().event.description,
        "",
        "no description is an empty one"
    );
    let mut described = new_event("Described", &fx.clock, "A:1-2:100");
    described.description =
        "Two seats, a \"quote\", an accent (\u{e9}t\u{e9})\nand a new line".into();
    let created = fx.store.create_event(described.clone()).await.unwrap();
    assert_eq!(created.event.description, described.description);
    let read = fx.store.event(created.event.id).await.unwrap();
    assert_eq!(read.event.description, described.description);
    let listed = fx.store.events().await.unwrap();
    assert!(listed.contains(&read), "{listed:?}");

    described.description = "x".repeat(crate::MAX_EVENT_DESCRIPTION + 1);
    let err = fx.store.create_event(described).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(
        fx.store.events().await.unwrap().len(),
        2,
        "nothing was created"
    );
    fx.finish().await;
}

pub async fn event_counts_reserved_and_held_seats<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let counts = |s: &EventSummary| (s.total_seats, s.available_seats, s.reserved_seats);
    assert_eq!(
        counts(&fx.store.event(fx.event).await.unwrap()),
        (10, 10, 0)
    );
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    fx.hold(fx.bob, "B1").await.unwrap();
    let reservation = fx
        .store
        .reserve(fx.alice, fx.event, &[fx.seat("A1"), fx.seat("A2")], None)
        .await
        .unwrap();
    assert_eq!(counts(&fx.store.event(fx.event).await.unwrap()), (10, 7, 2));
    // Bob's hold ends by time alone: the seat counts as available again.
    fx.clock.advance(Duration::from_secs(301));
    assert_eq!(counts(&fx.store.event(fx.event).await.unwrap()), (10, 8, 2));
    let listed = fx.store.events().await.unwrap();
    assert_eq!(counts(&listed[0]), (10, 8, 2));
    fx.store.cancel(fx.alice, reservation.id).await.unwrap();
    assert_eq!(
        counts(&fx.store.event(fx.event).await.unwrap()),
        (10, 10, 0)
    );
    fx.finish().await;
}

/// A small venue: two sections (with an aisle in the stalls' rows), two
/// categories, a wheelchair space with its companion, a restricted view.
pub const SMALL_VENUE: &str = r##"{
  "categories": [
    {"name": "Premium", "price_cents": 15000, "color": "#7b3fa0"},
    {"name": "Standard", "price_cents": 9000, "color": "#1f6fb2"}
  ],
  "sections": [
    {"name": "Stalls", "category": "Standard", "rows": [
      {"label": "A", "seats": ["1-4", "5-8"], "category": "Premium",
       "accessible": [1], "companion": [2]},
      {"label": "B", "seats": ["1-4", "5-8"], "restricted_view": [8]}
    ]},
    {"name": "Balcony", "category": "Standard", "rank_offset": 1000,
     "position": {"x": 0.5, "y": 12.25}, "rows": [
      {"label": "A", "seats": ["1-6"]}
    ]}
  ]
}"##;

/// An event on `venue`, refusing orphans or not.
pub fn venue_event(
    name: &str,
    clock: &ManualClock,
    venue: &str,
    orphans: crate::OrphanPolicy,
) -> NewEvent {
    NewEvent {
        seating: crate::Venue::from_json(venue).expect("a venue"),
        orphans,
        ..new_event(name, clock, "A:1:100")
    }
}

/// The ids of `event`'s seats by label.
async fn labels<S: BookingStore>(store: &S, event: EventId) -> HashMap<String, SeatId> {
    store
        .seats(event)
        .await
        .expect("seats")
        .into_iter()
        .map(|r| (r.seat.label(), r.seat.id))
        .collect()
}

pub async fn create_event_from_a_venue_keeps_sections_categories_and_attributes<F: StoreFactory>(
    f: &F,
) {
    let fx = Fixture::new(f).await;
    let new = venue_event("Venue", &fx.clock, SMALL_VENUE, crate::OrphanPolicy::Allow);
    let summary = fx.store.create_event(new).await.unwrap();
    assert_eq!((summary.total_seats, summary.available_seats), (22, 22));
    assert_eq!(summary.event.orphans, crate::OrphanPolicy::Allow);
    let categories: Vec<_> = summary
        .categories
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.price_cents,
                c.color.as_str(),
                c.seats.total,
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            ("Premium", 15_000, "#7b3fa0", 8),
            ("Standard", 9_000, "#1f6fb2", 14)
        ]
    );
    let sections: Vec<_> = summary
        .sections
        .iter()
        .map(|s| (s.name.as_str(), s.seats.total, s.seats.available))
        .collect();
    assert_eq!(sections, [("Stalls", 16, 16), ("Balcony", 6, 6)]);
    // Where an overview draws each section, as the file says, when read back.
    let positions: Vec<_> = fx
        .store
        .event(summary.event.id)
        .await
        .unwrap()
        .sections
        .into_iter()
        .map(|s| s.position)
        .collect();
    let balcony = crate::venue::Point { x: 0.5, y: 12.25 };
    assert_eq!(positions, [None, Some(balcony)]);

    let seats = fx.store.seats(summary.event.id).await.unwrap();
    assert!(seats.windows(2).all(|w| w[0].seat.id < w[1].seat.id));
    let labels: Vec<_> = seats.iter().map(|r| r.seat.label()).collect();
    let mut expected: Vec<String> = (1..=8).map(|n| format!("Stalls A{n}")).collect();
    expected.extend((1..=8).map(|n| format!("Stalls B{n}")));
    expected.extend((1..=6).map(|n| format!("Balcony A{n}")));
    assert_eq!(labels, expected, "by section, row, number; unique labels");
    let a1 = &seats[0].seat;
    assert_eq!(
        (a1.section.as_str(), a1.row.to_string(), a1.number),
        ("Stalls", "A".to_owned(), 1)
    );
    assert_eq!((a1.category.as_str(), a1.price_cents), ("Premium", 15_000));
    assert!(a1.accessible && !a1.companion && !a1.restricted_view);
    assert!(seats[1].seat.companion && !seats[1].seat.accessible);
    let b8 = &seats[15].seat;
    assert!(b8.restricted_view);
    assert_eq!((b8.category.as_str(), b8.price_cents), ("Standard", 9_000));
    assert!(
        seats
            .iter()
            .all(|r| r.blocked.is_none() && r.state == SeatState::Available)
    );

    // Counts per category and section follow holds and reservations.
    let id = |i: usize| seats[i].seat.id;
    fx.store
        .hold(fx.alice, summary.event.id, id(0))
        .await
        .unwrap();
    fx.store
        .hold(fx.alice, summary.event.id, id(16))
        .await
        .unwrap();
    fx.store
        .reserve(fx.alice, summary.event.id, &[id(16)], None)
        .await
        .unwrap();
    let now = fx.store.event(summary.event.id).await.unwrap();
    assert_eq!(
        (now.available_seats, now.reserved_seats, now.held_seats),
        (20, 1, 1)
    );
    let premium = &now.categories[0].seats;
    assert_eq!(
        (premium.available, premium.held, premium.reserved),
        (7, 1, 0)
    );
    let balcony = &now.sections[1].seats;
    assert_eq!(
        (balcony.available, balcony.held, balcony.reserved),
        (5, 0, 1)
    );
    let listed = fx.store.events().await.unwrap();
    assert!(listed.contains(&now), "{listed:?}");
    fx.finish().await;
}

pub async fn a_seat_map_event_has_one_section_and_a_category_per_price<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let summary = fx.store.event(fx.event).await.unwrap();
    let sections: Vec<_> = summary
        .sections
        .iter()
        .map(|s| (s.name.as_str(), s.seats.total))
        .collect();
    assert_eq!(sections, [("", 10)]);
    let categories: Vec<_> = summary
        .categories
        .iter()
        .map(|c| (c.name.as_str(), c.price_cents, c.seats.total))
        .collect();
    assert_eq!(categories, [("$100.00", 10_000, 5), ("$50.00", 5_000, 5)]);
    let seats = fx.store.seats(fx.event).await.unwrap();
    assert!(seats.iter().all(|r| r.seat.section.is_empty()));
    assert_eq!(seats[0].seat.category, "$100.00");
    assert_eq!(seats[9].seat.category, "$50.00");
    fx.finish().await;
}

pub async fn create_event_rejects_a_bad_venue<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let mut new = venue_event("Bad", &fx.clock, SMALL_VENUE, crate::OrphanPolicy::Allow);
    new.seating.sections[1].name = "Stalls".into();
    let err = fx.store.create_event(new.clone()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input", "two sections of one name");
    new.seating.sections[1].name = "Balcony".into();
    new.seating.sections[1].rows[0].runs[0][0].category = 9;
    let err = fx.store.create_event(new).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input", "no such category");
    assert_eq!(fx.store.events().await.unwrap().len(), 1, "nothing created");
    fx.finish().await;
}

pub async fn the_example_venues_load<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    for (text, seats, sections) in [
        (crate::venue::examples::CONCERT_HALL, 1_200, 3),
        (crate::venue::examples::STADIUM, 60_000, 0),
    ] {
        let venue = crate::Venue::from_json(text).expect("an example venue");
        let new = NewEvent {
            seating: venue.clone(),
            ..new_event("Example", &fx.clock, "A:1:100")
        };
        let summary = fx.store.create_event(new).await.unwrap();
        assert_eq!(
            (summary.total_seats, summary.available_seats),
            (seats, seats)
        );
        assert_eq!(summary.sections.len(), venue.sections.len());
        if sections > 0 {
            assert_eq!(summary.sections.len(), sections);
        }
        let by_category: u32 = summary.categories.iter().map(|c| c.seats.total).sum();
        assert_eq!(by_category, seats);
        let listed = fx.store.seats(summary.event.id).await.unwrap();
        let unique: HashSet<String> = listed.iter().map(|r| r.seat.label()).collect();
        assert_eq!(unique.len(), listed.len(), "labels are unique");
        let accessible = venue.seats().filter(|(_, _, s)| s.accessible).count();
        assert_eq!(
            listed.iter().filter(|r| r.seat.accessible).count(),
            accessible
        );
    }
    fx.finish().await;
}

// ---- blocked seats -----------------------------------------------------------

pub async fn blocked_seats_cannot_be_held_and_are_not_available<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let blocked = fx
        .store
        .block(fx.staff, fx.event, &fx.seats(&["A1", "A2"]), "house seats")
        .await
        .unwrap();
    let labels: Vec<_> = blocked.iter().map(crate::Seat::label).collect();
    assert_eq!(labels, ["A1", "A2"]);
    let seats = fx.store.seats(fx.event).await.unwrap();
    assert_eq!(seats[0].blocked.as_deref(), Some("house seats"));
    assert_eq!(seats[2].blocked, None);

    let err = fx.hold(fx.alice, "A1").await.unwrap_err();
    assert_eq!(err.code(), "seat_blocked");
    assert_eq!(
        conflict_kinds(&err),
        [(fx.seat("A1"), ConflictKind::SeatBlocked)]
    );
    let summary = fx.store.event(fx.event).await.unwrap();
    assert_eq!(
        (summary.available_seats, summary.blocked_seats),
        (8, 2),
        "blocked seats are not available"
    );
    let dear = &summary.categories[0].seats;
    assert_eq!((dear.available, dear.blocked), (3, 2));
    assert_eq!(summary.sections[0].seats.blocked, 2);
    // Best available passes them by.
    let holds = fx
        .store
        .best_available(fx.alice, fx.event, &crate::BestAvailable::new(3))
        .await
        .unwrap();
    assert!(
        holds
            .iter()
            .all(|h| !["A1", "A2"].contains(&h.seat.label().as_str()))
    );

    let unblocked = fx
        .store
        .unblock(fx.staff, fx.event, &[fx.seat("A1")], "")
        .await
        .unwrap();
    assert_eq!(unblocked[0].label(), "A1");
    fx.hold(fx.bob, "A1").await.unwrap();
    assert_eq!(fx.store.event(fx.event).await.unwrap().blocked_seats, 1);
    // Unblocking a seat that is not blocked changes nothing.
    fx.store
        .unblock(fx.staff, fx.event, &fx.seats(&["A1", "A2"]), "")
        .await
        .unwrap();
    assert!(
        fx.store
            .seats(fx.event)
            .await
            .unwrap()
            .iter()
            .all(|r| r.blocked.is_none())
    );
    assert!(matches!(fx.state("A1").await, SeatState::Held { by, .. } if by == fx.bob));
    fx.finish().await;
}

pub async fn block_refuses_held_and_reserved_seats_all_or_nothing<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "B1").await.unwrap();
    fx.reserve(fx.alice, &["B1"]).await.unwrap();
    let err = fx
        .store
        .block(fx.staff, fx.event, &fx.seats(&["A3", "B1", "A1"]), "")
        .await
        .unwrap_err();
    assert_eq!(
        conflict_kinds(&err),
        [
            (fx.seat("A1"), ConflictKind::SeatLocked),
            (fx.seat("B1"), ConflictKind::SeatReserved)
        ]
    );
    assert!(
        fx.store
            .seats(fx.event)
            .await
            .unwrap()
            .iter()
            .all(|r| r.blocked.is_none()),
        "nothing was blocked"
    );
    // A hold that has ended is no obstacle, and is gone once blocked.
    fx.clock.advance(Duration::from_secs(301));
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["A1"]), "broken")
        .await
        .unwrap();
    assert_eq!(fx.state("A1").await, SeatState::Available);
    let err = fx.reserve(fx.alice, &["A1"]).await.unwrap_err();
    assert_eq!(err.code(), "seat_blocked");
    fx.finish().await;
}

pub async fn block_rejects_bad_input_and_unknown_seats<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let a1 = fx.seat("A1");
    for (ids, reason) in [
        (vec![], "x"),
        (vec![a1, a1], "x"),
        (vec![a1], "bad\u{0}reason"),
    ] {
        let err = fx
            .store
            .block(fx.staff, fx.event, &ids, reason)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{ids:?} {reason:?}");
    }
    let err = fx
        .store
        .unblock(fx.staff, fx.event, &[], "")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let nowhere = EventId::new(fx.event.get() + 1000);
    assert_not_found(
        fx.store.block(fx.staff, nowhere, &[a1], "").await,
        Entity::Event,
    );
    assert_not_found(
        fx.store.unblock(fx.staff, nowhere, &[a1], "").await,
        Entity::Event,
    );
    let other = fx
        .store
        .create_event(new_event("Other", &fx.clock, "A:1:100"))
        .await
        .unwrap();
    let theirs = labels(&*fx.store, other.event.id).await["A1"];
    assert_not_found(
        fx.store.block(fx.staff, fx.event, &[a1, theirs], "").await,
        Entity::Seat,
    );
    assert_not_found(
        fx.store.unblock(fx.staff, fx.event, &[theirs], "").await,
        Entity::Seat,
    );
    assert_eq!(fx.state("A1").await, SeatState::Available);
    assert!(fx.store.seats(fx.event).await.unwrap()[0].blocked.is_none());
    fx.finish().await;
}

// ---- best available ----------------------------------------------------------

/// The labels of `holds`, in order.
fn held_labels(holds: &[crate::Hold]) -> Vec<String> {
    holds.iter().map(|h| h.seat.label()).collect()
}

pub async fn best_available_holds_the_best_seats_together<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let event = fx
        .store
        .create_event(new_event("Row", &fx.clock, "A:1-8:100,B:1-8:100"))
        .await
        .unwrap()
        .event
        .id;
    let best = |count| {
        let store = Arc::clone(&fx.store);
        async move {
            store
                .best_available(fx.alice, event, &crate::BestAvailable::new(count))
                .await
        }
    };
    // Row A's middle is between A4 and A5.
    let holds = best(2).await.unwrap();
    assert_eq!(held_labels(&holds), ["A4", "A5"]);
    for hold in &holds {
        assert_eq!(
            (hold.user, hold.since, hold.granted_at),
            (fx.alice, fx.clock.now(), fx.clock.now())
        );
        assert_eq!(hold.until - fx.clock.now(), TTL);
    }
    let seats = fx.store.seats(event).await.unwrap();
    for record in &seats {
        let mine = matches!(record.state, SeatState::Held { by, .. } if by == fx.alice);
        assert_eq!(mine, ["A4", "A5"].contains(&record.seat.label().as_str()));
    }
    // Row A has three free seats on each side now: any pair there strands
    // one, so the best pair that strands none is in row B.
    assert_eq!(held_labels(&best(2).await.unwrap()), ["B4", "B5"]);
    assert_eq!(fx.store.event(event).await.unwrap().held_seats, 4);
    // The held seats are the user's like any others: reserve them.
    let ids: Vec<SeatId> = holds.iter().map(|h| h.seat.id).collect();
    let reservation = fx.store.reserve(fx.alice, event, &ids, None).await.unwrap();
    assert_eq!(reservation.seat_labels(), ["A4", "A5"]);
    fx.finish().await;
}

pub async fn best_available_filters_by_category_section_and_accessibility<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let new = venue_event("Venue", &fx.clock, SMALL_VENUE, crate::OrphanPolicy::Allow);
    let event = fx.store.create_event(new).await.unwrap().event.id;
    let ask = |request: crate::BestAvailable| {
        let store = Arc::clone(&fx.store);
        async move { store.best_available(fx.bob, event, &request).await }
    };
    let standard = crate::BestAvailable {
        categories: vec!["Standard".into()],
        ..crate::BestAvailable::new(2)
    };
    let holds = ask(standard).await.unwrap();
    assert!(
        holds.iter().all(|h| h.seat.category == "Standard"),
        "{holds:?}"
    );
    assert!(holds.iter().all(|h| h.seat.label().starts_with("Stalls B")));
    let balcony = crate::BestAvailable {
        sections: vec!["Balcony".into()],
        ..crate::BestAvailable::new(3)
    };
    let holds = ask(balcony).await.unwrap();
    // A2-A4 and A3-A5 are best by rank but strand A1 or A6: A1-A3 is the
    // best that strands none (A4-A6 ranks alike, after it).
    assert_eq!(
        held_labels(&holds),
        ["Balcony A1", "Balcony A2", "Balcony A3"]
    );
    let wheelchair = crate::BestAvailable {
        accessible: Some(true),
        ..crate::BestAvailable::new(1)
    };
    assert_eq!(
        held_labels(&ask(wheelchair.clone()).await.unwrap()),
        ["Stalls A1"]
    );
    let err = ask(wheelchair).await.unwrap_err();
    assert_eq!(
        err.code(),
        "no_adjacent_seats",
        "the only wheelchair space is held"
    );
    for (bad, code) in [
        (crate::BestAvailable::new(0), "invalid_input"),
        (crate::BestAvailable::new(11), "invalid_input"),
        (
            crate::BestAvailable {
                categories: vec!["Standard".into(), "Gold".into()],
                ..crate::BestAvailable::new(1)
            },
            "unknown_category",
        ),
        (
            crate::BestAvailable {
                sections: vec!["Roof".into()],
                ..crate::BestAvailable::new(1)
            },
            "unknown_section",
        ),
        (
            crate::BestAvailable {
                sections: vec!["balcony".into()],
                ..crate::BestAvailable::new(1)
            },
            "unknown_section",
        ),
    ] {
        let err = ask(bad.clone()).await.unwrap_err();
        assert_eq!(err.code(), code, "{bad:?}");
    }
    let nowhere = EventId::new(event.get() + 1000);
    assert_not_found(
        fx.store
            .best_available(fx.bob, nowhere, &crate::BestAvailable::new(1))
            .await,
        Entity::Event,
    );
    assert_not_found(
        fx.store
            .best_available(UserId::new(9_999), event, &crate::BestAvailable::new(1))
            .await,
        Entity::User,
    );
    fx.finish().await;
}

pub async fn best_available_gives_wheelchair_spaces_with_companion_seats<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    // The concert hall: 12 wheelchair spaces, each with a companion seat
    // beside it, and no two spaces side by side.
    let new = NewEvent {
        seating: crate::Venue::from_json(crate::venue::examples::CONCERT_HALL).expect("the hall"),
        ..new_event("Hall", &fx.clock, "A:1:100")
    };
    let event = fx.store.create_event(new).await.unwrap().event.id;
    let ask = |request: crate::BestAvailable| {
        let store = Arc::clone(&fx.store);
        async move { store.best_available(fx.alice, event, &request).await }
    };
    let two_spaces = crate::BestAvailable {
        accessible: Some(true),
        ..crate::BestAvailable::new(2)
    };
    let err = ask(two_spaces).await.unwrap_err();
    assert_eq!(
        err.code(),
        "no_adjacent_seats",
        "no two spaces side by side"
    );
    let pair = crate::BestAvailable {
        wheelchair: Some(1),
        ..crate::BestAvailable::new(2)
    };
    let mut spaces = HashSet::new();
    for round in 0..12 {
        let holds = ask(pair.clone()).await.unwrap();
        let [first, second] = [&holds[0].seat, &holds[1].seat];
        assert_eq!(holds.len(), 2, "round {round}");
        assert_eq!(
            (&first.section, first.row, first.number + 1),
            (&second.section, second.row, second.number),
            "side by side, round {round}: {:?}",
            held_labels(&holds)
        );
        assert_eq!(
            (
                first.accessible ^ second.accessible,
                first.companion ^ second.companion
            ),
            (true, true),
            "a space and a companion seat, round {round}: {:?}",
            held_labels(&holds)
        );
        spaces.extend(
            holds
                .iter()
                .filter(|h| h.seat.accessible)
                .map(|h| h.seat.id),
        );
        let ids: Vec<SeatId> = holds.iter().map(|h| h.seat.id).collect();
        fx.store.reserve(fx.alice, event, &ids, None).await.unwrap();
    }
    assert_eq!(spaces.len(), 12, "every space, once");
    let err = ask(pair).await.unwrap_err();
    assert_eq!(err.code(), "no_adjacent_seats", "all 12 are taken");
    assert_eq!(fx.store.event(event).await.unwrap().held_seats, 0);
    // `Some(0)`: no wheelchair space among them.
    let none = crate::BestAvailable {
        wheelchair: Some(0),
        sections: vec!["Orchestra".into()],
        ..crate::BestAvailable::new(4)
    };
    let holds = ask(none).await.unwrap();
    assert!(holds.iter().all(|h| !h.seat.accessible), "{holds:?}");
    for (wheelchair, accessible) in [(3, None), (1, Some(true)), (1, Some(false))] {
        let bad = crate::BestAvailable {
            wheelchair: Some(wheelchair),
            accessible,
            ..crate::BestAvailable::new(2)
        };
        let err = ask(bad.clone()).await.unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{bad:?}");
    }
    fx.finish().await;
}

pub async fn best_available_strands_no_seat_it_can_avoid<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let event = fx
        .store
        .create_event(new_event("Seven", &fx.clock, "A:1-7:100"))
        .await
        .unwrap()
        .event
        .id;
    let seats = labels(&*fx.store, event).await;
    for label in ["A1", "A7"] {
        fx.store.hold(fx.bob, event, seats[label]).await.unwrap();
    }
    // A3-A4 and A4-A5 are the best pairs by rank but leave A2 (or A6)
    // alone; A2-A3 and A5-A6 leave none, and A2-A3 comes first.
    let holds = fx
        .store
        .best_available(fx.alice, event, &crate::BestAvailable::new(2))
        .await
        .unwrap();
    assert_eq!(held_labels(&holds), ["A2", "A3"]);
    fx.finish().await;
}

pub async fn best_available_without_seats_together_holds_nothing<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let event = fx
        .store
        .create_event(new_event("Gaps", &fx.clock, "A:1-3:100,B:1-3:100"))
        .await
        .unwrap()
        .event
        .id;
    let seats = labels(&*fx.store, event).await;
    for label in ["A2", "B2"] {
        fx.store.hold(fx.bob, event, seats[label]).await.unwrap();
    }
    let err = fx
        .store
        .best_available(fx.alice, event, &crate::BestAvailable::new(2))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NoAdjacentSeats { count: 2 }),
        "{err:?}"
    );
    let summary = fx.store.event(event).await.unwrap();
    assert_eq!(summary.held_seats, 2, "nothing more is held");
    // Split over rows A and B: one seat in each.
    let split = crate::BestAvailable {
        allow_split: true,
        ..crate::BestAvailable::new(2)
    };
    let holds = fx
        .store
        .best_available(fx.alice, event, &split)
        .await
        .unwrap();
    let rows: Vec<String> = holds.iter().map(|h| h.seat.row.to_string()).collect();
    assert_eq!(rows, ["A", "B"]);
    fx.finish().await;
}

pub async fn best_available_counts_against_the_hold_limit<F: StoreFactory>(f: &F) {
    let fx = Fixture::with_policy(f, Policy::default().with_max_seats_per_user(4)).await;
    fx.hold(fx.alice, "B1").await.unwrap();
    fx.hold(fx.alice, "B2").await.unwrap();
    let err = fx
        .store
        .best_available(fx.alice, fx.event, &crate::BestAvailable::new(3))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HoldLimit { limit: 4 }), "{err:?}");
    assert_eq!(fx.available().await, 8, "nothing more is held");
    // A fault of the request itself is named before the user's state.
    let err = fx
        .store
        .best_available(
            fx.alice,
            fx.event,
            &crate::BestAvailable {
                sections: vec!["Roof".into()],
                ..crate::BestAvailable::new(3)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_section", "before the hold limit");
    let holds = fx
        .store
        .best_available(fx.alice, fx.event, &crate::BestAvailable::new(2))
        .await
        .unwrap();
    assert_eq!(holds.len(), 2);
    let err = fx.hold(fx.alice, "B5").await.unwrap_err();
    assert_eq!(err.code(), "hold_limit", "the best-available seats count");
    // An ended hold no longer counts.
    fx.clock.advance(Duration::from_secs(301));
    let holds = fx
        .store
        .best_available(fx.alice, fx.event, &crate::BestAvailable::new(4))
        .await
        .unwrap();
    assert_eq!(holds.len(), 4);
    fx.finish().await;
}

/// Best available gives seats again once they open: seats it has seen
/// reserved, then cancelled, or blocked, then unblocked, are the best again
/// (a store that keeps which seats are closed must keep it current).
pub async fn best_available_gives_seats_that_opened_again<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let five = crate::BestAvailable::new(5);
    let front = ["A1", "A2", "A3", "A4", "A5"];
    let back = ["B1", "B2", "B3", "B4", "B5"];
    // Best available for Bob, its labels, each seat released after.
    let best_for_bob = async || {
        let holds = fx
            .store
            .best_available(fx.bob, fx.event, &five)
            .await
            .unwrap();
        for hold in &holds {
            fx.store
                .release(fx.bob, fx.event, hold.seat.id)
                .await
                .unwrap();
        }
        holds
            .iter()
            .map(|h| h.seat.label.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(best_for_bob().await, front);
    for label in front {
        fx.hold(fx.alice, label).await.unwrap();
    }
    let sold = fx.reserve(fx.alice, &front).await.unwrap();
    assert_eq!(best_for_bob().await, back, "the front row is sold");
    fx.store.cancel(fx.alice, sold.id).await.unwrap();
    assert_eq!(best_for_bob().await, front, "cancelled: open again");
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["A3"]), "House seat")
        .await
        .unwrap();
    assert_eq!(best_for_bob().await, back, "A3 is blocked");
    fx.store
        .unblock(fx.staff, fx.event, &fx.seats(&["A3"]), "")
        .await
        .unwrap();
    assert_eq!(best_for_bob().await, front, "unblocked: open again");
    for label in front {
        fx.hold(fx.alice, label).await.unwrap();
    }
    let sold = fx.reserve(fx.alice, &front).await.unwrap();
    assert_eq!(best_for_bob().await, back, "sold again");
    fx.store
        .staff_cancel(fx.staff, sold.id, "the show moved")
        .await
        .unwrap();
    assert_eq!(
        best_for_bob().await,
        front,
        "cancelled by staff: open again"
    );
    fx.finish().await;
}

/// Whether `holds` are consecutive seats of one row (their numbers follow
/// each other; the venues raced on have no aisles).
fn together(holds: &[crate::Hold]) -> bool {
    holds.windows(2).all(|w| {
        w[0].seat.section == w[1].seat.section
            && w[0].seat.row == w[1].seat.row
            && w[0].seat.number + 1 == w[1].seat.number
    })
}

pub async fn race_best_available_gives_disjoint_seats_and_refuses_none<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    // One section of 30 rows of 20: room for every request below (64
    // requests of 2 to 6 seats, 254 in all) however they fall.
    let event = fx
        .store
        .create_event(new_event("Race", &fx.clock, "A-AD:1-20:100"))
        .await
        .unwrap()
        .event
        .id;
    let users = fx.create_users("racer", 64).await;
    let tasks: Vec<_> = users
        .iter()
        .zip(0u32..)
        .map(|(&user, i)| {
            let store = Arc::clone(&fx.store);
            let request = crate::BestAvailable::new(2 + i % 5);
            tokio::spawn(async move { (user, store.best_available(user, event, &request).await) })
        })
        .collect();
    let mut granted: HashMap<SeatId, UserId> = HashMap::new();
    for (task, i) in tasks.into_iter().zip(0u32..) {
        let (user, answer) = task.await.unwrap();
        let holds = answer.unwrap_or_else(|e| panic!("request {i} refused: {e:?}"));
        assert_eq!(holds.len(), usize::try_from(2 + i % 5).unwrap());
        assert!(together(&holds), "{:?}", held_labels(&holds));
        for hold in holds {
            assert_eq!(hold.user, user);
            if let Some(other) = granted.insert(hold.seat.id, user) {
                panic!("seat {} given to {other} and {user}", hold.seat.label());
            }
        }
    }
    let seats = fx.store.seats(event).await.unwrap();
    for record in &seats {
        match (record.state, granted.get(&record.seat.id)) {
            (SeatState::Held { by, .. }, Some(&user)) => assert_eq!(by, user),
            (SeatState::Available, None) => {}
            other => panic!("seat {}: {other:?}", record.seat.label()),
        }
    }
    let asked: u32 = (0..64).map(|i| 2 + i % 5).sum();
    assert_eq!(fx.store.event(event).await.unwrap().held_seats, asked);
    check_invariants(&*fx.store, event, &fx.users())
        .await
        .unwrap();
    fx.finish().await;
}

pub async fn race_best_available_against_manual_holds<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let event = fx
        .store
        .create_event(new_event("Race", &fx.clock, "A-D:1-12:100"))
        .await
        .unwrap()
        .event
        .id;
    let ids: Vec<SeatId> = fx
        .store
        .seats(event)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seat.id)
        .collect();
    let users = fx.create_users("mixed", 32).await;
    let tasks: Vec<_> = users
        .iter()
        .zip(0usize..)
        .map(|(&user, i)| {
            let store = Arc::clone(&fx.store);
            let ids = ids.clone();
            tokio::spawn(async move {
                let mut got: Vec<crate::Hold> = Vec::new();
                if i % 2 == 0 {
                    let request = crate::BestAvailable::new(2 + u32::try_from(i % 3).unwrap());
                    match store.best_available(user, event, &request).await {
                        Ok(holds) => {
                            assert!(together(&holds), "{:?}", held_labels(&holds));
                            got.extend(holds);
                        }
                        Err(Error::NoAdjacentSeats { .. }) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                } else {
                    // Three seats of the middle columns, where best
                    // available looks first.
                    for k in 0..3 {
                        let seat = ids[(i * 7 + k * 13) % ids.len()];
                        match store.hold(user, event, seat).await {
                            Ok(hold) => got.push(hold),
                            Err(e) if e.conflicts().is_some() => {}
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
                (user, got)
            })
        })
        .collect();
    let mut granted: HashMap<SeatId, UserId> = HashMap::new();
    for task in tasks {
        let (user, got) = task.await.unwrap();
        for hold in got {
            if let Some(other) = granted.insert(hold.seat.id, user) {
                panic!("seat {} given to {other} and {user}", hold.seat.label());
            }
        }
    }
    for record in fx.store.seats(event).await.unwrap() {
        match (record.state, granted.get(&record.seat.id)) {
            (SeatState::Held { by, .. }, Some(&user)) => assert_eq!(by, user),
            (SeatState::Available, None) => {}
            other => panic!("seat {}: {other:?}", record.seat.label()),
        }
    }
    check_invariants(&*fx.store, event, &fx.users())
        .await
        .unwrap();
    fx.finish().await;
}

// ---- the orphan policy -----------------------------------------------------

pub async fn reserve_refuses_an_avoidable_orphan_when_the_event_says_so<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let mut new = new_event("Strict", &fx.clock, "A:1-6:100,B:1-3:100");
    new.orphans = crate::OrphanPolicy::Refuse;
    let created = fx.store.create_event(new).await.unwrap();
    assert_eq!(created.event.orphans, crate::OrphanPolicy::Refuse);
    let event = created.event.id;
    let seats = labels(&*fx.store, event).await;
    let ids = |labels: &[&str]| labels.iter().map(|l| seats[*l]).collect::<Vec<_>>();
    for id in ids(&["A2", "A3"]) {
        fx.store.hold(fx.alice, event, id).await.unwrap();
    }
    // A1 would be left alone, and A1-A2 (or A5-A6) would leave no one.
    let err = fx
        .store
        .reserve(fx.alice, event, &ids(&["A2", "A3"]), None)
        .await
        .unwrap_err();
    match &err {
        Error::OrphanSeat {
            seat_id,
            seat_number,
        } => assert_eq!((*seat_id, seat_number.as_str()), (seats["A1"], "A1")),
        other => panic!("expected OrphanSeat, got {other:?}"),
    }
    assert_eq!(err.code(), "orphan_seat");
    let listed = fx.store.seats(event).await.unwrap();
    assert!(
        listed[1..3]
            .iter()
            .all(|r| matches!(r.state, SeatState::Held { by, .. } if by == fx.alice)),
        "nothing changed"
    );
    // Taking A1 too leaves A4-A6 together: fine.
    fx.store.hold(fx.alice, event, seats["A1"]).await.unwrap();
    fx.store
        .reserve(fx.alice, event, &ids(&["A1", "A2", "A3"]), None)
        .await
        .unwrap();
    // Two of three seats always leave one: not avoidable, so allowed.
    for id in ids(&["B1", "B2"]) {
        fx.store.hold(fx.bob, event, id).await.unwrap();
    }
    fx.store
        .reserve(fx.bob, event, &ids(&["B1", "B2"]), None)
        .await
        .unwrap();
    // A seat someone else holds is no free seat: A5 alone between A4
    // (reserved now) and A6 (held by carol) strands nothing new.
    fx.store.hold(fx.carol, event, seats["A6"]).await.unwrap();
    fx.store.hold(fx.alice, event, seats["A4"]).await.unwrap();
    fx.store
        .reserve(fx.alice, event, &ids(&["A4"]), None)
        .await
        .unwrap();
    fx.finish().await;
}

pub async fn reserve_may_leave_an_orphan_by_default<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    assert_eq!(
        fx.store.event(fx.event).await.unwrap().event.orphans,
        crate::OrphanPolicy::Allow
    );
    fx.hold(fx.alice, "A2").await.unwrap();
    fx.hold(fx.alice, "A3").await.unwrap();
    fx.reserve(fx.alice, &["A2", "A3"]).await.unwrap();
    fx.finish().await;
}

pub async fn unknown_event_is_not_found<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let nowhere = EventId::new(fx.event.get() + 1000);
    let a1 = fx.seat("A1");
    assert_not_found(fx.store.event(nowhere).await, Entity::Event);
    assert_not_found(fx.store.seats(nowhere).await, Entity::Event);
    assert_not_found(fx.store.hold(fx.alice, nowhere, a1).await, Entity::Event);
    assert_not_found(fx.store.release(fx.alice, nowhere, a1).await, Entity::Event);
    assert_not_found(
        fx.store.reserve(fx.alice, nowhere, &[a1], None).await,
        Entity::Event,
    );
    fx.finish().await;
}

pub async fn seat_of_another_event_is_not_found<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let other = fx
        .store
        .create_event(new_event("Other", &fx.clock, "A:1-2:100"))
        .await
        .unwrap()
        .event
        .id;
    let foreign = fx.store.seats(other).await.unwrap()[0].seat.id;
    let unknown = SeatId::new(foreign.get() + 1000);
    for seat in [foreign, unknown] {
        assert_not_found(fx.store.hold(fx.alice, fx.event, seat).await, Entity::Seat);
        assert_not_found(
            fx.store.release(fx.alice, fx.event, seat).await,
            Entity::Seat,
        );
    }
    fx.store.hold(fx.alice, other, foreign).await.unwrap();
    fx.hold(fx.alice, "A1").await.unwrap();
    let ids = [fx.seat("A1"), foreign];
    assert_not_found(
        fx.store.reserve(fx.alice, fx.event, &ids, None).await,
        Entity::Seat,
    );
    assert!(matches!(fx.state("A1").await, SeatState::Held { .. }));
    fx.finish().await;
}

// ---- holds -------------------------------------------------------------------

pub async fn hold_takes_an_available_seat_for_the_ttl<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let hold = fx.hold(fx.alice, "A1").await.unwrap();
    assert_eq!(hold.user, fx.alice);
    assert_eq!(hold.seat.id, fx.seat("A1"));
    assert_eq!(hold.seat.label(), "A1");
    assert_eq!(hold.until, fx.clock.now() + TTL);
    assert_eq!(
        fx.state("A1").await,
        SeatState::Held {
            by: fx.alice,
            since: fx.clock.now(),
            until: hold.until
        }
    );
    assert_eq!(
        (hold.since, hold.granted_at),
        (fx.clock.now(), fx.clock.now())
    );
    assert_eq!(fx.available().await, 9);
    fx.finish().await;
}

pub async fn hold_extends_your_own_hold<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.clock.advance(Duration::from_secs(200));
    let again = fx.hold(fx.alice, "A1").await.unwrap();
    assert_eq!(again.until, fx.clock.now() + TTL);
    fx.clock.advance(Duration::from_secs(200));
    assert!(
        matches!(fx.state("A1").await, SeatState::Held { by, .. } if by == fx.alice),
        "the extension outlives the first hold"
    );
    fx.finish().await;
}

/// A hold lasts at most `max_hold` (900 s) from when it was first taken,
/// however often it is extended; past that, locking it again is refused.
pub async fn hold_extensions_stop_at_max_hold<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let first = fx.hold(fx.alice, "A1").await.unwrap();
    let cap = first.since + TimeDelta::seconds(900);
    fx.clock.advance(Duration::from_secs(290));
    let second = fx.hold(fx.alice, "A1").await.unwrap();
    assert_eq!(
        second.since, first.since,
        "an extension keeps when it was taken"
    );
    assert_eq!(second.until, fx.clock.now() + TTL);
    fx.clock.advance(Duration::from_secs(290));
    let third = fx.hold(fx.alice, "A1").await.unwrap();
    assert_eq!(third.until, fx.clock.now() + TTL, "580 s in: 880 s in all");
    fx.clock.advance(Duration::from_secs(290));
    // 870 s in: 300 s more would pass the cap, so the hold ends at it.
    let fourth = fx.hold(fx.alice, "A1").await.unwrap();
    assert_eq!(fourth.until, cap);
    assert_eq!(fourth.lifetime(), Duration::from_secs(30));
    assert_eq!(
        fx.state("A1").await,
        SeatState::Held {
            by: fx.alice,
            since: first.since,
            until: cap
        },
        "the store keeps when the hold was first taken"
    );
    for step in [0, 29] {
        fx.clock.advance(Duration::from_secs(step));
        let err = fx.hold(fx.alice, "A1").await.unwrap_err();
        assert!(
            matches!(&err, Error::MaxHoldReached { seat_id, seat_number, max_hold }
                if *seat_id == fx.seat("A1") && seat_number == "A1"
                    && *max_hold == Duration::from_secs(900)),
            "{err:?}"
        );
        assert_eq!(err.code(), "max_hold_reached");
        assert_eq!(
            fx.state("A1").await,
            SeatState::Held {
                by: fx.alice,
                since: first.since,
                until: cap
            },
            "the refused extension changed nothing"
        );
    }
    // Others still cannot take it until it ends, at the cap; then anyone can.
    assert!(matches!(
        fx.hold(fx.bob, "A1").await,
        Err(Error::SeatLocked(_))
    ));
    fx.clock.advance(Duration::from_secs(1));
    assert_eq!(fx.state("A1").await, SeatState::Available);
    assert_eq!(fx.hold(fx.bob, "A1").await.unwrap().since, fx.clock.now());
    fx.finish().await;
}

/// Past `max_hold`, the holder may take the seat again only after releasing
/// it or once it has ended; either way the new hold counts from then.
pub async fn hold_after_max_hold_needs_a_release_or_the_end<F: StoreFactory>(f: &F) {
    let policy = Policy::default().with_max_hold(Duration::from_secs(400));
    let fx = Fixture::with_policy(f, policy).await;
    for label in ["A1", "A2"] {
        fx.hold(fx.alice, label).await.unwrap();
    }
    fx.clock.advance(Duration::from_secs(200));
    for label in ["A1", "A2"] {
        let capped = fx.hold(fx.alice, label).await.unwrap();
        assert_eq!(capped.lifetime(), Duration::from_secs(200));
        let err = fx.hold(fx.alice, label).await.unwrap_err();
        assert_eq!(err.code(), "max_hold_reached");
    }
    // Released: A1 is the user's to take again, for a fresh window.
    fx.store
        .release(fx.alice, fx.event, fx.seat("A1"))
        .await
        .unwrap();
    let fresh = fx.hold(fx.alice, "A1").await.unwrap();
    assert_eq!(fresh.since, fx.clock.now());
    assert_eq!(fresh.until, fx.clock.now() + TTL);
    // Ended at its cap: A2 is available, to anyone, the holder included.
    fx.clock.advance(Duration::from_secs(200));
    assert_eq!(fx.state("A2").await, SeatState::Available);
    let again = fx.hold(fx.alice, "A2").await.unwrap();
    assert_eq!(again.since, fx.clock.now());
    // A lock time longer than max_hold is cut to it from the first hold.
    let short = Policy::default().with_max_hold(Duration::from_secs(60));
    let fx2 = Fixture::with_policy(f, short).await;
    let hold = fx2.hold(fx2.bob, "B1").await.unwrap();
    assert_eq!(hold.until, fx2.clock.now() + TimeDelta::seconds(60));
    assert_eq!(
        fx2.hold(fx2.bob, "B1").await.unwrap_err().code(),
        "max_hold_reached"
    );
    fx2.finish().await;
    fx.finish().await;
}

pub async fn hold_refuses_a_seat_held_by_another_or_reserved<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let first = fx.hold(fx.alice, "A1").await.unwrap();
    let err = fx.hold(fx.bob, "A1").await.unwrap_err();
    assert!(matches!(err, Error::SeatLocked(_)), "{err:?}");
    assert_eq!(err.to_string(), "seat A1 is held by someone else");
    assert_eq!(
        conflict_kinds(&err),
        [(fx.seat("A1"), ConflictKind::SeatLocked)]
    );
    assert_eq!(
        fx.state("A1").await,
        SeatState::Held {
            by: fx.alice,
            since: first.since,
            until: first.until
        },
        "the failed hold changed nothing"
    );

    fx.hold(fx.alice, "A2").await.unwrap();
    fx.reserve(fx.alice, &["A2"]).await.unwrap();
    for user in [fx.alice, fx.bob] {
        let err = fx.hold(user, "A2").await.unwrap_err();
        assert!(matches!(err, Error::SeatReserved(_)), "{err:?}");
    }
    fx.finish().await;
}

pub async fn hold_expires_by_time_alone<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.clock.advance(Duration::from_secs(299));
    assert!(matches!(fx.state("A1").await, SeatState::Held { .. }));
    assert!(fx.hold(fx.bob, "A1").await.is_err());
    fx.clock.advance(Duration::from_secs(1));
    assert_eq!(fx.state("A1").await, SeatState::Available);
    assert_eq!(fx.available().await, 10);
    let hold = fx.hold(fx.bob, "A1").await.unwrap();
    assert_eq!(hold.user, fx.bob);
    fx.finish().await;
}

pub async fn hold_limit_counts_only_live_holds_of_that_event<F: StoreFactory>(f: &F) {
    let fx = Fixture::with_policy(f, Policy::default().with_max_seats_per_user(2)).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    let err = fx.hold(fx.alice, "A3").await.unwrap_err();
    assert!(matches!(err, Error::HoldLimit { limit: 2 }), "{err:?}");
    assert_eq!(fx.state("A3").await, SeatState::Available);
    // Extending a seat already held is not a new one.
    fx.hold(fx.alice, "A1").await.unwrap();
    // Other users and other events have their own count.
    fx.hold(fx.bob, "A3").await.unwrap();
    let other = fx
        .store
        .create_event(new_event("Other", &fx.clock, "A:1:100"))
        .await
        .unwrap()
        .event
        .id;
    let seat = fx.store.seats(other).await.unwrap()[0].seat.id;
    fx.store.hold(fx.alice, other, seat).await.unwrap();
    // A release frees a place.
    fx.store
        .release(fx.alice, fx.event, fx.seat("A2"))
        .await
        .unwrap();
    fx.hold(fx.alice, "A4").await.unwrap();
    // Reserved seats are no longer held.
    fx.reserve(fx.alice, &["A1", "A4"]).await.unwrap();
    fx.hold(fx.alice, "B1").await.unwrap();
    fx.hold(fx.alice, "B2").await.unwrap();
    // Ended holds do not count.
    fx.clock.advance(Duration::from_secs(300));
    fx.hold(fx.alice, "B3").await.unwrap();
    fx.hold(fx.alice, "B4").await.unwrap();
    fx.finish().await;
}

pub async fn hold_by_unknown_user_is_not_found<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let ghost = UserId::new(fx.carol.get() + 1000);
    assert_not_found(fx.hold(ghost, "A1").await, Entity::User);
    assert_eq!(fx.state("A1").await, SeatState::Available);
    fx.finish().await;
}

pub async fn release_only_your_live_hold<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let release = |user, label| fx.store.release(user, fx.event, fx.seat(label));
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.bob, "A2").await.unwrap();
    fx.hold(fx.alice, "A3").await.unwrap();
    fx.reserve(fx.alice, &["A3"]).await.unwrap();

    for (user, label) in [
        (fx.bob, "A1"),
        (fx.alice, "A2"),
        (fx.alice, "A3"),
        (fx.alice, "A4"),
    ] {
        let err = release(user, label).await.unwrap_err();
        assert_eq!(
            conflict_kinds(&err),
            [(fx.seat(label), ConflictKind::NotLockHolder)],
            "{label}"
        );
    }
    release(fx.alice, "A1").await.unwrap();
    assert_eq!(fx.state("A1").await, SeatState::Available);
    assert!(release(fx.alice, "A1").await.is_err(), "released twice");

    fx.clock.advance(Duration::from_secs(300));
    let err = release(fx.bob, "A2").await.unwrap_err();
    assert!(
        matches!(err, Error::NotLockHolder(_)),
        "an ended hold: {err:?}"
    );
    fx.finish().await;
}

// ---- reservations --------------------------------------------------------------

pub async fn reserve_takes_every_seat_or_none<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "B3").await.unwrap();
    fx.clock.advance(Duration::from_secs(10));
    let r = fx.reserve(fx.alice, &["B3", "A1"]).await.unwrap();
    assert_eq!(r.user, fx.alice);
    assert_eq!(r.event, fx.event);
    assert_eq!(r.event_name, "Fixture");
    assert_eq!(r.seat_labels(), ["A1", "B3"], "by row then number");
    assert_eq!(r.status, ReservationStatus::Confirmed);
    assert_eq!(r.total_cents, 15_000);
    assert_eq!(r.created_at, fx.clock.now());
    assert_eq!(r.cancelled_at, None);
    assert_eq!(r.idempotency_key, None);
    for label in ["A1", "B3"] {
        assert_eq!(
            fx.state(label).await,
            SeatState::Reserved { reservation: r.id }
        );
    }
    assert_eq!(fx.available().await, 8);
    // A reservation does not expire with the holds it came from.
    fx.clock.advance(Duration::from_secs(3600));
    assert_eq!(fx.available().await, 8);
    assert_eq!(fx.store.reservations(fx.alice).await.unwrap(), [r]);
    fx.finish().await;
}

pub async fn reserve_conflict_lists_every_seat_and_changes_nothing<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let a1 = fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.bob, "A3").await.unwrap();
    let err = fx.reserve(fx.alice, &["A4", "A3", "A1"]).await.unwrap_err();
    assert!(matches!(err, Error::NotLockHolder(_)), "{err:?}");
    assert_eq!(
        conflict_kinds(&err),
        [
            (fx.seat("A3"), ConflictKind::NotLockHolder),
            (fx.seat("A4"), ConflictKind::NotLockHolder),
        ]
    );
    assert_eq!(
        fx.state("A1").await,
        SeatState::Held {
            by: fx.alice,
            since: a1.since,
            until: a1.until
        }
    );
    assert!(fx.store.reservations(fx.alice).await.unwrap().is_empty());
    fx.finish().await;
}

pub async fn reserve_after_expiry_is_lock_expired<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    fx.clock.advance(Duration::from_secs(150));
    fx.hold(fx.alice, "A2").await.unwrap();
    fx.clock.advance(Duration::from_secs(150));
    let err = fx.reserve(fx.alice, &["A1", "A2"]).await.unwrap_err();
    assert!(matches!(err, Error::LockExpired(_)), "{err:?}");
    assert_eq!(
        conflict_kinds(&err),
        [(fx.seat("A1"), ConflictKind::LockExpired)]
    );
    assert_eq!(err.to_string(), "your hold on seat A1 has ended");
    // Someone else's expired hold is simply not the caller's.
    fx.hold(fx.bob, "B1").await.unwrap();
    fx.clock.advance(Duration::from_secs(300));
    let err = fx.reserve(fx.alice, &["B1"]).await.unwrap_err();
    assert!(matches!(err, Error::NotLockHolder(_)), "{err:?}");
    fx.finish().await;
}

pub async fn reserve_of_a_reserved_seat_is_seat_reserved<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.reserve(fx.alice, &["A1"]).await.unwrap();
    fx.hold(fx.bob, "A2").await.unwrap();
    for user in [fx.alice, fx.bob] {
        let err = fx.reserve(user, &["A1", "A2"]).await.unwrap_err();
        assert!(matches!(err, Error::SeatReserved(_)), "{err:?}");
        assert_eq!(
            err.to_string().split(" (").next(),
            Some("seat A1 is already reserved")
        );
    }
    assert!(matches!(fx.state("A2").await, SeatState::Held { by, .. } if by == fx.bob));
    fx.finish().await;
}

pub async fn reserve_rejects_malformed_seat_lists<F: StoreFactory>(f: &F) {
    let fx = Fixture::with_policy(f, Policy::default().with_max_seats_per_user(3)).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let invalid = |err: Error| assert_eq!(err.code(), "invalid_input", "{err:?}");
    invalid(fx.reserve(fx.alice, &[]).await.unwrap_err());
    invalid(fx.reserve(fx.alice, &["A1", "A1"]).await.unwrap_err());
    invalid(
        fx.reserve(fx.alice, &["A1", "A2", "A3", "A4"])
            .await
            .unwrap_err(),
    );
    // Malformed input is reported before unknown ids.
    let unknown = SeatId::new(fx.seat("B5").get() + 1000);
    let err = fx
        .store
        .reserve(fx.alice, fx.event, &[unknown, unknown], None)
        .await
        .unwrap_err();
    invalid(err);
    assert_not_found(
        fx.store
            .reserve(fx.alice, fx.event, &[fx.seat("A1"), unknown], None)
            .await,
        Entity::Seat,
    );
    assert!(matches!(fx.state("A1").await, SeatState::Held { .. }));
    fx.finish().await;
}

pub async fn reserve_with_a_key_replays_the_first_answer<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let key = IdempotencyKey::new("checkout-1").unwrap();
    let ids = fx.seats(&["A1", "A2"]);
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    let first = fx
        .store
        .reserve(fx.alice, fx.event, &ids, Some(&key))
        .await
        .unwrap();
    assert_eq!(first.idempotency_key.as_ref(), Some(&key));
    fx.clock.advance(Duration::from_secs(60));
    let reversed = [ids[1], ids[0]];
    let again = fx
        .store
        .reserve(fx.alice, fx.event, &reversed, Some(&key))
        .await
        .unwrap();
    assert_eq!(again, first, "a retry returns the first reservation");
    assert_eq!(fx.store.reservations(fx.alice).await.unwrap().len(), 1);

    let err = fx
        .store
        .reserve(fx.alice, fx.event, &ids[..1], Some(&key))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdempotencyKeyReused), "{err:?}");

    // Keys are per user: bob's "checkout-1" is his own.
    fx.hold(fx.bob, "B1").await.unwrap();
    let bobs = fx
        .store
        .reserve(fx.bob, fx.event, &[fx.seat("B1")], Some(&key))
        .await
        .unwrap();
    assert_ne!(bobs.id, first.id);

    // A failed attempt leaves no key behind.
    let key2 = IdempotencyKey::new("checkout-2").unwrap();
    let b2 = [fx.seat("B2")];
    assert!(
        fx.store
            .reserve(fx.alice, fx.event, &b2, Some(&key2))
            .await
            .is_err()
    );
    fx.hold(fx.alice, "B3").await.unwrap();
    fx.store
        .reserve(fx.alice, fx.event, &[fx.seat("B3")], Some(&key2))
        .await
        .expect("the key of a failed attempt is free");

    // A replay shows the reservation as it stands now.
    let cancelled = fx.store.cancel(fx.alice, first.id).await.unwrap();
    let replay = fx
        .store
        .reserve(fx.alice, fx.event, &ids, Some(&key))
        .await
        .unwrap();
    assert_eq!(replay, cancelled);
    fx.finish().await;
}

pub async fn reserve_key_is_forgotten_after_its_ttl<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let key = IdempotencyKey::new("k").unwrap();
    fx.hold(fx.alice, "A1").await.unwrap();
    let first = fx
        .store
        .reserve(fx.alice, fx.event, &[fx.seat("A1")], Some(&key))
        .await
        .unwrap();
    fx.clock.advance(Duration::from_secs(24 * 3600));
    fx.hold(fx.alice, "A2").await.unwrap();
    let second = fx
        .store
        .reserve(fx.alice, fx.event, &[fx.seat("A2")], Some(&key))
        .await
        .expect("an old key is free again");
    assert_ne!(second.id, first.id);
    assert_eq!(second.idempotency_key.as_ref(), Some(&key));
    let listed = fx.store.reservations(fx.alice).await.unwrap();
    let old = listed.iter().find(|r| r.id == first.id).unwrap();
    assert_eq!(
        old.idempotency_key, None,
        "the old reservation let go of it"
    );
    assert_eq!(old.status, ReservationStatus::Confirmed);
    fx.finish().await;
}

pub async fn reservations_are_the_callers_newest_first<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let mut made = Vec::new();
    for labels in [&["A1"][..], &["A2"], &["B3", "B2"]] {
        for label in labels {
            fx.hold(fx.alice, label).await.unwrap();
        }
        made.push(fx.reserve(fx.alice, labels).await.unwrap());
        fx.clock.advance(Duration::from_secs(1));
    }
    // Two in the same instant: the later id is newer.
    fx.hold(fx.alice, "A4").await.unwrap();
    fx.hold(fx.alice, "A5").await.unwrap();
    made.push(fx.reserve(fx.alice, &["A4"]).await.unwrap());
    made.push(fx.reserve(fx.alice, &["A5"]).await.unwrap());
    fx.hold(fx.bob, "B1").await.unwrap();
    fx.reserve(fx.bob, &["B1"]).await.unwrap();
    fx.store.cancel(fx.alice, made[1].id).await.unwrap();

    // Each with its own seats, by row then number.
    let listed: Vec<(ReservationId, Vec<String>)> = fx
        .store
        .reservations(fx.alice)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.id, r.seat_labels()))
        .collect();
    let mut expected: Vec<_> = made.iter().map(|r| (r.id, r.seat_labels())).collect();
    expected.reverse();
    assert_eq!(listed, expected);
    assert_eq!(listed[2].1, ["B2", "B3"]);
    assert_eq!(fx.store.reservations(fx.carol).await.unwrap(), []);
    let ghost = UserId::new(fx.carol.get() + 1000);
    assert_eq!(fx.store.reservations(ghost).await.unwrap(), []);
    fx.finish().await;
}

pub async fn cancel_releases_every_seat_once<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    let r = fx.reserve(fx.alice, &["A1", "A2"]).await.unwrap();
    fx.clock.advance(Duration::from_secs(5));
    let cancelled = fx.store.cancel(fx.alice, r.id).await.unwrap();
    assert_eq!(cancelled.status, ReservationStatus::Cancelled);
    assert_eq!(cancelled.cancelled_at, Some(fx.clock.now()));
    assert_eq!(cancelled.seats, r.seats, "history keeps its seats");
    assert_eq!(cancelled.total_cents, r.total_cents);
    assert_eq!(fx.state("A1").await, SeatState::Available);
    assert_eq!(fx.state("A2").await, SeatState::Available);
    assert_eq!(fx.available().await, 10);

    let err = fx.store.cancel(fx.alice, r.id).await.unwrap_err();
    assert!(
        matches!(err, Error::AlreadyCancelled { id } if id == r.id),
        "{err:?}"
    );
    // The seats are free for anyone.
    fx.hold(fx.bob, "A1").await.unwrap();
    fx.reserve(fx.bob, &["A1"]).await.unwrap();
    fx.finish().await;
}

pub async fn cancel_of_someone_elses_reservation_is_not_found<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let r = fx.reserve(fx.alice, &["A1"]).await.unwrap();
    assert_not_found(fx.store.cancel(fx.bob, r.id).await, Entity::Reservation);
    let unknown = ReservationId::new(r.id.get() + 1000);
    assert_not_found(
        fx.store.cancel(fx.alice, unknown).await,
        Entity::Reservation,
    );
    assert_eq!(
        fx.state("A1").await,
        SeatState::Reserved { reservation: r.id }
    );
    fx.finish().await;
}

/// Staff cancel anyone's reservation with a reason: its seats are
/// available, and its customer sees who cancelled it and why; a customer's
/// own cancel says it was theirs, with no reason.
pub async fn staff_cancel_frees_the_seats_and_tells_the_customer_why<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    let r = fx.reserve(fx.alice, &["A1", "A2"]).await.unwrap();
    assert_eq!((r.cancelled_by, r.cancel_reason.as_deref()), (None, None));
    fx.clock.advance(Duration::from_secs(60));
    let cancelled = fx
        .store
        .staff_cancel(fx.staff, r.id, "The artist is ill")
        .await
        .unwrap();
    assert_eq!(cancelled.status, ReservationStatus::Cancelled);
    assert_eq!(cancelled.cancelled_at, Some(fx.clock.now()));
    assert_eq!(cancelled.cancelled_by, Some(fx.staff));
    assert_eq!(
        cancelled.cancel_reason.as_deref(),
        Some("The artist is ill")
    );
    assert_eq!(fx.store.reservations(fx.alice).await.unwrap(), [cancelled]);
    for label in ["A1", "A2"] {
        assert_eq!(fx.state(label).await, SeatState::Available, "{label}");
    }
    assert_eq!(fx.available().await, 10);

    fx.hold(fx.bob, "B1").await.unwrap();
    let own = fx.reserve(fx.bob, &["B1"]).await.unwrap();
    let own = fx.store.cancel(fx.bob, own.id).await.unwrap();
    assert_eq!((own.cancelled_by, own.cancel_reason), (Some(fx.bob), None));
    fx.finish().await;
}

/// A staff cancel needs a reason, an existing reservation not yet
/// cancelled, and an existing user; refused, it changes nothing and
/// leaves no audit record.
pub async fn staff_cancel_refuses_bad_input_and_changes_nothing<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let r = fx.reserve(fx.alice, &["A1"]).await.unwrap();
    for blank in ["", "   ", "line\nbreak", &"x".repeat(201)] {
        let err = fx.store.staff_cancel(fx.staff, r.id, blank).await;
        assert_eq!(err.unwrap_err().code(), "invalid_input", "{blank:?}");
    }
    let unknown = ReservationId::new(r.id.get() + 1000);
    assert_not_found(
        fx.store.staff_cancel(fx.staff, unknown, "why").await,
        Entity::Reservation,
    );
    let ghost = UserId::new(fx.staff.get() + 1000);
    assert_not_found(
        fx.store.staff_cancel(ghost, r.id, "why").await,
        Entity::User,
    );
    assert_eq!(
        fx.state("A1").await,
        SeatState::Reserved { reservation: r.id }
    );
    assert_eq!(audit_all(&*fx.store).await.len(), 1, "the reserve's alone");
    fx.store.cancel(fx.alice, r.id).await.unwrap();
    let err = fx
        .store
        .staff_cancel(fx.staff, r.id, "why")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyCancelled { .. }), "{err:?}");
    let log = audit_all(&*fx.store).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, AuditAction::Cancel);
    fx.finish().await;
}

// ---- event cancellation ------------------------------------------------------

/// Asserts that `result` is the refusal of the cancelled event `event`.
fn assert_event_cancelled<T: std::fmt::Debug>(
    result: crate::Result<T>,
    event: EventId,
    what: &str,
) {
    match result {
        Err(Error::EventCancelled { id }) if id == event => {}
        other => panic!("{what}: expected EventCancelled, got {other:?}"),
    }
}

/// Asserts that the audit log's records after the first `logged_before`
/// are the fixture event's cancel by staff with `reason` at the clock's
/// now, then a staff cancel of each of `reservations` (of seats `A1 A2`
/// and `B1`).
async fn assert_cancel_records<F: StoreFactory>(
    fx: &Fixture<'_, F>,
    logged_before: usize,
    reservations: &[ReservationId; 2],
    reason: &str,
) {
    let log = audit_all(&*fx.store).await;
    let new: Vec<_> = log[..log.len() - logged_before]
        .iter()
        .rev()
        .map(|r| {
            (
                r.actor,
                r.action,
                r.event,
                r.reservation,
                r.seats.join(" "),
                r.reason.as_str(),
                r.at,
            )
        })
        .collect();
    let now = fx.clock.now();
    let (staff, event) = (Some(fx.staff), Some(fx.event));
    assert_eq!(
        new,
        [
            (
                staff,
                AuditAction::CancelEvent,
                event,
                None,
                String::new(),
                reason,
                now
            ),
            (
                staff,
                AuditAction::StaffCancel,
                event,
                Some(reservations[0]),
                "A1 A2".to_owned(),
                reason,
                now
            ),
            (
                staff,
                AuditAction::StaffCancel,
                event,
                Some(reservations[1]),
                "B1".to_owned(),
                reason,
                now
            ),
        ]
    );
}

/// An event cancel marks the event cancelled (at, by, reason, in every
/// read), cancels each confirmed reservation as a staff cancel with its
/// reason, releases every hold, keeps blocks, and writes one
/// `cancel_event` record and one `staff_cancel` record per reservation;
/// another event is untouched.
pub async fn cancel_event_cancels_its_reservations_and_holds<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let other = fx
        .store
        .create_event(new_event("Other", &fx.clock, "A:1-2:1000"))
        .await
        .unwrap()
        .event
        .id;
    let other_seat = super::seat_ids(&*fx.store, other).await[0];
    fx.store.hold(fx.carol, other, other_seat).await.unwrap();
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    let alices = fx.reserve(fx.alice, &["A1", "A2"]).await.unwrap();
    fx.hold(fx.bob, "B1").await.unwrap();
    let bobs = fx.reserve(fx.bob, &["B1"]).await.unwrap();
    fx.hold(fx.bob, "B2").await.unwrap();
    let own = fx.reserve(fx.bob, &["B2"]).await.unwrap();
    let own = fx.store.cancel(fx.bob, own.id).await.unwrap();
    fx.hold(fx.carol, "A3").await.unwrap();
    fx.hold(fx.carol, "A4").await.unwrap();
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["A5"]), "broken")
        .await
        .unwrap();
    let logged_before = audit_all(&*fx.store).await.len();
    fx.clock.advance(Duration::from_secs(60));

    let reason = "The venue is flooded";
    let done = fx
        .store
        .cancel_event(fx.staff, fx.event, reason)
        .await
        .unwrap();
    let cancellation = crate::Cancellation {
        at: fx.clock.now(),
        by: fx.staff,
        reason: reason.to_owned(),
    };
    assert_eq!(done.event.cancelled.as_ref(), Some(&cancellation));
    assert_eq!(done.event.name, "Fixture");
    assert_eq!(
        done.reservations,
        [alices.id, bobs.id],
        "ascending, confirmed only"
    );
    let summary = fx.store.event(fx.event).await.unwrap();
    assert_eq!(summary.event, done.event, "read back as cancelled");
    let listed = fx.store.events().await.unwrap();
    let listed = listed.iter().find(|e| e.event.id == fx.event).unwrap();
    assert_eq!(listed.event.cancelled.as_ref(), Some(&cancellation));
    assert_eq!(
        (
            summary.reserved_seats,
            summary.held_seats,
            summary.blocked_seats
        ),
        (0, 0, 1)
    );
    for (user, id) in [(fx.alice, alices.id), (fx.bob, bobs.id)] {
        let mine = fx.store.reservations(user).await.unwrap();
        let r = mine.iter().find(|r| r.id == id).unwrap();
        assert_eq!(r.status, ReservationStatus::Cancelled);
        assert_eq!(
            (r.cancelled_at, r.cancelled_by, r.cancel_reason.as_deref()),
            (Some(fx.clock.now()), Some(fx.staff), Some(reason)),
            "its customer sees why"
        );
    }
    let mine = fx.store.reservations(fx.bob).await.unwrap();
    assert_eq!(
        mine.iter().find(|r| r.id == own.id),
        Some(&own),
        "cancelled before: as it was"
    );
    for record in fx.store.seats(fx.event).await.unwrap() {
        assert_eq!(record.state, SeatState::Available, "{}", record.seat.label);
        assert_eq!(
            record.blocked.is_some(),
            record.seat.label == "A5",
            "{}: blocks stay",
            record.seat.label
        );
    }
    let others = fx.store.seats(other).await.unwrap();
    assert!(
        others[0].state.is_held_by(fx.carol),
        "another event keeps its holds"
    );
    assert!(
        fx.store
            .event(other)
            .await
            .unwrap()
            .event
            .cancelled
            .is_none()
    );

    assert_cancel_records(&fx, logged_before, &[alices.id, bobs.id], reason).await;
    fx.finish().await;
}

/// Once cancelled, an event refuses holds, best available, reserves,
/// blocks, unblocks, edits and another cancel (`EventCancelled`, with no
/// audit record), a blocked seat's hold too; an id of no seat of it is
/// still `NotFound(Seat)`; its reads answer.
pub async fn a_cancelled_event_refuses_every_write<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let r = fx.reserve(fx.alice, &["A1"]).await.unwrap();
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["B5"]), "house")
        .await
        .unwrap();
    fx.store
        .cancel_event(fx.staff, fx.event, "Postponed")
        .await
        .unwrap();
    let logged = audit_all(&*fx.store).await.len();
    let event = fx.event;
    assert_event_cancelled(fx.hold(fx.bob, "A2").await, event, "hold");
    assert_event_cancelled(fx.hold(fx.bob, "B5").await, event, "hold of a blocked seat");
    assert_event_cancelled(
        fx.hold(fx.alice, "A1").await,
        event,
        "hold of a seat cancelled",
    );
    let ghost = UserId::new(fx.staff.get() + 1000);
    assert_event_cancelled(fx.hold(ghost, "A2").await, event, "hold by an unknown user");
    assert_not_found(
        fx.store.hold(fx.bob, event, SeatId::new(999_999)).await,
        Entity::Seat,
    );
    for count in [1, 2] {
        let best = fx
            .store
            .best_available(fx.bob, event, &crate::BestAvailable::new(count))
            .await;
        assert_event_cancelled(best, event, "best available");
    }
    assert_event_cancelled(fx.reserve(fx.bob, &["A2"]).await, event, "reserve");
    assert_event_cancelled(
        fx.store
            .block(fx.staff, event, &fx.seats(&["A3"]), "why")
            .await,
        event,
        "block",
    );
    assert_event_cancelled(
        fx.store
            .unblock(fx.staff, event, &fx.seats(&["B5"]), "why")
            .await,
        event,
        "unblock",
    );
    let edit = crate::EventEdit {
        name: Some("Renamed".into()),
        ..crate::EventEdit::default()
    };
    assert_event_cancelled(
        fx.store.edit_event(fx.staff, event, &edit).await,
        event,
        "edit",
    );
    assert_event_cancelled(
        fx.store.cancel_event(fx.staff, event, "again").await,
        event,
        "a second cancel",
    );
    assert_eq!(
        audit_all(&*fx.store).await.len(),
        logged,
        "refusals leave no record"
    );

    // Reads answer, as they stand.
    let summary = fx.store.event(event).await.unwrap();
    assert_eq!(summary.event.name, "Fixture", "not renamed");
    assert_eq!(
        summary.event.cancelled.as_ref().unwrap().reason,
        "Postponed"
    );
    assert_eq!(
        (summary.available_seats, summary.blocked_seats),
        (9, 1),
        "counted as the seats stand"
    );
    assert_eq!(fx.store.seats(event).await.unwrap().len(), 10);
    assert_eq!(
        fx.store.seats_in_section(event, "").await.unwrap().len(),
        10
    );
    let listed = fx
        .store
        .event_reservations(event, &crate::ReservationFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].cancel_reason.as_deref(), Some("Postponed"));
    let sales = crate::Sales::read(&*fx.store, event).await.unwrap();
    assert_eq!((sales.total.sold, sales.total.revenue_cents), (0, 0));
    assert!(matches!(
        fx.store.cancel(fx.alice, r.id).await,
        Err(Error::AlreadyCancelled { .. })
    ));
    fx.finish().await;
}

/// An event cancel needs a reason, an existing event and an existing
/// user; refused, it changes nothing and leaves no audit record.
pub async fn cancel_event_refuses_bad_input_and_changes_nothing<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let r = fx.reserve(fx.alice, &["A1"]).await.unwrap();
    fx.hold(fx.bob, "B1").await.unwrap();
    let seats_before = fx.store.seats(fx.event).await.unwrap();
    let logged = audit_all(&*fx.store).await.len();
    for blank in ["", "   ", "line\nbreak", &"x".repeat(201)] {
        let err = fx.store.cancel_event(fx.staff, fx.event, blank).await;
        assert_eq!(err.unwrap_err().code(), "invalid_input", "{blank:?}");
    }
    assert_not_found(
        fx.store
            .cancel_event(fx.staff, EventId::new(999_999), "why")
            .await,
        Entity::Event,
    );
    let ghost = UserId::new(fx.staff.get() + 1000);
    assert_not_found(
        fx.store.cancel_event(ghost, fx.event, "why").await,
        Entity::User,
    );
    assert!(
        fx.store
            .event(fx.event)
            .await
            .unwrap()
            .event
            .cancelled
            .is_none()
    );
    assert_eq!(fx.store.seats(fx.event).await.unwrap(), seats_before);
    let mine = fx.store.reservations(fx.alice).await.unwrap();
    assert_eq!(mine, [r], "still confirmed");
    assert_eq!(audit_all(&*fx.store).await.len(), logged);
    // Still open: holds and reserves go on.
    fx.hold(fx.carol, "B2").await.unwrap();
    fx.reserve(fx.carol, &["B2"]).await.unwrap();
    fx.finish().await;
}

/// What the racers of [`race_cancel_event_against_holds_and_reserves`]
/// share: how many reservations they made, and the signal that enough
/// were made for the cancel to start.
#[derive(Default)]
struct CancelRace {
    made: std::sync::atomic::AtomicUsize,
    enough: tokio::sync::Notify,
}

/// A racer of [`race_cancel_event_against_holds_and_reserves`]: holds its
/// `own` two seats (or, when `best`, asks best available for two) and
/// reserves them, over and over, until the event is cancelled; returns the
/// reservations it made.
async fn cancel_racer<S: BookingStore>(
    store: Arc<S>,
    user: UserId,
    event: EventId,
    own: [SeatId; 2],
    best: bool,
    race: Arc<CancelRace>,
) -> Vec<ReservationId> {
    let mut reservations = Vec::new();
    // The last reservation is kept a round, then cancelled by
    // its customer before the next: most of the time each
    // racer has one to be cancelled by staff.
    let mut kept: Option<ReservationId> = None;
    loop {
        if let Some(id) = kept.take() {
            match store.cancel(user, id).await {
                // Staff may have been first.
                Ok(_) | Err(Error::AlreadyCancelled { .. }) => {}
                Err(e) => panic!("cancel: {e:?}"),
            }
        }
        let held = if best {
            store
                .best_available(user, event, &crate::BestAvailable::new(2))
                .await
                .map(|holds| holds.iter().map(|h| h.seat.id).collect::<Vec<_>>())
        } else {
            match store.hold(user, event, own[0]).await {
                Ok(_) => store.hold(user, event, own[1]).await.map(|_| own.to_vec()),
                Err(e) => Err(e),
            }
        };
        let reserved = match held {
            Ok(ids) => store.reserve(user, event, &ids, None).await,
            Err(e) => Err(e),
        };
        match reserved {
            Ok(r) => {
                reservations.push(r.id);
                kept = Some(r.id);
                if race.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 24 {
                    race.enough.notify_one();
                }
                // A store that never waits would not let the
                // cancel's task run.
                tokio::task::yield_now().await;
            }
            Err(Error::EventCancelled { id }) if id == event => {
                return reservations;
            }
            // Best available and the holds meet: refusals the
            // race explains.
            Err(e)
                if e.conflicts().is_some()
                    || matches!(e, Error::NoAdjacentSeats { .. } | Error::HoldLimit { .. }) =>
            {
                // A hold left from a failed pair is let go.
                for &seat in &own {
                    let _ = store.release(user, event, seat).await;
                }
                tokio::task::yield_now().await;
            }
            Err(e) => panic!("user {user}: {e:?}"),
        }
    }
}

/// An event cancel racing many users' holds, best available and reserves
/// of the same event (and their own cancels): once it has returned, and
/// the others have stopped at their first `EventCancelled`, the event has
/// no live hold and no confirmed reservation; every reservation made is
/// cancelled, by staff (and then listed in the cancel's answer) or by its
/// owner before; the invariants hold.
pub async fn race_cancel_event_against_holds_and_reserves<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let event = fx
        .store
        .create_event(new_event("Raced", &fx.clock, "A-D:1-10:1000"))
        .await
        .unwrap()
        .event
        .id;
    let seats = super::seat_ids(&*fx.store, event).await;
    let users = fx.create_users("canceller", 16).await;
    let race = Arc::new(CancelRace::default());
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, &user)| {
            // Two seats of its own for the holders; one racer in four asks
            // best available for two seats anywhere.
            let racer = cancel_racer(
                Arc::clone(&fx.store),
                user,
                event,
                [seats[2 * i], seats[2 * i + 1]],
                i % 4 == 3,
                Arc::clone(&race),
            );
            tokio::spawn(async move { (user, racer.await) })
        })
        .collect();
    race.enough.notified().await;
    let reason = "Cancelled by the promoter";
    let done = fx
        .store
        .cancel_event(fx.staff, event, reason)
        .await
        .unwrap();
    let mut made_by: HashMap<ReservationId, UserId> = HashMap::new();
    for task in tasks {
        let (user, reservations) = task.await.expect("a racer panicked");
        made_by.extend(reservations.into_iter().map(|id| (id, user)));
    }
    assert!(made_by.len() >= 24, "{} reservations", made_by.len());

    let summary = fx.store.event(event).await.unwrap();
    assert_eq!(summary.event.cancelled.as_ref().unwrap().reason, reason);
    assert_eq!((summary.held_seats, summary.reserved_seats), (0, 0));
    for record in fx.store.seats(event).await.unwrap() {
        assert_eq!(record.state, SeatState::Available, "{}", record.seat.label);
    }
    let mut listed: HashMap<ReservationId, Reservation> = HashMap::new();
    let mut before = None;
    loop {
        let filter = crate::ReservationFilter {
            before,
            limit: crate::ReservationFilter::MAX_LIMIT,
            ..crate::ReservationFilter::default()
        };
        let page = fx.store.event_reservations(event, &filter).await.unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        listed.extend(page.into_iter().map(|r| (r.id, r)));
    }
    assert_eq!(
        listed.len(),
        made_by.len(),
        "every reserve answered, and only those"
    );
    let by_staff: HashSet<ReservationId> = done.reservations.iter().copied().collect();
    assert_eq!(by_staff.len(), done.reservations.len());
    for (id, user) in &made_by {
        let r = &listed[id];
        assert_eq!(r.status, ReservationStatus::Cancelled, "reservation {id}");
        if by_staff.contains(id) {
            assert_eq!(
                (r.cancelled_by, r.cancel_reason.as_deref()),
                (Some(fx.staff), Some(reason))
            );
        } else {
            assert_eq!(
                (r.cancelled_by, r.cancel_reason.as_deref()),
                (Some(*user), None)
            );
        }
    }
    let mut all_users = fx.users();
    all_users.extend(&users);
    check_invariants(&*fx.store, event, &all_users)
        .await
        .expect("invariants after the race");
    fx.finish().await;
}

/// Staff edit an event's name, description, venue text and start time;
/// its seats, their states and its reservations stay, the reservations
/// under the new name; a bad edit changes nothing.
pub async fn edit_event_changes_only_its_details<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.reserve(fx.alice, &["A1"]).await.unwrap();
    fx.hold(fx.bob, "A2").await.unwrap();
    let seats_before = fx.store.seats(fx.event).await.unwrap();
    let before = fx.store.event(fx.event).await.unwrap();
    let later = before.event.starts_at + TimeDelta::days(7);
    let rename = crate::EventEdit {
        name: Some("Fixture, moved".into()),
        starts_at: Some(later),
        ..crate::EventEdit::default()
    };
    let edited = fx
        .store
        .edit_event(fx.staff, fx.event, &rename)
        .await
        .unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.starts_at),
        ("Fixture, moved", later)
    );
    assert_eq!(edited.venue, before.event.venue, "not given: kept");
    let after = fx.store.event(fx.event).await.unwrap();
    assert_eq!(after.event, edited);
    assert_eq!(
        (after.categories, after.sections),
        (before.categories.clone(), before.sections.clone()),
        "the same seats and counts"
    );
    assert_eq!(fx.store.seats(fx.event).await.unwrap(), seats_before);
    let mine = fx.store.reservations(fx.alice).await.unwrap();
    assert_eq!(mine[0].event_name, "Fixture, moved");
    let more = crate::EventEdit {
        description: Some("Now a week later.".into()),
        venue: Some("Hall 2".into()),
        ..crate::EventEdit::default()
    };
    let edited = fx
        .store
        .edit_event(fx.staff, fx.event, &more)
        .await
        .unwrap();
    assert_eq!(
        (edited.description.as_str(), edited.venue.as_str()),
        ("Now a week later.", "Hall 2")
    );
    assert_eq!(edited.name, "Fixture, moved");

    for bad in [
        crate::EventEdit::default(),
        crate::EventEdit {
            name: Some("  ".into()),
            ..crate::EventEdit::default()
        },
        crate::EventEdit {
            venue: Some("x".repeat(201)),
            ..crate::EventEdit::default()
        },
    ] {
        let err = fx.store.edit_event(fx.staff, fx.event, &bad).await;
        assert_eq!(err.unwrap_err().code(), "invalid_input", "{bad:?}");
    }
    assert_not_found(
        fx.store
            .edit_event(fx.staff, EventId::new(999_999), &more)
            .await,
        Entity::Event,
    );
    let ghost = UserId::new(fx.staff.get() + 1000);
    assert_not_found(
        fx.store.edit_event(ghost, fx.event, &rename).await,
        Entity::User,
    );
    assert_eq!(
        fx.store.event(fx.event).await.unwrap().event,
        edited,
        "unchanged"
    );
    let edits = fx
        .store
        .audit_log(&AuditFilter {
            action: Some(AuditAction::EditEvent),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let reasons: Vec<_> = edits.iter().map(|r| (r.actor, r.reason.as_str())).collect();
    assert_eq!(
        reasons,
        [
            (Some(fx.staff), "description, venue"),
            (Some(fx.staff), "name, starts_at")
        ]
    );
    fx.finish().await;
}

/// Staff list an event's reservations, everyone's, newest first, filtered
/// by status, customer and seat, a page at a time.
pub async fn event_reservations_filter_and_page<F: StoreFactory>(f: &F) {
    use crate::ReservationFilter;
    let fx = Fixture::new(f).await;
    let other = fx
        .store
        .create_event(new_event("Other", &fx.clock, "A:1-2:1000"))
        .await
        .unwrap()
        .event
        .id;
    let other_seats = super::seat_ids(&*fx.store, other).await;
    fx.store
        .hold(fx.alice, other, other_seats[0])
        .await
        .unwrap();
    fx.store
        .reserve(fx.alice, other, &other_seats[..1], None)
        .await
        .unwrap();
    let mut made = Vec::new();
    for (user, labels) in [
        (fx.alice, &["A1", "A2"][..]),
        (fx.bob, &["B1"][..]),
        (fx.alice, &["B2"][..]),
        (fx.carol, &["A3"][..]),
    ] {
        for label in labels {
            fx.hold(user, label).await.unwrap();
        }
        made.push(fx.reserve(user, labels).await.unwrap());
    }
    fx.store.cancel(fx.bob, made[1].id).await.unwrap();
    fx.hold(fx.carol, "B1").await.unwrap();
    made.push(fx.reserve(fx.carol, &["B1"]).await.unwrap());
    // Newest first, as each reads now.
    let mut all = Vec::new();
    for r in made.iter().rev() {
        let now = fx.store.reservations(r.user).await.unwrap();
        all.push(now.into_iter().find(|x| x.id == r.id).unwrap());
    }
    let list = async |filter: ReservationFilter| {
        fx.store
            .event_reservations(fx.event, &filter)
            .await
            .unwrap()
    };
    let base = ReservationFilter::default();
    assert_eq!(list(base.clone()).await, all, "every one of this event");
    let pick = |keep: &dyn Fn(&Reservation) -> bool| -> Vec<Reservation> {
        all.iter().filter(|r| keep(r)).cloned().collect()
    };
    let mut cancelled = base.clone();
    cancelled.status = Some(ReservationStatus::Cancelled);
    assert_eq!(
        list(cancelled).await,
        pick(&|r| r.status == ReservationStatus::Cancelled)
    );
    let mut alices = base.clone();
    alices.user = Some(fx.alice);
    assert_eq!(list(alices).await, pick(&|r| r.user == fx.alice));
    let mut b1 = base.clone();
    b1.seat = Some("B1".into());
    assert_eq!(list(b1.clone()).await, [all[0].clone(), all[3].clone()]);
    b1.status = Some(ReservationStatus::Confirmed);
    assert_eq!(
        list(b1.clone()).await,
        [all[0].clone()],
        "B1, confirmed: carol's"
    );
    b1.seat = Some("Z9".into());
    assert!(list(b1).await.is_empty(), "no seat Z9");

    let mut pages = Vec::new();
    let mut page = base.clone();
    page.limit = 2;
    loop {
        let got = list(page.clone()).await;
        let Some(oldest) = got.last() else { break };
        page.before = Some(oldest.id);
        pages.push(got);
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(pages.concat(), all);
    fx.finish().await;
}

/// Listing an event's reservations: an unknown event, a page size out of
/// range or a seat label no seat can have is refused.
pub async fn event_reservations_refuse_bad_input<F: StoreFactory>(f: &F) {
    use crate::ReservationFilter;
    let fx = Fixture::new(f).await;
    let base = ReservationFilter::default();
    assert_not_found(
        fx.store
            .event_reservations(EventId::new(999_999), &base)
            .await,
        Entity::Event,
    );
    let mut bad = base.clone();
    bad.limit = 0;
    let err = fx
        .store
        .event_reservations(fx.event, &bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    bad.limit = 10;
    bad.seat = Some("A\u{0}1".into());
    let err = fx
        .store
        .event_reservations(fx.event, &bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    fx.finish().await;
}

/// The sales summary counts each category's seats by state and its
/// revenue, the price of each seat sold; the total sums them.
pub async fn sales_count_each_category_and_its_revenue<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    for label in ["A1", "A2", "B1"] {
        fx.hold(fx.alice, label).await.unwrap();
    }
    fx.reserve(fx.alice, &["A1", "A2", "B1"]).await.unwrap();
    fx.hold(fx.bob, "B2").await.unwrap();
    fx.hold(fx.bob, "A5").await.unwrap();
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["B5", "B4"]), "")
        .await
        .unwrap();
    let sales = crate::Sales::read(&*fx.store, fx.event).await.unwrap();
    let brief = |c: &crate::CategorySales| {
        let counts = (c.total, c.sold, c.held, c.available, c.blocked);
        (c.name.clone(), c.price_cents, counts, c.revenue_cents)
    };
    let rows: Vec<_> = sales.categories.iter().map(brief).collect();
    assert_eq!(
        rows,
        [
            ("$100.00".to_owned(), 10_000, (5, 2, 1, 2, 0), 20_000),
            ("$50.00".to_owned(), 5_000, (5, 1, 1, 1, 2), 5_000),
        ]
    );
    assert_eq!(
        brief(&sales.total),
        (String::new(), 0, (10, 3, 2, 3, 2), 25_000)
    );
    let alices: i64 = fx
        .store
        .reservations(fx.alice)
        .await
        .unwrap()
        .iter()
        .map(|r| r.total_cents)
        .sum();
    assert_eq!(
        sales.total.revenue_cents, alices,
        "the reservations' totals"
    );
    fx.clock.advance(Duration::from_secs(3600));
    let later = crate::Sales::read(&*fx.store, fx.event).await.unwrap();
    assert_eq!(
        (later.total.held, later.total.available),
        (0, 5),
        "holds ended"
    );
    assert_not_found(
        crate::Sales::read(&*fx.store, EventId::new(999_999)).await,
        Entity::Event,
    );
    fx.finish().await;
}

/// A row or a section is blocked, and unblocked, all or nothing: one held
/// seat in it refuses the whole block and nothing changes.
pub async fn a_row_or_a_section_is_blocked_all_or_nothing<F: StoreFactory>(f: &F) {
    use crate::SeatSelection;
    let fx = Fixture::new(f).await;
    let new = venue_event("Venue", &fx.clock, SMALL_VENUE, crate::OrphanPolicy::Allow);
    let event = fx.store.create_event(new).await.unwrap().event.id;
    let ids = labels(&*fx.store, event).await;
    let row_b = SeatSelection::Row {
        section: "Stalls".into(),
        row: "B".parse().unwrap(),
    };
    let stalls_b = row_b.seat_ids(&*fx.store, event).await.unwrap();
    let expected: Vec<SeatId> = (1..=8).map(|n| ids[&format!("Stalls B{n}")]).collect();
    assert_eq!(stalls_b, expected);
    let balcony = SeatSelection::Section("Balcony".into());
    let balcony_ids = balcony.seat_ids(&*fx.store, event).await.unwrap();
    assert_eq!(balcony_ids.len(), 6);

    fx.store
        .hold(fx.alice, event, ids["Stalls B6"])
        .await
        .unwrap();
    let err = fx
        .store
        .block(fx.staff, event, &stalls_b, "sound desk")
        .await
        .unwrap_err();
    assert_eq!(
        conflict_kinds(&err),
        [(ids["Stalls B6"], ConflictKind::SeatLocked)]
    );
    let blocked =
        |seats: Vec<crate::SeatRecord>| seats.iter().filter(|r| r.blocked.is_some()).count();
    assert_eq!(
        blocked(fx.store.seats(event).await.unwrap()),
        0,
        "none blocked"
    );

    fx.store
        .release(fx.alice, event, ids["Stalls B6"])
        .await
        .unwrap();
    fx.store
        .block(fx.staff, event, &stalls_b, "sound desk")
        .await
        .unwrap();
    fx.store
        .block(fx.staff, event, &balcony_ids, "closed")
        .await
        .unwrap();
    let summary = fx.store.event(event).await.unwrap();
    let by_section: Vec<u32> = summary.sections.iter().map(|s| s.seats.blocked).collect();
    assert_eq!(by_section, [8, 6]);
    fx.store
        .unblock(fx.staff, event, &balcony_ids, "open again")
        .await
        .unwrap();
    assert_eq!(blocked(fx.store.seats(event).await.unwrap()), 8);

    let unknown = SeatSelection::Section("Gallery".into());
    let err = unknown.seat_ids(&*fx.store, event).await.unwrap_err();
    assert_eq!(err.code(), "unknown_section");
    let no_row = SeatSelection::Row {
        section: "Balcony".into(),
        row: "C".parse().unwrap(),
    };
    let err = no_row.seat_ids(&*fx.store, event).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let log = audit_all(&*fx.store).await;
    let actions: Vec<_> = log.iter().map(|r| (r.action, r.seats.len())).collect();
    assert_eq!(
        actions,
        [
            (AuditAction::Unblock, 6),
            (AuditAction::Block, 6),
            (AuditAction::Block, 8)
        ]
    );
    fx.finish().await;
}

// ---- the audit log -----------------------------------------------------------------

/// Every record of the audit log, newest first.
async fn audit_all<S: BookingStore>(store: &S) -> Vec<AuditRecord> {
    store
        .audit_log(&AuditFilter {
            limit: AuditFilter::MAX_LIMIT,
            ..AuditFilter::default()
        })
        .await
        .expect("the audit log")
}

/// A reserve, a cancel, a block and an unblock each leave exactly one
/// record: who, what, when, the event, the reservation, the seats and the
/// reason.
pub async fn each_audited_write_leaves_one_record<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    assert!(audit_all(&*fx.store).await.is_empty());
    fx.hold(fx.alice, "B2").await.unwrap();
    fx.hold(fx.alice, "A4").await.unwrap();
    let made = fx.reserve(fx.alice, &["B2", "A4"]).await.unwrap();
    let reserved_at = fx.clock.now();
    let log = audit_all(&*fx.store).await;
    assert_eq!(log.len(), 1, "{log:?}");
    let reserve = &log[0];
    assert_eq!(
        (
            reserve.actor,
            reserve.action,
            reserve.event,
            reserve.reservation,
            reserve.at
        ),
        (
            Some(fx.alice),
            AuditAction::Reserve,
            Some(fx.event),
            Some(made.id),
            reserved_at
        )
    );
    assert_eq!(reserve.seats, ["A4", "B2"], "the reservation's order");
    assert_eq!(reserve.reason, "");

    fx.clock.advance(Duration::from_secs(60));
    fx.store.cancel(fx.alice, made.id).await.unwrap();
    fx.clock.advance(Duration::from_secs(60));
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["A5", "A1"]), "house seats")
        .await
        .unwrap();
    fx.clock.advance(Duration::from_secs(60));
    fx.store
        .unblock(fx.staff, fx.event, &fx.seats(&["A1"]), "released to sale")
        .await
        .unwrap();
    fx.hold(fx.bob, "B5").await.unwrap();
    let bobs = fx.reserve(fx.bob, &["B5"]).await.unwrap();
    fx.store
        .staff_cancel(fx.staff, bobs.id, "seat broken")
        .await
        .unwrap();
    let mut log = audit_all(&*fx.store).await;
    let staff_cancel = log.remove(0);
    assert_eq!(
        (
            staff_cancel.actor,
            staff_cancel.action,
            staff_cancel.reservation,
            staff_cancel.reason.as_str()
        ),
        (
            Some(fx.staff),
            AuditAction::StaffCancel,
            Some(bobs.id),
            "seat broken"
        )
    );
    assert_eq!(log.remove(0).action, AuditAction::Reserve, "bob's");
    let brief = |r: &AuditRecord| {
        let seats = r.seats.join(" ");
        (r.actor, r.action, r.reservation, seats, r.reason.clone())
    };
    let summary: Vec<_> = log.iter().map(brief).collect();
    let (unblock, block) = (AuditAction::Unblock, AuditAction::Block);
    let (cancel, reserve) = (AuditAction::Cancel, AuditAction::Reserve);
    let expected = [
        (fx.staff, unblock, None, "A1", "released to sale"),
        (fx.staff, block, None, "A1 A5", "house seats"),
        (fx.alice, cancel, Some(made.id), "A4 B2", ""),
        (fx.alice, reserve, Some(made.id), "A4 B2", ""),
    ]
    .map(|(a, b, c, d, e)| (Some(a), b, c, d.to_owned(), e.to_owned()));
    assert_eq!(summary, expected);
    let minute = TimeDelta::seconds(60);
    let times: Vec<_> = log.iter().map(|r| r.at).collect();
    assert_eq!(
        times,
        [
            reserved_at + minute * 3,
            reserved_at + minute * 2,
            reserved_at + minute,
            reserved_at
        ]
    );
    assert!(log.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(log.iter().all(|r| r.event == Some(fx.event)));
    fx.finish().await;
}

/// A write refused, for whatever reason, leaves no record; nor does a
/// reserve replayed from its idempotency key, nor a hold or a release.
pub async fn a_refused_write_leaves_no_audit_record<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.bob, "A2").await.unwrap();
    fx.store
        .release(fx.bob, fx.event, fx.seat("A2"))
        .await
        .unwrap();
    fx.hold(fx.bob, "A3").await.unwrap();
    assert!(
        audit_all(&*fx.store).await.is_empty(),
        "holds are not audited"
    );

    // Refused reserves: a seat not held, another's, none at all.
    assert!(fx.reserve(fx.alice, &["A1", "A2"]).await.is_err());
    assert!(fx.reserve(fx.alice, &["A3"]).await.is_err());
    assert!(fx.reserve(fx.alice, &[]).await.is_err());
    // Refused blocks and unblocks: a held seat, a bad reason, an unknown
    // user, a seat of no event.
    assert!(
        fx.store
            .block(fx.staff, fx.event, &fx.seats(&["A4", "A3"]), "")
            .await
            .is_err()
    );
    assert!(
        fx.store
            .block(fx.staff, fx.event, &fx.seats(&["A4"]), "bad\nreason")
            .await
            .is_err()
    );
    let ghost = UserId::new(fx.staff.get() + 1000);
    assert_not_found(
        fx.store
            .block(ghost, fx.event, &fx.seats(&["A4"]), "")
            .await,
        Entity::User,
    );
    assert_not_found(
        fx.store
            .unblock(ghost, fx.event, &fx.seats(&["A4"]), "")
            .await,
        Entity::User,
    );
    assert_eq!(fx.state("A4").await, SeatState::Available, "not blocked");
    assert!(
        fx.store
            .unblock(fx.staff, fx.event, &[SeatId::new(999_999)], "")
            .await
            .is_err()
    );
    assert!(audit_all(&*fx.store).await.is_empty(), "nothing refused is");

    let key = IdempotencyKey::new("once").unwrap();
    let ids = fx.seats(&["A1"]);
    let made = fx
        .store
        .reserve(fx.alice, fx.event, &ids, Some(&key))
        .await
        .unwrap();
    let replayed = fx
        .store
        .reserve(fx.alice, fx.event, &ids, Some(&key))
        .await
        .unwrap();
    assert_eq!(replayed, made);
    assert_eq!(
        audit_all(&*fx.store).await.len(),
        1,
        "a replay is no reserve"
    );

    // Refused cancels: someone else's, unknown, already cancelled.
    assert!(fx.store.cancel(fx.bob, made.id).await.is_err());
    assert!(
        fx.store
            .cancel(fx.alice, ReservationId::new(made.id.get() + 1000))
            .await
            .is_err()
    );
    fx.store.cancel(fx.alice, made.id).await.unwrap();
    assert!(fx.store.cancel(fx.alice, made.id).await.is_err());
    let actions: Vec<_> = audit_all(&*fx.store)
        .await
        .iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, [AuditAction::Cancel, AuditAction::Reserve]);
    fx.finish().await;
}

/// The audit log is read newest first, filtered by event, actor, action
/// and time, a page at a time; a page size out of range is refused.
pub async fn audit_log_filters_and_pages<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let other = fx
        .store
        .create_event(new_event("Other", &fx.clock, "A:1-4:1000"))
        .await
        .unwrap()
        .event
        .id;
    let other_seats = super::seat_ids(&*fx.store, other).await;
    let start = fx.clock.now();
    // Alice reserves A1 and A2 one by one; Bob reserves one seat of the
    // other event; staff block B5 in both; a minute between each.
    for label in ["A1", "A2"] {
        fx.hold(fx.alice, label).await.unwrap();
        fx.reserve(fx.alice, &[label]).await.unwrap();
        fx.clock.advance(Duration::from_secs(60));
    }
    fx.store.hold(fx.bob, other, other_seats[0]).await.unwrap();
    fx.store
        .reserve(fx.bob, other, &other_seats[..1], None)
        .await
        .unwrap();
    fx.clock.advance(Duration::from_secs(60));
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["B5"]), "broken")
        .await
        .unwrap();
    fx.store
        .block(fx.staff, other, &other_seats[3..], "camera")
        .await
        .unwrap();
    let all = audit_all(&*fx.store).await;
    assert_eq!(all.len(), 5);

    let read = async |filter: AuditFilter| -> Vec<AuditRecord> {
        fx.store.audit_log(&filter).await.unwrap()
    };
    let expected = |keep: &dyn Fn(&AuditRecord) -> bool| -> Vec<AuditRecord> {
        all.iter().filter(|r| keep(r)).cloned().collect()
    };
    let base = AuditFilter::default();
    let (mut by_event, mut by_actor, mut by_both) = (base.clone(), base.clone(), base.clone());
    by_event.event = Some(other);
    by_actor.actor = Some(fx.alice);
    (by_both.action, by_both.event) = (Some(AuditAction::Block), Some(fx.event));
    assert_eq!(read(by_event).await, expected(&|r| r.event == Some(other)));
    assert_eq!(
        read(by_actor).await,
        expected(&|r| r.actor == Some(fx.alice))
    );
    assert_eq!(
        read(by_both).await,
        expected(&|r| r.action == AuditAction::Block && r.event == Some(fx.event))
    );
    let one_minute_in = start + TimeDelta::seconds(60);
    let two_minutes_in = start + TimeDelta::seconds(120);
    let window = read(AuditFilter {
        since: Some(one_minute_in),
        until: Some(two_minutes_in),
        ..base.clone()
    })
    .await;
    assert_eq!(
        window,
        expected(&|r| r.at >= one_minute_in && r.at < two_minutes_in)
    );
    assert_eq!(window.len(), 1, "A2's reserve, and not the one at the end");
    let mut nobody = base.clone();
    nobody.actor = Some(fx.carol);
    assert!(read(nobody).await.is_empty());

    // Pages of two: newest first, each page after the last id of the one before.
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = read(AuditFilter {
            limit: 2,
            before,
            ..base.clone()
        })
        .await;
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        before = page.last().map(|r| r.id);
        pages.push(page);
    }
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.concat(), all);

    for limit in [0, AuditFilter::MAX_LIMIT + 1] {
        let err = fx
            .store
            .audit_log(&AuditFilter {
                limit,
                ..base.clone()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "limit {limit}");
    }
    fx.finish().await;
}

/// A record never changes once written: cancelling the reservation it
/// recorded, unblocking the seats it blocked, anything done after leaves
/// it as it was.
pub async fn audit_records_never_change<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let made = fx.reserve(fx.alice, &["A1"]).await.unwrap();
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["B1"]), "first reason")
        .await
        .unwrap();
    let before = audit_all(&*fx.store).await;
    fx.clock.advance(Duration::from_secs(3600));
    fx.store.cancel(fx.alice, made.id).await.unwrap();
    fx.store
        .block(fx.staff, fx.event, &fx.seats(&["B1"]), "second reason")
        .await
        .unwrap();
    fx.store
        .unblock(fx.staff, fx.event, &fx.seats(&["B1"]), "")
        .await
        .unwrap();
    fx.store.set_staff(fx.staff, false).await.unwrap();
    let after = audit_all(&*fx.store).await;
    assert_eq!(after.len(), before.len() + 3);
    assert_eq!(after[3..], before[..], "the first records, as they were");
    fx.finish().await;
}

// ---- accounts and sessions ---------------------------------------------------------

/// Names are unique regardless of case; a login finds a name only as it
/// was registered; text that can be no name finds nobody, without an error.
pub async fn users_have_unique_case_insensitive_names<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let name = Username::new("dave").unwrap();
    assert!(!fx.store.username_taken(&name).await.unwrap());
    let dave = fx.store.create_user(&name, "argon2-hash").await.unwrap();
    assert_eq!(dave.username, name);
    for taken in ["dave", "Dave", "DAVE"] {
        let taken = Username::new(taken).unwrap();
        assert!(fx.store.username_taken(&taken).await.unwrap(), "{taken}");
        let err = fx.store.create_user(&taken, "other").await.unwrap_err();
        assert!(
            matches!(err, Error::UsernameTaken { .. }),
            "{taken}: {err:?}"
        );
    }
    let upper = fx
        .store
        .create_user(&Username::new("Erin").unwrap(), "h")
        .await
        .unwrap();
    assert_ne!(upper.id, dave.id);
    assert!(
        !fx.store
            .username_taken(&Username::new("dav").unwrap())
            .await
            .unwrap()
    );

    let creds = fx.store.credentials("dave").await.unwrap().unwrap();
    assert_eq!(creds.user, dave);
    assert_eq!(creds.password_hash, "argon2-hash");
    assert_eq!(
        fx.store.credentials("Erin").await.unwrap().unwrap().user,
        upper
    );
    for nobody in [
        "nobody",
        "DAVE",
        "erin",
        "dave\0",
        "\0",
        "",
        "d\u{e9}ve",
        &"x".repeat(5000),
    ] {
        assert!(
            fx.store.credentials(nobody).await.unwrap().is_none(),
            "{nobody:?} finds nobody"
        );
    }
    assert_eq!(fx.store.user(dave.id).await.unwrap(), Some(dave));
    let ghost = UserId::new(upper.id.get() + 1000);
    assert_eq!(fx.store.user(ghost).await.unwrap(), None);
    fx.finish().await;
}

/// A new user is a customer; `set_staff` makes them staff and a customer
/// again, and every read of the user says which they are.
pub async fn set_staff_makes_a_user_staff_and_back<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let alice = fx.store.user(fx.alice).await.unwrap().unwrap();
    assert!(!alice.staff, "a new user is a customer");
    let id = SessionId::new("0123456789abcdef0123456789abcdef").unwrap();
    let hour = Duration::from_secs(3600);
    fx.store.create_session(&id, fx.alice, hour).await.unwrap();
    for staff in [true, true, false, false] {
        let set = fx.store.set_staff(fx.alice, staff).await.unwrap();
        assert_eq!((set.id, set.staff), (fx.alice, staff));
        assert_eq!(set.username, alice.username);
        assert_eq!(fx.store.user(fx.alice).await.unwrap(), Some(set.clone()));
        let creds = fx.store.credentials("alice").await.unwrap().unwrap();
        assert_eq!(creds.user, set);
        let session = fx.store.session(&id).await.unwrap().unwrap();
        assert_eq!(session.user, set);
        let bob = fx.store.user(fx.bob).await.unwrap().unwrap();
        assert!(!bob.staff, "only alice changes");
    }
    let ghost = UserId::new(fx.carol.get() + 1000);
    assert_not_found(fx.store.set_staff(ghost, true).await, Entity::User);
    fx.finish().await;
}

pub async fn sessions_expire_and_can_be_deleted<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let id = SessionId::new("0123456789abcdef0123456789abcdef").unwrap();
    let hour = Duration::from_secs(3600);
    let session = fx.store.create_session(&id, fx.alice, hour).await.unwrap();
    assert_eq!(session.user.id, fx.alice);
    assert_eq!(session.expires_at, fx.clock.now() + TimeDelta::hours(1));
    assert_eq!(fx.store.session(&id).await.unwrap(), Some(session));
    let err = fx
        .store
        .create_session(&id, fx.bob, hour)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "an id in use: {err:?}");
    let ghost = UserId::new(fx.carol.get() + 1000);
    let other = SessionId::new("ffffffffffffffffffffffffffffffff").unwrap();
    assert_not_found(
        fx.store.create_session(&other, ghost, hour).await,
        Entity::User,
    );

    fx.clock.advance(hour);
    assert_eq!(fx.store.session(&id).await.unwrap(), None, "ended");
    let live = fx.store.create_session(&other, fx.bob, hour).await.unwrap();
    assert_eq!(fx.store.delete_expired_sessions().await.unwrap(), 1);
    assert_eq!(fx.store.session(&other).await.unwrap(), Some(live));

    assert!(fx.store.delete_session(&other).await.unwrap());
    assert_eq!(fx.store.session(&other).await.unwrap(), None);
    assert!(!fx.store.delete_session(&other).await.unwrap());
    fx.finish().await;
}

// ---- concurrency -----------------------------------------------------------------

pub async fn race_many_tasks_hold_one_seat_one_wins<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let users = fx.create_users("racer", 64).await;
    let seat = fx.seat("A1");
    let tasks: Vec<_> = users
        .iter()
        .map(|&user| {
            let store = Arc::clone(&fx.store);
            let event = fx.event;
            tokio::spawn(async move { (user, store.hold(user, event, seat).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (user, Ok(_)) => winners.push(user),
            (_, Err(Error::SeatLocked(_))) => {}
            (_, Err(other)) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one of 64 holds wins");
    assert!(matches!(fx.state("A1").await, SeatState::Held { by, .. } if by == winners[0]));
    fx.finish().await;
}

/// Staff block a seat while customers race to hold it, again and again:
/// each time exactly one wins, the block or one hold, never both.
pub async fn race_block_against_holds_has_one_winner<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let users = fx.create_users("racer", 15).await;
    for round in 0..10 {
        let label = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"][round];
        let seat = fx.seat(label);
        let event = fx.event;
        let mut tasks: Vec<_> = users
            .iter()
            .map(|&user| {
                let store = Arc::clone(&fx.store);
                tokio::spawn(
                    async move { (Some(user), store.hold(user, event, seat).await.map(drop)) },
                )
            })
            .collect();
        let (store, staff) = (Arc::clone(&fx.store), fx.staff);
        // The block starts among the holds, not before or after them all.
        tasks.insert(
            round % users.len(),
            tokio::spawn(async move {
                (
                    None,
                    store.block(staff, event, &[seat], "race").await.map(drop),
                )
            }),
        );
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (who, Ok(())) => winners.push(who),
                (Some(_), Err(Error::SeatLocked(_) | Error::SeatBlocked(_)))
                | (None, Err(Error::SeatLocked(_))) => {}
                (who, Err(other)) => panic!("{who:?}: unexpected {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "seat {label}: {winners:?}");
        let record = fx
            .store
            .seats(event)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.seat.id == seat)
            .unwrap();
        match winners[0] {
            None => assert!(record.blocked.is_some() && record.state == SeatState::Available),
            Some(user) => assert!(record.blocked.is_none() && record.state.is_held_by(user)),
        }
    }
    fx.finish().await;
}

pub async fn race_one_user_cannot_exceed_the_hold_limit<F: StoreFactory>(f: &F) {
    let fx = Fixture::with_policy(f, Policy::default().with_max_seats_per_user(3)).await;
    let labels = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"];
    let tasks: Vec<_> = labels
        .iter()
        .map(|label| {
            let store = Arc::clone(&fx.store);
            let (event, seat, alice) = (fx.event, fx.seat(label), fx.alice);
            tokio::spawn(async move { store.hold(alice, event, seat).await })
        })
        .collect();
    let mut held = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => held += 1,
            Err(Error::HoldLimit { limit: 3 }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(held, 3, "ten concurrent holds by one user, limit three");
    assert_eq!(fx.available().await, 7);
    fx.finish().await;
}

pub async fn race_repeated_reserve_reserves_once<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    fx.hold(fx.alice, "A2").await.unwrap();
    let ids = fx.seats(&["A1", "A2"]);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (store, ids) = (Arc::clone(&fx.store), ids.clone());
            let (event, alice) = (fx.event, fx.alice);
            tokio::spawn(async move { store.reserve(alice, event, &ids, None).await })
        })
        .collect();
    let mut made = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => made += 1,
            Err(Error::SeatReserved(_)) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(made, 1);
    assert_eq!(fx.store.reservations(fx.alice).await.unwrap().len(), 1);
    fx.finish().await;
}

pub async fn race_same_idempotency_key_gives_one_reservation<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    fx.hold(fx.alice, "A1").await.unwrap();
    let key = IdempotencyKey::new("double-click").unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (store, key) = (Arc::clone(&fx.store), key.clone());
            let (event, alice, a1) = (fx.event, fx.alice, fx.seat("A1"));
            tokio::spawn(async move { store.reserve(alice, event, &[a1], Some(&key)).await })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        let reservation = task.await.unwrap().expect("every retry gets the answer");
        ids.insert(reservation.id);
    }
    assert_eq!(ids.len(), 1, "one reservation for one key: {ids:?}");
    fx.finish().await;
}

pub async fn race_same_username_one_wins<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let tasks: Vec<_> = ["erin", "Erin", "ERIN", "eRin"]
        .iter()
        .cycle()
        .take(16)
        .map(|name| {
            let store = Arc::clone(&fx.store);
            tokio::spawn(async move {
                store
                    .create_user(&Username::new(*name).unwrap(), "hash")
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(Error::UsernameTaken { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(created, 1);
    fx.finish().await;
}

/// A small deterministic generator, so every run of the race is reproducible
/// in its choices (if not in its interleaving).
pub(super) struct XorShift(pub(super) u64);

impl XorShift {
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).expect("below n")
    }
}

pub async fn race_mixed_operations_keep_the_invariants<F: StoreFactory>(f: &F) {
    let fx = Fixture::with_policy(f, Policy::default().with_max_seats_per_user(4)).await;
    let users = fx.create_users("storm", 12).await;
    let stores = [Arc::clone(&fx.store)];
    let answered = super::storm(&stores, fx.event, &users, 60, Some(&fx.clock)).await;
    for (user, made) in users.iter().zip(answered) {
        let listed = fx.store.reservations(*user).await.unwrap();
        let status = |r: &Reservation| (r.id, r.status);
        assert_eq!(
            listed.iter().map(status).collect::<HashSet<_>>(),
            made.iter().map(status).collect::<HashSet<_>>(),
            "every confirmed reserve and cancel is stored as answered, nothing more"
        );
    }
    fx.finish().await;
}

/// One user of a [`storm`](super::storm), doing random holds, releases,
/// reserves, cancels and clock moves, each through one of its stores.
pub(super) struct StormUser<S> {
    pub(super) stores: Vec<Arc<S>>,
    pub(super) clock: Option<ManualClock>,
    pub(super) event: EventId,
    pub(super) seats: Vec<SeatId>,
    pub(super) user: UserId,
    pub(super) rng: XorShift,
}

impl<S: BookingStore> StormUser<S> {
    /// Runs `ops` operations; returns the reservations made, as last answered.
    pub(super) async fn run(mut self, ops: usize) -> Vec<Reservation> {
        let mut made: Vec<Reservation> = Vec::new();
        for _ in 0..ops {
            let store = Arc::clone(&self.stores[self.rng.below(self.stores.len())]);
            let (user, event) = (self.user, self.event);
            let result = match self.rng.below(10) {
                0..=3 => store.hold(user, event, self.any_seat()).await.map(drop),
                4 => store.release(user, event, self.any_seat()).await.map(drop),
                5..=7 => {
                    let ask = self.seats_to_reserve(&*store).await;
                    let reserved = store.reserve(user, event, &ask, None).await;
                    reserved.map(|r| made.push(r))
                }
                8 => match made
                    .iter_mut()
                    .find(|r| r.status == ReservationStatus::Confirmed)
                {
                    Some(r) => store.cancel(user, r.id).await.map(|c| *r = c),
                    None => Ok(()),
                },
                _ => {
                    if let Some(clock) = &self.clock {
                        clock.advance(Duration::from_secs(40));
                    }
                    Ok(())
                }
            };
            match result {
                Ok(()) | Err(Error::HoldLimit { .. } | Error::MaxHoldReached { .. }) => {}
                Err(e) if e.conflicts().is_some() => {}
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        made
    }

    fn any_seat(&mut self) -> SeatId {
        self.seats[self.rng.below(self.seats.len())]
    }

    /// The seats this user holds, and sometimes one it may not.
    async fn seats_to_reserve(&mut self, store: &S) -> Vec<SeatId> {
        let mut ask: Vec<SeatId> = store
            .seats(self.event)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| matches!(r.state, SeatState::Held { by, .. } if by == self.user))
            .map(|r| r.seat.id)
            .collect();
        let extra = self.any_seat();
        let room = ask.len() < store.policy().max_seats_per_user as usize;
        if (ask.is_empty() || self.rng.below(3) == 0) && room && !ask.contains(&extra) {
            ask.push(extra);
        }
        ask
    }
}

pub async fn seats_in_rows_reads_one_section<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let big = fx
        .store
        .create_event(new_event("Big", &fx.clock, "A-AB:1-3:100"))
        .await
        .unwrap()
        .event
        .id;
    let all = fx.store.seats(big).await.unwrap();
    let row = |label: &str| label.parse::<crate::Row>().unwrap();
    let section = fx
        .store
        .seats_in_rows(big, row("Z")..=row("AA"))
        .await
        .unwrap();
    let labels: Vec<_> = section.iter().map(|r| r.seat.label()).collect();
    assert_eq!(labels, ["Z1", "Z2", "Z3", "AA1", "AA2", "AA3"]);
    let expected: Vec<_> = all
        .iter()
        .filter(|r| (row("Z")..=row("AA")).contains(&r.seat.row))
        .cloned()
        .collect();
    assert_eq!(section, expected);
    // States are as of now, like seats().
    fx.hold(fx.alice, "A1").await.unwrap();
    let first = fx
        .store
        .seats_in_rows(fx.event, row("A")..=row("A"))
        .await
        .unwrap();
    assert_eq!(first.len(), 5);
    assert!(matches!(first[0].state, SeatState::Held { .. }));
    fx.clock.advance(Duration::from_secs(300));
    let later = fx
        .store
        .seats_in_rows(fx.event, row("A")..=row("A"))
        .await
        .unwrap();
    assert_eq!(later[0].state, SeatState::Available);
    // Empty and out-of-range sections.
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = row("C")..=row("B");
    assert_eq!(
        fx.store.seats_in_rows(fx.event, backwards).await.unwrap(),
        []
    );
    assert_eq!(
        fx.store
            .seats_in_rows(fx.event, row("X")..=row("ZZ"))
            .await
            .unwrap(),
        []
    );
    assert_not_found(
        fx.store
            .seats_in_rows(EventId::new(fx.event.get() + 1000), row("A")..=row("B"))
            .await,
        Entity::Event,
    );
    fx.finish().await;
}

pub async fn seats_held_by_lists_a_users_holds_in_every_section<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let new = venue_event("Venue", &fx.clock, SMALL_VENUE, crate::OrphanPolicy::Allow);
    let event = fx.store.create_event(new).await.unwrap().event.id;
    let ids = labels(&*fx.store, event).await;
    let labels_of = |records: Vec<crate::SeatRecord>| -> Vec<String> {
        records.into_iter().map(|r| r.seat.label()).collect()
    };
    assert_eq!(fx.store.seats_held_by(fx.alice, event).await.unwrap(), []);
    for label in ["Balcony A2", "Stalls B3"] {
        fx.store.hold(fx.alice, event, ids[label]).await.unwrap();
    }
    fx.store
        .hold(fx.bob, event, ids["Stalls A1"])
        .await
        .unwrap();
    fx.clock.advance(Duration::from_secs(200));
    fx.store
        .hold(fx.alice, event, ids["Stalls A4"])
        .await
        .unwrap();
    fx.store
        .hold(fx.alice, event, ids["Stalls A5"])
        .await
        .unwrap();
    fx.store
        .reserve(fx.alice, event, &[ids["Stalls A5"]], None)
        .await
        .unwrap();
    // In the map's order; another user's holds and reserved seats are not
    // holds of hers.
    let held = fx.store.seats_held_by(fx.alice, event).await.unwrap();
    let all = fx.store.seats(event).await.unwrap();
    let expected: Vec<_> = all
        .into_iter()
        .filter(|r| matches!(r.state, SeatState::Held { by, .. } if by == fx.alice))
        .collect();
    assert_eq!(held, expected);
    assert_eq!(labels_of(held), ["Stalls A4", "Stalls B3", "Balcony A2"]);
    assert_eq!(
        labels_of(fx.store.seats_held_by(fx.bob, event).await.unwrap()),
        ["Stalls A1"]
    );
    // Holds that have ended are not held.
    fx.clock.advance(Duration::from_secs(100));
    assert_eq!(
        labels_of(fx.store.seats_held_by(fx.alice, event).await.unwrap()),
        ["Stalls A4"]
    );
    assert_not_found(
        fx.store
            .seats_held_by(fx.alice, EventId::new(999_999))
            .await,
        Entity::Event,
    );
    fx.finish().await;
}

pub async fn seats_in_section_reads_one_section<F: StoreFactory>(f: &F) {
    let fx = Fixture::new(f).await;
    let new = venue_event("Venue", &fx.clock, SMALL_VENUE, crate::OrphanPolicy::Allow);
    let event = fx.store.create_event(new).await.unwrap().event.id;
    let ids = labels(&*fx.store, event).await;
    fx.store
        .hold(fx.alice, event, ids["Balcony A2"])
        .await
        .unwrap();
    fx.store
        .block(fx.staff, event, &[ids["Balcony A6"]], "sound desk")
        .await
        .unwrap();
    let all = fx.store.seats(event).await.unwrap();
    for name in ["Stalls", "Balcony"] {
        let section = fx.store.seats_in_section(event, name).await.unwrap();
        let expected: Vec<_> = all
            .iter()
            .filter(|r| r.seat.section == name)
            .cloned()
            .collect();
        assert_eq!(section, expected, "{name}");
    }
    let balcony = fx.store.seats_in_section(event, "Balcony").await.unwrap();
    let names: Vec<_> = balcony.iter().map(|r| r.seat.label()).collect();
    assert_eq!(
        names,
        [
            "Balcony A1",
            "Balcony A2",
            "Balcony A3",
            "Balcony A4",
            "Balcony A5",
            "Balcony A6"
        ]
    );
    assert!(matches!(balcony[1].state, SeatState::Held { by, .. } if by == fx.alice));
    assert_eq!(balcony[5].blocked.as_deref(), Some("sound desk"));
    // States are as of now, like seats().
    fx.clock.advance(Duration::from_secs(300));
    let later = fx.store.seats_in_section(event, "Balcony").await.unwrap();
    assert_eq!(later[1].state, SeatState::Available);
    // Names match exactly; text no section can have is no section, never
    // a storage error.
    for unknown in ["balcony", "Roof", "", "Bal\0cony", "Stalls "] {
        let err = fx.store.seats_in_section(event, unknown).await.unwrap_err();
        assert!(
            matches!(&err, Error::UnknownSection { name } if name == unknown),
            "{unknown:?}: {err:?}"
        );
    }
    // An event made from a seat map has one section, named "".
    let grid = fx.store.seats_in_section(fx.event, "").await.unwrap();
    assert_eq!(grid, fx.store.seats(fx.event).await.unwrap());
    assert_not_found(
        fx.store
            .seats_in_section(EventId::new(event.get() + 1000), "Balcony")
            .await,
        Entity::Event,
    );
    fx.finish().await;
}
