//! The results: a table on standard output and a JSON file.

use std::time::Duration;

use serde::Serialize;

use crate::Cli;
use crate::client::Stats;
use crate::scenario::Scenario;

/// One endpoint's figures.
#[derive(Serialize)]
pub struct EndpointReport {
    endpoint: String,
    requests: u64,
    requests_per_sec: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    ok_2xx: u64,
    expected_409: u64,
    other: u64,
}

/// A whole run.
#[derive(Serialize)]
pub struct Report {
    scenario: Scenario,
    base_url: String,
    event: i64,
    users: usize,
    seconds: f64,
    requests: u64,
    requests_per_sec: f64,
    endpoints: Vec<EndpointReport>,
    hotseat_rounds: usize,
    hotseat_rounds_with_one_winner: usize,
    violations: Vec<String>,
}

/// A count or duration as a float (all far below 2^52, so exact).
#[allow(
    clippy::cast_precision_loss,
    reason = "counts and microseconds far below 2^52"
)]
fn float(n: u64) -> f64 {
    n as f64
}

fn ms(micros: u64) -> f64 {
    (float(micros) / 1000.0 * 100.0).round() / 100.0
}

impl Report {
    pub fn new(
        cli: &Cli,
        event: i64,
        elapsed: Duration,
        stats: &Stats,
        rounds: &[usize],
        violations: &[String],
    ) -> Self {
        let seconds = elapsed.as_secs_f64();
        let mut endpoints: Vec<EndpointReport> = stats
            .iter()
            .map(|(endpoint, s)| {
                let requests = s.latency.len();
                EndpointReport {
                    endpoint: (*endpoint).to_owned(),
                    requests,
                    requests_per_sec: (float(requests) / seconds).round(),
                    p50_ms: ms(s.latency.value_at_quantile(0.50)),
                    p95_ms: ms(s.latency.value_at_quantile(0.95)),
                    p99_ms: ms(s.latency.value_at_quantile(0.99)),
                    max_ms: ms(s.latency.max()),
                    ok_2xx: s.ok,
                    expected_409: s.expected_conflicts,
                    other: s.other,
                }
            })
            .collect();
        endpoints.sort_by_key(|e| std::cmp::Reverse(e.requests));
        let requests = endpoints.iter().map(|e| e.requests).sum::<u64>();
        Self {
            scenario: cli.scenario,
            base_url: cli.base_url.to_string(),
            event,
            users: cli.users,
            seconds: (seconds * 100.0).round() / 100.0,
            requests,
            requests_per_sec: (float(requests) / seconds).round(),
            endpoints,
            hotseat_rounds: rounds.len(),
            hotseat_rounds_with_one_winner: rounds.iter().filter(|w| **w == 1).count(),
            violations: violations.to_vec(),
        }
    }

    pub fn print(&self) {
        println!(
            "{:?} against {} (event {}), {} users, {:.1} s: {} requests, {} req/s",
            self.scenario,
            self.base_url,
            self.event,
            self.users,
            self.seconds,
            self.requests,
            self.requests_per_sec
        );
        println!(
            "{:<44} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>6}",
            "endpoint",
            "requests",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "2xx",
            "409",
            "other"
        );
        for e in &self.endpoints {
            println!(
                "{:<44} {:>9} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9} {:>8} {:>6}",
                e.endpoint,
                e.requests,
                e.requests_per_sec,
                e.p50_ms,
                e.p95_ms,
                e.p99_ms,
                e.max_ms,
                e.ok_2xx,
                e.expected_409,
                e.other
            );
        }
        if self.scenario == Scenario::Hotseat {
            println!(
                "hot-seat rounds: {} ({} with exactly one winner)",
                self.hotseat_rounds, self.hotseat_rounds_with_one_winner
            );
        }
        if matches!(
            self.scenario,
            Scenario::Flow | Scenario::Hotseat | Scenario::Bestavail
        ) {
            println!(
                "end-of-run check: {}",
                if self.violations.is_empty() {
                    "passed"
                } else {
                    "FAILED"
                }
            );
        }
    }
}
