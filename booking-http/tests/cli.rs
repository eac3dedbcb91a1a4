//! `booking-server` on the command line: `user add` keeps the same password
//! and name rules as sign-up, and `--max-hold-secs` reaches the policy.

mod server;

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_booking-server");

/// Runs `booking-server --database-url URL user add NAME` with `password`
/// on standard input; returns whether it succeeded and what it said.
fn user_add(url: &str, name: &str, password: &str) -> (bool, String) {
    let mut child = Command::new(SERVER)
        .args(["--database-url", url, "user", "add", name])
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn user_add_keeps_the_sign_up_rules() {
    // Cargo's scratch directory for tests; a new file for each run.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("booking.db").display());
    for bad in ["short", "        ", "\t\t\t\t\t\t\t\t", "eight\0chars"] {
        let (ok, said) = user_add(&url, "carol", bad);
        assert!(!ok, "{bad:?} was accepted: {said}");
        assert!(said.contains("password"), "{said}");
    }
    let (ok, said) = user_add(&url, "carol", "a long password");
    assert!(ok, "{said}");
    let (ok, said) = user_add(&url, "Carol", "a long password");
    assert!(!ok, "a name that differs only in case was accepted: {said}");
    assert!(said.contains("taken"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn max_hold_secs_must_be_positive() {
    let out = Command::new(SERVER)
        .args(["--database-url", "memory:", "--max-hold-secs", "0"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--max-hold-secs"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_hold_secs_caps_a_hold() {
    let server = Server::start("memory:", &["--demo", "--max-hold-secs", "60"]);
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
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
    let post = |path: String, body: Value| {
        http.post(format!("{base}{path}"))
            .header("X-CSRFToken", &token)
            .json(&body)
            .send()
    };
    let login = post(
        "/api/login/".into(),
        json!({"username": "alice", "password": "alice123"}),
    )
    .await
    .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let token = login
        .cookies()
        .find(|c| c.name() == "csrftoken")
        .map_or(token.clone(), |c| c.value().to_owned());
    let post = |path: String| {
        http.post(format!("{base}{path}"))
            .header("X-CSRFToken", &token)
            .json(&json!({}))
            .send()
    };
    let events: Value = http
        .get(format!("{base}/api/events/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = events["events"][0]["id"].as_i64().unwrap();
    let seats: Value = http
        .get(format!("{base}/api/events/{event}/seats/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seat = seats["seats"][0]["id"].as_i64().unwrap();
    let lock = format!("/api/events/{event}/seats/{seat}/lock/");
    let first: Value = post(lock.clone()).await.unwrap().json().await.unwrap();
    // The lock time (300 s) is cut to the longest hold.
    assert_eq!(first["message"], "Seat A1 locked for 1 minute", "{first}");
    // Extending it any further is refused (unless a whole minute passed
    // between these two requests).
    let again = post(lock).await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["code"], "max_hold_reached", "{again}");
}
