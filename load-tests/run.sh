#!/usr/bin/env bash
# Runs the school-morning scenario on this machine against (1) the embedded
# default — SQLite, in-process bus, one process — and (2) PostgreSQL + Redis
# with the components in three processes, then prints one table.
#
#   load-tests/run.sh            full run: 60 s at 200 uploads/s (embedded) and 500/s (PostgreSQL + Redis)
#   load-tests/run.sh --smoke    a few seconds at a low rate, for CI
#
# Rates and length can be changed with EMBEDDED_RATE, POSTGRES_RATE and DURATION (seconds),
# the share of phone-like uploads with PHONE_SHARE (default 0.5; 0 for the 1 Hz rush of the
# figures measured before it), the share of accepted rides after which the student buys a voucher
# that a shop redeems at once with SPEND_SHARE (default 0: the plain rush; the smoke run spends);
# STACKS="embedded" or STACKS="postgres" runs one of the two.
# SCENARIO=readings runs the readings scenario instead of the rush: a data source sends batches of
# 10,000 readings of 20,000 households, four batches in flight (BATCHES, default 30), and the
# readings stored per second are printed.
# Needs PostgreSQL (user postgres, trust auth) on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--smoke" ]; then
    embedded_rate=10 postgres_rate=10 duration=5 spend_share=${SPEND_SHARE:-0.5}
else
    embedded_rate=${EMBEDDED_RATE:-200} postgres_rate=${POSTGRES_RATE:-500} duration=${DURATION:-60}
    spend_share=${SPEND_SHARE:-0}
fi
phone_share=${PHONE_SHARE:-0.5}
scenario=${SCENARIO:-rush}
if [ "${1:-}" = "--smoke" ]; then
    readings_args=(--households 500 --batches 4 --batch-size 1000)
else
    readings_args=(--households 20000 --batches "${BATCHES:-30}" --batch-size 10000)
fi

cargo build --release --quiet -p smartville -p smartville-load
# Where cargo put the binaries: its target folder, or CARGO_TARGET_DIR when set.
bin=${CARGO_TARGET_DIR:-$PWD/target}/release
work=$(mktemp -d)
database="smartville_load_$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $database with (force)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# The generator is one client address joining thousands of students to one class: the limits
# on joins per address and per code are raised for the run (settings, not an exemption in code);
# every other limit stays at its default.
limits=(SMARTVILLE_LIMIT_JOINS_PER_ADDRESS=1000000/1s SMARTVILLE_LIMIT_JOINS_PER_CODE=1000000/1s)

# serve PORT TARGETS [VAR=value ...]: starts one `smartville serve` process in the background.
serve() {
    local port=$1 targets=$2
    shift 2
    env "${limits[@]}" "$@" SMARTVILLE_LISTEN="127.0.0.1:$port" SMARTVILLE_DATA_DIR="$work/data" \
        SMARTVILLE_LOG_FORMAT=text RUST_LOG=warn \
        "$bin/smartville" serve --target "$targets" >>"$work/serve.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 150); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0
        sleep 0.2
    done
    echo "smartville serve --target $targets did not become ready; its log:" >&2
    cat "$work/serve.log" >&2
    return 1
}

stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}

# The demo campaign's budget (100,000 points) pays about 4,000 rides; the rush must not run it dry,
# or most rides would be refused without reaching the ledger.
sed 's/"budget_points": *[0-9]*/"budget_points": 1000000000/' examples/campaign.json >"$work/campaign.json"

# fund DATABASE_URL: gives the demo campaign the rush's budget.
fund() {
    env "$1" SMARTVILLE_DATA_DIR="$work/data" RUST_LOG=warn "$bin/smartville" campaign apply "$work/campaign.json" >/dev/null
}

# council_token DATABASE_URL: a one-time set-up token of a council admin of the demo town, who
# opens the shop the students spend at (each run invites its own).
council_token() {
    env "$1" SMARTVILLE_DATA_DIR="$work/data" RUST_LOG=warn "$bin/smartville" tenant admin --email "load-$RANDOM-$$@load.test" \
        | sed -n 's/^setup token: //p'
}

# Each stack: start it, run the scenario, stop it; its report joins the table.
run_embedded() {
    serve 18180 all DATABASE_URL="sqlite://$work/embedded/smartville.db"
    fund DATABASE_URL="sqlite://$work/embedded/smartville.db"
    drive 18180 "embedded: SQLite, in-process bus, 1 process" "$work/embedded" "$embedded_rate" \
        DATABASE_URL="sqlite://$work/embedded/smartville.db"
    stop_all
}

run_postgres() {
    psql -q -h 127.0.0.1 -U postgres -c "create database $database" >/dev/null
    local shared=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database" REDIS_URL=redis://127.0.0.1:6379
        SMARTVILLE_BUS_NAMESPACE="load-$$.")
    serve 18181 mobile-api,relay "${shared[@]}"
    serve 18182 scoring "${shared[@]}"
    serve 18183 ledger "${shared[@]}"
    fund "${shared[0]}"
    drive 18181 "PostgreSQL + Redis Streams, 3 processes" "$work/postgres" "$postgres_rate" "${shared[0]}"
    stop_all
}

# drive PORT NAME OUTPUT RATE DATABASE_URL=…: runs the scenario against the stack on PORT (a rush
# at RATE uploads a second, its report joining the table; or the readings).
drive() {
    local base="http://127.0.0.1:$1" name=$2 output=$3 rate=$4 database=$5
    if [ "$scenario" = readings ]; then
        "$bin/smartville-load" readings --base "$base" --stack "$name" --council-setup-token "$(council_token "$database")" \
            "${readings_args[@]}" >>"$work/readings.out" || status=1
        return
    fi
    "$bin/smartville-load" run --base "$base" --stack "$name" \
        --rate "$rate" --duration "$duration" --phone-share "$phone_share" --report "$output.json" \
        --spend-share "$spend_share" --council-setup-token "$(council_token "$database")" \
        >"$output.out" || status=1
    reports+=("$output.json")
}

status=0
reports=()
for stack in ${STACKS:-embedded postgres}; do
    "run_$stack"
done

if [ "$scenario" = readings ]; then
    cat "$work/readings.out"
else
    "$bin/smartville-load" table "${reports[@]}"
fi
if [ "$status" -ne 0 ]; then
    echo "a run reported errors or ledger mismatches:" >&2
    grep -h '"error\|mismatches' "$work"/*.json >&2 || true
fi
exit "$status"
