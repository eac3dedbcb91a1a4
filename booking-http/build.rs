//! Lists the HTTP API tests for `tests/api/main.rs`: every
//! `pub async fn NAME<F: StoreFactory>` of `tests/api/suite.rs`, so a new
//! test runs on every backend without its name being written twice.

use std::fmt::Write as _;

fn main() {
    let suite = "tests/api/suite.rs";
    println!("cargo::rerun-if-changed={suite}");
    let text = std::fs::read_to_string(suite).expect("the API test suite");
    let mut list = String::new();
    for name in text
        .lines()
        .filter_map(|line| line.strip_prefix("pub async fn "))
        .filter_map(|rest| rest.split_once("<F: StoreFactory>"))
        .map(|(name, _)| name)
    {
        let _ = writeln!(list, "            {name},");
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(
        out.join("api_tests.rs"),
        format!(
            "/// Calls `api_tests!(@each ...)` with every test of the suite.\n\
             macro_rules! api_tests_each {{\n    ($factory:expr) => {{\n        \
             api_tests!(@each $factory;\n{list}        );\n    }};\n}}\n"
        ),
    )
    .expect("write the list");
}
