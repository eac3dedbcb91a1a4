#!/usr/bin/env bash
# Best available on the stadium (examples/venues/stadium.json, 60,000
# seats), on the stores directly (BENCHMARKS.md, "Best available"):
#
#   latency   32 users hold and release single seats for 8 s, then 32 users
#             ask best available for 4 seats and reserve them for 8 s; the
#             p99 of each and their ratio. With BASELINE=<a booking-onsale
#             built from another commit>, the baseline runs first in each
#             round, against a database of its own.
#   onsale    5,000 buyers at once, each asking best available for 1-6
#             seats and reserving them, until the stadium is sold out; at
#             most 64 buyers in a purchase at once (booking-onsale
#             --in-flight), the others wait their turn.
#
# Usage: benches/onsale.sh [ROUNDS]   (default 1). BACKENDS (default
# "sqlite postgres"), MODES (default "latency onsale"). PostgreSQL from
# BOOKING_PG_ADMIN (default postgres://postgres@127.0.0.1:5432/postgres);
# each run gets a fresh database, dropped afterwards. Results in $OUT
# (default /tmp/onsale): one file per run, and summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-1}
OUT=${OUT:-/tmp/onsale}
BACKENDS=${BACKENDS:-"sqlite postgres"}
MODES=${MODES:-"latency onsale"}
ADMIN=${BOOKING_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release -q -p benches --bin booking-onsale
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

run() { # NAME BINARY BACKEND MODE
	local name=$1 binary=$2 backend=$3 mode=$4 database
	if [ "$backend" = sqlite ]; then
		database=$(mktemp -d)/onsale.db
	else
		local db=onsale_$$_$RANDOM
		psql "$ADMIN" -qc "CREATE DATABASE $db"
		database=${ADMIN%/*}/$db
	fi
	"$binary" --backend "$backend" --database "$database" "$mode" >"$OUT/$name.txt" 2>&1 ||
		echo "$name failed, see $OUT/$name.txt" >&2
	if [ "$backend" = sqlite ]; then
		rm -rf "$(dirname "$database")"
	else
		psql "$ADMIN" -qc "DROP DATABASE ${database##*/}"
	fi
	echo "== $name ($(date -u +%H:%M:%S))" >>"$OUT/summary.txt"
	grep -E "^(hold|best|reserve|release|refused|free seats|seats not|double|at most|no [0-9]+ seats|[0-9]+ buyers)" \
		"$OUT/$name.txt" >>"$OUT/summary.txt" || true
}

: >"$OUT/summary.txt"
for round in $(seq "$ROUNDS"); do
	for mode in $MODES; do
		for backend in $BACKENDS; do
			if [ -n "${BASELINE:-}" ] && [ "$mode" = latency ]; then
				run "$round-$mode-$backend-baseline" "$BASELINE" "$backend" "$mode"
			fi
			run "$round-$mode-$backend" "$TARGET/release/booking-onsale" "$backend" "$mode"
		done
	done
done
cat "$OUT/summary.txt"
