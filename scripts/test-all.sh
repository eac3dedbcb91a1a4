#!/usr/bin/env bash
# Every check the project has: formatting, lints, docs, all tests of every
# crate (the PostgreSQL ones need a server: see README.md), the examples,
# the browser test (Debian's Chromium, Node.js) and the loom model check.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo test --workspace"
cargo test --workspace

step "examples"
cargo run --quiet -p examples --example embed_memory >/dev/null

step "browser test (Chromium + playwright-core, against a real booking-server)"
cargo build --quiet -p booking-http --bin booking-server
(cd booking-http/tests/browser && npm ci --no-audit --no-fund --loglevel=error && npm test)

step "loom model check (--cfg loom, its own target dir)"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p booking-core --test loom --release

printf '\nAll checks passed.\n'
