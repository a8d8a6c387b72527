#!/usr/bin/env bash
# Regenerates the README's pictures and report excerpt from the demo data at a
# fixed date, so that they change only when limfac's output does.
#   scripts/readme_images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=./target/release/limfac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIMFAC_NOW=2026-11-29
$bin --quiet --db "$tmp/demo.db" demo --out "$tmp/charts" > /dev/null
lf=$($bin --db "$tmp/demo.db" report --format json \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)["limiting_factor"]; print(r["project"]+"/"+r["metric"])')
project=${lf%%/*}
mkdir -p docs/img
$bin --quiet --db "$tmp/demo.db" chart "$lf" --out docs/img/limiting-factor.png
$bin --quiet --db "$tmp/demo.db" chart "$project" --out docs/img/dashboard.png
$bin --quiet --db "$tmp/demo.db" chart --fever --out docs/img/fever.png
$bin --db "$tmp/demo.db" report > docs/demo-report.md
chmod 644 docs/img/*.png docs/demo-report.md
echo "limiting factor: $lf; wrote docs/img/*.png and docs/demo-report.md"
