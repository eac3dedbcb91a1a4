//! Three `booking-server` processes on one PostgreSQL database, as behind a
//! load balancer: a session made through one works through the others, and
//! after a storm of holds, reserves and cancels spread across all three the
//! API's invariants hold (checked in SQL on the database).

mod server;

use std::process::Command;
use std::sync::Arc;

use booking_postgres::testkit::{Cluster, ServerCertificate, TestDatabase, assert_invariants};
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};
use server::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_booking-server");

/// A browser-like client: one cookie jar for every server (cookies are per
/// host, and the three listen on 127.0.0.1).
struct Client {
    http: reqwest::Client,
    jar: Arc<Jar>,
}

impl Client {
    fn new() -> Self {
        let jar = Arc::new(Jar::default());
        Self {
            http: reqwest::Client::builder()
                .cookie_provider(Arc::clone(&jar))
                .build()
                .unwrap(),
            jar,
        }
    }

    async fn send(&self, server: &Server, post: Option<Value>, path: &str) -> (StatusCode, Value) {
        let url = server.base.join(path).unwrap();
        let request = match post {
            None => self.http.get(url),
            Some(body) => {
                let token = self
                    .jar
                    .cookies(&server.base)
                    .and_then(|h| {
                        h.to_str()
                            .ok()?
                            .split("; ")
                            .find_map(|c| c.strip_prefix("csrftoken=").map(ToOwned::to_owned))
                    })
                    .unwrap_or_default();
                self.http.post(url).header("X-CSRFToken", token).json(&body)
            }
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_sessions_and_keep_the_invariants() {
    let db = TestDatabase::create().await;
    let seeded = Command::new(SERVER)
        .args(["--database-url", &db.url, "event", "add", "--name", "Storm"])
        .args([
            "--starts-at",
            "2030-01-01T19:00:00Z",
            "--seats",
            "A-C:1-8:2500",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let servers: Vec<Server> = (0..3).map(|_| Server::start(&db.url, &[])).collect();

    // Sign up through the first server; the session works on the others.
    let mut clients = Vec::new();
    for i in 0..9 {
        let client = Client::new();
        let server = &servers[i % 3];
        client.send(server, None, "/api/csrf/").await;
        let body = json!({"username": format!("user{i}"), "password": "a long password"});
        let (status, answer) = client.send(server, Some(body), "/api/register/").await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        clients.push(client);
    }
    for server in &servers {
        let (status, me) = clients[0].send(server, None, "/api/me/").await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["username"], "user0");
    }

    let (_, events) = clients[0].send(&servers[0], None, "/api/events/").await;
    let event = events["events"][0]["id"].as_i64().unwrap();
    let (_, seats) = clients[0]
        .send(&servers[0], None, &format!("/api/events/{event}/seats/"))
        .await;
    let seat_ids: Vec<i64> = seats["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();

    // The storm: every client, every operation on a server chosen at random.
    let servers = Arc::new(servers);
    let clients: Vec<Arc<Client>> = clients.into_iter().map(Arc::new).collect();
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, client)| {
            let (client, servers, seat_ids) =
                (Arc::clone(client), Arc::clone(&servers), seat_ids.clone());
            tokio::spawn(storm(client, servers, seat_ids, event, i as u64 + 1))
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    assert_invariants(&db.url).await;
    check_through_api(&clients, &servers, event).await;
    drop(servers);
    db.drop_database().await;
}

/// One client's part of the storm: 40 random locks, unlocks, reserves of
/// what it holds and cancels, each through a server chosen at random.
async fn storm(
    client: Arc<Client>,
    servers: Arc<Vec<Server>>,
    seat_ids: Vec<i64>,
    event: i64,
    seed: u64,
) {
    let mut rng = 0x2545_F491_4F6C_DD1D_u64 ^ seed;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        usize::try_from(rng % n as u64).unwrap()
    };
    let mut held: Vec<i64> = Vec::new();
    let mut reserved: Vec<i64> = Vec::new();
    for _ in 0..40 {
        let server = &servers[next(3)];
        let (path, body) = match next(6) {
            0..=2 => {
                let seat = seat_ids[next(seat_ids.len())];
                (format!("/api/events/{event}/seats/{seat}/lock/"), json!({}))
            }
            3 if !held.is_empty() => (
                format!("/api/events/{event}/reserve/"),
                json!({"seat_ids": held}),
            ),
            4 if !reserved.is_empty() => {
                let id = reserved.remove(next(reserved.len()));
                (format!("/api/reservations/{id}/cancel/"), json!({}))
            }
            _ => {
                let seat = seat_ids[next(seat_ids.len())];
                (
                    format!("/api/events/{event}/seats/{seat}/unlock/"),
                    json!({}),
                )
            }
        };
        let (status, answer) = client.send(server, Some(body), &path).await;
        assert!(
            status.is_success() || status == StatusCode::CONFLICT,
            "{path}: {status} {answer}"
        );
        if status.is_success() {
            if path.ends_with("/lock/") {
                held.push(answer["seat"]["id"].as_i64().unwrap());
            } else if path.ends_with("/unlock/") {
                held.retain(|s| !path.contains(&format!("/seats/{s}/")));
            } else if path.ends_with("/reserve/") {
                reserved.push(answer["reservation"]["id"].as_i64().unwrap());
                held.clear();
            }
        } else if path.ends_with("/reserve/") {
            held.clear();
        }
        held.sort_unstable();
        held.dedup();
    }
}

/// Through the API of every server: no seat is in two confirmed
/// reservations, and exactly the confirmed seats show as reserved.
async fn check_through_api(clients: &[Arc<Client>], servers: &[Server], event: i64) {
    let mut confirmed = Vec::new();
    let mut made = 0;
    for (i, client) in clients.iter().enumerate() {
        let (_, list) = client
            .send(&servers[i % 3], None, "/api/reservations/")
            .await;
        for r in list["reservations"].as_array().unwrap() {
            made += 1;
            if r["status"] == "confirmed" {
                for seat in r["seats"].as_array().unwrap() {
                    confirmed.push(seat.as_str().unwrap().to_owned());
                }
            }
        }
    }
    assert!(made > 5, "the storm made only {made} reservations");
    let unique: std::collections::HashSet<_> = confirmed.iter().collect();
    assert_eq!(
        unique.len(),
        confirmed.len(),
        "no seat twice: {confirmed:?}"
    );
    for server in servers {
        let (_, seats) = clients[0]
            .send(server, None, &format!("/api/events/{event}/seats/"))
            .await;
        for seat in seats["seats"].as_array().unwrap() {
            let label = seat["seat_number"].as_str().unwrap().to_owned();
            assert_eq!(
                seat["status"] == "reserved",
                confirmed.contains(&label),
                "{label} on {}",
                server.base
            );
        }
    }
}

/// When the database goes away, the server answers 503
/// `storage_unavailable` as JSON (health included), never a 500 or a hang,
/// and shows no internals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_503_json() {
    let db = TestDatabase::create().await;
    let server = Server::start(&db.url, &[]);
    let client = Client::new();
    let (status, _) = client.send(&server, None, "/api/health/").await;
    assert_eq!(status, StatusCode::OK);
    // The health answer brought the CSRF cookie.
    let body = json!({"username": "alice", "password": "a long password"});
    let (status, _) = client.send(&server, Some(body), "/api/register/").await;
    assert_eq!(status, StatusCode::CREATED);

    db.drop_database().await;
    for path in ["/api/health/", "/api/events/", "/api/me/"] {
        let (status, answer) = client.send(&server, None, path).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {answer}");
        assert_eq!(answer["code"], "storage_unavailable", "{path}");
        assert_eq!(answer["success"], false);
        let text = answer["error"].as_str().unwrap();
        assert!(
            !text.contains("postgres") && !text.contains("database"),
            "{text}"
        );
    }
}

/// `--database-ca-file` and `sslmode=require`: the server reaches a
/// PostgreSQL that offers a certificate of a private authority over TLS,
/// verifying it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reaches_postgres_over_verified_tls() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = ServerCertificate {
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
    };
    let cluster = Cluster::start_with_tls(&certificate);
    let ca_file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("root-{}.crt", std::process::id()));
    std::fs::write(&ca_file, &certificate.cert_pem).unwrap();
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=require&hostaddr=127.0.0.1",
        cluster.port()
    );

    let server = Server::start(&url, &["--database-ca-file", ca_file.to_str().unwrap()]);
    let client = Client::new();
    let body = json!({"username": "alice", "password": "a long password"});
    client.send(&server, None, "/api/health/").await;
    let (status, answer) = client.send(&server, Some(body), "/api/register/").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // Without the certificate, the system's are trusted, and they do not
    // vouch for this server: it refuses to start.
    let refused = Command::new(SERVER)
        .args(["--database-url", &url, "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("PostgreSQL"), "{said}");
}
