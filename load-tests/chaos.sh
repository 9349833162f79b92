#!/usr/bin/env bash
# Faults under load: runs the school-morning rush against PostgreSQL + Redis with the engine in
# three processes, all on instances of their own (other ports, a throwaway folder), and one after
# another SIGKILLs scoring, the ledger and the mobile API (each restarted at once, as a supervisor
# would), restarts Redis (without persistence: every event in it is lost) and stops PostgreSQL for
# 5 s. Then it checks that every trip the engine acknowledged was decided and credited exactly
# once, and prints a table: failed attempts by status, p99 submit→settled during and after each
# fault, and the time until uploads were answered as before.
#
#   load-tests/chaos.sh            the full run: 200 uploads/s, a fault every 30 s (about 16 minutes: 42,000
#                                  students join first, every wallet is checked after)
#   load-tests/chaos.sh --smoke    20 uploads/s, a fault every 10 s (about a minute and a half)
#
# RATE and EVERY (seconds between faults) change the full run. Needs the PostgreSQL server binaries
# (initdb, pg_ctl; run as the postgres user when started as root) and redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--smoke" ]; then
    rate=20 every=10 outage=5
else
    rate=${RATE:-200} every=${EVERY:-30} outage=5
fi
pg_port=15432 redis_port=16379 api_port=18191

cargo build --release --quiet -p smartville -p smartville-load
# Where cargo put the binaries: its target folder, or CARGO_TARGET_DIR when set.
bin=${CARGO_TARGET_DIR:-$PWD/target}/release
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_bin=${PG_BIN:-$pg_bin}
work=$(mktemp -d)
chmod 755 "$work"

declare -A pids=()
redis_pid=
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    for pid in "${pids[@]}" $redis_pid ${load_pid:-}; do kill -9 "$pid" 2>/dev/null || true; done
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# wait_for COMMAND...: retries COMMAND for up to 30 s.
wait_for() {
    for _ in $(seq 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "timed out waiting for: $*" >&2
    return 1
}

# The database and the bus, on ports of their own.
mkdir "$work/pg" && chown postgres "$work/pg" 2>/dev/null || true
as_postgres "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
start_postgres() {
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
        -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
}
start_redis() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >>"$work/redis.log" 2>&1 &
    redis_pid=$!
    wait_for redis-cli -p "$redis_port" ping
}
start_postgres
start_redis
database_url="postgres://postgres@127.0.0.1:$pg_port/postgres"

# The engine: the mobile API with the relay, scoring, the ledger; limits raised for one address
# joining thousands of students (as in run.sh).
declare -A ports=([mobile-api,relay]=$api_port [scoring]=$((api_port + 1)) [ledger]=$((api_port + 2)))
start() {
    local targets=$1
    env DATABASE_URL="$database_url" REDIS_URL="redis://127.0.0.1:$redis_port" SMARTVILLE_DATA_DIR="$work/data" \
        SMARTVILLE_LIMIT_JOINS_PER_ADDRESS=1000000/1s SMARTVILLE_LIMIT_JOINS_PER_CODE=1000000/1s \
        SMARTVILLE_LISTEN="127.0.0.1:${ports[$targets]}" SMARTVILLE_LOG_FORMAT=text RUST_LOG=warn \
        "$bin/smartville" serve --target "$targets" >>"$work/$targets.log" 2>&1 &
    pids[$targets]=$!
    wait_for curl -sf "http://127.0.0.1:${ports[$targets]}/readyz"
}
for targets in mobile-api,relay scoring ledger; do start "$targets"; done
sed 's/"budget_points": *[0-9]*/"budget_points": 1000000000/' examples/campaign.json >"$work/campaign.json"
DATABASE_URL="$database_url" SMARTVILLE_DATA_DIR="$work/data" RUST_LOG=warn \
    "$bin/smartville" campaign apply "$work/campaign.json" >/dev/null

# The faults, in order; each writes `name<TAB>injected_ms<TAB>restored_ms` to the record.
faults=(kill_scoring kill_ledger kill_mobile_api restart_redis stop_postgres)
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$(now_ms)" >>"$work/faults.tsv"; }
sigkill() {
    local targets=$1 injected
    injected=$(now_ms)
    kill -9 "${pids[$targets]}"
    wait "${pids[$targets]}" 2>/dev/null || true
    start "$targets"
    record "SIGKILL ${targets%%,*}" "$injected"
}
kill_scoring() { sigkill scoring; }
kill_ledger() { sigkill ledger; }
kill_mobile_api() { sigkill mobile-api,relay; }
restart_redis() {
    local injected
    injected=$(now_ms)
    kill -9 "$redis_pid"
    wait "$redis_pid" 2>/dev/null || true
    start_redis
    record "restart Redis (events lost)" "$injected"
}
stop_postgres() {
    local injected
    injected=$(now_ms)
    as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null
    sleep "$outage"
    start_postgres
    record "stop PostgreSQL for ${outage} s" "$injected"
}

# The rush: a quiet stretch first (the baseline), then a fault every $every seconds, then a
# stretch after the last one.
duration=$(((${#faults[@]} + 2) * every))
"$bin/smartville-load" run --base "http://127.0.0.1:$api_port" --stack "chaos: PostgreSQL + Redis, 3 processes" \
    --rate "$rate" --duration "$duration" --expect-outages \
    --report "$work/chaos.json" --timeline "$work/timeline.jsonl" >"$work/load.out" 2>&1 &
load_pid=$!
until grep -q '^uploading' "$work/load.out"; do # the students join first
    kill -0 "$load_pid" 2>/dev/null || { cat "$work/load.out" >&2; exit 1; }
    sleep 0.2
done
for fault in "${faults[@]}"; do
    sleep "$every"
    echo "$(date +%T) ${fault//_/ }" >&2
    "$fault"
done
status=0
wait "$load_pid" || status=$?
load_pid=

# What the database says, beside what the students saw: nothing undecided or accepted and not
# credited, and the ledger whole (`smartville ledger check`: every coin balanced, every account
# agreeing with its transfers, every paid ride paid exactly once, no reward without an accepted ride).
checks=$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -At -F ' ' -c "
    select
      (select count(*) from trips where status = 'pending'),
      (select count(*) from trips where status = 'accepted' and credited_at is null),
      (select count(*) from trips)")
read -r undecided uncredited trips <<<"$checks"
ledger_status=0
DATABASE_URL="$database_url" SMARTVILLE_DATA_DIR="$work/data" RUST_LOG=warn \
    "$bin/smartville" ledger check >"$work/ledger.out" 2>&1 || ledger_status=$?

echo
"$bin/smartville-load" table "$work/chaos.json"
echo
"$bin/smartville-load" faults --timeline "$work/timeline.jsonl" --faults "$work/faults.tsv"
echo
echo "database: $trips trips; undecided $undecided, accepted but uncredited $uncredited; $(tail -1 "$work/ledger.out")"
if [ "$status" -ne 0 ] || [ "$undecided$uncredited" != 00 ] || [ "$ledger_status" -ne 0 ]; then
    cat "$work/ledger.out" >&2
    echo "FAILED: something was lost, left undecided or paid other than once; the load generator said:" >&2
    tail -5 "$work/load.out" >&2
    exit 1
fi
echo "ok: every acknowledged trip decided and credited exactly once"
