#!/usr/bin/env bash
# Team-sync benchmarks (BENCHMARKS.md "Team sync"): a local throwaway
# PostgreSQL, the release build, the 1,000,000-reading scale database.
#   1. first push of the whole database into an empty team server;
#   2. an incremental sync of one week, 2,000 readings, from 4 clients
#      (500 each, the four syncs run at once);
#   3. a pull of everything into a fresh client.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/limfac"
work="$(mktemp -d)"
eval "$(scripts/pg-test-server.sh start)"
trap 'scripts/pg-test-server.sh stop "$LIMFAC_TEST_PG_DIR"; rm -rf "$work"' EXIT
admin="$LIMFAC_TEST_PG"
base="${admin%/postgres*}"
pw="${admin#*postgres:}"; pw="${pw%%@*}"
hostport="${base#*@}"
PGPASSWORD="$pw" psql -q -h "${hostport%:*}" -p "${hostport#*:}" -U postgres -c "CREATE DATABASE bench"
for r in r0 r1 r2 r3 fresh; do
    PGPASSWORD="$pw" psql -q -h "${hostport%:*}" -p "${hostport#*:}" -U postgres -d bench -c "SELECT 1" >/dev/null
done
export LIMFAC_NOW=2026-11-29 NO_COLOR=1
LIMFAC_REMOTE="postgresql://postgres:$pw@$hostport/bench?sslmode=disable" "$bin" --db "$work/admin.db" -q remote init
PGPASSWORD="$pw" psql -q -h "${hostport%:*}" -p "${hostport#*:}" -U postgres -d bench -c "
    CREATE ROLE bench_r0 LOGIN PASSWORD 'pw' IN ROLE limfac_reviewer;
    CREATE ROLE bench_r1 LOGIN PASSWORD 'pw' IN ROLE limfac_reviewer;
    CREATE ROLE bench_r2 LOGIN PASSWORD 'pw' IN ROLE limfac_reviewer;
    CREATE ROLE bench_r3 LOGIN PASSWORD 'pw' IN ROLE limfac_reviewer;
    CREATE ROLE bench_fresh LOGIN PASSWORD 'pw' IN ROLE limfac_reviewer;"
url() { echo "postgresql://bench_$1:pw@$hostport/bench?sslmode=disable"; }

echo "== making the scale database (1,000,000 readings)"
"$bin" --db "$work/big.db" -q demo --scale 1 >/dev/null
readings=$("$bin" --db "$work/big.db" doctor --json | tr -d ' \n' | sed 's/.*\["point",\([0-9]*\)\].*/\1/')
echo "readings: $readings"

echo "== 1. first push"
/usr/bin/time -f "%e s wall, %U s user, %M KB peak" env LIMFAC_REMOTE="$(url r0)" "$bin" --db "$work/big.db" sync

echo "== 2. one week, 2,000 readings from 4 clients (500 each), synced at once"
"$bin" --db "$work/big.db" metric list --json >"$work/metrics.json"
"$bin" --db "$work/big.db" engineer list --json >"$work/engineers.json"
sed -n 's/.*"project": *"\([^"]*\)".*/\1/p' "$work/metrics.json" >"$work/p"
sed -n 's/.*"metric": *"\([^"]*\)".*/\1/p' "$work/metrics.json" >"$work/m"
eng=$(sed -n 's/.*"handle": *"\([^"]*\)".*/\1/p' "$work/engineers.json" | sed -n 1p)
paste -d/ "$work/p" "$work/m" | sed -n 1,50p >"$work/pm"
for i in 0 1 2 3; do
    # The 4 clients start as copies of the pushed database (its rows are on the server).
    cp "$work/big.db" "$work/c$i.db"
    {
        echo "date,project,metric,engineer,value,note"
        n=0
        while IFS=/ read -r p m; do
            for k in 1 2 3 4 5 6 7 8 9 10; do
                echo "2026-11-$((22 + k % 7)),$p,$m,$eng,$k.$i,client $i week reading $n"
                n=$((n + 1))
            done
        done <"$work/pm"
    } >"$work/week$i.csv"
    "$bin" --db "$work/c$i.db" -q import "$work/week$i.csv" >/dev/null
done
for i in 0 1 2 3; do
    ( /usr/bin/time -f "client $i: %e s wall" env LIMFAC_REMOTE="$(url r$i)" "$bin" --db "$work/c$i.db" sync 2>&1 | grep -v '^synced' ) &
done
wait
echo "-- and a second round (each pulls the others' readings it missed)"
for i in 0 1 2 3; do
    /usr/bin/time -f "client $i: %e s wall" env LIMFAC_REMOTE="$(url r$i)" "$bin" --db "$work/c$i.db" sync 2>&1 | grep -v '^synced'
done

echo "== 3. pull into a fresh client"
/usr/bin/time -f "%e s wall, %U s user, %M KB peak" env LIMFAC_REMOTE="$(url fresh)" "$bin" --db "$work/fresh.db" sync
"$bin" --db "$work/fresh.db" doctor | grep -E "integrity|point"
