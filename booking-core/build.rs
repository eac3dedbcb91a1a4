//! Lists the conformance tests for `conformance_tests!`: every
//! `pub async fn NAME<F: StoreFactory>` of `src/testkit/suite.rs`, so a new
//! test is run by every backend without its name being written twice.

use std::fmt::Write as _;

fn main() {
    let suite = "src/testkit/suite.rs";
    println!("cargo::rerun-if-changed={suite}");
    let text = std::fs::read_to_string(suite).expect("the conformance suite");
    let names = test_names(&text);
    let mut list = String::new();
    for name in &names {
        let _ = writeln!(list, "            {name},");
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(
        out.join("conformance_list.rs"),
        format!(
            "/// Calls `conformance_tests!(@each ...)` with every test of the suite.\n\
             #[doc(hidden)]\n\
             #[macro_export]\n\
             macro_rules! __conformance_each {{\n    ($factory:expr) => {{\n        \
             $crate::conformance_tests!(@each $factory;\n{list}        );\n    }};\n}}\n"
        ),
    )
    .expect("write the list");
}

/// The names of the `pub async fn NAME<F: StoreFactory>` items of `text`.
fn test_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| line.strip_prefix("pub async fn "))
        .filter_map(|rest| rest.split_once("<F: StoreFactory>"))
        .map(|(name, _)| name)
        .collect()
}
