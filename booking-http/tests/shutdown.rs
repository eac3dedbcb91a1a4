//! SIGTERM stops the server gracefully, even with a live seat stream open:
//! the stream ends, and the process exits with success.

mod server;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::cookie::{CookieStore, Jar};
use server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_streams_and_exits_cleanly() {
    let mut server = Server::start("memory:", &["--demo"]);
    let base = server.base.clone();

    let jar = Arc::new(Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .build()
        .unwrap();
    http.get(base.join("/api/csrf/").unwrap())
        .send()
        .await
        .unwrap();
    let token = jar
        .cookies(&base)
        .and_then(|h| {
            h.to_str()
                .ok()?
                .split("; ")
                .find_map(|c| c.strip_prefix("csrftoken=").map(ToOwned::to_owned))
        })
        .unwrap();
    let login = http
        .post(base.join("/api/login/").unwrap())
        .header("X-CSRFToken", token)
        .json(&serde_json::json!({"username": "alice", "password": "alice123"}))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    let mut stream = http
        .get(base.join("/api/events/1/stream/").unwrap())
        .send()
        .await
        .unwrap();
    assert!(stream.chunk().await.unwrap().is_some(), "the first message");

    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // The stream ends (rather than hanging the shutdown)...
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended after SIGTERM");
    // ...and the process exits, successfully.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
