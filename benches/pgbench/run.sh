#!/usr/bin/env bash
# The booking store's SQL under pgbench, at 1, 8 and 64 clients: the
# baseline for the Rust bench benches/benches/postgres.rs (BENCHMARKS.md).
#
#   benches/pgbench/run.sh [seconds per run, default 10]
#
# It connects with the usual libpq variables (default postgres@127.0.0.1,
# port 5432), creates the database booking_pgbench afresh (the store's
# migration, then setup.sql) and leaves it behind for inspection. Each
# script runs with `-M prepared -j 2 -T <seconds>`; CLIENTS (default
# "1 8 64") and PGBENCH (default: pgbench on PATH, else PostgreSQL 15's)
# override. Full pgbench output goes to a temporary directory, named at
# the end.
set -euo pipefail

seconds=${1:-10}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
pgbench=${PGBENCH:-$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)}
read -r -a clients <<<"${CLIENTS:-1 8 64}"
db=booking_pgbench
logs=$(mktemp -d -t booking-pgbench.XXXXXX)

sql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# Rows updated in seats so far. A backend reports its statistics when it
# exits, so first wait for the last run's connections to close.
seat_updates() {
    while [[ $(sql -c "SELECT count(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND application_name = 'pgbench'") != 0 ]]; do
        sleep 0.1
    done
    sql -c "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'seats'"
}

# run SCRIPT CLIENTS: one pgbench run and its line of the table. For the
# hot-seat scripts, also the holds won per second: every won hold and its
# release update the seat once each.
run() {
    local script=$1 n=$2 log="$logs/$1-$2.log" before after
    before=$(seat_updates)
    if ! "$pgbench" -n -M prepared -j 2 -c "$n" -T "$seconds" -f "$here/$script.sql" "$db" >"$log" 2>&1; then
        cat "$log" >&2
        echo "pgbench failed: $script at $n clients" >&2
        exit 1
    fi
    after=$(seat_updates)
    awk -v script="$script" -v n="$n" -v updates=$((after - before)) '
        /^number of transactions actually processed:/ { done = $6 }
        /^number of failed transactions:/ { failed = $5 }
        /^latency average =/ { latency = $4 }
        /^tps =/ { tps = $3 }
        END {
            won = "-"
            if (script ~ /^hotseat/ && done > 0) won = sprintf("%.1f", updates / 2 / done * tps)
            printf "%-22s %7d %10.1f %12.3f %7d %12s\n", script, n, tps, latency, failed, won
        }' "$log"
}

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages TO warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
for migration in "$root"/booking-postgres/migrations/V*.sql; do
    sql -f "$migration" >/dev/null
done
sql -f "$here/setup.sql" >/dev/null

echo "pgbench, $seconds s per run, $(sql -c 'SHOW server_version')"
printf "%-22s %7s %10s %12s %7s %12s\n" script clients tps "latency ms" failed "holds won/s"
for script in hold hold_release hold_reserve_cancel seats_60 churn; do
    for n in "${clients[@]}"; do
        run "$script" "$n"
    done
done
run seats_10000 1
for script in hotseat hold_conditional hold_locked_conditional hotseat_conditional; do
    for n in "${clients[@]}"; do
        run "$script" "$n"
    done
done

# Every script ends with the seats it changed free again: no seat reserved,
# no confirmed reservation, the hot seat not held.
left=$(sql -c "SELECT (SELECT count(*) FROM seats WHERE reservation_id IS NOT NULL OR (id = 61 AND held_by IS NOT NULL))
                    + (SELECT count(*) FROM reservations WHERE status = 'confirmed')")
if [[ $left != 0 ]]; then
    echo "inconsistent data left in $db: $left seats or reservations" >&2
    exit 1
fi
echo "data consistent; pgbench output in $logs"
