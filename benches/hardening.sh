#!/usr/bin/env bash
# The hardened server (this tree) against a baseline server binary, side by
# side in one run (BENCHMARKS.md, "After the hardening of issue 13"):
# `read` and `churn` on SQLite, 32 users, a fresh demo database per run,
# the two servers alternating so that both see the same machine.
#
# Usage: BASELINE=/path/to/old/booking-server [NEW=/path/to/new/booking-server]
# benches/hardening.sh [PAIRS] (default 5). Build the baseline from the
# commit before the hardening, e.g. `git worktree add /tmp/base 25b3d0d && (cd /tmp/base && cargo build
# --release -p booking-http --bin booking-server)`.
#
# This tree's server runs with `--sqlite-synchronous normal` (the
# baseline's setting; durability is measured apart, benches/durability.sh),
# `--signups-per-hour 0` (booking-load signs its users up from one
# address) and `--metrics-bind off`.
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${1:-5}
SCENARIOS=${SCENARIOS:-"read churn"}
: "${BASELINE:?BASELINE must name the baseline booking-server binary}"
OUT=${OUT:-/tmp/hardening}
PORT=${PORT:-8412}
BASE=http://127.0.0.1:$PORT

cargo build --release -q -p booking-http -p benches --bin booking-server --bin booking-load
# NEW names another build to compare instead of this tree's, e.g. an older
# commit with one change applied.
NEW=${NEW:-target/release/booking-server}
LOAD=target/release/booking-load
mkdir -p "$OUT"
: >"$OUT/runs.txt"

server_pid=
data=
start_server() { # WHICH
	data=$(mktemp -d)
	if [ "$1" = new ]; then
		"$NEW" --demo --database-url "sqlite:$data/booking.db" --bind "127.0.0.1:$PORT" \
			--sqlite-synchronous normal --signups-per-hour 0 --metrics-bind off >"$OUT/server.log" 2>&1 &
	else
		"$BASELINE" --demo --database-url "sqlite:$data/booking.db" --bind "127.0.0.1:$PORT" \
			>"$OUT/server.log" 2>&1 &
	fi
	server_pid=$!
	for _ in $(seq 600); do
		curl -sf "$BASE/api/health/" >/dev/null && return
		sleep 0.1
	done
	echo "the $1 server did not start" >&2
	exit 1
}
stop_server() {
	kill "$server_pid"
	wait "$server_pid" || true
	rm -rf "$data"
}
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi' EXIT

for pair in $(seq "$PAIRS"); do
	for scenario in $SCENARIOS; do
		for which in base new; do
			start_server "$which"
			"$LOAD" --base-url "$BASE" --out "$OUT/$scenario.$which.$pair.json" \
				--scenario "$scenario" --users 32 --duration-secs 8 --event 1 >/dev/null
			stop_server
			python3 -c 'import json,sys; print(sys.argv[2], sys.argv[3], sys.argv[4], round(json.load(open(sys.argv[1]))["requests_per_sec"]))' \
				"$OUT/$scenario.$which.$pair.json" "$scenario" "$which" "$pair" | tee -a "$OUT/runs.txt"
		done
	done
done

python3 - "$OUT/runs.txt" <<'PY' | tee "$OUT/summary.txt"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    scenario, which, pair, rate = line.split()
    runs.setdefault((scenario, pair), {})[which] = float(rate)
for scenario in ("read", "churn"):
    pairs = [v for (s, _), v in runs.items() if s == scenario and len(v) == 2]
    if not pairs:
        continue
    base = statistics.median(p["base"] for p in pairs)
    new = statistics.median(p["new"] for p in pairs)
    paired = statistics.median(p["new"] / p["base"] for p in pairs)
    print(f"{scenario}: base median {base:.0f}/s, new median {new:.0f}/s, "
          f"ratio of medians {new / base:.3f}, median of paired ratios {paired:.3f} ({len(pairs)} pairs)")
PY
