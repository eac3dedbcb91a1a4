#!/usr/bin/env bash
# The web app as a buyer meets it (BENCHMARKS.md, "The web app"): a release
# booking-server with the demo data and the stadium (examples/venues/
# stadium.json, 60,000 seats in 120 blocks) and a 10,000-seat event of one
# section (`--seats A-CV:1-100:5000`, which the page reads by rows), and
# Debian's Chromium driven by booking-http/tests/browser/measure.mjs. For a
# 60-seat demo event, one stadium block and the 10,000-seat event it
# prints the time from choosing it to its first seat
# on screen, from a click on a seat to the seat shown as held, the bytes
# received to open it, and the longest main-thread task over 10 s while 32
# other users (booking-load churn) lock and unlock seats of that event.
#
# Usage: benches/webapp.sh [ROUNDS]   (default 1). SQLite in a temporary
# directory; results in $OUT (default /tmp/webapp). Needs what the browser
# test needs (README.md). With TRACE=FILE, each measure also records the
# browser's trace of the churn (the last one kept in FILE) and reports the
# most CPU time one task took: a long task on a loaded machine is mostly
# the page waiting for a CPU (measure.mjs explains each on standard error).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-1}
OUT=${OUT:-/tmp/webapp}
PORT=${PORT:-8413}
BASE=http://127.0.0.1:$PORT

cargo build --release -q -p booking-http -p benches --bin booking-server --bin booking-load
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
SERVER=$TARGET/release/booking-server
LOAD=$TARGET/release/booking-load
(cd booking-http/tests/browser && npm ci --no-audit --no-fund --loglevel=error)
mkdir -p "$OUT"
data=$(mktemp -d)
url=sqlite:$data/booking.db
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$data"' EXIT

"$SERVER" --database-url "$url" --demo --bind "127.0.0.1:$PORT" --signups-per-hour 0 \
	--metrics-bind off >"$OUT/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do
	curl -s "$BASE/api/health/" >/dev/null && break
	sleep 0.1
done
# "created event Cup Final (id 5) with 60000 seats in 120 section(s)"
stadium=$("$SERVER" --database-url "$url" event add --name "Cup Final" \
	--starts-at 2030-01-01T20:00:00Z --venue examples/venues/stadium.json |
	sed -n 's/.*(id \([0-9]*\)).*/\1/p')
big=$("$SERVER" --database-url "$url" event add --name "Big Hall" --location Arena \
	--starts-at 2030-01-02T20:00:00Z --seats A-CV:1-100:5000 |
	sed -n 's/.*(id \([0-9]*\)).*/\1/p')

measure() { # EVENT_NAME EVENT_ID [SECTION]
	local event=$1 id=$2 section=${3:-}
	(cd booking-http/tests/browser &&
		CHURN="$LOAD --base-url $BASE --scenario churn --users 32 --duration-secs 20 --event $id" \
			node measure.mjs "$BASE" "$event" ${section:+"$section"}) | tee -a "$OUT/results.jsonl"
}

: >"$OUT/results.jsonl"
for _ in $(seq "$ROUNDS"); do
	measure "The Matrix" 1
	measure "Cup Final" "$stadium" "Block 101"
	measure "Big Hall" "$big"
done
