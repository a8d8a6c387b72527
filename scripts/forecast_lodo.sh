#!/usr/bin/env bash
# How the forecast fares on real data of a kind its fit never saw: leave one data set out.
#
# The shipped calibration (examples/fit_forecast_defaults.rs) learns from the synthetic
# families and the tuned halves of two real sets, Rhino's test262 areas and Musa/DACS defect
# discovery. The forecasts will also be judged on real data nobody here has seen, of other
# kinds. This script stands in for that: it fits once without Musa/DACS and once without
# Rhino, and scores the set left out (its tuned half, which a choice may use, and its checked
# half) with that fit. The full fit is scored too, on every set.
#
#   scripts/forecast_lodo.sh [FIT FLAGS...]
#
# FIT FLAGS go to every fit, e.g. `--family-weight flat_count=1` (the weighing before stop 25)
# or `--ridge 1e-2`. Release build; about 20 s on two cores. Prints one line per data set and
# group; docs/forecast.md ("Data of a kind the fit never saw") has the figures and the choice
# they made.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example fit_forecast_defaults --example forecast_eval
bin=target/release/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fracs=(--fracs 0.2,0.3,0.4,0.5,0.6,0.7,0.8 --per-family 30 --group verdict)

"$bin/fit_forecast_defaults" --json "$tmp/full.json" "$@" 2>/dev/null
"$bin/fit_forecast_defaults" --json "$tmp/no-musa.json" --leave-out musa-tune "$@" 2>/dev/null
"$bin/fit_forecast_defaults" --json "$tmp/no-rhino.json" --leave-out rhino-tune "$@" 2>/dev/null

# The lines of data set $2 in evaluation output $1, "all" and the verdicts that carry dates.
pick() {
    awk -v set="$2" '/^== /{s=$2} s==set && ($1=="all" || $2=="converging" || $2=="stalled")' "$1" |
        sed "s/^/$2 /; s/unf-conv.*pinball/pinball/"
}

"$bin/forecast_eval" "${fracs[@]}" --flat --cal "$tmp/full.json" >"$tmp/full.txt"
"$bin/forecast_eval" "${fracs[@]}" --cal "$tmp/no-musa.json" >"$tmp/no-musa.txt"
"$bin/forecast_eval" "${fracs[@]}" --cal "$tmp/no-rhino.json" >"$tmp/no-rhino.txt"

echo "## full fit (every tuned set)"
head -2 "$tmp/full.txt"
for s in synthetic-tune synthetic-check rhino-tune rhino-check musa-tune musa-check srm-other-check; do
    pick "$tmp/full.txt" "$s"
done
echo "## Musa/DACS left out of the fit"
for s in musa-tune musa-check; do pick "$tmp/no-musa.txt" "$s"; done
echo "## Rhino left out of the fit"
for s in rhino-tune rhino-check; do pick "$tmp/no-rhino.txt" "$s"; done
