#!/usr/bin/env bash
# Every check the project has: formatting, lints, docs, packaging, all
# tests of every crate (the PostgreSQL ones need a server: see README.md), the examples,
# the browser test (Debian's Chromium, Node.js) and the loom model check.
# Exits non-zero on the first failure; prints how long each step took.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
started=$SECONDS
step_started=$SECONDS
step_name=""

finish_step() {
  if [ -n "$step_name" ]; then
    printf '    (%s: %d s)\n' "$step_name" $((SECONDS - step_started))
  fi
}
step() {
  finish_step
  step_name=$*
  step_started=$SECONDS
  printf '\n==> %s\n' "$*"
}

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "booking-http's library without its backends (embedding app() compiles no database)"
cargo check -p booking-http --no-default-features --lib

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

# Each published crate must build from its package alone: a file it takes
# from outside its directory (include_str!("../../examples/...")) is not
# in the package. `cargo package` builds each one unpacked, against the
# others' packages through a local registry. Cargo takes a registry's crates
# never to change, so it would keep an earlier run's unpacked copy and build
# of booking-core 0.1.0 and verify the others against that old core: the
# step runs in a target dir of its own, whose builds of our crates, and
# cargo's unpacked copies of them, are dropped first (the third-party
# dependencies stay built).
step "cargo package (every published crate builds from its package alone)"
package_dir=$target_dir/package-verify
rm -rf "$package_dir"/debug/.fingerprint/booking-* "$package_dir"/debug/deps/*booking_* \
  "$package_dir"/debug/build/booking-* "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/booking-*
cargo package --workspace --exclude examples --exclude benches --allow-dirty --quiet \
  --target-dir "$package_dir"

step "cargo test --workspace"
cargo test --workspace

step "examples"
cargo run --quiet -p examples --example embed_memory >/dev/null

step "browser test (Chromium + playwright-core, against a real booking-server)"
cargo build --quiet -p booking-http --bin booking-server
(cd booking-http/tests/browser && npm ci --no-audit --no-fund --loglevel=error &&
  BOOKING_SERVER_BIN="$target_dir/debug/booking-server" npm test)

step "loom model check (--cfg loom, its own target dir)"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR="$target_dir/loom" \
  cargo test -p booking-core --test loom --release

finish_step
printf '\nAll checks passed in %d s.\n' $((SECONDS - started))
