//! The limits a server open to anyone needs, on a real `booking-server`
//! process: timeouts and a connection cap keep a flood of idle and
//! half-sent connections from stopping it, and the metrics are not on the
//! public address.
#![cfg(target_os = "linux")]

mod server;

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use server::Server;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A bound on every wait, so a server that stopped fails the test rather
/// than hanging it.
const PATIENCE: Duration = Duration::from_secs(90);

/// `GET /api/health/` on an open connection; the status.
async fn health_on(connection: &mut BufReader<TcpStream>) -> u16 {
    connection
        .get_mut()
        .write_all(b"GET /api/health/ HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut status = String::new();
    connection.read_line(&mut status).await.unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        connection.read_line(&mut line).await.unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    connection.read_exact(&mut body).await.unwrap();
    status.split(' ').nth(1).unwrap().parse().unwrap()
}

/// A client with a cookie jar, logged in as the demo user alice, and the
/// CSRF token to echo.
async fn alice(base: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let answer = http.get(format!("{base}/api/csrf/")).send().await.unwrap();
    let token = |answer: &reqwest::Response| {
        answer
            .cookies()
            .find(|c| c.name() == "csrftoken")
            .map(|c| c.value().to_owned())
    };
    let first = token(&answer).unwrap();
    let login = http
        .post(format!("{base}/api/login/"))
        .header("X-CSRFToken", first)
        .json(&json!({"username": "alice", "password": "alice123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let token = token(&login).unwrap();
    (http, token)
}

/// Reads a live stream up to its next `seats` message; its data.
async fn next_seats(stream: &mut reqwest::Response, buffer: &mut String) -> serde_json::Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            if let Some(data) = message.lines().find_map(|l| l.strip_prefix("data: ")) {
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = stream.chunk().await.unwrap().expect("the stream is open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// 2,000 connections that send nothing or half a request head, against a
/// server allowed 512 open files (before the limits, 1,100 such sockets
/// under 1,024 files stopped the server for good). Meanwhile a connection
/// opened before is served, a live stream opened before goes on, and a
/// new client is served once the flood's connections time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_and_half_sent_connections_does_not_stop_the_server() {
    const FLOOD: usize = 2000;
    let server = Server::start_with_file_limit(
        "memory:",
        &[
            "--demo",
            "--header-read-timeout-secs",
            "2",
            "--idle-timeout-secs",
            "16",
        ],
        512,
    );
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let address: SocketAddr = server.base.socket_addrs(|| None).unwrap()[0];

    let (http, token) = alice(&base).await;
    let events: serde_json::Value = http
        .get(format!("{base}/api/events/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = events["events"][0]["id"].as_i64().unwrap();
    let mut stream = http
        .get(format!("{base}/api/events/{event}/stream/"))
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    let first = next_seats(&mut stream, &mut buffer).await;
    let seat = first["seats"][0]["id"].as_i64().unwrap();
    let mut kept = BufReader::new(TcpStream::connect(address).await.unwrap());
    assert_eq!(health_on(&mut kept).await, 200);
    let baseline = open_files(server.child.id());

    let flood: Vec<_> = (0..FLOOD)
        .map(|i| {
            tokio::spawn(async move {
                let mut socket = TcpStream::connect(address).await.ok()?;
                if i % 2 == 1 {
                    let half = b"GET /api/health/ HTTP/1.1\r\nHost: test\r\nX-Slow: ";
                    socket.write_all(half).await.ok()?;
                }
                Some(socket)
            })
        })
        .collect();

    // The connection opened before is served all along.
    for _ in 0..20 {
        assert_eq!(health_on(&mut kept).await, 200);
    }
    // A new client is served: the server accepts again as the flood's
    // connections time out.
    let fresh = tokio::time::timeout(PATIENCE, reqwest::get(format!("{base}/api/health/")))
        .await
        .expect("a new client is served")
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    // The live stream opened before the flood still brings changes.
    let locked = tokio::time::timeout(
        PATIENCE,
        http.post(format!("{base}/api/events/{event}/seats/{seat}/lock/"))
            .header("X-CSRFToken", token)
            .json(&json!({}))
            .send(),
    )
    .await
    .expect("the lock is answered")
    .unwrap();
    assert_eq!(locked.status(), StatusCode::OK);
    let change = tokio::time::timeout(PATIENCE, next_seats(&mut stream, &mut buffer))
        .await
        .expect("the stream brings the change");
    assert_eq!(change["seats"][0]["id"], seat);
    // The server closes the flood's connections on its own, while this
    // side still holds them open: its descriptors come back down.
    let mut sockets = Vec::new();
    for connect in flood {
        sockets.extend(connect.await.unwrap());
    }
    assert!(sockets.len() >= FLOOD / 2, "{} connected", sockets.len());
    let pid = server.child.id();
    tokio::time::timeout(PATIENCE, async {
        while open_files(pid) > baseline + 32 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the server still has {} files open ({baseline} before the flood)",
            open_files(pid)
        )
    });
    drop(sockets);
}

/// How many files process `pid` has open.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// `/metrics` is not on the API's address, only on `--metrics-bind`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_apart_from_the_api() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics = free.local_addr().unwrap();
    drop(free);
    let bind = metrics.to_string();
    let server = Server::start("memory:", &["--metrics-bind", &bind]);
    let base = server.base.as_str().trim_end_matches('/').to_owned();
    let public = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    reqwest::get(format!("{base}/api/health/")).await.unwrap();
    let private = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    let text = private.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
}
