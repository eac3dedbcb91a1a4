//! `booking-server` on the command line: `user add` keeps the same password
//! and name rules as sign-up, `user add --staff` and `user set-staff` set
//! roles, `event add` loads venue files and compact seat
//! maps, `--max-hold-secs` reaches the policy, and `--demo` seeds the
//! concert hall.

mod server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use booking_core::BookingStore;
use booking_sqlite::{SqliteOptions, SqliteStore};

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_booking-server");

/// Runs `booking-server --database-url URL user add NAME` with `password`
/// on standard input; returns whether it succeeded and what it said.
fn user_add(url: &str, name: &str, password: &str) -> (bool, String) {
    user_add_with(url, &[name], password)
}

/// Runs `booking-server --database-url URL user add ARGS...` with
/// `password` on standard input; returns whether it succeeded and what it
/// said.
fn user_add_with(url: &str, args: &[&str], password: &str) -> (bool, String) {
    let mut child = Command::new(SERVER)
        .args(["--database-url", url, "user", "add"])
        .args(args)
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
    let said = said(&out);
    (out.status.success(), said)
}

/// What a command printed, standard output then standard error.
fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A new directory under Cargo's scratch directory for tests, for this run
/// of this test.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn user_add_keeps_the_sign_up_rules() {
    let dir = scratch("user-add");
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

/// Runs `booking-server --database-url URL user set-staff NAME VALUE`.
fn set_staff(url: &str, name: &str, value: &str) -> (bool, String) {
    let out = Command::new(SERVER)
        .args(["--database-url", url, "user", "set-staff", name, value])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    (out.status.success(), said(&out))
}

/// Whether the store at `path` says `name` is staff.
fn is_staff(path: &Path, name: &str) -> bool {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(path, SqliteOptions::default()).unwrap();
        let found = booking_core::AccountStore::credentials(&store, name)
            .await
            .unwrap()
            .unwrap();
        found.user.staff
    })
}

/// `user add --staff` makes staff, `user add` a customer, and `user
/// set-staff NAME true|false` changes either; an unknown name is an error
/// that says so.
#[test]
fn user_add_staff_and_set_staff() {
    let dir = scratch("set-staff");
    let path = dir.join("booking.db");
    let url = format!("sqlite:{}", path.display());
    let (ok, said) = user_add_with(&url, &["boss", "--staff"], "a long password");
    assert!(ok && said.contains("staff"), "{said}");
    let (ok, said) = user_add(&url, "ann", "a long password");
    assert!(ok && said.contains("a customer"), "{said}");
    assert!(is_staff(&path, "boss"));
    assert!(!is_staff(&path, "ann"));

    let (ok, said) = set_staff(&url, "ann", "true");
    assert!(ok && said.contains("ann (id 2) is now staff"), "{said}");
    assert!(is_staff(&path, "ann"));
    let (ok, said) = set_staff(&url, "boss", "false");
    assert!(ok && said.contains("is now a customer"), "{said}");
    assert!(!is_staff(&path, "boss"));

    let (ok, said) = set_staff(&url, "nobody", "true");
    assert!(!ok && said.contains("no user \"nobody\""), "{said}");
    let (ok, said) = set_staff(&url, "ann", "maybe");
    assert!(!ok && said.contains("maybe"), "{said}");
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

/// Runs `booking-server --database-url URL event add ARGS...`; returns its
/// exit code and what it said.
fn event_add(url: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(SERVER)
        .args(["--database-url", url, "event", "add"])
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let said = said(&out);
    (out.status.code(), said)
}

fn repository_file(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .display()
        .to_string()
}

#[test]
fn event_add_loads_a_venue_file_or_a_seat_map() {
    let dir = scratch("event-add");
    let db = dir.join("booking.db");
    let url = format!("sqlite:{}", db.display());
    let hall = repository_file("examples/venues/concert-hall.json");
    let starts = ["--starts-at", "2026-09-01T19:00:00Z"];

    let (code, said) = event_add(
        &url,
        &[&["--name", "Symphony", "--venue", &hall], &starts[..]].concat(),
    );
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("with 1200 seats in 3 section(s)"), "{said}");
    let (code, said) = event_add(
        &url,
        &[
            &[
                "--name",
                "Talk",
                "--seats",
                "A-B:1-5:1000",
                "--location",
                "Hall B",
            ],
            &starts[..],
            &["--refuse-orphans"],
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{said}");

    // The good events, as the store keeps them.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let events = runtime.block_on(async {
        let store = SqliteStore::open(&db, SqliteOptions::default()).unwrap();
        store.events().await.unwrap()
    });
    let names: Vec<_> = events.iter().map(|e| e.event.name.as_str()).collect();
    assert_eq!(names, ["Symphony", "Talk"]);
    let (symphony, talk) = (&events[0], &events[1]);
    assert_eq!(symphony.event.venue, "Concert hall (1,200 seats)");
    let sections: Vec<_> = symphony.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(sections, ["Orchestra", "Mezzanine", "Balcony"]);
    assert_eq!(symphony.categories.len(), 3);
    assert_eq!(symphony.event.orphans, booking_core::OrphanPolicy::Allow);
    assert_eq!(
        (talk.total_seats, talk.event.venue.as_str()),
        (10, "Hall B")
    );
    assert_eq!(talk.event.orphans, booking_core::OrphanPolicy::Refuse);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A venue file with a mistake is refused with the file, the place in it
/// and the problem, a clean exit code, never a panic; nothing is created.
#[test]
fn event_add_refuses_a_bad_venue_file_and_says_where() {
    let dir = scratch("event-add-bad");
    let db = dir.join("booking.db");
    let url = format!("sqlite:{}", db.display());
    let hall = repository_file("examples/venues/concert-hall.json");
    let starts = ["--starts-at", "2026-09-01T19:00:00Z"];
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let syntax = write(
        "syntax.json",
        "{\n  \"categories\": [],\n  \"sections\": [,]\n}\n",
    );
    let undefined = write(
        "undefined.json",
        r#"{"categories": [{"name": "Standard", "price_cents": 100}],
            "sections": [{"name": "Main", "rows": [
              {"label": "A", "seats": ["1-4"], "category": "VIP"}]}]}"#,
    );
    let typo = write(
        "typo.json",
        r##"{"categories": [{"name": "Standard", "price_cents": 100, "colour": "#ff0000"}],
            "sections": []}"##,
    );
    let missing = dir.join("missing.json").display().to_string();
    for (file, expected) in [
        (
            &syntax,
            vec!["syntax.json: sections[0] (line 3)", "expected value"],
        ),
        (
            &undefined,
            vec!["undefined.json: sections[0] (Main).rows[0] (A)", "\"VIP\""],
        ),
        (
            &typo,
            vec![
                "typo.json: categories[0].colour (line 1)",
                "unknown field `colour`",
            ],
        ),
        (&missing, vec!["cannot read the venue file", "missing.json"]),
    ] {
        let (code, said) = event_add(
            &url,
            &[&["--name", "Bad", "--venue", file], &starts[..]].concat(),
        );
        assert_eq!(code, Some(1), "{file}: {said}");
        for part in expected {
            assert!(said.contains(part), "{file}: no {part:?} in {said}");
        }
        assert!(!said.contains("panicked"), "{said}");
    }
    // One way to give the seats, and only one.
    for args in [
        vec![
            "--name",
            "Both",
            "--venue",
            hall.as_str(),
            "--seats",
            "A:1:100",
        ],
        vec!["--name", "Neither"],
    ] {
        let (code, said) = event_add(&url, &[&args[..], &starts[..]].concat());
        assert_eq!(code, Some(2), "{said}");
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let events = runtime.block_on(async {
        let store = SqliteStore::open(&db, SqliteOptions::default()).unwrap();
        store.events().await.unwrap()
    });
    assert!(events.is_empty(), "{events:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--demo` seeds the three 60-seat events and the concert hall; its
/// admin is staff, alice a customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_the_concert_hall() {
    let server = Server::start("memory:", &["--demo"]);
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    log_in(&http, &base, "alice", "alice123").await;
    let events = get_json(&http, &format!("{base}/api/events/")).await;
    let events = events["events"].as_array().unwrap();
    let shape: Vec<(&str, u64, usize)> = events
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["total_seats"].as_u64().unwrap(),
                e["sections"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("The Matrix", 60, 1),
            ("Taylor Swift", 60, 1),
            ("Python Conf", 60, 1),
            ("Beethoven's Ninth", 1200, 3),
        ]
    );
    let categories: Vec<&str> = events[3]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["Premium", "Standard", "Economy"]);
    let me = get_json(&http, &format!("{base}/api/me/")).await;
    assert_eq!(me["is_staff"], false, "alice is a customer: {me}");

    log_in(&http, &base, "admin", "admin123").await;
    let me = get_json(&http, &format!("{base}/api/me/")).await;
    assert_eq!(me["is_staff"], true, "the demo's admin is staff: {me}");
}

/// A GET of `url`, its JSON answer.
async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Logs `http` (a client with a cookie store) in at `base` as `username`.
async fn log_in(http: &reqwest::Client, base: &str, username: &str, password: &str) {
    let csrf = get_json(http, &format!("{base}/api/csrf/")).await;
    let login = http
        .post(format!("{base}/api/login/"))
        .header("X-CSRFToken", csrf["csrf_token"].as_str().unwrap())
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK, "{username} logs in");
}
