#!/usr/bin/env bash
# Whole-process figures on the scale dataset (limfac demo --scale SCALE): medians of several
# runs of each command, wall time and peak RSS, the sqlite3 shell's .import of the same CSV as
# a reference, and at the end the table of issue 17's targets with each figure.
#
#   bench/run.sh                 # scale 1 (2,000 metrics, 1,000,000 points), 5 runs each
#   bench/run.sh 10              # scale 10 (20,000 metrics, 10,000,000 points)
#   RUNS=3 bench/run.sh 0.1      # a quicker, smaller run
#   BEFORE=/path/to/old/limfac bench/run.sh 1
#                                # also times an older build's import, report and forecast
#                                # (on a copy of the same database) for a before/after table
#
# Needs GNU time, sqlite3 and hyperfine (installed with apt-get when missing). Uses about
# 0.5 GB of disk per unit of scale in WORK (deleted at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-${SCALE:-1}}
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d /tmp/limfac-bench.XXXXXX)}
mkdir -p "$WORK"
export LIMFAC_NOW=${LIMFAC_NOW:-2026-11-30}
NEXT_WEEK=$(date -d "$LIMFAC_NOW + 7 days" +%F)
export NO_COLOR=1
unset RUST_BACKTRACE
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

need() { command -v "$1" >/dev/null 2>&1 || { apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null; }; }; }
need sqlite3 sqlite3
[ -x /usr/bin/time ] || need /usr/bin/time time
need hyperfine hyperfine
need bc bc

cargo build --release --quiet
B=$PWD/target/release/limfac
DB=$WORK/scale.db
CSV=$WORK/scale.csv
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo) RAM; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build: release, $(rustc --version)"
echo "# scale $SCALE, $RUNS runs each, work dir $WORK, today $LIMFAC_NOW"

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
PEAK_MB=0
PEAK_WHAT=
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
  local w c r top
  w=$(printf '%s\n' "${walls[@]}" | median)
  c=$(printf '%s\n' "${cpus[@]}" | median)
  r=$(printf '%s\n' "${rss[@]}" | median)
  top=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
  printf '%-44s wall %8.3f s   cpu %8.3f s   peak RSS %7.1f MB   (runs: %s)\n' "$name" "$w" "$c" "$(echo "$r / 1024" | bc -l)" "${walls[*]}"
  LAST_WALL=$w
  LAST_MB=$(echo "scale=1; $top / 1024" | bc)
  if [ "${name#before:}" = "$name" ] && [ "$(echo "$LAST_MB > $PEAK_MB" | bc)" = 1 ]; then PEAK_MB=$LAST_MB; PEAK_WHAT=$name; fi
}
drop_cache() { sqlite3 "$1" "DELETE FROM forecast_cache; DELETE FROM forecast_cache_use; DELETE FROM replay_cache; DELETE FROM calibration_cache;"; }

RUNS_SAVED=$RUNS; RUNS=1
measure "demo --scale $SCALE (generate + import)" "rm -f $DB $DB-wal $DB-shm" "$B" --db "$DB" demo --scale "$SCALE"
RUNS=$RUNS_SAVED
"$B" demo --scale "$SCALE" --csv "$CSV" >/dev/null
ROWS=$(($(wc -l <"$CSV") - 1))
METRIC=$(sqlite3 "$DB" "SELECT p.slug || '/' || m.slug FROM metric m JOIN project p ON p.id = m.project_id ORDER BY m.id LIMIT 1")
# One week later: a new reading on every metric, a week after its last one.
sqlite3 -csv -header "$DB" "
  WITH last AS (SELECT metric_id, max(id) AS id FROM point GROUP BY metric_id)
  SELECT date(p.date, '+7 days') AS date, pr.slug AS project, m.slug AS metric, e.handle AS engineer,
         p.value AS value, 'a week later' AS note
    FROM last JOIN point p ON p.id = last.id JOIN metric m ON m.id = p.metric_id
    JOIN project pr ON pr.id = m.project_id JOIN engineer e ON e.id = p.engineer_id" >"$WORK/week.csv"

cp "$DB" "$WORK/log.db"
measure "log" "" "$B" --db "$WORK/log.db" log --metric "$METRIC" --engineer eng-0001 --value 1 --note "bench reading" --force
# GNU time counts in 10 ms steps: hyperfine for the millisecond figure.
hyperfine -N -w 3 -r $((RUNS * 4)) --export-json "$WORK/log.json" \
  "$B --db $WORK/log.db log --metric $METRIC --engineer eng-0001 --value 1 --note reading --force" >/dev/null
LOG_S=$(grep -m1 '"median"' "$WORK/log.json" | tr -dc '0-9.')
echo "  -> hyperfine median $LOG_S s over $((RUNS * 4)) runs"
rm -f "$WORK/log.db"*

# import and sqlite3 .import, alternating, so that both see the same machine. The reference
# table has the CSV's own columns (read from its header: a column the table lacks makes the
# shell print a warning per row, which once slowed the reference down by half), numbers as REAL.
COLUMNS=$(head -1 "$CSV" | tr -d '\r' | tr ',' '\n' | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, ($1 ~ /^(value|target|tolerance)$/ ? "REAL" : "TEXT")}')
cat >"$WORK/ref.sql" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE raw ($COLUMNS);
.mode csv
.import --skip 1 $CSV raw
SQL
IMPORTS=(); REFS=()
for _ in $(seq "$RUNS"); do
  RUNS_SAVED=$RUNS; RUNS=1
  measure "import ($ROWS rows)" "rm -f $WORK/import.db $WORK/import.db-wal $WORK/import.db-shm" \
    "$B" --db "$WORK/import.db" import "$CSV" --create-missing
  IMPORTS+=("$LAST_WALL")
  measure "sqlite3 .import (reference)" "rm -f $WORK/ref.db $WORK/ref.db-wal $WORK/ref.db-shm" \
    sh -c "sqlite3 $WORK/ref.db < $WORK/ref.sql"
  REFS+=("$LAST_WALL")
  # The reference must import every row without a word: a warning per row is not a fair race.
  if [ -s "$WORK/stderr.txt" ]; then echo "sqlite3 .import complained:" >&2; head -3 "$WORK/stderr.txt" >&2; exit 1; fi
  [ "$(sqlite3 "$WORK/ref.db" "SELECT count(*) FROM raw")" = "$ROWS" ] || { echo "sqlite3 .import did not import $ROWS rows" >&2; exit 1; }
  RUNS=$RUNS_SAVED
done
rm -f "$WORK"/import.db* "$WORK"/ref.db*
IMPORT_S=$(printf '%s\n' "${IMPORTS[@]}" | median)
REF_S=$(printf '%s\n' "${REFS[@]}" | median)
RATIO=$(echo "scale=2; $REF_S / $IMPORT_S" | bc)
echo "  -> import median $IMPORT_S s ($(echo "$ROWS / $IMPORT_S" | bc) rows/s), sqlite3 .import median $REF_S s: import is ${RATIO}x as fast"

measure "report --format json, cold (empty cache)" "drop_cache $DB" "$B" --db "$DB" report --format json
REPORT_COLD=$LAST_WALL
measure "report --format json, warm (nothing changed)" "" "$B" --db "$DB" report --format json
REPORT_WARM=$LAST_WALL
measure "report (Markdown), warm" "" "$B" --db "$DB" report
measure "forecast --json, cold (empty cache)" "drop_cache $DB" "$B" --db "$DB" forecast --json
FORECAST_COLD=$LAST_WALL
measure "forecast --json, warm" "" "$B" --db "$DB" forecast --json
FORECAST_WARM=$LAST_WALL
"$B" --db "$DB" report --format json >/dev/null
measure "report a week later (one new reading per metric)" \
  "rm -f $WORK/week.db*; cp $DB $WORK/week.db; LIMFAC_NOW=$NEXT_WEEK $B --quiet --db $WORK/week.db import $WORK/week.csv" \
  env LIMFAC_NOW="$NEXT_WEEK" "$B" --db "$WORK/week.db" report --format json
REPORT_WEEK=$LAST_WALL
rm -f "$WORK"/week.db*
measure "chart $METRIC (PNG)" "" "$B" --db "$DB" chart "$METRIC" --out "$WORK/metric.png"
hyperfine -N -w 2 -r $((RUNS * 2)) --export-json "$WORK/chart.json" \
  "$B --db $DB chart $METRIC --out $WORK/metric.png" >/dev/null
CHART_S=$(grep -m1 '"median"' "$WORK/chart.json" | tr -dc '0-9.')
echo "  -> hyperfine median $CHART_S s over $((RUNS * 2)) runs"

if [ -n "${BEFORE:-}" ]; then
  echo "# before: $BEFORE (an older build, no forecast cache), same machine, same run"
  # Its own database: an older build does not open a newer schema.
  "$BEFORE" --db "$WORK/before.db" demo --scale "$SCALE" >/dev/null
  measure "before: report --format json" "" "$BEFORE" --db "$WORK/before.db" report --format json
  measure "before: forecast --json" "" "$BEFORE" --db "$WORK/before.db" forecast --json
  measure "before: chart $METRIC (PNG)" "" "$BEFORE" --db "$WORK/before.db" chart "$METRIC" --out "$WORK/metric.png"
  measure "before: import ($ROWS rows)" "rm -f $WORK/import.db $WORK/import.db-wal $WORK/import.db-shm" \
    "$BEFORE" --db "$WORK/import.db" import "$CSV" --create-missing
  rm -f "$WORK"/before.db* "$WORK"/import.db*
fi

big=$(echo "$SCALE >= 10" | bc)
t() { if [ "$big" = 1 ]; then echo "$2"; else echo "$1"; fi; }
ok() { if [ "$(echo "$1" | bc)" = 1 ]; then echo met; else echo MISSED; fi; }
echo
echo "| figure (scale $SCALE, medians of $RUNS) | target | measured | |"
echo "| --- | --- | --- | --- |"
echo "| \`report\` warm, nothing changed | ≤ $(t 0.2 1) s | $REPORT_WARM s | $(ok "$REPORT_WARM <= $(t 0.2 1)") |"
echo "| \`report\` after one week's new readings on every metric | ≤ $(t 1 10) s | $REPORT_WEEK s | $(ok "$REPORT_WEEK <= $(t 1 10)") |"
echo "| \`report\` cold (empty cache) | ≤ $(t 2 20) s | $REPORT_COLD s | $(ok "$REPORT_COLD <= $(t 2 20)") |"
echo "| \`forecast --json\` warm | ≤ $(t 0.2 1) s | $FORECAST_WARM s (cold $FORECAST_COLD s) | $(ok "$FORECAST_WARM <= $(t 0.2 1)") |"
echo "| \`import\` vs \`sqlite3 .import\`, same run | ≥ 1.0× (aim 1.5×) | ${RATIO}× ($IMPORT_S s vs $REF_S s, $ROWS rows) | $(ok "$RATIO >= 1.0") |"
echo "| \`log\` whole process | ≤ 5 ms | $(echo "scale=1; $LOG_S * 1000 / 1" | bc) ms | $(ok "$LOG_S <= 0.005") |"
echo "| \`chart\` one metric | ≤ 30 ms | $(echo "scale=1; $CHART_S * 1000 / 1" | bc) ms | $(ok "$CHART_S <= 0.030") |"
echo "| peak RSS of any command | ≤ $(t 100 300) MB | $PEAK_MB MB ($PEAK_WHAT) | $(ok "$PEAK_MB <= $(t 100 300)") |"
