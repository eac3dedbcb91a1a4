//! `booking-load`: drives any server that speaks the booking API (ours, or
//! the original Django design) with N simulated users, and reports each
//! endpoint's throughput and latency.
//!
//! ```text
//! booking-load --base-url http://127.0.0.1:8000 --scenario read --users 32 --duration-secs 10
//! ```
//!
//! Each user has its own session and CSRF token (registered first, or
//! logged in if the name exists). The run stops at `--duration-secs` or
//! `--max-requests`, whichever comes first. After `flow` and `hotseat` it
//! checks through the API that no seat was reserved twice and that every
//! hot-seat round had exactly one winner; it exits non-zero if not.

mod client;
mod report;
mod scenario;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, Url};

use client::{Budget, Stats, User};
use scenario::{Hotseat, Run, Scenario};

/// Load generator for the booking API.
#[derive(Parser, Debug)]
#[command(name = "booking-load", version, about)]
struct Cli {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    base_url: Url,
    /// What the users do.
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// How many simulated users (each its own session).
    #[arg(long, default_value_t = 32)]
    users: usize,
    /// The event to load (default: the event with the most seats).
    #[arg(long)]
    event: Option<i64>,
    /// Read seat maps by these rows only (`A-J`), as clients of a large
    /// event do; locks go to seats of these rows.
    #[arg(long)]
    rows: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Stop after this many requests.
    #[arg(long, default_value_t = 2_000_000)]
    max_requests: u64,
    /// Users are named PREFIX0, PREFIX1, ...
    #[arg(long, default_value = "load")]
    user_prefix: String,
    /// Their password.
    #[arg(long, default_value = "load-test-password")]
    password: String,
    /// How many users sign in at once during setup.
    #[arg(long, default_value_t = 8)]
    setup_concurrency: usize,
    /// Write the results as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Allow a base URL that is not on this machine (off: loopback only).
    #[arg(long)]
    allow_remote: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("booking-load: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the load; `Ok(false)` when the end-of-run check found a violation.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    ensure!(cli.users > 0, "--users must be at least 1");
    check_target(&cli.base_url, cli.allow_remote)?;
    let setup_budget = Arc::new(Budget {
        sent: AtomicU64::new(0),
        max: u64::MAX,
        deadline: Instant::now() + Duration::from_secs(24 * 3600),
    });

    eprintln!("signing in {} users at {}", cli.users, cli.base_url);
    let mut users = sign_in_all(&cli, &setup_budget).await?;
    let (event, seats) = pick_event(&mut users[0], cli.event, cli.rows.as_deref()).await?;
    eprintln!("event {event}: {} seats", seats.len());

    let budget = Arc::new(Budget {
        sent: AtomicU64::new(0),
        max: cli.max_requests,
        deadline: Instant::now() + Duration::from_secs(cli.duration_secs),
    });
    let run = Arc::new(Run {
        event,
        seats_path: scenario::seats_path(event, cli.rows.as_deref()),
        seats,
        budget: Arc::clone(&budget),
        hotseat: Hotseat::new(cli.users),
    });
    for user in &mut users {
        user.stats.clear();
        user.rebudget(Arc::clone(&budget));
    }

    let progress = progress_bar(cli.duration_secs);
    let ticker = tokio::spawn({
        let (budget, progress) = (Arc::clone(&budget), progress.clone());
        async move {
            let start = Instant::now();
            while !budget.spent() {
                progress.set_position(start.elapsed().as_secs());
                progress.set_message(format!("{} requests", budget.sent.load(Ordering::Relaxed)));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    let started = Instant::now();
    let tasks: Vec<_> = users
        .into_iter()
        .map(|mut user| {
            let run = Arc::clone(&run);
            let scenario = cli.scenario;
            tokio::spawn(async move {
                scenario::run_user(scenario, &mut user, &run).await;
                user
            })
        })
        .collect();
    let mut users = Vec::with_capacity(tasks.len());
    for task in tasks {
        users.push(task.await.context("a user task panicked")?);
    }
    let elapsed = started.elapsed();
    ticker.abort();
    progress.finish_and_clear();

    let mut totals = Stats::new();
    for user in &users {
        for (endpoint, s) in &user.stats {
            totals
                .entry(endpoint)
                .and_modify(|total| total.merge(s))
                .or_insert_with(|| s.clone());
        }
    }

    let mut problems = Vec::new();
    let rounds = run.hotseat.winners.lock().expect("not poisoned").clone();
    if cli.scenario == Scenario::Hotseat {
        for (i, winners) in rounds.iter().enumerate() {
            if *winners != 1 {
                problems.push(format!("hot-seat round {i} had {winners} winners"));
            }
        }
    }
    if matches!(
        cli.scenario,
        Scenario::Flow | Scenario::Hotseat | Scenario::Bestavail
    ) {
        problems.extend(scenario::verify(&mut users, event, cli.rows.as_deref()).await?);
    }

    let result = report::Report::new(&cli, event, elapsed, &totals, &rounds, &problems);
    result.print();
    if let Some(path) = &cli.out {
        std::fs::write(path, serde_json::to_vec_pretty(&result)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    for problem in &problems {
        eprintln!("VIOLATION: {problem}");
    }
    Ok(problems.is_empty())
}

/// Refuses targets off this machine unless allowed.
fn check_target(url: &Url, allow_remote: bool) -> anyhow::Result<()> {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !local && !allow_remote {
        bail!("{url} is not on this machine; pass --allow-remote to load it anyway");
    }
    Ok(())
}

async fn sign_in_all(cli: &Cli, budget: &Arc<Budget>) -> anyhow::Result<Vec<User>> {
    let limit = Arc::new(tokio::sync::Semaphore::new(cli.setup_concurrency.max(1)));
    let tasks: Vec<_> = (0..cli.users)
        .map(|i| {
            let name = format!("{}{i}", cli.user_prefix);
            let (base, password) = (cli.base_url.clone(), cli.password.clone());
            let (budget, limit) = (Arc::clone(budget), Arc::clone(&limit));
            tokio::spawn(async move {
                let _permit = limit.acquire().await?;
                let mut user = User::new(name, &base, budget)?;
                user.sign_in(&password).await?;
                anyhow::Ok(user)
            })
        })
        .collect();
    let mut users = Vec::with_capacity(tasks.len());
    for task in tasks {
        users.push(task.await??);
    }
    Ok(users)
}

/// The event to load and its seat ids.
async fn pick_event(
    user: &mut User,
    event: Option<i64>,
    rows: Option<&str>,
) -> anyhow::Result<(i64, Vec<i64>)> {
    let event = if let Some(event) = event {
        event
    } else {
        let answer = user
            .call(Method::GET, "GET /api/events/", "/api/events/", None, None)
            .await?;
        answer.json()["events"]
            .as_array()
            .into_iter()
            .flatten()
            .max_by_key(|e| e["total_seats"].as_i64())
            .and_then(|e| e["id"].as_i64())
            .context("the server has no events; create one first")?
    };
    let answer = user
        .call(
            Method::GET,
            "GET /api/events/{id}/seats/",
            &scenario::seats_path(event, rows),
            None,
            None,
        )
        .await?;
    let seats: Vec<i64> = answer.json()["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    ensure!(
        !seats.is_empty(),
        "event {event} has no seats ({})",
        answer.status
    );
    Ok((event, seats))
}

fn progress_bar(secs: u64) -> ProgressBar {
    let bar = ProgressBar::new(secs);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} s  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}
