//! Throttles: failed logins per user name and per client address, and
//! sign-ups per client address.
//!
//! A login attempt takes its place in the counts *before* the password is
//! checked, under the same lock as the check: parallel guesses cannot all
//! pass a check that none of them has counted in yet. A successful attempt
//! gives its place back (and clears the name's failures); a failed one, or
//! one whose client went away, keeps it.
//!
//! Counts live in this process's memory: behind a load balancer each
//! process counts on its own, so the effective limit is per process. The
//! memory is bounded: user names are validated before they get here (at
//! most [`Username::MAX_LEN`] bytes), attempts older than the window are
//! swept out every [`SWEEP_EVERY`], and past [`MAX_KEYS`] names and
//! addresses a new one is turned away (429) rather than remembered.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use booking_core::Username;

/// The window failed logins are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per user name in the window.
pub const PER_USERNAME: usize = 10;
/// Failures allowed per client address in the window.
pub const PER_ADDRESS: usize = 100;
/// The window sign-ups are counted in.
pub const SIGNUP_WINDOW: Duration = Duration::from_secs(3600);
/// How often every count is swept of attempts older than its window.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The most names or addresses one throttle remembers at once. Each takes
/// at most a few hundred bytes (a name is at most 150 bytes, a count at
/// most [`PER_ADDRESS`] instants), so a full throttle stays within tens of
/// megabytes.
pub const MAX_KEYS: usize = 100_000;

/// The part of a client address a throttle counts by: the whole IPv4
/// address, or the /64 network of an IPv6 one (one subscriber usually has
/// a whole /64, so counting single IPv6 addresses would count nothing).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AddressKey(IpAddr);

impl From<IpAddr> for AddressKey {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return Self(IpAddr::V4(v4));
                }
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(Ipv6Addr::from(network)))
            }
            v4 @ IpAddr::V4(_) => Self(v4),
        }
    }
}

/// Attempts per key within a sliding window, at most `limit` each.
struct Counts<K> {
    limit: usize,
    window: Duration,
    attempts: HashMap<K, VecDeque<Instant>>,
}

impl<K: Hash + Eq + Clone> Counts<K> {
    fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            attempts: HashMap::new(),
        }
    }

    /// If `key` is at its limit at `now`, the seconds until it is not.
    fn retry_after(&mut self, key: &K, now: Instant) -> Option<u64> {
        let full = !self.attempts.contains_key(key) && self.attempts.len() >= MAX_KEYS;
        if full {
            return Some(self.window.as_secs());
        }
        let times = self.attempts.get_mut(key)?;
        forget_old(times, now, self.window);
        (times.len() >= self.limit).then(|| {
            let oldest = times[times.len() - self.limit];
            (oldest + self.window)
                .saturating_duration_since(now)
                .as_secs()
                + 1
        })
    }

    /// Counts an attempt at `now` (the caller checked [`Counts::retry_after`]).
    fn add(&mut self, key: K, now: Instant) {
        let times = self.attempts.entry(key).or_default();
        times.push_back(now);
        if times.len() > self.limit {
            times.pop_front();
        }
    }

    /// Takes back one attempt counted at `at`.
    fn give_back(&mut self, key: &K, at: Instant) {
        if let Some(times) = self.attempts.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.attempts.remove(key);
            }
        }
    }

    fn sweep(&mut self, now: Instant) {
        let window = self.window;
        self.attempts.retain(|_, times| {
            forget_old(times, now, window);
            !times.is_empty()
        });
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

struct LoginCounts {
    names: Counts<String>,
    addresses: Counts<AddressKey>,
    last_sweep: Instant,
}

/// Login attempts per user name and per client address.
pub struct LoginThrottle {
    counts: Mutex<LoginCounts>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            counts: Mutex::new(LoginCounts {
                names: Counts::new(PER_USERNAME, WINDOW),
                addresses: Counts::new(PER_ADDRESS, WINDOW),
                last_sweep: Instant::now(),
            }),
        }
    }
}

/// A login attempt that holds its place in the counts: it stays counted as
/// a failure unless [`LoginAttempt::succeeded`] is called.
#[must_use = "an attempt counts as a failure unless it succeeded"]
pub struct LoginAttempt<'a> {
    throttle: &'a LoginThrottle,
    name: String,
    address: AddressKey,
    at: Instant,
}

impl LoginAttempt<'_> {
    /// The password was right: the name's failures are forgotten and the
    /// address gets its place back.
    pub fn succeeded(self) {
        let mut counts = self.throttle.lock();
        counts.names.attempts.remove(&self.name);
        counts.addresses.give_back(&self.address, self.at);
    }
}

impl LoginThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, LoginCounts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts an attempt for `username` from `address` at `now`, or, if
    /// either is at its limit, the seconds until it is not. Names are
    /// counted regardless of case.
    pub fn attempt(
        &self,
        username: &Username,
        address: IpAddr,
        now: Instant,
    ) -> Result<LoginAttempt<'_>, u64> {
        let name = username.as_str().to_ascii_lowercase();
        let address = AddressKey::from(address);
        let mut counts = self.lock();
        if now.saturating_duration_since(counts.last_sweep) >= SWEEP_EVERY {
            counts.names.sweep(now);
            counts.addresses.sweep(now);
            counts.last_sweep = now;
        }
        let wait = [
            counts.names.retry_after(&name, now),
            counts.addresses.retry_after(&address, now),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        counts.names.add(name.clone(), now);
        counts.addresses.add(address, now);
        Ok(LoginAttempt {
            throttle: self,
            name,
            address,
            at: now,
        })
    }

    /// How many names and addresses are remembered now.
    #[cfg(test)]
    fn keys(&self) -> usize {
        let counts = self.lock();
        counts.names.attempts.len() + counts.addresses.attempts.len()
    }
}

/// Sign-ups per client address within an hour.
pub struct SignupThrottle {
    counts: Mutex<(Counts<AddressKey>, Instant)>,
}

impl SignupThrottle {
    /// At most `per_hour` sign-ups per address an hour.
    pub fn new(per_hour: usize) -> Self {
        Self {
            counts: Mutex::new((Counts::new(per_hour, SIGNUP_WINDOW), Instant::now())),
        }
    }

    /// Counts a sign-up from `address` at `now`, or, if the address is at
    /// its limit, the seconds until it is not.
    pub fn attempt(&self, address: IpAddr, now: Instant) -> Result<(), u64> {
        let address = AddressKey::from(address);
        let mut guard = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let (counts, last_sweep) = &mut *guard;
        if now.saturating_duration_since(*last_sweep) >= SWEEP_EVERY {
            counts.sweep(now);
            *last_sweep = now;
        }
        if let Some(wait) = counts.retry_after(&address, now) {
            return Err(wait);
        }
        counts.add(address, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn name(n: &str) -> Username {
        Username::new(n).unwrap()
    }

    #[test]
    fn ten_attempts_per_name_then_wait_for_the_window() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..10 {
            assert!(throttle.attempt(&name("alice"), HOME, start).is_ok(), "{i}");
        }
        let wait = throttle.attempt(&name("alice"), HOME, start).err().unwrap();
        assert_eq!(wait, 15 * 60 + 1);
        assert_eq!(
            throttle.attempt(&name("ALICE"), HOME, start).err(),
            Some(wait),
            "names are counted regardless of case"
        );
        assert!(throttle.attempt(&name("bob"), HOME, start).is_ok());
        assert!(
            throttle
                .attempt(&name("alice"), HOME, start + WINDOW)
                .is_ok()
        );
    }

    #[test]
    fn success_clears_the_name_and_gives_the_address_its_place_back() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..9 {
            let _failed = throttle.attempt(&name("alice"), HOME, now).unwrap();
        }
        throttle
            .attempt(&name("alice"), HOME, now)
            .unwrap()
            .succeeded();
        // A thousand good logins from one address never lock it out.
        for _ in 0..1000 {
            throttle
                .attempt(&name("bob"), HOME, now)
                .unwrap()
                .succeeded();
        }
        for i in 0..10 {
            assert!(throttle.attempt(&name("alice"), HOME, now).is_ok(), "{i}");
        }
    }

    #[test]
    fn the_address_limit_holds_across_names() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..100 {
            let _failed = throttle
                .attempt(&name(&format!("user{}", i % 20)), HOME, now)
                .unwrap();
        }
        assert!(throttle.attempt(&name("newcomer"), HOME, now).is_err());
        let elsewhere: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(throttle.attempt(&name("user1"), elsewhere, now).is_ok());
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(AddressKey::from(a), AddressKey::from(b));
        assert_ne!(AddressKey::from(a), AddressKey::from(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(
            AddressKey::from(mapped),
            AddressKey::from("10.0.0.1".parse::<IpAddr>().unwrap())
        );
    }

    #[test]
    fn old_attempts_are_swept_out() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..500u32 {
            let address = IpAddr::from(i.to_be_bytes());
            let _failed = throttle
                .attempt(&name(&format!("user{i}")), address, start)
                .unwrap();
        }
        assert_eq!(throttle.keys(), 1000);
        let _failed = throttle
            .attempt(&name("late"), HOME, start + WINDOW + SWEEP_EVERY)
            .unwrap();
        assert_eq!(
            throttle.keys(),
            2,
            "only the last attempt's name and address"
        );
    }

    #[test]
    fn sign_ups_per_address_per_hour() {
        let throttle = SignupThrottle::new(3);
        let now = Instant::now();
        for _ in 0..3 {
            throttle.attempt(HOME, now).unwrap();
        }
        let wait = throttle.attempt(HOME, now).unwrap_err();
        assert_eq!(wait, 3601);
        assert!(throttle.attempt("10.0.0.1".parse().unwrap(), now).is_ok());
        assert!(throttle.attempt(HOME, now + SIGNUP_WINDOW).is_ok());
    }
}
