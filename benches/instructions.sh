#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: unlike
# requests per second, the count does not move with whatever else the
# machine is doing, so two server builds can be compared to a fraction of
# a percent on a shared machine (BENCHMARKS.md, "Instructions per read").
#
# Each server runs under callgrind with a fresh demo database. The script
# logs in as alice, makes WARMUP seat-map reads, zeroes the counters, makes
# N reads on one keep-alive connection, and reads the counters: the
# server's instructions for those N requests, all threads together.
#
# Usage: benches/instructions.sh [N] [SERVER...]   (N default 2000;
# servers default to this tree's release build). Give a baseline binary
# as a second SERVER to compare, e.g. built from an older commit with
# `git worktree add /tmp/base COMMIT && (cd /tmp/base && cargo build
# --release -p booking-http --bin booking-server)`. PATH_READ (default
# /api/events/1/seats/) is the path read. With REQUEST=churn, each of the
# N requests is instead a hold and a release of seat 1 of event 1 (the
# write path: CSRF, session, the store's writer). With REQUEST=purchase,
# each is a best available for 2 seats of the demo's concert hall (event 4)
# and a reserve of them: the hall's 1,200 seats allow at most 600, so keep
# WARMUP + N under that (e.g. WARMUP=20 and N=200). With KEEP=DIR, each
# server's profile is kept as DIR/NAME.callgrind, for callgrind_annotate.
# With POSTGRES=URL (a server, e.g. postgres://postgres@127.0.0.1:5432),
# each server gets a fresh PostgreSQL database instead of a SQLite file,
# and the script also prints the database server's work per request from
# pg_stat_database (transactions, buffer reads, rows), which, like the
# instruction count, does not move with the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-2000}
shift || true
PORT=${PORT:-8413}
BASE=http://127.0.0.1:$PORT
PATH_READ=${PATH_READ:-/api/events/1/seats/}
REQUEST=${REQUEST:-read}
WARMUP=${WARMUP:-200}
command -v valgrind >/dev/null || {
	echo "valgrind is missing: apt-get install valgrind" >&2
	exit 1
}

if [ $# -eq 0 ]; then
	cargo build --release -q -p booking-http --bin booking-server
	set -- target/release/booking-server
fi

work=$(mktemp -d)
server_pid=
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

# Newer servers take flags older ones lack: pass only those it knows.
flags_for() { # SERVER
	local help flags=()
	help=$("$1" --help)
	grep -q -- --signups-per-hour <<<"$help" && flags+=(--signups-per-hour 0)
	grep -q -- --metrics-bind <<<"$help" && flags+=(--metrics-bind off)
	grep -q -- --sqlite-synchronous <<<"$help" && flags+=(--sqlite-synchronous normal)
	echo "${flags[@]}"
}

reads() { # COUNT
	local config=$work/reads.curl
	: >"$config"
	for _ in $(seq "$1"); do
		printf 'url = "%s%s"\noutput = "/dev/null"\n' "$BASE" "$PATH_READ" >>"$config"
	done
	curl -sf -b "$work/cookies" -c "$work/cookies" --config "$config"
}

churns() { # COUNT: a hold and a release of seat 1 of event 1, each COUNT times
	local config=$work/churn.curl token
	token=$(awk '$6 == "csrftoken" { print $7 }' "$work/cookies")
	: >"$config"
	for _ in $(seq "$1"); do
		for verb in lock unlock; do
			# `next` starts a request anew: each names its cookies again.
			[ -s "$config" ] && echo next >>"$config"
			printf 'url = "%s/api/events/1/seats/1/%s/"\ncookie = "%s"\nrequest = "POST"\nheader = "X-CSRFToken: %s"\nheader = "Content-Type: application/json"\ndata = "{}"\noutput = "/dev/null"\nfail\n' \
				"$BASE" "$verb" "$work/cookies" "$token" >>"$config"
		done
	done
	curl -s --config "$config"
}

purchases() { # COUNT: best available for 2 seats of event 4 (the concert hall), then a reserve of them
	local token ids
	token=$(awk '$6 == "csrftoken" { print $7 }' "$work/cookies")
	for _ in $(seq "$1"); do
		ids=$(curl -sf -b "$work/cookies" -H "X-CSRFToken: $token" -H 'Content-Type: application/json' \
			-d '{"count":2}' "$BASE/api/events/4/best-available/" |
			python3 -c 'import json, sys; print(json.dumps([s["id"] for s in json.load(sys.stdin)["seats"]]))')
		curl -sf -o /dev/null -b "$work/cookies" -H "X-CSRFToken: $token" \
			-H 'Content-Type: application/json' -d "{\"seat_ids\":$ids}" "$BASE/api/events/4/reserve/"
	done
}

requests() { # COUNT
	case "$REQUEST" in
	churn) churns "$1" ;;
	purchase) purchases "$1" ;;
	*) reads "$1" ;;
	esac
}

# The database server's counters for database $1, as one line (read
# from another database, so that reading them does not move them).
pg_counters() {
	psql -X -At -d "$POSTGRES/postgres" -c "SELECT xact_commit + xact_rollback, blks_hit + blks_read,
		tup_returned, tup_fetched, tup_inserted + tup_updated + tup_deleted
		FROM pg_stat_database WHERE datname = '$1'"
}

# What the database did for N requests: the counters' difference, per request.
pg_report() { # BEFORE AFTER
	local before after
	IFS='|' read -r -a before <<<"$1"
	IFS='|' read -r -a after <<<"$2"
	awk -v n="$N" -v b="${before[*]}" -v a="${after[*]}" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		printf "  database, per request: %.2f transactions, %.1f buffer reads, %.1f rows scanned, %.1f rows fetched, %.2f rows written\n",
			(y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n, (y[4] - x[4]) / n, (y[5] - x[5]) / n }'
}

# PostgreSQL's sessions report their counters when idle for a while or at
# exit; wait until database $1's counters stop moving.
pg_settled() {
	local last now
	last=$(pg_counters "$1")
	while sleep 12; now=$(pg_counters "$1"); [ "$now" != "$last" ]; do last=$now; done
	echo "$now"
}

for server in "$@"; do
	data=$(mktemp -d -p "$work")
	database_url="sqlite:$data/booking.db"
	if [ -n "${POSTGRES:-}" ]; then
		database=booking_instructions_$$
		# (A database left by a run that was killed is dropped first, quietly.)
		PGOPTIONS='-c client_min_messages=warning' psql -X -q -d "$POSTGRES/postgres" \
			-c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
		database_url="$POSTGRES/$database"
	fi
	# shellcheck disable=SC2046 # flags_for prints separate words on purpose
	valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" \
		"$server" --demo --database-url "$database_url" \
		--bind "127.0.0.1:$PORT" $(flags_for "$server") >"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 1200); do
		curl -sf "$BASE/api/health/" >/dev/null && break
		sleep 0.25
	done
	if [ -n "${POSTGRES:-}" ]; then
		# Autovacuum would clean up after the updates whenever it happens to
		# run, moving the figures from run to run: it is off for the run.
		psql -X -q -d "$database_url" -c "DO \$\$ DECLARE t text; BEGIN
			FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
				EXECUTE format('ALTER TABLE %I SET (autovacuum_enabled = false)', t);
			END LOOP; END \$\$"
	fi
	rm -f "$work/cookies"
	curl -sf -c "$work/cookies" "$BASE/api/csrf/" >/dev/null
	token=$(awk '$6 == "csrftoken" { print $7 }' "$work/cookies")
	curl -sf -b "$work/cookies" -c "$work/cookies" -H "X-CSRFToken: $token" \
		-H 'Content-Type: application/json' -d '{"username":"alice","password":"alice123"}' \
		"$BASE/api/login/" >/dev/null
	requests "$WARMUP"
	if [ -n "${POSTGRES:-}" ]; then pg_before=$(pg_settled "$database"); fi
	callgrind_control --zero "$server_pid" >/dev/null 2>&1
	requests "$N"
	callgrind_control --dump "$server_pid" >/dev/null 2>&1
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
	server_pid=
	if [ -n "${POSTGRES:-}" ]; then
		pg_after=$(pg_settled "$database")
		psql -X -q -d "$POSTGRES/postgres" -c "DROP DATABASE $database"
	fi
	# The dump made at --dump is callgrind.PID.1; the file written at exit
	# holds only the shutdown.
	total=$(awk '/^(summary|totals):/ { print $2; exit }' "$work"/callgrind.*.1)
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP"
		cp "$work"/callgrind.*.1 "$KEEP/$(basename "$server").callgrind"
	fi
	rm -f "$work"/callgrind.*
	if [ "$REQUEST" = churn ]; then
		echo "$server: $((total / N)) instructions per hold and release ($total for $N of each)"
	elif [ "$REQUEST" = purchase ]; then
		echo "$server: $((total / N)) instructions per best available (2) and reserve ($total for $N of each)"
	else
		echo "$server: $((total / N)) instructions per read ($total for $N reads of $PATH_READ)"
	fi
	if [ -n "${POSTGRES:-}" ]; then pg_report "$pg_before" "$pg_after"; fi
done
