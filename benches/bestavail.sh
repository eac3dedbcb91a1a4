#!/usr/bin/env bash
# Best available through the HTTP API beside a single hold, in one run
# (BENCHMARKS.md, "Best available"): a fresh booking-server per run with the
# stadium (examples/venues/stadium.json, 60,000 seats) added, then
# booking-load's `churn` (lock and unlock random seats: the single hold)
# and `bestavail` (best available for 4, then reserve), 32 users, 8 s each,
# on the same server. Prints the lock p99, the best-available p99 and their
# ratio per backend and round.
#
# Usage: benches/bestavail.sh [ROUNDS]   (default 1). BACKENDS (default
# "sqlite postgres"); PostgreSQL from BOOKING_PG_ADMIN (default
# postgres://postgres@127.0.0.1:5432/postgres), a fresh database per run,
# dropped afterwards. Results in $OUT (default /tmp/bestavail).
# BASELINE=<a booking-server built from another commit>: in each round and
# backend, that server runs first, with the same load. WARMUP=0 leaves out
# the one request made before the clock starts (the first 32 requests then
# find the layout not yet read).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-1}
OUT=${OUT:-/tmp/bestavail}
PORT=${PORT:-8412}
BACKENDS=${BACKENDS:-"sqlite postgres"}
ADMIN=${BOOKING_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
BASE=http://127.0.0.1:$PORT

cargo build --release -q -p booking-http -p benches --bin booking-server --bin booking-load
TARGET=${CARGO_TARGET_DIR:-target}
SERVER=$TARGET/release/booking-server
LOAD=$TARGET/release/booking-load
mkdir -p "$OUT"

server_pid=
url=
cleanup=
start_server() { # BACKEND SERVER
	local server=$2
	if [ "$1" = sqlite ]; then
		local data
		data=$(mktemp -d)
		url=sqlite:$data/booking.db
		cleanup="rm -rf $data"
	else
		local db=bestavail_$$_$RANDOM
		psql "$ADMIN" -qc "CREATE DATABASE $db"
		url=${ADMIN%/*}/$db
		cleanup="psql $ADMIN -qc 'DROP DATABASE $db'"
	fi
	"$server" --database-url "$url" event add --name Stadium \
		--starts-at 2030-01-01T20:00:00Z --venue examples/venues/stadium.json >/dev/null
	"$server" --database-url "$url" --bind "127.0.0.1:$PORT" --signups-per-hour 0 --metrics-bind off \
		>"$OUT/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 600); do
		curl -s "$BASE/api/events/" >/dev/null && return
		sleep 0.1
	done
	echo "the server did not start" >&2
	exit 1
}
stop_server() {
	kill "$server_pid"
	wait "$server_pid" || true
	server_pid=
	eval "$cleanup"
}
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true' EXIT

BUILDS="new"
[ -n "${BASELINE:-}" ] && BUILDS="baseline new"
for round in $(seq "$ROUNDS"); do
	for backend in $BACKENDS; do
		for build in $BUILDS; do
			name=$backend
			server=$SERVER
			if [ "$build" = baseline ]; then
				name=$backend-baseline
				server=$BASELINE
			fi
			start_server "$backend" "$server"
			if [ "${WARMUP:-1}" != 0 ]; then
				# One request first: the store reads the stadium's layout once,
				# then keeps it.
				"$LOAD" --base-url "$BASE" --scenario bestavail --users 1 --duration-secs 1 \
					--event 1 >/dev/null
			fi
			for scenario in churn bestavail; do
				"$LOAD" --base-url "$BASE" --scenario "$scenario" --users 32 --duration-secs 8 \
					--event 1 --out "$OUT/$name.$round.$scenario.json" \
					>"$OUT/$name.$round.$scenario.txt"
			done
			stop_server
		done
	done
done

NAMES=""
for backend in $BACKENDS; do
	for build in $BUILDS; do
		if [ "$build" = baseline ]; then NAMES="$NAMES $backend-baseline"; else NAMES="$NAMES $backend"; fi
	done
done
python3 - "$OUT" "$ROUNDS" $NAMES <<'PY' | tee "$OUT/summary.txt"
import json, sys
out, rounds, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def endpoint(report, prefix):
    return next(e for e in report["endpoints"] if e["endpoint"].startswith(prefix))

ratios = {b: [] for b in backends}
for r in range(1, rounds + 1):
    for backend in backends:
        churn = json.load(open(f"{out}/{backend}.{r}.churn.json"))
        best = json.load(open(f"{out}/{backend}.{r}.bestavail.json"))
        lock = endpoint(churn, "POST /api/events/{id}/seats/{id}/lock")
        ba = endpoint(best, "POST /api/events/{id}/best-available")
        reserve = endpoint(best, "POST /api/events/{id}/reserve")
        print(f"round {r} {backend:17} lock p50 {lock['p50_ms']:.2f} p99 {lock['p99_ms']:.2f} ms"
              f" | best available ({ba['requests']}, {ba['expected_409']} refused) p50 {ba['p50_ms']:.2f}"
              f" p99 {ba['p99_ms']:.2f} ms | reserve p99 {reserve['p99_ms']:.2f} ms"
              f" | ratio of p99s {ba['p99_ms'] / lock['p99_ms']:.2f}"
              f" | check: {'passed' if not best['violations'] else best['violations']}")
        ratios[backend].append(ba['p99_ms'] / lock['p99_ms'])
for backend, rs in ratios.items():
    rs.sort()
    print(f"{backend:17} ratio of p99s: median {rs[len(rs) // 2]:.2f}"
          f" (lowest {rs[0]:.2f}, highest {rs[-1]:.2f}, {len(rs)} rounds)")
PY
