#!/usr/bin/env bash
# How the forecast fares by where in its life the work is cut: one line per data set and cut.
#
# The calibration figures (examples/forecast_eval, the calibration test) pool the cuts at 20,
# 30, ... 80% of each history's life. A forecast does not know where in its life the work is,
# so pooled figures can hold while a single cut misses: work cut early is dated too soon
# (its truth is four times the elapsed time at 20%), work cut late too late (a quarter at
# 80%). This script shows that spread, per data set, with the checked and tuned halves apart;
# the issue's own measurements were at mid-life (the 0.5 line). docs/forecast.md ("Where in
# its life the work is") has the figures.
#
#   scripts/forecast_by_cut.sh [FORECAST_EVAL FLAGS...]
#
# FORECAST_EVAL FLAGS go to every run, e.g. `--cal fit.json` to measure a calibration written
# by `fit_forecast_defaults -- --json fit.json`. Release build; about 10 s on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example forecast_eval
bin=target/release/examples
printf '%-16s %4s %6s %6s %6s %6s %8s %9s\n' set cut '<=p10' '<=p50' '<=p90' inside n pinball
for cut in 0.2 0.3 0.4 0.5 0.6 0.7 0.8; do
    "$bin/forecast_eval" --fracs "$cut" --per-family 30 --group verdict "$@" |
        awk -v cut="$cut" '
            /^== / { set = $2 }
            $1 == "all" {
                # The figures follow their labels: "<=p10 7%" and so on (see Tally::line).
                for (i = 1; i <= NF; i++) {
                    if ($i == "≤p10") p10 = $(i + 1)
                    if ($i == "≤p50") p50 = $(i + 1)
                    if ($i == "≤p90") p90 = $(i + 1)
                    if ($i == "in10-90") inside = $(i + 1)
                    if ($i ~ /^n=/) n = ($i == "n=" ? $(i + 1) : substr($i, 3))
                    if ($i ~ /^pinball/) pin = substr($i, length("pinball×") + 1)
                }
                printf "%-16s %4s %6s %6s %6s %6s %8s %9s\n", set, cut, p10, p50, p90, inside, n, pin
            }'
done | sort -s -k1,1
