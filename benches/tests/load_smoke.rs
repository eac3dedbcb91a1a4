//! `booking-load` runs every scenario against a real server on a loopback
//! port and reports sane figures (two seconds each, four users), and its
//! end-of-run check catches a server that loses reservations.

use std::net::SocketAddr;
use std::process::Command;

use axum::body::Body;
use axum::http::header::CONTENT_LENGTH;
use axum::response::Response;

use booking_core::{BookingStore, MemoryStore, NewEvent, SeatMap};
use booking_http::{AppState, Settings};
use serde_json::Value;

/// A server on a loopback port, with a 10 × 20 event (rows A to J). A
/// `lying` one shows reserved seats as available in its seat maps.
async fn server(lying: bool) -> String {
    let store = MemoryStore::default();
    store
        .create_event(NewEvent {
            name: "Load".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seating: SeatMap::grid(10, 20, 5_000).unwrap().into(),
            orphans: booking_core::OrphanPolicy::Allow,
            created_by: None,
        })
        .await
        .unwrap();
    let mut router = booking_http::app(AppState::new(store, Settings::default()));
    if lying {
        router = router.layer(axum::middleware::map_response(hide_reservations));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

/// Rewrites every answer so that no seat shows as reserved.
async fn hide_reservations(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes)
        .replace(r#""status":"reserved""#, r#""status":"available""#);
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

/// Runs `booking-load` with `args` on four users for two seconds.
async fn load(base: &str, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_booking-load"));
    command
        .args(["--base-url", base, "--users", "4", "--duration-secs", "2"])
        .args(args);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// The end-of-run check can fail: against a server whose seat maps hide
/// reservations, a flow (read by rows or whole) exits non-zero and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_reports_seats_not_shown_reserved() {
    let base = server(true).await;
    for (i, rows) in [&["--rows", "B-C"][..], &[]].into_iter().enumerate() {
        let prefix = format!("liar-{i}-");
        let mut args = vec!["--scenario", "flow", "--user-prefix", &prefix];
        args.extend_from_slice(rows);
        let output = load(&base, &args).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is not shown reserved"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_reports() {
    let base = server(false).await;
    let dir = std::env::temp_dir().join(format!("booking-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for scenario in ["read", "churn", "hotseat", "flow"] {
        let out = dir.join(format!("{scenario}.json"));
        let prefix = format!("smoke-{scenario}-");
        let out_arg = out.to_str().unwrap();
        let args = [
            "--scenario",
            scenario,
            "--user-prefix",
            &prefix,
            "--out",
            out_arg,
        ];
        let output = load(&base, &args).await;
        assert!(
            output.status.success(),
            "{scenario}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert!(
            report["requests"].as_u64().unwrap() > 0,
            "{scenario}: {report}"
        );
        for endpoint in report["endpoints"].as_array().unwrap() {
            assert_eq!(endpoint["other"], 0, "{scenario}: {endpoint}");
        }
        assert_eq!(report["violations"], Value::Array(vec![]));
        if scenario == "hotseat" {
            let rounds = report["hotseat_rounds"].as_u64().unwrap();
            assert!(rounds > 0);
            assert_eq!(
                report["hotseat_rounds_with_one_winner"].as_u64(),
                Some(rounds)
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refuses_a_remote_target() {
    let output = Command::new(env!("CARGO_BIN_EXE_booking-load"))
        .args(["--base-url", "http://192.0.2.1:8000", "--scenario", "read"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-remote"));
}
