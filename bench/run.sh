#!/usr/bin/env bash
# Whole-process figures for SPEC §5 on the scale dataset (limfac demo --scale 1):
# medians of several runs of each command, wall time and peak RSS, plus the
# sqlite3 shell's .import of the same CSV as a reference.
#
#   bench/run.sh            # scale 1 (1,000,000 points), 5 runs each
#   SCALE=0.1 RUNS=3 bench/run.sh
#
# Needs GNU time and sqlite3 (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d /tmp/limfac-bench.XXXXXX)}
export LIMFAC_NOW=${LIMFAC_NOW:-2026-11-30}
export NO_COLOR=1
unset RUST_BACKTRACE

need() { command -v "$1" >/dev/null 2>&1 || { apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null; }; }; }
need sqlite3 sqlite3
[ -x /usr/bin/time ] || need /usr/bin/time time
need hyperfine hyperfine

cargo build --release --quiet
B=$PWD/target/release/limfac
DB=$WORK/scale.db
CSV=$WORK/scale.csv
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo) RAM; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build: release, $(rustc --version)"
echo "# scale $SCALE, $RUNS runs each, work dir $WORK"

"$B" --db "$DB" demo --scale "$SCALE" >/dev/null
"$B" demo --scale "$SCALE" --csv "$CSV" >/dev/null
ROWS=$(($(wc -l <"$CSV") - 1))
METRIC=$(sqlite3 "$DB" "SELECT p.slug || '/' || m.slug FROM metric m JOIN project p ON p.id = m.project_id ORDER BY m.id LIMIT 1")

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure NAME SETUP-CMD CMD...: runs SETUP (untimed) then CMD under GNU time, RUNS times;
# prints the median wall seconds, CPU seconds (user+sys) and peak RSS in MB.
measure() {
  local name=$1 setup=$2; shift 2
  local walls=() cpus=() rss=()
  for _ in $(seq "$RUNS"); do
    eval "$setup"
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" ||
      { cat "$WORK/stderr.txt" >&2; exit 1; }
    read -r e u s m <"$WORK/time.txt"
    walls+=("$e"); cpus+=("$(echo "$u + $s" | bc)"); rss+=("$m")
  done
  local w c r
  w=$(printf '%s\n' "${walls[@]}" | median)
  c=$(printf '%s\n' "${cpus[@]}" | median)
  r=$(printf '%s\n' "${rss[@]}" | median)
  printf '%-28s wall %8.3f s   cpu %8.3f s   peak RSS %6.1f MB   (runs: %s)\n' "$name" "$w" "$c" "$(echo "$r / 1024" | bc -l)" "${walls[*]}"
  LAST_WALL=$w
}

cp "$DB" "$WORK/log.db"
measure "log" "" "$B" --db "$WORK/log.db" log --metric "$METRIC" --engineer eng-0001 --value 1 --note "bench reading"
# GNU time counts in 10 ms steps: hyperfine for the millisecond figure.
hyperfine -N -w 3 -r $((RUNS * 4)) --export-json "$WORK/log.json" \
  "$B --db $WORK/log.db log --metric $METRIC --engineer eng-0001 --value 1 --note reading" >/dev/null
echo "  -> hyperfine median $(grep -m1 '"median"' "$WORK/log.json" | tr -dc '0-9.') s over $((RUNS * 4)) runs"
measure "import ($ROWS rows)" "rm -f $WORK/import.db $WORK/import.db-wal $WORK/import.db-shm" \
  "$B" --db "$WORK/import.db" import "$CSV" --create-missing
echo "  -> $(echo "$ROWS / $LAST_WALL" | bc) rows/s"
IMPORT_WALL=$LAST_WALL
cat >"$WORK/ref.sql" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE raw (date TEXT, project TEXT, metric TEXT, engineer TEXT, value REAL, note TEXT, blocker TEXT,
                  kind TEXT, reviewer TEXT, target REAL, direction TEXT, tolerance REAL, unit TEXT);
.mode csv
.import --skip 1 $CSV raw
SQL
measure "sqlite3 .import (reference)" "rm -f $WORK/ref.db $WORK/ref.db-wal $WORK/ref.db-shm" \
  sh -c "sqlite3 $WORK/ref.db < $WORK/ref.sql"
echo "  -> $(echo "$ROWS / $LAST_WALL" | bc) rows/s; limfac import takes $(echo "scale=2; $IMPORT_WALL / $LAST_WALL" | bc)x the time of sqlite3 .import"
measure "forecast --json" "" "$B" --db "$DB" forecast --json
measure "report --format json" "" "$B" --db "$DB" report --format json
measure "chart $METRIC (PNG)" "" "$B" --db "$DB" chart "$METRIC" --out "$WORK/metric.png"
echo "# targets (SPEC §5, 2 cores): log < 0.020 s; import >= 300000 rows/s; forecast, report < 2 s; chart < 0.2 s; RSS < 300 MB"
