//! `docs/openapi.json` is the OpenAPI document the code generates: a
//! change to a handler or a view that changes the API changes the committed
//! document in the same commit, or this test fails.
//!
//! To write the file anew after such a change:
//! `BOOKING_WRITE_OPENAPI=1 cargo test -p booking-http --test openapi`.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&booking_http::openapi()).unwrap()
    );
    let path = committed_path();
    if std::env::var_os("BOOKING_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from the document the code generates; write it anew with \
         `BOOKING_WRITE_OPENAPI=1 cargo test -p booking-http --test openapi` \
         and commit it",
        path.display()
    );
}

#[test]
fn every_error_code_is_documented_in_the_api_guide() {
    let guide =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/API.md"))
            .unwrap();
    let missing: Vec<_> = booking_http::ERROR_CODES
        .iter()
        .filter(|code| !guide.contains(&format!("`{code}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/API.md does not explain {missing:?}"
    );
}
