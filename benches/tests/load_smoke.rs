//! `booking-load` runs every scenario against a real server on a loopback
//! port and reports sane figures (a second each, four users).

use std::net::SocketAddr;
use std::process::Command;

use booking_core::{BookingStore, MemoryStore, NewEvent, SeatMap};
use booking_http::{AppState, Settings};
use serde_json::Value;

async fn server() -> String {
    let store = MemoryStore::default();
    store
        .create_event(NewEvent {
            name: "Load".into(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            seat_map: SeatMap::grid(10, 20, 5_000).unwrap(),
        })
        .await
        .unwrap();
    let router = booking_http::app(AppState::new(store, Settings::default()));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_reports() {
    let base = server().await;
    let dir = std::env::temp_dir().join(format!("booking-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for scenario in ["read", "churn", "hotseat", "flow"] {
        let out = dir.join(format!("{scenario}.json"));
        let base = base.clone();
        let output = tokio::task::spawn_blocking({
            let out = out.clone();
            move || {
                Command::new(env!("CARGO_BIN_EXE_booking-load"))
                    .args(["--base-url", &base, "--scenario", scenario])
                    .args(["--users", "4", "--duration-secs", "1"])
                    .args(["--user-prefix", &format!("smoke-{scenario}-")])
                    .arg("--out")
                    .arg(&out)
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
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
