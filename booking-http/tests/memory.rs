//! Password hashing is memory-hard (19 MiB per argon2id computation): a
//! burst of sign-ups and logins must not multiply that by the burst's size.
//! A real `booking-server` process takes a burst several times larger than
//! its core count, and its peak resident memory (`VmHWM`) stays within what
//! one computation per core needs.
#![cfg(target_os = "linux")]

mod server;

use reqwest::StatusCode;
use serde_json::json;
use server::Server;

const MIB: u64 = 1024 * 1024;

/// A line of `/proc/PID/status` in bytes (`VmHWM:   12345 kB`).
fn status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kib: u64 = line.trim().trim_end_matches(" kB").trim().parse().unwrap();
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ups_keeps_memory_bounded() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let burst = (4 * cores).max(24);
    let server = Server::start("memory:", &["--signups-per-hour", "0"]);
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let pid = server.child.id();
    let before = status_bytes(pid, "VmRSS:");

    let sign_ups: Vec<_> = (0..burst)
        .map(|i| {
            let base = base.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .cookie_store(true)
                    .build()
                    .unwrap();
                // The first answer brings the CSRF cookie.
                let health = http
                    .get(format!("{base}/api/health/"))
                    .send()
                    .await
                    .unwrap();
                let token = health
                    .cookies()
                    .find(|c| c.name() == "csrftoken")
                    .unwrap()
                    .value()
                    .to_owned();
                let body = json!({"username": format!("user{i}"), "password": "a long password"});
                http.post(format!("{base}/api/register/"))
                    .header("X-CSRFToken", token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for sign_up in sign_ups {
        assert_eq!(sign_up.await.unwrap(), StatusCode::CREATED);
    }

    let peak = status_bytes(pid, "VmHWM:");
    let cores = u64::try_from(cores).unwrap();
    // One 19 MiB computation per core, with room for the allocator's caches
    // (measured: 60 MiB above the start on 2 cores); an unbounded burst
    // needs `burst` × 19 MiB (measured: 510 MiB above the start).
    let allowed = before + 30 * MIB + cores * 30 * MIB;
    assert!(
        peak <= allowed,
        "{burst} sign-ups at once: peak {} MiB, allowed {} MiB (started at {} MiB)",
        peak / MIB,
        allowed / MIB,
        before / MIB
    );
}

/// Transparent huge pages make every touched 2 MiB of the heap resident
/// whole (238 MB instead of 145 MB for 1,000 sessions on a 100,000-seat
/// event), so the server turns them off for itself, whatever the machine's
/// setting.
#[test]
fn the_server_runs_without_transparent_huge_pages() {
    let server = Server::start("memory:", &[]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let thp = status
        .lines()
        .find_map(|line| line.strip_prefix("THP_enabled:"))
        .expect("THP_enabled in /proc/PID/status (Linux 5.0 or later)");
    assert_eq!(thp.trim(), "0", "transparent huge pages are on");
}

/// Logs in once as `name` with a wrong password from `client`, which has
/// the CSRF cookie; the status.
async fn failed_login(client: &reqwest::Client, base: &str, token: &str, name: &str) -> StatusCode {
    client
        .post(format!("{base}/api/login/"))
        .header("X-CSRFToken", token)
        .json(&json!({"username": name, "password": "wrong password"}))
        .send()
        .await
        .unwrap()
        .status()
}

/// 10,000 failed logins with 60 KB names from a hundred addresses: no
/// such name is valid, so none is kept, and the server's memory stays
/// where it was (it grew by 112 MB for 800 of them when the throttle kept
/// every name it saw).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_with_huge_names_keep_memory_flat() {
    const ADDRESSES: u8 = 100;
    const EACH: usize = 100;
    let server = Server::start("memory:", &[]);
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let pid = server.child.id();
    let clients: Vec<(reqwest::Client, String)> =
        futures_util::future::join_all((0..ADDRESSES).map(|i| {
            let base = base.clone();
            async move {
                // Every 127.x address reaches the loopback server.
                let client = reqwest::Client::builder()
                    .cookie_store(true)
                    .local_address(std::net::IpAddr::from([127, 0, 1, i + 1]))
                    .build()
                    .unwrap();
                let answer = client
                    .get(format!("{base}/api/csrf/"))
                    .send()
                    .await
                    .unwrap();
                let token = answer
                    .cookies()
                    .find(|c| c.name() == "csrftoken")
                    .unwrap()
                    .value()
                    .to_owned();
                (client, token)
            }
        }))
        .await;
    let burst = |rounds: usize| {
        futures_util::future::join_all(clients.iter().enumerate().map(|(i, (client, token))| {
            let base = base.clone();
            async move {
                for round in 0..rounds {
                    let name = format!("{i:03}{round:05}{}", "x".repeat(60_000));
                    let status = failed_login(client, &base, token, &name).await;
                    // (The API tests check it is a 401: what matters here is
                    // what the server keeps.)
                    assert!(
                        [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&status),
                        "{status}"
                    );
                }
            }
        }))
    };
    // A first round, so buffers and caches are in place before measuring.
    burst(2).await;
    let before = status_bytes(pid, "VmRSS:");
    burst(EACH).await;
    let after = status_bytes(pid, "VmRSS:");
    assert!(
        after <= before + 16 * MIB,
        "{} failed logins with 60 KB names: from {} MiB to {} MiB",
        usize::from(ADDRESSES) * EACH,
        before / MIB,
        after / MIB
    );
}
