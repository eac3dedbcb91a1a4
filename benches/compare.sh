#!/usr/bin/env bash
# Two builds side by side in one run (BENCHMARKS.md, "The write operations
# in booking-core"): the store benches' hold and hold + reserve + cancel
# (criterion, SQLite in both durability modes and PostgreSQL), then
# booking-load's churn through the API (32 users, 8 s, a fresh demo database
# per run), the baseline and the new build alternating so that both see the
# same machine.
#
# Usage: BASELINE=<target dir> NEW=<target dir> benches/compare.sh [PAIRS]
# (default 3). Each target dir holds a release build of that commit:
#   cargo build --release -p booking-http --bin booking-server -p benches --bin booking-load
#   cargo bench --no-run -p benches --bench sqlite --bench postgres
# BACKENDS (default "sqlite postgres"); PostgreSQL from BOOKING_PG_ADMIN
# (default postgres://postgres@127.0.0.1:5432/postgres), a fresh database per
# churn run, dropped afterwards (the benches make and drop their own).
# STEPS (default "run_benches run_churn") picks the parts to run. Results in
# $OUT (default /tmp/compare): each run's output, and summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${1:-3}
: "${BASELINE:?BASELINE must name the baseline build's target dir}"
: "${NEW:?NEW must name the new build's target dir}"
OUT=${OUT:-/tmp/compare}
PORT=${PORT:-8412}
BACKENDS=${BACKENDS:-"sqlite postgres"}
ADMIN=${BOOKING_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
BASE=http://127.0.0.1:$PORT
mkdir -p "$OUT"
: >"$OUT/runs.txt"

# The newest criterion executable of bench NAME in target dir DIR.
bench_binary() { # DIR NAME
	find "$1/release/deps" -maxdepth 1 -type f -executable -name "$2-*" -printf '%T@ %p\n' |
		sort -n | tail -1 | cut -d' ' -f2
}

# Criterion's median time of each benchmark in a run's output, as
# "NAME<TAB>MICROSECONDS" lines.
medians() { # FILE
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
units = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}
for name, mid, unit in re.findall(r"^(\S[^\n]*?)\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", text, re.M):
    print(f"{name.strip()}\t{float(mid) * units[unit]:.2f}")
PY
}

# Which benchmarks run: criterion filters (regular expressions).
SQLITE_BENCHES=${SQLITE_BENCHES:-'^sqlite-(normal|full)/(hold \(extend own\)|hold\+reserve\+cancel)$'}
POSTGRES_BENCHES=${POSTGRES_BENCHES:-'^postgres/(hold \(extend own\)|hold\+reserve\+cancel)/'}

run_benches() { # WHICH DIR PAIR BACKEND
	local which=$1 dir=$2 pair=$3 backend=$4 filter binary home
	if [ "$backend" = sqlite ]; then filter=$SQLITE_BENCHES; else filter=$POSTGRES_BENCHES; fi
	binary=$(bench_binary "$dir" "$backend")
	home=$(mktemp -d)
	CRITERION_HOME=$home "$binary" --bench --noplot "$filter" \
		>"$OUT/bench.$backend.$which.$pair.txt" 2>&1
	rm -rf "$home"
	medians "$OUT/bench.$backend.$which.$pair.txt" |
		while IFS=$'\t' read -r name us; do
			printf 'bench\t%s\t%s\t%s\t%s\n' "$name" "$which" "$pair" "$us" | tee -a "$OUT/runs.txt"
		done
}

server_pid=
cleanup=
start_server() { # SERVER BACKEND
	local url
	if [ "$2" = sqlite ]; then
		local data
		data=$(mktemp -d)
		url=sqlite:$data/booking.db
		cleanup="rm -rf $data"
	else
		local db=compare_$$_$RANDOM
		psql "$ADMIN" -qc "CREATE DATABASE $db"
		url=${ADMIN%/*}/$db
		cleanup="psql $ADMIN -qc 'DROP DATABASE $db WITH (FORCE)'"
	fi
	"$1" --demo --database-url "$url" --bind "127.0.0.1:$PORT" --signups-per-hour 0 \
		--metrics-bind off >"$OUT/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 600); do
		curl -sf "$BASE/api/health/" >/dev/null && return
		sleep 0.1
	done
	echo "the server $1 did not start" >&2
	exit 1
}
stop_server() {
	kill "$server_pid"
	wait "$server_pid" || true
	server_pid=
	eval "$cleanup"
}
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi' EXIT

run_churn() { # WHICH DIR PAIR BACKEND
	local which=$1 dir=$2 pair=$3 backend=$4
	start_server "$dir/release/booking-server" "$backend"
	"$NEW/release/booking-load" --base-url "$BASE" --scenario churn --users 32 \
		--duration-secs 8 --event 1 --out "$OUT/churn.$backend.$which.$pair.json" >/dev/null
	stop_server
	python3 -c 'import json,sys; print("churn", sys.argv[2], sys.argv[3], sys.argv[4], round(json.load(open(sys.argv[1]))["requests_per_sec"]), sep="\t")' \
		"$OUT/churn.$backend.$which.$pair.json" "$backend" "$which" "$pair" | tee -a "$OUT/runs.txt"
}

# The two builds take turns at each step, so that each pair of figures
# comes from the same minute of the machine; which goes first alternates.
for pair in $(seq "$PAIRS"); do
	for step in ${STEPS:-run_benches run_churn}; do
		for backend in $BACKENDS; do
			if [ $((pair % 2)) = 1 ]; then
				$step base "$BASELINE" "$pair" "$backend"
				$step new "$NEW" "$pair" "$backend"
			else
				$step new "$NEW" "$pair" "$backend"
				$step base "$BASELINE" "$pair" "$backend"
			fi
		done
	done
done

python3 - "$OUT/runs.txt" <<'PY' | tee "$OUT/summary.txt"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    kind, name, which, pair, value = line.rstrip("\n").split("\t")
    runs.setdefault((kind, name), {}).setdefault(pair, {})[which] = float(value)
for (kind, name), pairs in runs.items():
    both = [p for p in pairs.values() if len(p) == 2]
    if not both:
        continue
    base = statistics.median(p["base"] for p in both)
    new = statistics.median(p["new"] for p in both)
    unit = "µs" if kind == "bench" else "req/s"
    better = "lower is better" if kind == "bench" else "higher is better"
    ratios = ", ".join(f"{p['new'] / p['base']:.3f}" for p in both)
    print(f"{kind} {name}: base {base:.1f} {unit}, new {new:.1f} {unit}, new/base {new / base:.3f} "
          f"({better}; paired ratios {ratios})")
PY
