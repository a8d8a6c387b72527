#!/usr/bin/env bash
# Reproduce every file under tests/data/<dataset>/ for the three pysrat sets (data.csv, series_stats.csv,
# raw/*, LICENSE) from the PyPI wheel pysrat 0.2.7 (MIT).
# Usage: scripts/fetch_real_data.sh [OUT_DIR]   (default: tests/data)
# Needs: pip (any version that can download a wheel), python3 (standard library only).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../tests/data}"
PKG=pysrat
VER=0.2.7
WHEEL="pysrat-0.2.7-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
SHA256="915f65f7c3328af44de33f345d64edac5769934d0b9dfdd4f9fdaeadf9eefc15"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# The data files are the same in every wheel of this version; pin one exact wheel
# (platform/ABI given explicitly, so the host's own Python version does not matter).
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --python-version 3.11 --implementation cp --abi cp311 \
  --platform manylinux_2_28_x86_64 \
  "$PKG==$VER" -d "$TMP"
test -f "$TMP/$WHEEL" || { echo "expected $WHEEL, got: $(ls "$TMP")" >&2; exit 1; }
echo "$SHA256  $TMP/$WHEEL" | sha256sum -c --quiet -

mkdir -p "$OUT"
python3 "$HERE/convert_real_data.py" "$TMP/$WHEEL" "$OUT"
