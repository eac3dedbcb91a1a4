//! Lists the HTTP API tests for `tests/api/main.rs`: every
//! `pub async fn NAME<F: StoreFactory>` of `tests/api/suite.rs` and
//! `tests/api/admin.rs`, so a new test runs on every backend without its
//! name being written twice.

use std::fmt::Write as _;

fn main() {
    let mut list = String::new();
    for module in ["suite", "admin"] {
        let file = format!("tests/api/{module}.rs");
        println!("cargo::rerun-if-changed={file}");
        let text = std::fs::read_to_string(&file).expect("an API test file");
        for name in text
            .lines()
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .filter_map(|rest| rest.split_once("<F: StoreFactory>"))
            .map(|(name, _)| name)
        {
            let _ = writeln!(list, "            {module}::{name},");
        }
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
