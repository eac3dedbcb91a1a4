//! Login throttling: more than 10 failures for one user name, or 100 from
//! one client address, within 15 minutes, and further attempts get 429
//! until the oldest of those failures is 15 minutes old.
//!
//! Counts are kept in this process's memory: behind a load balancer each
//! process counts on its own, so the effective limit is per process.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per user name in the window.
pub const PER_USERNAME: usize = 10;
/// Failures allowed per client address in the window.
pub const PER_ADDRESS: usize = 100;
/// Past this many keys, every record sweeps out keys with no recent failure.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Username(String),
    Address(IpAddr),
}

/// Failed-login counts.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// If `username` or `address` is over its limit at `now`, the seconds
    /// until it is not.
    pub fn retry_after(&self, username: &str, address: IpAddr, now: Instant) -> Option<u64> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        [
            (Key::Username(username.to_owned()), PER_USERNAME),
            (Key::Address(address), PER_ADDRESS),
        ]
        .into_iter()
        .filter_map(|(key, limit)| {
            let times = failures.get_mut(&key)?;
            forget_old(times, now);
            (times.len() >= limit).then(|| {
                let oldest = times[times.len() - limit];
                (oldest + WINDOW).saturating_duration_since(now).as_secs() + 1
            })
        })
        .max()
    }

    /// Counts a failed login.
    pub fn record_failure(&self, username: &str, address: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
        for key in [Key::Username(username.to_owned()), Key::Address(address)] {
            let times = failures.entry(key).or_default();
            forget_old(times, now);
            times.push_back(now);
            // Never keep more than the largest limit needs.
            if times.len() > PER_ADDRESS {
                times.pop_front();
            }
        }
    }

    /// Forgets a user name's failures after a successful login.
    pub fn record_success(&self, username: &str) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&Key::Username(username.to_owned()));
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn ten_failures_per_name_then_wait_for_the_window() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..10 {
            assert_eq!(throttle.retry_after("alice", HOME, start), None, "{i}");
            throttle.record_failure("alice", HOME, start);
        }
        let wait = throttle.retry_after("alice", HOME, start).unwrap();
        assert_eq!(wait, 15 * 60 + 1);
        assert_eq!(throttle.retry_after("bob", HOME, start), None, "per name");
        assert_eq!(throttle.retry_after("alice", HOME, start + WINDOW), None);
    }

    #[test]
    fn success_clears_the_name_but_not_the_address() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..100 {
            throttle.record_failure(&format!("user{}", i % 9), HOME, now);
        }
        throttle.record_success("user1");
        assert!(
            throttle.retry_after("user1", HOME, now).is_some(),
            "address"
        );
        let elsewhere: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(throttle.retry_after("user1", elsewhere, now), None);
    }
}
