//! The scenarios: what each simulated user does until the budget is spent.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rand::Rng;
use rand::seq::IndexedRandom;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::client::{Answer, Budget, User};

/// Which load to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Fetch one event's seat map over and over.
    Read,
    /// Lock and unlock random seats of one event.
    Churn,
    /// Everyone tries to lock the same seat at the same instant, round after round.
    Hotseat,
    /// The whole booking path: events, seats, lock 1-4 seats, reserve, sometimes cancel.
    Flow,
    /// Best available for 4 seats together, then reserve them (a large
    /// venue sells out in the end: a refusal is an expected 409, and ends
    /// that user's run).
    Bestavail,
}

/// What every user shares in a run.
pub struct Run {
    pub event: i64,
    /// The seat-map path users read (`?rows=` when given one).
    pub seats_path: String,
    /// The seat ids users lock: the event's, or its rows' when given some.
    pub seats: Vec<i64>,
    pub budget: Arc<Budget>,
    pub hotseat: Hotseat,
}

/// The hot-seat rounds: a barrier all users meet at, and each round's winners.
pub struct Hotseat {
    pub barrier: Barrier,
    pub stop: AtomicBool,
    /// Winners of each round so far.
    pub winners: std::sync::Mutex<Vec<usize>>,
    round_winners: AtomicUsize,
}

impl Hotseat {
    pub fn new(users: usize) -> Self {
        Self {
            barrier: Barrier::new(users),
            stop: AtomicBool::new(false),
            winners: std::sync::Mutex::new(Vec::new()),
            round_winners: AtomicUsize::new(0),
        }
    }
}

/// The path of `event`'s seat map, or of its `rows` (`A-J`) only.
pub fn seats_path(event: i64, rows: Option<&str>) -> String {
    match rows {
        Some(rows) => format!("/api/events/{event}/seats/?rows={rows}"),
        None => format!("/api/events/{event}/seats/"),
    }
}

/// Runs `scenario` for one user until the budget is spent.
pub async fn run_user(scenario: Scenario, user: &mut User, run: &Run) {
    match scenario {
        Scenario::Read => read(user, run).await,
        Scenario::Churn => churn(user, run).await,
        Scenario::Hotseat => hotseat(user, run).await,
        Scenario::Flow => flow(user, run).await,
        Scenario::Bestavail => best_available(user, run).await,
    }
}

async fn read(user: &mut User, run: &Run) {
    let path = &run.seats_path;
    while !run.budget.spent() {
        let _ = user
            .call(Method::GET, "GET /api/events/{id}/seats/", path, None, None)
            .await;
    }
}

async fn lock(user: &mut User, event: i64, seat: i64) -> bool {
    let path = format!("/api/events/{event}/seats/{seat}/lock/");
    let endpoint = "POST /api/events/{id}/seats/{id}/lock/";
    user.call(Method::POST, endpoint, &path, Some(json!({})), None)
        .await
        .is_ok_and(|a| a.status == StatusCode::OK)
}

async fn unlock(user: &mut User, event: i64, seat: i64) {
    let path = format!("/api/events/{event}/seats/{seat}/unlock/");
    let endpoint = "POST /api/events/{id}/seats/{id}/unlock/";
    let _ = user
        .call(Method::POST, endpoint, &path, Some(json!({})), None)
        .await;
}

async fn churn(user: &mut User, run: &Run) {
    while !run.budget.spent() {
        let seat = *run
            .seats
            .choose(&mut rand::rng())
            .expect("an event has seats");
        if lock(user, run.event, seat).await {
            unlock(user, run.event, seat).await;
        }
    }
}

async fn hotseat(user: &mut User, run: &Run) {
    let round = &run.hotseat;
    let seat = run.seats[0];
    loop {
        round.barrier.wait().await;
        if round.stop.load(Ordering::SeqCst) {
            break;
        }
        let won = lock(user, run.event, seat).await;
        if won {
            round.round_winners.fetch_add(1, Ordering::SeqCst);
        }
        if round.barrier.wait().await.is_leader() {
            let winners = round.round_winners.swap(0, Ordering::SeqCst);
            round.winners.lock().expect("not poisoned").push(winners);
        }
        if won {
            unlock(user, run.event, seat).await;
        }
        if round.barrier.wait().await.is_leader() && run.budget.spent() {
            round.stop.store(true, Ordering::SeqCst);
        }
    }
}

/// How many seats each best-available request of `bestavail` asks for.
const BEST_AVAILABLE_SEATS: u32 = 4;

async fn best_available(user: &mut User, run: &Run) {
    let event = run.event;
    while !run.budget.spent() {
        let Ok(answer) = user
            .call(
                Method::POST,
                "POST /api/events/{id}/best-available/",
                &format!("/api/events/{event}/best-available/"),
                Some(json!({ "count": BEST_AVAILABLE_SEATS })),
                None,
            )
            .await
        else {
            continue;
        };
        if answer.status == StatusCode::CONFLICT && answer.json()["code"] == "no_adjacent_seats" {
            // Sold out for this size: a quick server sells the stadium out
            // within a run, and the refusals that would follow (a fraction
            // of a millisecond each) would swamp the figures of the sales.
            return;
        }
        if answer.status != StatusCode::OK {
            continue;
        }
        let held: Vec<i64> = answer.json()["seats"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_i64())
            .collect();
        let _ = reserve(user, event, &held).await;
    }
}

/// Reserves `seats` with a fresh idempotency key.
async fn reserve(user: &mut User, event: i64, seats: &[i64]) -> anyhow::Result<Answer> {
    let key = format!("{}-{}", user.name, rand::rng().random::<u64>());
    user.call(
        Method::POST,
        "POST /api/events/{id}/reserve/",
        &format!("/api/events/{event}/reserve/"),
        Some(json!({ "seat_ids": seats })),
        Some(&key),
    )
    .await
}

async fn flow(user: &mut User, run: &Run) {
    let event = run.event;
    while !run.budget.spent() {
        let _ = user
            .call(Method::GET, "GET /api/events/", "/api/events/", None, None)
            .await;
        let Ok(answer) = user
            .call(
                Method::GET,
                "GET /api/events/{id}/seats/",
                &run.seats_path,
                None,
                None,
            )
            .await
        else {
            continue;
        };
        let available: Vec<i64> = answer.json()["seats"]
            .as_array()
            .map(|seats| {
                seats
                    .iter()
                    .filter(|s| s["status"] == "available")
                    .filter_map(|s| s["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default();
        let want = rand::rng().random_range(1..=4);
        let picks: Vec<i64> = available
            .choose_multiple(&mut rand::rng(), want)
            .copied()
            .collect();
        let mut held = Vec::new();
        for seat in picks {
            if lock(user, event, seat).await {
                held.push(seat);
            }
        }
        if held.is_empty() {
            continue;
        }
        let reserved = reserve(user, event, &held).await;
        match reserved {
            Ok(answer) if answer.status == StatusCode::CREATED => {
                if rand::rng().random_bool(0.3) {
                    let id = answer.json()["reservation"]["id"].as_i64().unwrap_or(0);
                    let _ = user
                        .call(
                            Method::POST,
                            "POST /api/reservations/{id}/cancel/",
                            &format!("/api/reservations/{id}/cancel/"),
                            Some(json!({})),
                            None,
                        )
                        .await;
                }
            }
            _ => {
                for seat in held {
                    unlock(user, event, seat).await;
                }
            }
        }
    }
}

/// Checks through the API that no seat of `event` is in two confirmed
/// reservations and that every confirmed reservation's seats show as
/// reserved, reading the map of the `rows` the run locked in (the whole
/// map without them): a seat reserved outside them is not found there, so
/// it is reported too. Returns the problems found.
pub async fn verify(
    users: &mut [User],
    event: i64,
    rows: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut owner: HashMap<String, i64> = HashMap::new();
    for user in users.iter_mut() {
        let answer = user
            .call(
                Method::GET,
                "GET /api/reservations/",
                "/api/reservations/",
                None,
                None,
            )
            .await?;
        for r in answer.json()["reservations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if r["event_id"].as_i64() != Some(event) || r["status"] != "confirmed" {
                continue;
            }
            let id = r["id"].as_i64().unwrap_or_default();
            for seat in r["seats"].as_array().into_iter().flatten() {
                let label = seat.as_str().unwrap_or_default().to_owned();
                if let Some(other) = owner.insert(label.clone(), id) {
                    problems.push(format!(
                        "seat {label} is in confirmed reservations {other} and {id}"
                    ));
                }
            }
        }
    }
    let Some(viewer) = users.first_mut() else {
        return Ok(problems);
    };
    let seats = viewer
        .call(
            Method::GET,
            "GET /api/events/{id}/seats/",
            &seats_path(event, rows),
            None,
            None,
        )
        .await?;
    let seats = seats.json();
    let status: HashMap<&str, &Value> = seats["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["seat_number"].as_str()?, &s["status"])))
        .collect();
    for (label, reservation) in &owner {
        if status.get(label.as_str()).copied() != Some(&json!("reserved")) {
            problems.push(format!(
                "seat {label} of confirmed reservation {reservation} is not shown reserved"
            ));
        }
    }
    Ok(problems)
}
