#!/usr/bin/env bash
# SQLite durability settings side by side, in one run (BENCHMARKS.md,
# "Durable by default"): each scenario of booking-load against a fresh
# server per setting, the settings interleaved so that both see the same
# machine.
#
#   normal-1   synchronous=NORMAL, one commit per write (the old default)
#   full-64    synchronous=FULL with group commit (the default)
#   full-1     synchronous=FULL, one commit per write (what FULL cost before)
#
# Usage: benches/durability.sh [ROUNDS]   (default 1; each run is 5-8 s
# plus its users' sign-in). Results in $OUT (default /tmp/durability):
# booking-load's JSON per run, the server's commit batch histogram after
# it, and summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-1}
OUT=${OUT:-/tmp/durability}
PORT=${PORT:-8411}
# The server's metrics (the commit batch histogram) on their own loopback
# port, as --metrics-bind serves them.
METRICS_PORT=${METRICS_PORT:-8421}
SETTINGS=${SETTINGS:-"normal-1 full-64 full-1"}
BASE=http://127.0.0.1:$PORT

cargo build --release -q -p booking-http -p benches --bin booking-server --bin booking-load
SERVER=target/release/booking-server
LOAD=target/release/booking-load
mkdir -p "$OUT"
rm -f "$OUT/sync.txt"

server_pid=
data=
start_server() { # SETTING
	local sync=${1%-*} batch=${1#*-}
	data=$(mktemp -d)
	"$SERVER" --demo --database-url "sqlite:$data/booking.db" --bind "127.0.0.1:$PORT" \
		--sqlite-synchronous "$sync" --sqlite-batch-writes "$batch" \
		--metrics-bind "127.0.0.1:$METRICS_PORT" --signups-per-hour 0 >"$OUT/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 600); do
		curl -sf "$BASE/api/health/" >/dev/null && return
		sleep 0.1
	done
	echo "the server did not start" >&2
	exit 1
}
stop_server() {
	kill "$server_pid"
	wait "$server_pid" || true
	rm -rf "$data"
}
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true' EXIT

# The disk's sync latency now: FULL's throughput follows it (one sync per
# commit), and on a shared machine it swings widely.
sync_latency() {
	local probe
	probe=$(mktemp -p "${TMPDIR:-/tmp}")
	dd if=/dev/zero of="$probe" bs=4k count=200 oflag=dsync 2>&1 |
		awk '/copied/ { printf "%.2f ms a synced 4 KiB write\n", $(NF-3) * 1000 / 200 }'
	rm -f "$probe"
}

run() { # NAME SETTING ROUND LOAD-ARGS...
	local name=$1 setting=$2 round=$3
	shift 3
	start_server "$setting"
	"$LOAD" --base-url "$BASE" --out "$OUT/$name.$setting.$round.json" "$@" \
		>"$OUT/$name.$setting.$round.txt"
	curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^booking_sqlite_commit_batch_writes' \
		>"$OUT/$name.$setting.$round.batches" || true
	stop_server
	echo "$name $setting $round: $(sync_latency)" >>"$OUT/sync.txt"
}

for round in $(seq "$ROUNDS"); do
	for setting in $SETTINGS; do
		run churn "$setting" "$round" --scenario churn --users 32 --duration-secs 8 --event 1
		run flow "$setting" "$round" --scenario flow --users 32 --duration-secs 8 --event 3
		run hotseat "$setting" "$round" --scenario hotseat --users 1000 --duration-secs 8 --event 1
		# One user, one request at a time: the latency of a request on an
		# idle server.
		run single "$setting" "$round" --scenario churn --users 1 --duration-secs 5 --event 1
	done
done

python3 - "$OUT" "$ROUNDS" $SETTINGS <<'EOF' | tee "$OUT/summary.txt"
import json, re, sys
out, rounds, settings = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def load(name, setting, r):
    with open(f"{out}/{name}.{setting}.{r}.json") as f:
        return json.load(f)

def endpoint(report, prefix):
    return next(e for e in report["endpoints"] if e["endpoint"].startswith(prefix))

def batches(name, setting, r):
    """Commits and mean writes per commit, from the histogram's sum and count."""
    text = open(f"{out}/{name}.{setting}.{r}.batches").read()
    total = re.search(r"_sum (\S+)", text)
    count = re.search(r"_count (\S+)", text)
    buckets = re.findall(r'le="([^"]+)"} (\S+)', text)
    if not (total and count) or float(count.group(1)) == 0:
        return "-"
    n = float(count.group(1))
    dist = ", ".join(f"<={le}: {float(c) / n:.0%}" for le, c in buckets if le != "+Inf")
    return f"{n:.0f} commits, {float(total.group(1)) / n:.1f} writes each ({dist})"

for r in range(1, rounds + 1):
    print(f"round {r}")
    for setting in settings:
        churn, flow = load("churn", setting, r), load("flow", setting, r)
        hot, single = load("hotseat", setting, r), load("single", setting, r)
        lock = endpoint(single, "POST /api/events/{id}/seats/{id}/lock")
        hot_lock = endpoint(hot, "POST /api/events/{id}/seats/{id}/lock")
        reserve = endpoint(flow, "POST /api/events/{id}/reserve")
        print(f"  {setting:9} churn {churn['requests_per_sec']:8.0f}/s  flow {flow['requests_per_sec']:8.0f}/s (reserve p99 {reserve['p99_ms']:.1f} ms)"
              f"  hotseat p99 {hot_lock['p99_ms']:6.1f} ms ({hot['hotseat_rounds_with_one_winner']}/{hot['hotseat_rounds']} rounds)"
              f"  single lock p50 {lock['p50_ms']:.2f} ms p99 {lock['p99_ms']:.2f} ms")
        for name in ("churn", "flow", "hotseat"):
            print(f"  {'':9}   {name} batches: {batches(name, setting, r)}")
        for report in (churn, flow, hot, single):
            if report["violations"]:
                print(f"  VIOLATIONS: {report['violations']}")
EOF
echo "sync latency after each run:" | tee -a "$OUT/summary.txt"
tee -a "$OUT/summary.txt" <"$OUT/sync.txt"
