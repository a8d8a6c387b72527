#!/usr/bin/env bash
# Writes tests/fixtures/schema/vN.db, N the schema version of this build: a small database
# holding one of everything (projects with a dependency, an org chart,
# metrics both ways, reviews of every kind, points with awkward notes,
# blockers open and resolved, a deadline), written through the CLI with the
# clock pinned so that the file is the same on every run.
#
# Run it once per schema version, when that version is released, and commit
# the file: tests/it/reliability_crash.rs opens every fixture with the current
# build and checks the data survived the upgrade. Never regenerate an old
# version's fixture with a newer build; add tests/fixtures/schema/vN.db instead.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --bin limfac
bin="${CARGO_TARGET_DIR:-target}/debug/limfac"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# (A reading command refuses a missing database: make the probe with one that adds data.)
LIMFAC_NOW=2026-11-29 "$bin" --quiet --db "$work/probe.db" engineer add probe --name Probe 2>/dev/null
version="$(LIMFAC_NOW=2026-11-29 "$bin" --db "$work/probe.db" doctor --json | sed -n 's/.*"schema_version": \([0-9]*\).*/\1/p')"
out="tests/fixtures/schema/v$version.db"
db="$work/v$version.db"

export LIMFAC_DB="$db" LIMFAC_NOW="2026-11-29T12:00:00Z" NO_COLOR=1
unset EDITOR
l() { "$bin" --quiet "$@" </dev/null; }

l project add power --name "Power" --priority 1 --owner "Elena Vásquez"
l project add chips --name "Chips" --priority 2
l project add orbital --name "Orbital compute" --priority 1 --depends-on power --depends-on chips
l engineer add elena --name "Elena Vásquez"
l engineer add alice --name "Alice" --reports-to elena
l engineer add wang-xm --name "王小明" --reports-to alice
l metric add power/output --target 120 --direction up --unit kW --tolerance 2 --name "Array output"
l metric add chips/defects --target 0.1 --direction down --unit "per cm²"
l review add --date 2026-11-20 --kind deep-dive --reviewer elena --notes "chips yield deep dive"
l log --metric power/output --engineer wang-xm --value 84.5 --date 2026-11-13 --reviewer elena \
    --note "MPPT oscillation fixed, \"v2.3\" firmware" --blocker "permits:grid interconnect permit pending"
l log --metric power/output --engineer wang-xm --value 91.25 --date 2026-11-20 --reviewer elena \
    --note "two lines:
second line" --blocker "supplier:transformer lead time 40 weeks" --blocker "people:one technician short"
l log --metric chips/defects --engineer alice --value 0.42 --date 2026-11-20 --review 1 --note "lot 7 back; 良率 提升"
l log --metric chips/defects --engineer wang-xm --value -0 --date 2026-11-27 --kind skip-level --reviewer elena \
    --note "probe data, zero defects on the test wafer"
l blocker add orbital "design:thermal model not signed off" --engineer alice --date 2026-11-02
l blocker resolve 1 --date 2026-11-27

# A deadline: through the CLI when this build has it, else the same row by hand
# (the deadline table is part of schema version 1).
if "$bin" deadline --help >/dev/null 2>&1; then
    l deadline set power --date 2027-03-01 --reason "launch window"
else
    command -v sqlite3 >/dev/null || { echo "error: needs sqlite3 (or a limfac with 'deadline set')" >&2; exit 1; }
    sqlite3 "$db" "INSERT INTO deadline (project_id, metric_id, due, probability, reason, set_on, created_at)
                   SELECT id, NULL, '2027-03-01', 0.5, 'launch window', '2026-11-29', '2026-11-29T12:00:00Z'
                   FROM project WHERE slug = 'power';"
fi

# Corrections, bounds and archive events: when this build has them (schema 3).
if "$bin" point --help >/dev/null 2>&1; then
    l point amend 2 --value 91.5 --reason "misheard in the meeting"
    l point retract 4 --reason "probe wafer, not production"
    l metric edit power/output --min 0 --max 150
    l project archive chips --reason "superseded"
    l project unarchive chips --reason "back on"
fi

l doctor >/dev/null
# Every process has exited, so the WAL is checkpointed into the file and gone.
test ! -e "$db-wal" || { echo "error: $db-wal still exists" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$db" "$out"
chmod 0644 "$out"
echo "wrote $out ($(wc -c <"$out") bytes, schema version $("$bin" --db "$out" doctor --json | sed -n 's/.*"schema_version": \([0-9]*\).*/\1/p'))"
